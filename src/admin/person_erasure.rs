//! A person's erasure (GDPR article 17), from the admin API, the console and SCIM's delete.
//! In the caller's transaction the account goes as a deletion takes it (every way in ended,
//! groups, factors, sessions, tokens and links with it), the credentials the person made
//! name a pseudonym instead, and mail to them is dropped. Once that commits, the audit chain
//! replaces every mention of them by the same pseudonym (`audit::erasure`), and the
//! erasure itself is recorded under it. The pseudonym's mapping is never stored.

use crate::audit::erasure::{self, Mentions, Rewritten};
use crate::audit::{Action, AuditError, Context};
use crate::auth::cutoff;
use crate::crypto::SecretContext;
use crate::db::models::{api_keys, outbox, scim_store, scim_tokens, users};
use crate::db::{Db, TenantTx};
use serde_json::json;

/// What is left to do once the removal has committed.
pub struct Pending {
    mentions: Mentions,
    pseudonym: String,
}

/// Removes `user` in `tx`; the caller has checked it may (reach, last admin).
pub async fn remove(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: &users::User,
) -> Result<Pending, AuditError> {
    let pseudonym = hex::encode(crate::crypto::random::bytes::<16>());
    let id = user.id;
    cutoff::deprovision(tx, ctx, id, "erased").await?;
    scim_store::remove_from_all_groups(tx, id.0, ctx.now).await?;
    scim_store::delete_user(tx, id.0).await?;
    let (maker, erased) = (format!("user:{id}"), format!("erased:{pseudonym}"));
    api_keys::rename_creator(tx, &maker, &erased).await?;
    scim_tokens::rename_creator(tx, &maker, &erased).await?;
    drop_mail_to(tx, ctx, &user.email).await?;
    Ok(Pending {
        mentions: Mentions {
            id: id.to_string(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
        },
        pseudonym,
    })
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

/// After the removal committed: the chain rewritten, then the erasure recorded.
pub async fn finish(
    db: &Db,
    ctx: &Context<'_>,
    tenant: crate::ids::TenantId,
    p: Pending,
) -> Result<Rewritten, AuditError> {
    let rewritten =
        erasure::pseudonymize(db, ctx.envelope, tenant, &p.mentions, &p.pseudonym).await?;
    let mut tx = db.tenant_any_status(tenant).await?;
    let target = format!("erased:{}", p.pseudonym);
    // A person erasing their own account is not named as the one who did it either.
    let actor = if ctx.actor.contains(&p.mentions.id) {
        target.as_str()
    } else {
        ctx.actor
    };
    let details = json!({
        "entries_changed": rewritten.entries_changed,
        "entries_relinked": rewritten.entries_relinked,
        "from_seq": rewritten.from_seq,
        "head_before": rewritten.head_before,
    });
    let ctx = (*ctx).by(actor);
    ctx.record(&mut tx, Action::UserErased, &target, details)
        .await?;
    tx.commit().await?;
    Ok(rewritten)
}
