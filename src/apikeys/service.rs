//! Creating, using, rotating and revoking API keys; every change audited.

use super::{format_key, hash, last4, parse};
use crate::audit::Action;
use crate::audit::{AuditError, Context};
use crate::crypto::Envelope;
use crate::db::models::{api_keys as model, roles};
use crate::db::{Db, DbError, TenantTx};
use crate::ids::TenantId;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// Keys whose secret is older than this are flagged for rotation.
pub const ROTATION_DUE_AFTER_DAYS: i64 = 90;

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("no such role in this workspace")]
    UnknownRole,
    #[error("invalid name")]
    InvalidName,
    #[error("expiry must be in the future")]
    InvalidExpiry,
    #[error("no such API key")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl From<ApiKeyError> for crate::error::AppError {
    fn from(e: ApiKeyError) -> Self {
        use crate::error::AppError;
        match e {
            ApiKeyError::UnknownRole => {
                AppError::InvalidRequest("role does not exist in this workspace".into())
            }
            ApiKeyError::InvalidName => {
                AppError::InvalidRequest("name must be 1-200 characters".into())
            }
            ApiKeyError::InvalidExpiry => {
                AppError::InvalidRequest("expires_at must be in the future".into())
            }
            ApiKeyError::NotFound => AppError::NotFound,
            ApiKeyError::Db(db) => db.into(),
            ApiKeyError::Audit(a) => a.into(),
        }
    }
}

/// A key as the list API shows it: never the key itself.
#[derive(Debug, Clone, Serialize)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub last4: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub rotated_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub rotation_due: bool,
}

