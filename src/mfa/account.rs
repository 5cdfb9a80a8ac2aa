//! A signed-in person's own authenticator app and recovery codes, each call in its own
//! transaction: set one up, confirm it with a first code (the session then counts as
//! having passed it), turn it off (unless the workspace's rule needs it), new recovery
//! codes. Whether the session is fresh enough is the caller's rule ([`crate::login::reauth`]).

use super::factors::{self, Enrolment, MfaError, Status};
use super::policy;
use crate::audit::{Action, Origin};
use crate::auth::sessions::ActiveSession;
use crate::crypto::Envelope;
use crate::db::models::{sessions as session_model, tenants, users};
use crate::db::Db;
use chrono::{DateTime, Utc};

pub async fn status(db: &Db, me: &ActiveSession) -> Result<Status, MfaError> {
    let mut tx = db.tenant_read(me.tenant).await?;
    let s = factors::status(&mut tx, me.user).await?;
    tx.commit().await?;
    Ok(s)
}

/// A new seed to show (the app names the workspace as its issuer).
pub async fn begin(
    db: &Db,
    envelope: &Envelope,
    me: &ActiveSession,
    now: DateTime<Utc>,
) -> Result<Enrolment, MfaError> {
    let mut ptx = db.platform().await?;
    let issuer = tenants::get(&mut ptx, me.tenant)
        .await?
        .map(|t| t.display_name)
        .unwrap_or_default();
    ptx.commit().await?;
    let mut tx = db.tenant(me.tenant).await?;
    let user = users::get(&mut tx, me.user).await?;
    let e = factors::begin_enrolment(&mut tx, envelope, me.user, &issuer, &user.email, now).await?;
    tx.commit().await?;
    Ok(e)
}

/// The first code turns the app on; answers the recovery codes to show once.
pub async fn confirm(
    db: &Db,
    envelope: &Envelope,
    me: &ActiveSession,
    code: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Vec<String>, MfaError> {
    let mut tx = db.tenant(me.tenant).await?;
    let codes = factors::confirm_enrolment(&mut tx, envelope, me.user, code, origin, now).await?;
    let mut amr = me.amr.clone();
    if !policy::passed_mfa(&amr) {
        amr.push("otp".to_string());
    }
    session_model::reauthenticated(&mut tx, me.id, &amr, now).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns the app off; `false` when the workspace requires a second factor of this person
/// and the app is their last (a passkey may take over from it).
pub async fn remove(
    db: &Db,
    envelope: &Envelope,
    me: &ActiveSession,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<bool, MfaError> {
    let mut tx = db.tenant(me.tenant).await?;
    let rule = policy::load(&mut tx).await?;
    let user = users::get(&mut tx, me.user).await?;
    let passkeys = factors::status(&mut tx, me.user).await?.passkeys;
    if rule.required && !user.mfa_exempt && passkeys == 0 {
        return Ok(false);
    }
    let actor = format!("user:{}", me.user);
    let action = Action::MfaRemoved;
    factors::remove(
        &mut tx,
        &crate::audit::Context {
            envelope,
            actor: &actor,
            origin,
            now,
        },
        me.user,
        action,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A new set of recovery codes; the old set stops working.
pub async fn regenerate(
    db: &Db,
    envelope: &Envelope,
    me: &ActiveSession,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Vec<String>, MfaError> {
    let mut tx = db.tenant(me.tenant).await?;
    let codes = factors::regenerate_codes(&mut tx, envelope, me.user, origin, now).await?;
    tx.commit().await?;
    Ok(codes)
}
