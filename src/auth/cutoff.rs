//! What ends when a person loses access (disabled, deactivated, deleted) or their sign-in
//! address changes, whichever path did it (admin API, SCIM, SSO): one list, one place.

use crate::audit::{Action, AuditError, Context};
use crate::crypto::Envelope;
use crate::db::models::resets;
use crate::db::TenantTx;
use crate::ids::UserId;
use serde_json::json;

/// Takes every way in away from `user`, for `reason` (recorded with each entry): sessions
/// (and with them refresh and person tokens), outstanding reset links, and every API key
/// and SCIM token they made, and the keys those keys made (credentials die with their
/// maker).
pub async fn deprovision(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: UserId,
    reason: &str,
) -> Result<(), AuditError> {
    crate::auth::sessions::end_all(tx, ctx, user, reason).await?;
    resets::void_for_user(tx, user.0, ctx.now).await?;
    crate::apikeys::made_by::revoke(tx, ctx, &format!("user:{user}"), reason).await
}

/// A person's sign-in address changed from `old` to `new`: their sessions end, their
/// outstanding reset links die (they were sent to an address that no longer signs in), and
/// the old address is told, so a takeover by address change cannot go unnoticed.
pub async fn email_changed(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: UserId,
    (old, new): (&str, &str),
) -> Result<(), AuditError> {
    if crate::text::email_key(old) == crate::text::email_key(new) {
        return Ok(());
    }
    crate::auth::sessions::end_all(tx, ctx, user, "email_changed").await?;
    resets::void_for_user(tx, user.0, ctx.now).await?;
    let body = "The sign-in email address of your account was changed. From now on, sign in with the new address; this address no longer signs in.\n\nIf you did not expect this, contact your workspace administrator at once.\n";
    let subject = "Your sign-in email address was changed";
    let envelope: &Envelope = ctx.envelope;
    crate::mail::outbox::enqueue(tx, envelope, old, subject, body, ctx.now).await?;
    let target = format!("user:{user}");
    ctx.record(tx, Action::UserEmailChanged, &target, json!({}))
        .await
}
