//! The password step of sign-in. Unknown email, wrong password and disabled account get
//! the same answer after the same work (a bcrypt check against a dummy hash when there is
//! no real one). Limits, fail closed: 20 tries per 15 minutes per IP and 10 per account.
//! Attempts are audited without the password or the email in clear. The second factor, if
//! any, comes between [`check_password`] and [`start_session`] (see `crate::mfa`).

use super::password::PasswordHasher;
use super::sessions::{self, SessionView};
use crate::audit::Action;
use crate::audit::{self, Event, Origin};
use crate::config::{Budget, RateLimitSettings, SessionSettings};
use crate::crypto::Envelope;
use crate::db::models::{tenants, users};
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
    /// The right password, but the workspace requires this person to use its IdP.
    #[error("single sign-on required")]
    SsoRequired {
        tenant: TenantId,
        connection: uuid::Uuid,
    },
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
    /// The workspace's slug; empty to find it from the email's domain.
    pub workspace: &'a str,
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

pub async fn tenant_by_slug(db: &Db, slug: &str) -> Result<Option<TenantId>, DbError> {
    let mut tx = db.platform().await?;
    let t = tenants::find_by_slug(&mut tx, slug).await?;
    tx.commit().await?;
    open(t)
}

/// The workspace if it may be signed in to; a suspended or cancelled one is said as such
/// (`DbError::TenantNotActive`): its slug or domain is not a secret.
fn open(t: Option<tenants::Tenant>) -> Result<Option<TenantId>, DbError> {
    match t.filter(|t| t.id != TenantId::PLATFORM) {
        Some(t) if t.status != "active" => Err(DbError::TenantNotActive),
        t => Ok(t.map(|t| t.id)),
    }
}

/// The workspace a sign-in names: by its slug, or, when no slug is given, the active
/// workspace that claims the email's domain.
pub async fn workspace_for(db: &Db, slug: &str, email: &str) -> Result<Option<TenantId>, DbError> {
    let slug = slug.trim();
    if !slug.is_empty() {
        return tenant_by_slug(db, &slug.to_lowercase()).await;
    }
    let Some(tenant) = super::domains::tenant_for_email(db, email).await? else {
        return Ok(None);
    };
    let mut tx = db.platform().await?;
    let t = tenants::get(&mut tx, tenant).await?;
    tx.commit().await?;
    open(t)
}

/// A password that matched an active account.
pub struct PasswordChecked {
    pub tenant: TenantId,
    pub user: users::User,
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
    let tenant = workspace_for(db, attempt.workspace, attempt.email)
        .await?
        .ok_or(SignInError::UnknownWorkspace)?;
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
    let enforced = crate::auth::home_realm::enforced_for(&mut tx, &checked_email).await?;
    tx.commit().await?;
    let hash = found.as_ref().and_then(|(_, h)| h.as_deref());
    let password_ok = hasher
        .verify_or_dummy(attempt.password, hash)
        .await
        .map_err(|_| SignInError::Unavailable)?;
    match found.map(|(u, _)| u) {
        Some(u) if password_ok && u.status == "active" => match enforced {
            Some(connection) => Err(SignInError::SsoRequired { tenant, connection }),
            None => Ok(PasswordChecked { tenant, user: u }),
        },
        other => {
            let target = other
                .map(|u| format!("user:{}", u.id))
                .unwrap_or_else(|| "unknown_account".into());
            let event = Event {
                actor: "anonymous",
                action: Action::SigninFailed,
                target: &target,
                details: json!({"method": "password"}),
            };
            let mut tx = db.tenant(tenant).await?;
            audit::record(&mut tx, envelope, event, attempt.origin, now)
                .await
                .map_err(|_| SignInError::Unavailable)?;
            tx.commit().await?;
            Err(SignInError::Invalid)
        }
    }
}

/// Audits a failed second step (`method`: otp) of a known person.
pub async fn record_failure(
    tx: &mut TenantTx,
    envelope: &Envelope,
    user: UserId,
    method: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), audit::AuditError> {
    let event = Event {
        actor: "anonymous",
        action: Action::SigninFailed,
        target: &format!("user:{user}"),
        details: json!({ "method": method }),
    };
    audit::record(tx, envelope, event, origin, now).await?;
    Ok(())
}

/// Starts the session of a finished sign-in (a new id every time) and audits it. A
/// password-only session that this sign-in stepped up ends.
#[allow(clippy::too_many_arguments)]
pub async fn start_session(
    tx: &mut TenantTx,
    envelope: &Envelope,
    settings: &SessionSettings,
    user: UserId,
    amr: &[String],
    replaces: Option<uuid::Uuid>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<SignedIn, SignInError> {
    let (session, cookie) = sessions::start(tx, settings, user, amr, now).await?;
    let actor = format!("user:{user}");
    if let Some(old) = replaces {
        sessions::end(
            tx,
            &crate::audit::Context {
                envelope,
                actor: &actor,
                origin,
                now,
            },
            user,
            old,
            "stepped_up",
        )
        .await
        .map_err(|_| SignInError::Unavailable)?;
    }
    let event = Event {
        actor: &actor,
        action: Action::SigninSucceeded,
        target: &actor,
        details: json!({"session": session.id, "amr": amr}),
    };
    audit::record(tx, envelope, event, origin, now)
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
