//! A person's passkeys: adding one (the options for the browser, then its answer), listing,
//! renaming and removing them, and an administrator's reset. Every change is audited.

use super::PasskeyError;
use crate::audit::{Action, Context};
use crate::db::models::passkeys as model;
use crate::db::models::users::User;
use crate::db::TenantTx;
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, CredentialID, Passkey, PasskeyRegistration,
    RegisterPublicKeyCredential,
};
use webauthn_rs::Webauthn;
use webauthn_rs_core::proto::ResidentKeyRequirement;

pub const NAME_MAX: usize = 64;

/// A passkey as its owner and administrators see it.
#[derive(Debug, Clone, Serialize)]
pub struct PasskeyView {
    pub id: Uuid,
    pub name: String,
    /// It may be synchronised between devices (backup eligible).
    pub synced: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

fn view(row: &model::PasskeyRow) -> PasskeyView {
    let synced = row.credential["cred"]["backup_eligible"]
        .as_bool()
        .unwrap_or(false);
    PasskeyView {
        id: row.id,
        name: row.name.clone(),
        synced,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
    }
}

pub async fn list(tx: &mut TenantTx, user: UserId) -> Result<Vec<PasskeyView>, PasskeyError> {
    Ok(model::of_user(tx, user.0).await?.iter().map(view).collect())
}

/// The person's passkeys as webauthn-rs works with them. One that no longer parses (a
/// stored format the library stopped reading) cannot be used: it is logged and counted,
/// never dropped in silence, and the person's other passkeys still work.
pub(super) async fn stored(tx: &mut TenantTx, user: UserId) -> Result<Vec<Passkey>, PasskeyError> {
    let mut usable = Vec::new();
    for row in model::of_user(tx, user.0).await? {
        match serde_json::from_value(row.credential) {
            Ok(passkey) => usable.push(passkey),
            Err(e) => {
                tracing::error!(passkey = %row.id, error = %e, "a stored passkey does not parse");
                crate::telemetry::lost::count(crate::telemetry::lost::STORED_CREDENTIAL);
            }
        }
    }
    Ok(usable)
}

/// A name as typed: trimmed, 1 to 64 characters, no control characters.
pub fn clean_name(name: &str) -> Option<String> {
    let name = name.trim();
    let ok =
        !name.is_empty() && name.chars().count() <= NAME_MAX && !name.chars().any(char::is_control);
    ok.then(|| name.to_string())
}

/// The options for the browser's `navigator.credentials.create`, and the state to keep.
/// The credential must be discoverable (resident), so it can sign in without an email;
/// the person's passkeys are excluded so one authenticator is not registered twice.
pub async fn options(
    webauthn: &Webauthn,
    tx: &mut TenantTx,
    user: &User,
) -> Result<(CreationChallengeResponse, PasskeyRegistration), PasskeyError> {
    let exclude: Vec<CredentialID> = stored(tx, user.id)
        .await?
        .iter()
        .map(|p| p.cred_id().clone())
        .collect();
    let display = user.display_name.as_deref().unwrap_or(&user.email);
    let (mut ccr, state) = webauthn
        .start_passkey_registration(user.id.0, &user.email, display, Some(exclude))
        .map_err(|e| PasskeyError::Unavailable(e.to_string()))?;
    if let Some(selection) = ccr.public_key.authenticator_selection.as_mut() {
        selection.require_resident_key = true;
        selection.resident_key = Some(ResidentKeyRequirement::Required);
    }
    Ok((ccr, state))
}

/// The browser's answer to [`options`], with the name the person chose and the kept state.
pub struct Answer<'a> {
    pub name: &'a str,
    pub credential: &'a RegisterPublicKeyCredential,
    pub state: &'a PasskeyRegistration,
}

/// Verifies the browser's answer and stores the new passkey.
pub async fn register(
    webauthn: &Webauthn,
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: UserId,
    answer: &Answer<'_>,
) -> Result<PasskeyView, PasskeyError> {
    let name = answer.name;
    let passkey = webauthn
        .finish_passkey_registration(answer.credential, answer.state)
        .map_err(|e| PasskeyError::Refused(e.to_string()))?;
    let credential =
        serde_json::to_value(&passkey).map_err(|e| PasskeyError::Unavailable(e.to_string()))?;
    let id = Uuid::now_v7();
    let new = model::NewPasskey {
        id,
        user: user.0,
        credential_id: passkey.cred_id().as_ref(),
        name,
        credential: &credential,
        now: ctx.now,
    };
    if !model::insert(tx, &new).await? {
        return Err(PasskeyError::Duplicate);
    }
    let details = json!({ "passkey": id, "name": name });
    record(tx, ctx, user, Action::PasskeyRegistered, details).await?;
    let row = model::PasskeyRow {
        id,
        user_id: user.0,
        name: name.to_string(),
        credential,
        created_at: ctx.now,
        last_used_at: None,
    };
    Ok(view(&row))
}

/// Removes one passkey of `user`.
pub async fn remove(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: UserId,
    id: Uuid,
) -> Result<(), PasskeyError> {
    if model::remove(tx, user.0, Some(id)).await? == 0 {
        return Err(PasskeyError::Unknown);
    }
    record(
        tx,
        ctx,
        user,
        Action::PasskeyRemoved,
        json!({ "passkey": id }),
    )
    .await
}

/// An administrator's reset: every passkey of `user` goes; answers how many.
pub async fn reset(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: UserId,
) -> Result<usize, PasskeyError> {
    let gone = model::remove(tx, user.0, None).await?;
    let details = json!({ "removed": gone });
    record(tx, ctx, user, Action::PasskeysResetByAdmin, details).await?;
    Ok(gone)
}

pub(super) async fn record(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    user: UserId,
    action: Action,
    details: serde_json::Value,
) -> Result<(), PasskeyError> {
    ctx.record(tx, action, &format!("user:{user}"), details)
        .await?;
    Ok(())
}
