//! Password reset: a request answers the same whether or not the account exists; when it
//! does, a one-time link valid for 30 minutes goes out through the mail outbox. Setting the
//! new password ends every session of the user (and with them their refresh tokens).
//! Limits, fail closed: 20 requests per 15 minutes per IP, 5 per hour per account.

use super::home_realm::{self, tenant_by_slug, Stage};
use super::password::{check_policy, PasswordError, PasswordHasher};
use super::sessions;
use crate::audit::Action;
use crate::audit::{self, Context, Origin};
use crate::config::Budget;
use crate::crypto::{tenant_token, Envelope};
use crate::db::models::{resets, users};
use crate::db::{Db, DbError};
use crate::ids::UserId;
use crate::mail::outbox;
use crate::ratelimit::Limiter;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

const PREFIX: &str = "idw_";
pub const LINK_TTL_MINUTES: i64 = 30;
pub const PER_IP: Budget = Budget {
    limit: 20,
    window_secs: 900,
};
pub const PER_ACCOUNT: Budget = Budget {
    limit: 5,
    window_secs: 3600,
};

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("too many requests")]
    Limited { retry_after_secs: u64 },
    #[error("unavailable")]
    Unavailable,
    #[error("the link is invalid or has expired")]
    BadLink,
    #[error(transparent)]
    Password(#[from] PasswordError),
}

impl From<crate::ratelimit::Refusal> for ResetError {
    fn from(r: crate::ratelimit::Refusal) -> Self {
        match r {
            crate::ratelimit::Refusal::Limited { retry_after_secs } => {
                ResetError::Limited { retry_after_secs }
            }
            crate::ratelimit::Refusal::Unavailable => ResetError::Unavailable,
        }
    }
}

impl From<DbError> for ResetError {
    fn from(_: DbError) -> Self {
        ResetError::Unavailable
    }
}

impl From<audit::AuditError> for ResetError {
    fn from(_: audit::AuditError) -> Self {
        ResetError::Unavailable
    }
}

async fn check(
    limiter: &Limiter,
    name: &str,
    subject: &str,
    budget: Budget,
) -> Result<(), ResetError> {
    limiter.admit_one(name, subject, budget).await?;
    Ok(())
}

/// Sends a reset link if (and only if) the account exists and is active. Only the budget
/// checks happen before the answer; finding the account and mailing it run afterwards in
/// the background, so known and unknown addresses are answered in the same time.
pub async fn request(
    db: &Db,
    ctx: &Context<'_>,
    limiter: &Limiter,
    limits: &crate::config::RateLimitSettings,
    public_url: &str,
    workspace: &str,
    email: &str,
) -> Result<(), ResetError> {
    let ip = ctx.origin.ip.map(|ip| ip.to_string()).unwrap_or_default();
    check(limiter, "reset_ip", &ip, limits.reset_per_ip).await?;
    let account = format!("{workspace}:{}", crate::text::email_key(email));
    check(limiter, "reset_account", &account, limits.reset_per_account).await?;
    let (db, envelope, origin, now) = (
        db.clone(),
        ctx.envelope.clone(),
        ctx.origin.clone(),
        ctx.now,
    );
    let asked = Asked {
        public_url: public_url.to_string(),
        workspace: workspace.to_string(),
        email: email.to_string(),
    };
    tokio::spawn(async move {
        let ctx = Context {
            envelope: &envelope,
            actor: "anonymous",
            origin: &origin,
            now,
        };
        if let Err(e) = deliver(&db, &ctx, &asked).await {
            tracing::warn!(error = %e, "password reset link not sent");
        }
    });
    Ok(())
}

/// A reset request, owned by the task that answers it after the response.
struct Asked {
    public_url: String,
    workspace: String,
    email: String,
}

/// The part of a reset request that depends on the account existing.
async fn deliver(db: &Db, ctx: &Context<'_>, asked: &Asked) -> Result<(), ResetError> {
    let Some(tenant) = tenant_by_slug(db, &asked.workspace).await? else {
        return Ok(());
    };
    let mut tx = db.tenant(tenant).await?;
    let Some(user) = users::find_by_email(&mut tx, asked.email.trim())
        .await?
        .filter(|u| u.status == "active")
    else {
        return Ok(());
    };
    // People who must sign in through their IdP get no local password (same answer).
    let realm = home_realm::realm_in(&mut tx, &user.email).await?;
    if home_realm::idp_for(realm.as_ref(), Stage::Proved).is_some() {
        return Ok(());
    }
    issue_link(&mut tx, ctx.envelope, &asked.public_url, &user, ctx.now).await?;
    let target = format!("user:{}", user.id);
    ctx.record(&mut tx, Action::PasswordResetRequested, &target, json!({}))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Mails `user` a one-time link (valid `LINK_TTL_MINUTES`) through the outbox.
pub async fn issue_link(
    tx: &mut crate::db::TenantTx,
    envelope: &Envelope,
    public_url: &str,
    user: &users::User,
    now: DateTime<Utc>,
) -> Result<(), crate::db::DbError> {
    let token = tenant_token::mint(PREFIX, tx.tenant());
    resets::insert(
        tx,
        &tenant_token::hash(&token),
        user.id.0,
        now,
        now + Duration::minutes(LINK_TTL_MINUTES),
    )
    .await?;
    let link = format!(
        "{}/password/reset?token={token}",
        public_url.trim_end_matches('/')
    );
    let body = format!(
        "Someone asked to reset the password of your account.\n\nTo choose a new password, open this link within {LINK_TTL_MINUTES} minutes:\n\n{link}\n\nIf this was not you, ignore this message; your password stays as it is.\n"
    );
    outbox::enqueue(tx, envelope, &user.email, "Reset your password", &body, now).await?;
    Ok(())
}

/// Whether a link can still be used (to show the form or a clear error).
pub async fn link_is_usable(db: &Db, token: &str, now: DateTime<Utc>) -> Result<bool, ResetError> {
    let Some(tenant) = tenant_token::tenant_of(PREFIX, token) else {
        return Ok(false);
    };
    let mut tx = db.tenant_read(tenant).await?;
    let usable = resets::is_usable(&mut tx, &tenant_token::hash(token), now).await?;
    tx.commit().await?;
    Ok(usable)
}

/// Sets the new password and ends every session of the user.
pub async fn complete(
    db: &Db,
    envelope: &Envelope,
    hasher: &PasswordHasher,
    token: &str,
    new_password: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), ResetError> {
    check_policy(new_password)?;
    let tenant = tenant_token::tenant_of(PREFIX, token).ok_or(ResetError::BadLink)?;
    // Hash first (slow, off the workers), then spend the link in one transaction.
    let hash = hasher.hash(new_password).await?;
    let mut tx = db.tenant(tenant).await?;
    let user = UserId(
        resets::consume(&mut tx, &tenant_token::hash(token), now)
            .await?
            .ok_or(ResetError::BadLink)?,
    );
    users::set_password(&mut tx, user, &hash).await?;
    // Every other link sent for this account dies with the reset.
    resets::void_for_user(&mut tx, user.0, now).await?;
    let actor = format!("user:{user}");
    let ctx = crate::audit::Context {
        envelope,
        actor: &actor,
        origin,
        now,
    };
    sessions::end_all(&mut tx, &ctx, user, "password_reset").await?;
    let details = json!({"via": "reset_link"});
    ctx.record(&mut tx, Action::PasswordChanged, &actor, details)
        .await?;
    tx.commit().await?;
    Ok(())
}
