//! What ends when a person loses access (disabled, deactivated, deleted) or their sign-in
//! address changes, whichever path did it (admin API, SCIM, SSO): one list, one place.

use crate::audit::Action;
use crate::audit::{self, AuditError, Event, Origin};
use crate::crypto::Envelope;
use crate::db::models::resets;
use crate::db::TenantTx;
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde_json::json;

/// Who did it and why, as the audit entries record it.
pub struct Cause<'a> {
    pub actor: &'a str,
    pub reason: &'a str,
    pub origin: &'a Origin,
    pub now: DateTime<Utc>,
}

/// Takes every way in away from `user`: sessions (and with them refresh and person
/// tokens), outstanding reset links, and every API key and SCIM token they made, and the
/// keys those keys made (credentials die with their maker).
pub async fn deprovision(
    tx: &mut TenantTx,
    envelope: &Envelope,
    user: UserId,
    cause: &Cause<'_>,
) -> Result<(), AuditError> {
    crate::auth::sessions::end_all(
        tx,
        &crate::audit::Context {
            envelope,
            actor: cause.actor,
            origin: cause.origin,
            now: cause.now,
        },
        user,
        cause.reason,
    )
    .await?;
    resets::void_for_user(tx, user.0, cause.now).await?;
    let ctx = crate::audit::Context {
        envelope,
        actor: cause.actor,
        origin: cause.origin,
        now: cause.now,
    };
    crate::apikeys::made_by::revoke(tx, &ctx, &format!("user:{user}"), cause.reason).await
}

/// A person's sign-in address changed from `old` to `new`: their sessions end, their
/// outstanding reset links die (they were sent to an address that no longer signs in), and
/// the old address is told, so a takeover by address change cannot go unnoticed.
pub async fn email_changed(
    tx: &mut TenantTx,
    envelope: &Envelope,
    user: UserId,
    old: &str,
    new: &str,
    cause: &Cause<'_>,
) -> Result<(), AuditError> {
    if crate::text::email_key(old) == crate::text::email_key(new) {
        return Ok(());
    }
    crate::auth::sessions::end_all(
        tx,
        &crate::audit::Context {
            envelope,
            actor: cause.actor,
            origin: cause.origin,
            now: cause.now,
        },
        user,
        "email_changed",
    )
    .await?;
    resets::void_for_user(tx, user.0, cause.now).await?;
    let body = "The sign-in email address of your account was changed. From now on, sign in with the new address; this address no longer signs in.\n\nIf you did not expect this, contact your workspace administrator at once.\n";
    crate::mail::outbox::enqueue(
        tx,
        envelope,
        old,
        "Your sign-in email address was changed",
        body,
        cause.now,
    )
    .await?;
    let event = Event {
        actor: cause.actor,
        action: Action::UserEmailChanged,
        target: &format!("user:{user}"),
        details: json!({}),
    };
    audit::record(tx, envelope, event, cause.origin, cause.now).await
}
