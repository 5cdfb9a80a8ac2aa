//! The password step of sign-in. Unknown email, wrong password and disabled account get
//! the same answer after the same work (a bcrypt check against a dummy hash when there is
//! no real one). Limits, fail closed: 20 tries per 15 minutes per IP and 10 per account.
//! Attempts are audited without the password or the email in clear. The second factor, if
//! any, comes between [`check_password`] and [`start_session`] (see `crate::mfa`).

use super::home_realm::{self, Realm};
use super::password::PasswordHasher;
use super::sessions::{self, SessionView};
use crate::audit::Action;
use crate::audit::{self, Context, Origin};
use crate::config::{Budget, RateLimitSettings, SessionSettings};
use crate::crypto::Envelope;
use crate::db::models::users;
use crate::db::{Db, DbError, TenantTx};
use crate::ids::{TenantId, UserId};
use crate::ratelimit::{Limiter, Refusal};
use chrono::{DateTime, Utc};
use serde_json::json;

pub const PER_IP: Budget = Budget {
    limit: 20,
    window_secs: 900,
};
pub const PER_ACCOUNT: Budget = Budget {
    limit: 10,
    window_secs: 900,
};

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("unknown workspace")]
    UnknownWorkspace,
    #[error("email or password is incorrect")]
    Invalid,
    #[error("too many attempts")]
    Limited { retry_after_secs: u64 },
    #[error("sign-in is unavailable")]
    Unavailable,
    /// The workspace is suspended or cancelled by the operator.
    #[error("workspace suspended")]
    Suspended,
}

impl From<Refusal> for SignInError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Limited { retry_after_secs } => SignInError::Limited { retry_after_secs },
            Refusal::Unavailable => SignInError::Unavailable,
        }
    }
}

/// The per-account sign-in budget's key: sign-in and re-authentication (`/account/mfa`)
/// charge the same budget, so a stolen session gets no extra password guesses.
pub fn account_budget_key(tenant: TenantId, email: &str) -> String {
    format!("{tenant}:{}", crate::text::email_key(email))
}

impl From<DbError> for SignInError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::TenantNotActive => SignInError::Suspended,
            _ => SignInError::Unavailable,
        }
    }
}

pub struct SignedIn {
    pub tenant: TenantId,
    pub user: UserId,
    pub session: SessionView,
    pub cookie: String,
}

pub struct Attempt<'a> {
    /// The workspace the form names ([`super::home_realm::workspace_for`]), if any.
    pub tenant: Option<TenantId>,
    pub email: &'a str,
    pub password: &'a str,
    pub origin: &'a Origin,
}

/// Attempts on one account before answers slow down.
const FREE_ATTEMPTS: u32 = 3;

/// The growing delay before answering attempt `n` (1-based) on one account: none for the
/// first few, then 250 ms doubling up to 4 s. It slows guessing without locking the real
/// user out; the per-account budget still caps the total.
pub fn delay_for_attempt(n: u32) -> std::time::Duration {
    if n <= FREE_ATTEMPTS {
        return std::time::Duration::ZERO;
    }
    let ms = 250u64.saturating_mul(1 << (n - FREE_ATTEMPTS - 1).min(4));
    std::time::Duration::from_millis(ms.min(4_000))
}

/// Counts one attempt; returns its number within the window.
async fn check(
    limiter: &Limiter,
    name: &str,
    subject: &str,
    budget: Budget,
) -> Result<u32, SignInError> {
    let remaining = limiter.admit_one(name, subject, budget).await?;
    Ok(budget.limit.saturating_sub(remaining))
}

/// A password that matched an active account.
pub struct PasswordChecked {
    pub tenant: TenantId,
    pub user: users::User,
    /// The connection serving the account's stored address, for the SSO rule
    /// ([`super::home_realm::idp_for`]); read here, in the lookup's own transaction.
    pub realm: Option<Realm>,
}

