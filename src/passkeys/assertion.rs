//! Checking a sign-in with a passkey: as the second factor of a known person (only their
//! passkeys are allowed), or passwordless (the authenticator names the credential and the
//! person; the workspace is the one holding that credential). A counter that goes
//! backwards is refused and audited as a possible clone, as webauthn-rs recommends.

use super::credentials::{record, stored};
use super::{methods, PasskeyError};
use crate::audit::{Action, Context, Origin};
use crate::crypto::Envelope;
use crate::db::models::passkeys as model;
use crate::db::Db;
use crate::ids::{TenantId, UserId};
use chrono::{DateTime, Utc};
use serde_json::json;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyAuthentication, PublicKeyCredential, RequestChallengeResponse, WebauthnError,
};
use webauthn_rs::Webauthn;

/// What checking a passkey needs.
#[derive(Clone, Copy)]
pub struct Parts<'a> {
    pub db: &'a Db,
    pub envelope: &'a Envelope,
    pub webauthn: &'a Webauthn,
}

/// A passkey that verified: whose it is and the methods it proved.
#[derive(Debug, Clone)]
pub struct Verified {
    pub tenant: TenantId,
    pub user: UserId,
    pub methods: Vec<String>,
}

/// The options for a second factor with any of `user`'s passkeys; `None` when they have none.
pub async fn second_factor_options(
    parts: &Parts<'_>,
    tenant: TenantId,
    user: UserId,
) -> Result<Option<(RequestChallengeResponse, PasskeyAuthentication)>, PasskeyError> {
    let mut tx = parts.db.tenant_read(tenant).await?;
    let keys = stored(&mut tx, user).await?;
    tx.commit().await?;
    if keys.is_empty() {
        return Ok(None);
    }
    let started = parts
        .webauthn
        .start_passkey_authentication(&keys)
        .map_err(|e| PasskeyError::Unavailable(e.to_string()))?;
    Ok(Some(started))
}

/// The options for a passwordless sign-in (any discoverable credential of this site).
pub fn sign_in_options(
    webauthn: &Webauthn,
) -> Result<(RequestChallengeResponse, DiscoverableAuthentication), PasskeyError> {
    webauthn
        .start_discoverable_authentication()
        .map_err(|e| PasskeyError::Unavailable(e.to_string()))
}

/// Checks `answer` as the second factor of `user`.
pub async fn check_second_factor(
    parts: &Parts<'_>,
    (tenant, user): (TenantId, UserId),
    answer: &PublicKeyCredential,
    state: &PasskeyAuthentication,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Verified, PasskeyError> {
    let result = parts.webauthn.finish_passkey_authentication(answer, state);
    settle(parts, (tenant, user), answer, result, origin, now).await
}

/// Checks a passwordless `answer`: the credential it names, in the workspace holding it,
/// must belong to the person the authenticator names.
pub async fn check_sign_in(
    parts: &Parts<'_>,
    answer: &PublicKeyCredential,
    state: DiscoverableAuthentication,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Verified, PasskeyError> {
    let (handle, credential_id) = parts
        .webauthn
        .identify_discoverable_authentication(answer)
        .map_err(|e| PasskeyError::Refused(e.to_string()))?;
    let mut ptx = parts.db.platform().await?;
    let tenant = model::tenant_of(&mut ptx, credential_id).await?;
    ptx.commit().await?;
    let tenant = tenant.ok_or(PasskeyError::Unknown)?;
    let mut tx = parts.db.tenant_read(tenant).await?;
    let row = model::by_credential(&mut tx, credential_id).await?;
    tx.commit().await?;
    let row = row.ok_or(PasskeyError::Unknown)?;
    if row.user_id != handle {
        return Err(PasskeyError::Refused(
            "the user handle names someone else".into(),
        ));
    }
    let passkey: Passkey =
        serde_json::from_value(row.credential).map_err(|_| PasskeyError::Unknown)?;
    let key = DiscoverableKey::from(&passkey);
    let result = parts
        .webauthn
        .finish_discoverable_authentication_v2(answer, state, &key);
    settle(parts, (tenant, UserId(handle)), answer, result, origin, now).await
}

/// A counter that did not move forward: audited, refused.
async fn clone_suspected(
    parts: &Parts<'_>,
    mut tx: crate::db::TenantTx,
    (user, passkey): (UserId, uuid::Uuid),
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Verified, PasskeyError> {
    let actor = format!("user:{user}");
    let ctx = Context {
        envelope: parts.envelope,
        actor: &actor,
        origin,
        now,
    };
    let details = json!({ "passkey": passkey });
    let action = Action::PasskeyCloneSuspected;
    record(&mut tx, &ctx, user, action, details).await?;
    tx.commit().await?;
    Err(PasskeyError::PossibleClone)
}

/// Records the outcome: the updated counter and last use, or the suspected clone.
async fn settle(
    parts: &Parts<'_>,
    (tenant, user): (TenantId, UserId),
    answer: &PublicKeyCredential,
    result: Result<AuthenticationResult, WebauthnError>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Verified, PasskeyError> {
    let credential_id = answer.get_credential_id().to_vec();
    let mut tx = parts.db.tenant(tenant).await?;
    let row = model::by_credential(&mut tx, &credential_id)
        .await?
        .filter(|r| r.user_id == user.0)
        .ok_or(PasskeyError::Unknown)?;
    let result = match result {
        Ok(r) => r,
        Err(WebauthnError::CredentialPossibleCompromise) => {
            return clone_suspected(parts, tx, (user, row.id), origin, now).await;
        }
        Err(e) => return Err(PasskeyError::Refused(e.to_string())),
    };
    let mut passkey: Passkey =
        serde_json::from_value(row.credential).map_err(|_| PasskeyError::Unknown)?;
    let changed = passkey.update_credential(&result).unwrap_or(false);
    let credential = changed
        .then(|| serde_json::to_value(&passkey).ok())
        .flatten();
    // The counter check and its update are one statement: of two uses racing with the
    // same counter (a clone and the device), one loses here.
    let use_ = (credential.as_ref(), result.counter());
    if !model::used(&mut tx, row.id, use_, now).await? {
        return clone_suspected(parts, tx, (user, row.id), origin, now).await;
    }
    tx.commit().await?;
    Ok(Verified {
        tenant,
        user,
        methods: methods(result.backup_eligible())
            .iter()
            .map(|m| m.to_string())
            .collect(),
    })
}
