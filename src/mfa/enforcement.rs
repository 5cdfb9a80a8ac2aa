//! The workspace's MFA rule as admins set it, break-glass exemptions, an admin's reset of a
//! person's factors, and the check that keeps tokens from sessions that skipped MFA.

use super::policy::{self, load, Policy};
use crate::audit::{Action, Context};
use crate::db::models::{mfa as model, users};
use crate::db::{DbError, TenantTx};
use crate::error::AppError;
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde_json::json;

/// [`set_policy`] in a transaction of its own (the admin API).
pub async fn put_policy(
    db: &crate::db::Db,
    tenant: crate::ids::TenantId,
    ctx: &crate::audit::Context<'_>,
    required: bool,
    grace_period_days: i32,
) -> Result<Policy, AppError> {
    let mut tx = db.tenant(tenant).await?;
    let policy = set_policy(&mut tx, ctx, required, grace_period_days).await?;
    tx.commit().await?;
    Ok(policy)
}

/// Sets the rule. Switching `required` on starts the grace period now; saving it again
/// while on keeps the original start, so re-saving cannot extend the grace period.
pub async fn set_policy(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    required: bool,
    grace_period_days: i32,
) -> Result<Policy, AppError> {
    let now = ctx.now;
    if !(0..=365).contains(&grace_period_days) {
        return Err(AppError::InvalidRequest(
            "grace_period_days must be between 0 and 365".into(),
        ));
    }
    let before = load(tx).await?;
    let enforced_since = match (required, before.required) {
        (false, _) => None,
        (true, true) => before.enforced_since,
        (true, false) => Some(now),
    };
    let after = Policy {
        required,
        grace_period_days,
        enforced_since,
    };
    model::put_policy(
        tx,
        &model::PolicyRow {
            required,
            grace_period_days,
            enforced_since,
            updated_at: now,
        },
    )
    .await?;
    ctx.record(
        tx,
        Action::MfaPolicyChanged,
        "mfa_policy",
        json!({"before": before, "after": after}),
    )
    .await?;
    Ok(after)
}

pub async fn set_exemption(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: UserId,
    exempt: bool,
) -> Result<(), AppError> {
    if !users::set_mfa_exempt(tx, user, exempt).await? {
        return Err(AppError::NotFound);
    }
    ctx.record(
        tx,
        Action::MfaExemptionChanged,
        &format!("user:{user}"),
        json!({"exempt": exempt}),
    )
    .await?;
    Ok(())
}

/// Whether the rule refuses tokens to `user` signed in with `amr`.
pub async fn blocks_tokens(
    tx: &mut TenantTx,
    user: UserId,
    amr: &[String],
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    if policy::passed_mfa(amr) {
        return Ok(false);
    }
    let rule = load(tx).await?;
    if !rule.required {
        return Ok(false);
    }
    let exempt = users::get(tx, user).await?.mfa_exempt;
    Ok(policy::blocks_tokens(&rule, exempt, amr, now))
}

/// Whether a session without a second factor may create API keys: not while the workspace
/// requires MFA (grace period or not), unless the person is a break-glass account.
pub async fn may_create_keys(
    tx: &mut TenantTx,
    user: UserId,
    amr: &[String],
) -> Result<bool, DbError> {
    if policy::passed_mfa(amr) || !load(tx).await?.required {
        return Ok(true);
    }
    Ok(users::get(tx, user).await?.mfa_exempt)
}
