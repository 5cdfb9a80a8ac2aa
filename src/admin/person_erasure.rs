//! A person's erasure (GDPR article 17), from the admin API, the console and SCIM's delete.
//! Three steps, so an interruption anywhere leaves either the account (and a retry finishes
//! the erasure) or nothing that names the person:
//! 1. [`prepare`]: every chained mention of the person becomes a pseudonym (`audit::erasure`),
//!    while the account still exists;
//! 2. [`remove`], in the caller's transaction: the account goes as a deletion takes it, the
//!    credentials the person made name the pseudonym, mail to them is dropped, and the
//!    erasure is recorded; every entry the transaction writes carries the pseudonym already;
//! 3. [`sweep`], after the commit: entries that raced with the erasure get the pseudonym too.
//!
//! The pseudonym's mapping is never stored.

use crate::audit::erasure::{self, Mentions, Rewritten};
use crate::audit::{Action, AuditError, Context};
use crate::auth::cutoff;
use crate::crypto::SecretContext;
use crate::db::models::events as events_model;
use crate::db::models::{api_keys, outbox, scim_store, scim_tokens, users};
use crate::db::{Db, TenantTx};
use crate::ids::TenantId;
use serde_json::json;

/// An erasure under way: whom it is about, their pseudonym, and what step 1 changed.
pub struct Pending {
    mentions: Mentions,
    pseudonym: String,
    rewritten: Rewritten,
}

/// Step 1: the chain's mentions of `user` replaced by a fresh pseudonym.
pub async fn prepare(
    db: &Db,
    ctx: &Context<'_>,
    tenant: TenantId,
    user: &users::User,
) -> Result<Pending, AuditError> {
    let pseudonym = hex::encode(crate::crypto::random::bytes::<16>());
    let mentions = Mentions {
        id: user.id.to_string(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
    };
    let rewritten = erasure::pseudonymize(db, ctx.envelope, tenant, &mentions, &pseudonym).await?;
    Ok(Pending {
        mentions,
        pseudonym,
        rewritten,
    })
}

/// Step 2, in `tx` (the caller has checked it may: reach, last admin): the account removed
/// and the erasure recorded, under the pseudonym only.
pub async fn remove(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: &users::User,
    p: &Pending,
) -> Result<(), AuditError> {
    let id = user.id;
    cutoff::deprovision(tx, ctx, id, "erased").await?;
    scim_store::remove_from_all_groups(tx, id.0, ctx.now).await?;
    scim_store::delete_user(tx, id.0).await?;
    let (maker, label) = (format!("user:{id}"), format!("erased:{}", p.pseudonym));
    api_keys::rename_creator(tx, &maker, &label).await?;
    scim_tokens::rename_creator(tx, &maker, &label).await?;
    drop_mail_to(tx, ctx, &user.email).await?;
    let details = json!({
        "entries_changed": p.rewritten.entries_changed,
        "entries_relinked": p.rewritten.entries_relinked,
        "from_seq": p.rewritten.from_seq,
        "head_before": p.rewritten.head_before,
    });
    ctx.record(tx, Action::UserErased, &label, details).await?;
    // The person's waiting events go; CRM services still learn the account is gone (GDPR
    // article 19: recipients are told of an erasure), by its id and nothing else.
    events_model::forget_user(tx, id.0).await?;
    crate::events::stage(tx, "user.deleted", &maker, &json!({}), ctx.now).await?;
    // Last: the entries above (and the caller's) name the pseudonym, never the person.
    erasure::scrub_staged(tx, ctx.envelope, &p.mentions, &p.pseudonym).await
}

/// Step 3, after the commit: an entry about the person that committed while the erasure ran
/// gets the pseudonym too.
pub async fn sweep(
    db: &Db,
    ctx: &Context<'_>,
    tenant: TenantId,
    p: &Pending,
) -> Result<Rewritten, AuditError> {
    erasure::pseudonymize(db, ctx.envelope, tenant, &p.mentions, &p.pseudonym).await
}

/// Mail waiting or kept for `email`: recipients are sealed, so each is opened to compare.
async fn drop_mail_to(tx: &mut TenantTx, ctx: &Context<'_>, email: &str) -> Result<(), AuditError> {
    let sealer = ctx.envelope.for_tenant(tx).await?;
    let key = crate::text::email_key(email);
    let mut drop = Vec::new();
    for (id, sealed) in outbox::recipients(tx).await? {
        let row = id.to_string();
        let place = SecretContext {
            tenant: tx.tenant(),
            table: outbox::TABLE,
            column: outbox::RECIPIENT_COLUMN,
            row: &row,
        };
        // A message that does not open (its key version gone) cannot reach anyone any more.
        let Ok(to) = sealer.open(&place, &sealed) else {
            continue;
        };
        if crate::text::email_key(&String::from_utf8_lossy(&to)) == key {
            drop.push(id);
        }
    }
    outbox::delete(tx, &drop).await?;
    Ok(())
}