/// The password step: budgets, the growing delay, and one bcrypt check whatever the
/// account's state. A failure is audited here; success is audited when the session starts
/// (after the second factor, if there is one).
pub async fn check_password(
    db: &Db,
    envelope: &Envelope,
    hasher: &PasswordHasher,
    limiter: &Limiter,
    limits: &RateLimitSettings,
    attempt: &Attempt<'_>,
    now: DateTime<Utc>,
) -> Result<PasswordChecked, SignInError> {
    let ip = attempt
        .origin
        .ip
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    check(limiter, "signin_ip", &ip, limits.signin_per_ip).await?;
    let tenant = attempt.tenant.ok_or(SignInError::UnknownWorkspace)?;
    let account = account_budget_key(tenant, attempt.email);
    let attempt_no = check(
        limiter,
        "signin_account",
        &account,
        limits.signin_per_account,
    )
    .await?;
    // Same delay whether or not the account exists, so it reveals nothing.
    tokio::time::sleep(delay_for_attempt(attempt_no)).await;

    let mut tx = db.tenant_read(tenant).await?;
    let found = users::credentials(&mut tx, attempt.email.trim()).await?;
    // Same lookup whether or not the account exists, so its time reveals nothing.
    let checked_email = found
        .as_ref()
        .map(|(u, _)| u.email.clone())
        .unwrap_or_else(|| attempt.email.trim().to_string());
    let realm = home_realm::realm_in(&mut tx, &checked_email).await?;
    tx.commit().await?;
    let hash = found.as_ref().and_then(|(_, h)| h.as_deref());
    let password_ok = hasher
        .verify_or_dummy(attempt.password, hash)
        .await
        .map_err(|_| SignInError::Unavailable)?;
    match found.map(|(u, _)| u) {
        Some(u) if password_ok && u.status == "active" => Ok(PasswordChecked {
            tenant,
            user: u,
            realm,
        }),
        other => {
            let target = other
                .map(|u| format!("user:{}", u.id))
                .unwrap_or_else(|| "unknown_account".into());
            let ctx = Context {
                envelope,
                actor: "anonymous",
                origin: attempt.origin,
                now,
            };
            let mut tx = db.tenant(tenant).await?;
            let details = json!({"method": "password"});
            ctx.record(&mut tx, Action::SigninFailed, &target, details)
                .await
                .map_err(|_| SignInError::Unavailable)?;
            tx.commit().await?;
            Err(SignInError::Invalid)
        }
    }
}

/// Audits a failed second step (`method`: otp, passkey) of a known person.
pub async fn record_failure(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: UserId,
    method: &str,
) -> Result<(), audit::AuditError> {
    let details = json!({ "method": method });
    let target = format!("user:{user}");
    let ctx = ctx.by("anonymous");
    ctx.record(tx, Action::SigninFailed, &target, details).await
}

/// The session a finished sign-in starts: whose, proved how, replacing which.
pub struct NewSession<'a> {
    pub user: UserId,
    pub amr: &'a [String],
    /// A password-only session of the browser that this sign-in stepped up: it ends.
    pub replaces: Option<uuid::Uuid>,
}

/// Starts the session of a finished sign-in (a new id every time) and audits it, acted by
/// the person.
pub async fn start_session(
    tx: &mut TenantTx,
    settings: &SessionSettings,
    ctx: &Context<'_>,
    new: &NewSession<'_>,
) -> Result<SignedIn, SignInError> {
    let (user, amr) = (new.user, new.amr);
    let (session, cookie) = sessions::start(tx, settings, user, amr, ctx.now).await?;
    let actor = format!("user:{user}");
    let ctx = ctx.by(&actor);
    if let Some(old) = new.replaces {
        sessions::end(tx, &ctx, user, old, "stepped_up")
            .await
            .map_err(|_| SignInError::Unavailable)?;
    }
    let details = json!({"session": session.id, "amr": amr});
    ctx.record(tx, Action::SigninSucceeded, &actor, details)
        .await
        .map_err(|_| SignInError::Unavailable)?;
    Ok(SignedIn {
        tenant: tx.tenant(),
        user,
        session,
        cookie,
    })
}

#[cfg(test)]
mod tests {
    use super::delay_for_attempt;
    use std::time::Duration;

    #[test]
    fn delays_grow_after_a_few_free_attempts_and_stay_bounded() {
        assert_eq!(delay_for_attempt(1), Duration::ZERO);
        assert_eq!(delay_for_attempt(3), Duration::ZERO);
        assert_eq!(delay_for_attempt(4), Duration::from_millis(250));
        assert_eq!(delay_for_attempt(5), Duration::from_millis(500));
        assert_eq!(delay_for_attempt(10), Duration::from_millis(4_000));
        assert_eq!(delay_for_attempt(100), Duration::from_millis(4_000));
    }
}
