//! What an administrator does with the workspace's API keys, each in its own transaction
//! and under the authority rule: a key carries only permissions its maker holds (creating
//! one, or acting on one, needs every permission of its role), and while the workspace
//! requires MFA a person's session must have passed it to hand out a key's secret.

use super::principal::Principal;
use super::user_actions::Act;
use crate::apikeys::service::{self, ApiKeyView as KeyView};
use crate::db::models::{api_keys as key_model, roles};
use crate::db::TenantTx;
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

pub async fn list(act: &Act<'_>) -> Result<Vec<KeyView>, AppError> {
    let mut tx = act.db.tenant(act.who.tenant).await?;
    let keys = service::list(&mut tx, act.envelope, act.now).await?;
    tx.commit().await?;
    Ok(keys)
}

/// A new key of `role`; answers its view and the key itself (shown once).
pub async fn create(
    act: &Act<'_>,
    name: &str,
    role: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(KeyView, String), AppError> {
    let mut tx = act.db.tenant(act.who.tenant).await?;
    require_mfa_if_enforced(&mut tx, act.who).await?;
    let found = roles::find_by_name(&mut tx, role)
        .await?
        .ok_or_else(|| AppError::InvalidRequest("role does not exist in this workspace".into()))?;
    act.who.require_all(&found.permissions)?;
    let made = service::create(&mut tx, &act.context(), name, role, expires_at).await?;
    tx.commit().await?;
    Ok(made)
}

/// A new secret for key `id`; the previous one stays valid for `overlap`.
pub async fn rotate(act: &Act<'_>, id: Uuid, overlap: Duration) -> Result<String, AppError> {
    let mut tx = act.db.tenant(act.who.tenant).await?;
    require_mfa_if_enforced(&mut tx, act.who).await?;
    require_key_permissions(&mut tx, act.who, id).await?;
    let key = service::rotate(&mut tx, &act.context(), id, overlap).await?;
    tx.commit().await?;
    Ok(key)
}

pub async fn revoke(act: &Act<'_>, id: Uuid) -> Result<(), AppError> {
    let mut tx = act.db.tenant(act.who.tenant).await?;
    require_key_permissions(&mut tx, act.who, id).await?;
    service::revoke(&mut tx, &act.context(), id).await?;
    tx.commit().await?;
    Ok(())
}

/// Acting on a key (rotating hands out a new secret for it) needs every permission the key
/// carries, like creating it does: otherwise a key manager could mint itself an admin key.
async fn require_key_permissions(
    tx: &mut TenantTx,
    who: &Principal,
    id: Uuid,
) -> Result<(), AppError> {
    let permissions = key_model::role_permissions(tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    who.require_all(&permissions)
}

/// While the workspace requires MFA, a person's session must have passed it to hand out
/// key secrets (create or rotate).
async fn require_mfa_if_enforced(tx: &mut TenantTx, who: &Principal) -> Result<(), AppError> {
    if let Some((user, amr)) = &who.signed_in {
        if !crate::mfa::enforcement::may_create_keys(tx, *user, amr).await? {
            return Err(AppError::MfaRequired);
        }
    }
    Ok(())
}