/// A key that authenticated a request.
#[derive(Debug, Clone)]
pub struct ApiKeyIdentity {
    pub tenant: TenantId,
    pub key_id: Uuid,
    pub role: String,
    /// The role's permissions; the key acts within its maker's reach as well.
    pub permissions: Vec<String>,
    /// The maker's reach kept every permission of the role: only then is the role named
    /// in what the key's tokens and introspection say.
    pub whole_role: bool,
    /// Who made the key (`user:<id>`, `api_key:<id>`, `cli`).
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl ApiKeyIdentity {
    /// The role names its tokens and introspection carry: its role only while the maker's
    /// reach leaves it whole (a cut role is not that role).
    pub fn named_roles(&self) -> Vec<String> {
        if self.whole_role {
            vec![self.role.clone()]
        } else {
            Vec::new()
        }
    }
}

async fn audit_key(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    action: Action,
    key_id: Uuid,
    details: serde_json::Value,
) -> Result<(), ApiKeyError> {
    ctx.record(tx, action, &format!("api_key:{key_id}"), details)
        .await?;
    Ok(())
}

/// Creates a key with `role`, made by `ctx.actor`; returns its view and the key (shown
/// once).
pub async fn create(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    name: &str,
    role: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(ApiKeyView, String), ApiKeyError> {
    let (actor, now) = (ctx.actor, ctx.now);
    let name = name.trim();
    if !crate::text::is_plain(name, 200) {
        return Err(ApiKeyError::InvalidName);
    }
    if expires_at.is_some_and(|e| e <= now) {
        return Err(ApiKeyError::InvalidExpiry);
    }
    let role_row = roles::find_by_name(tx, role)
        .await?
        .ok_or(ApiKeyError::UnknownRole)?;
    let id = Uuid::new_v4();
    let key = format_key(tx.tenant(), id);
    model::insert(
        tx,
        &model::NewApiKey {
            id,
            name,
            role_id: role_row.id.0,
            created_by: actor,
            expires_at,
            now,
        },
    )
    .await?;
    model::add_secret(tx, id, &hash(&key), &last4(&key), now).await?;
    let details = json!({"name": name, "role": role});
    audit_key(tx, ctx, Action::ApiKeyCreated, id, details).await?;
    let view = ApiKeyView {
        id,
        name: name.to_string(),
        role: role.to_string(),
        last4: last4(&key),
        created_by: actor.to_string(),
        created_at: now,
        rotated_at: now,
        last_used_at: None,
        expires_at,
        revoked_at: None,
        rotation_due: false,
    };
    Ok((view, key))
}

/// The identity a presented key stands for, if it is valid now.
pub async fn authenticate(
    db: &Db,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<ApiKeyIdentity>, DbError> {
    let Some(parsed) = parse(key) else {
        return Ok(None);
    };
    let mut tx = db.tenant_read(parsed.tenant).await?;
    let found = model::find_usable_by_secret(&mut tx, parsed.key_id, &hash(key), now).await?;
    if found.is_some() {
        model::touch(&mut tx, parsed.key_id, now).await?;
    }
    let identity = identity_of(&mut tx, found, now).await?;
    tx.commit().await?;
    Ok(identity)
}

/// The key with this id if it is still usable (for tokens it was exchanged for).
pub async fn still_valid(
    db: &Db,
    tenant: TenantId,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<ApiKeyIdentity>, DbError> {
    let mut tx = db.tenant_read(tenant).await?;
    let found = model::find_usable(&mut tx, key_id, now).await?;
    let identity = identity_of(&mut tx, found, now).await?;
    tx.commit().await?;
    Ok(identity)
}

/// A usable key's identity: its role's permissions cut down to what its maker may do now,
/// so a maker's downgrade shrinks the key from the next request on; it lives no longer
/// than the earliest expiry along its maker chain (remembered entries expire with it).
pub(super) async fn identity_of(
    tx: &mut TenantTx,
    found: Option<(model::ApiKeyRow, String, Vec<String>)>,
    now: DateTime<Utc>,
) -> Result<Option<ApiKeyIdentity>, DbError> {
    let Some((row, role, permissions)) = found else {
        return Ok(None);
    };
    let (reach, chain_ends) =
        crate::authority::reach_of_maker_until(tx, &row.created_by, now).await?;
    let whole_role = permissions.iter().all(|p| reach.contains(p));
    let permissions: Vec<String> = permissions
        .into_iter()
        .filter(|p| reach.contains(p))
        .collect();
    // A key its maker's reach cuts to nothing is no credential at all.
    if permissions.is_empty() {
        return Ok(None);
    }
    let expires_at = match (row.expires_at, chain_ends) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok(Some(ApiKeyIdentity {
        tenant: tx.tenant(),
        key_id: row.id,
        role,
        permissions,
        whole_role,
        created_by: row.created_by,
        created_at: row.created_at,
        expires_at,
    }))
}

/// All keys of the tenant; keys not rotated for 90 days are flagged (and audited once).
pub async fn list(
    tx: &mut TenantTx,
    envelope: &Envelope,
    now: DateTime<Utc>,
) -> Result<Vec<ApiKeyView>, ApiKeyError> {
    let rows = model::list(tx).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (row, role, last4) in rows {
        let active = row.revoked_at.is_none() && row.expires_at.is_none_or(|e| e > now);
        let due = active && now - row.rotated_at >= Duration::days(ROTATION_DUE_AFTER_DAYS);
        if due && row.rotation_flagged_at.is_none() {
            model::flag_rotation_due(tx, row.id, now).await?;
            let ctx = Context::system(envelope, now);
            let details = json!({"rotated_at": row.rotated_at});
            audit_key(tx, &ctx, Action::ApiKeyRotationDue, row.id, details).await?;
        }
        out.push(ApiKeyView {
            id: row.id,
            name: row.name,
            role,
            last4,
            created_by: row.created_by,
            created_at: row.created_at,
            rotated_at: row.rotated_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            rotation_due: due,
        });
    }
    Ok(out)
}

/// A new secret for the key; the previous one keeps working for `overlap`.
pub async fn rotate(
    tx: &mut TenantTx,
    ctx: &Context<'_>,
    key_id: Uuid,
    overlap: Duration,
) -> Result<String, ApiKeyError> {
    let now = ctx.now;
    model::find_usable(tx, key_id, now)
        .await?
        .ok_or(ApiKeyError::NotFound)?;
    model::mark_rotated(tx, key_id, now + overlap, now).await?;
    let key = format_key(tx.tenant(), key_id);
    model::add_secret(tx, key_id, &hash(&key), &last4(&key), now).await?;
    let details = json!({"overlap_secs": overlap.num_seconds()});
    audit_key(tx, ctx, Action::ApiKeyRotated, key_id, details).await?;
    Ok(key)
}

pub async fn revoke(tx: &mut TenantTx, ctx: &Context<'_>, key_id: Uuid) -> Result<(), ApiKeyError> {
    if !model::revoke(tx, key_id, ctx.now).await? {
        return Err(ApiKeyError::NotFound);
    }
    audit_key(tx, ctx, Action::ApiKeyRevoked, key_id, json!({})).await?;
    // Credentials die with their maker: the keys and SCIM tokens this key made, and theirs.
    let maker = format!("api_key:{key_id}");
    super::made_by::revoke(tx, ctx, &maker, "maker_revoked").await?;
    Ok(())
}

/// How long the key may still be used (`Some(None)`: no end), or `None` when it is not
/// usable now: revoked, expired, or cut to nothing by its maker chain. Its end is the
/// earliest expiry along the chain, so a key dies when any key above it does.
pub async fn usable_until(
    tx: &mut TenantTx,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Option<DateTime<Utc>>>, DbError> {
    let found = model::find_usable(tx, key_id, now).await?;
    Ok(identity_of(tx, found, now).await?.map(|i| i.expires_at))
}
