//! A signed-in person managing their own passkeys, each call in its own transaction:
//! options to add one (bound to the session), the answer that adds it, the list, renaming
//! and removing. Whether the session is fresh enough is the caller's rule (re-authentication
//! comes first); what is checked here is whose passkeys they are.

use super::assertion::Parts;
use super::ceremony::{self, Purpose};
use super::credentials::{self, Answer, PasskeyView};
use super::PasskeyError;
use crate::audit::Context;
use crate::auth::sessions::ActiveSession;
use crate::db::models::users;
use crate::db::Db;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, PasskeyRegistration, RegisterPublicKeyCredential,
};

/// The ceremony binding of a session: its id.
fn bound(me: &ActiveSession) -> String {
    format!("session:{}", me.id)
}

pub async fn list(db: &Db, me: &ActiveSession) -> Result<Vec<PasskeyView>, PasskeyError> {
    let mut tx = db.tenant_read(me.tenant).await?;
    let list = credentials::list(&mut tx, me.user).await?;
    tx.commit().await?;
    Ok(list)
}

/// Options for `navigator.credentials.create`, and the ceremony cookie.
pub async fn registration_options(
    parts: &Parts<'_>,
    me: &ActiveSession,
    now: DateTime<Utc>,
) -> Result<(CreationChallengeResponse, String), PasskeyError> {
    let mut tx = parts.db.tenant_read(me.tenant).await?;
    let user = users::get(&mut tx, me.user).await?;
    let (options, state) = credentials::options(parts.webauthn, &mut tx, &user).await?;
    tx.commit().await?;
    let cookie = ceremony::start(parts.db, Purpose::Register, &bound(me), &state, now).await?;
    Ok((options, cookie))
}

/// Adds the passkey the browser created for the ceremony behind `cookie`.
pub async fn register(
    parts: &Parts<'_>,
    me: &ActiveSession,
    cookie: &str,
    (name, answer): (&str, &str),
    ctx: &Context<'_>,
) -> Result<PasskeyView, PasskeyError> {
    let name = credentials::clean_name(name).ok_or(PasskeyError::Refused("name".into()))?;
    let credential: RegisterPublicKeyCredential = serde_json::from_str(answer)
        .map_err(|e| PasskeyError::Refused(format!("malformed answer: {e}")))?;
    let state: PasskeyRegistration =
        ceremony::take(parts.db, cookie, Purpose::Register, &bound(me), ctx.now).await?;
    let mut tx = parts.db.tenant(me.tenant).await?;
    let answer = Answer {
        name: &name,
        credential: &credential,
        state: &state,
    };
    let added = credentials::register(parts.webauthn, &mut tx, ctx, me.user, &answer).await?;
    tx.commit().await?;
    Ok(added)
}

pub async fn remove(
    parts: &Parts<'_>,
    me: &ActiveSession,
    id: Uuid,
    ctx: &Context<'_>,
) -> Result<(), PasskeyError> {
    let mut tx = parts.db.tenant(me.tenant).await?;
    let rule = crate::mfa::policy::load(&mut tx).await?;
    let user = users::get(&mut tx, me.user).await?;
    let status = crate::mfa::factors::status(&mut tx, me.user).await?;
    let last = !status.enrolled && status.passkeys <= 1;
    if rule.required && !user.mfa_exempt && last {
        return Err(PasskeyError::StillRequired);
    }
    credentials::remove(&mut tx, ctx, me.user, id).await?;
    tx.commit().await?;
    Ok(())
}
