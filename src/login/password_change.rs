//! A signed-in person changes their own password (ASVS 6.2.2–6.2.3). The current password
//! is required (counted against the account's sign-in budget, so the form cannot be used
//! to guess it), the new one meets the rules every password meets, every *other* session
//! ends, a notice goes to the address on file, and the change is audited. bcrypt runs with
//! no connection held: one short read, the two hashes, then one write.

use super::first_step::{LoginError, Ports};
use crate::audit::{self, Action, Origin};
use crate::auth::password::{check_policy, PasswordError};
use crate::auth::sessions::{self, ActiveSession};
use crate::db::models::users;
use crate::mail::outbox;
use crate::ratelimit::Refusal;
use chrono::{DateTime, Utc};
use serde_json::json;

const NOTICE_SUBJECT: &str = "Your password was changed";
const NOTICE_BODY: &str = "The password of your account was just changed from the account \
page, and your other sessions were signed out.\n\nIf this was not you, reset your password \
at once from the sign-in page and tell your administrator.";

/// Why the password was not changed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The new password breaks a rule (the rule's text is shown).
    #[error(transparent)]
    Policy(PasswordError),
    /// The account has no password (it signs in through SSO or passkeys only).
    #[error("the account has no password")]
    NoPassword,
    #[error(transparent)]
    Login(#[from] LoginError),
}

/// Replaces `me`'s password by `new` after checking `current`.
pub async fn change_own(
    ports: &Ports<'_>,
    me: &ActiveSession,
    (current, new): (&str, &str),
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), ChangeError> {
    check_policy(new).map_err(ChangeError::Policy)?;
    let (email, stored) = {
        let mut tx = ports
            .db
            .tenant_read(me.tenant)
            .await
            .map_err(LoginError::from)?;
        let user = users::get(&mut tx, me.user)
            .await
            .map_err(LoginError::from)?;
        let hash = users::password_hash(&mut tx, me.user)
            .await
            .map_err(LoginError::from)?;
        (user.email, hash.ok_or(ChangeError::NoPassword)?)
    };
    let account = crate::auth::signin::account_budget_key(me.tenant, &email);
    ports
        .limiter
        .admit_one("signin_account", &account, ports.limits.signin_per_account)
        .await
        .map_err(|refusal| match refusal {
            Refusal::Limited { retry_after_secs } => LoginError::Limited { retry_after_secs },
            Refusal::Unavailable => LoginError::Unavailable("request limits".into()),
        })?;
    let hashing = |e: PasswordError| LoginError::Unavailable(e.to_string());
    if !ports
        .passwords
        .verify(current, &stored)
        .await
        .map_err(hashing)?
    {
        return Err(LoginError::Invalid.into());
    }
    let hash = ports.passwords.hash(new).await.map_err(hashing)?;
    record(ports, me, (&email, &hash), origin, now)
        .await
        .map_err(ChangeError::Login)
}

/// The write: the new hash, the other sessions ended, the notice queued, the audit entry.
async fn record(
    ports: &Ports<'_>,
    me: &ActiveSession,
    (email, hash): (&str, &str),
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), LoginError> {
    let unavailable = |e: audit::AuditError| LoginError::Unavailable(e.to_string());
    let mut tx = ports.db.tenant(me.tenant).await?;
    users::set_password(&mut tx, me.user, hash).await?;
    let actor = format!("user:{}", me.user);
    let ctx = audit::Context {
        envelope: ports.envelope,
        actor: &actor,
        origin,
        now,
    };
    sessions::end_others(&mut tx, &ctx, me, "password_changed")
        .await
        .map_err(unavailable)?;
    outbox::enqueue(
        &mut tx,
        ports.envelope,
        email,
        NOTICE_SUBJECT,
        NOTICE_BODY,
        now,
    )
    .await?;
    let details = json!({"via": "account_page"});
    ctx.record(&mut tx, Action::PasswordChanged, &actor, details)
        .await
        .map_err(unavailable)?;
    tx.commit().await?;
    Ok(())
}
