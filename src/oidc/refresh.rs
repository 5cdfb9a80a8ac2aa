//! Refresh tokens (`idr_...`): opaque, stored hashed, rotated on every use, 30 days absolute
//! per sign-in (the family). Reusing a rotated token means it was stolen or replayed: the
//! whole family is revoked and the session ends.

use crate::audit::{AuditError, Origin};
use crate::auth::sessions;
use crate::crypto::{tenant_token, Envelope};
use crate::db::models::{refresh as model, sessions as session_model};
use crate::db::{DbError, TenantTx};
use crate::ids::{TenantId, UserId};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

const PREFIX: &str = "idr_";
pub const FAMILY_TTL_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    #[error("invalid refresh token")]
    Invalid,
    #[error("refresh token reused: family revoked")]
    Reused,
}

/// The family a token belongs to, for issuing its successor.
#[derive(Debug, Clone)]
pub struct Family {
    pub id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub client_id: String,
    pub user: UserId,
    pub session: Uuid,
    pub scope: String,
}

pub fn tenant_of(token: &str) -> Option<TenantId> {
    tenant_token::tenant_of(PREFIX, token)
}

impl Family {
    /// A new family for a fresh sign-in.
    pub fn start(
        client_id: &str,
        user: UserId,
        session: Uuid,
        scope: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: Uuid::new_v4(),
            expires_at: now + Duration::days(FAMILY_TTL_DAYS),
            client_id: client_id.to_string(),
            user,
            session,
            scope: scope.to_string(),
        }
    }
}

/// Issues the next token of `family`.
pub async fn issue(
    tx: &mut TenantTx,
    family: &Family,
    now: DateTime<Utc>,
) -> Result<String, DbError> {
    let token = tenant_token::mint(PREFIX, tx.tenant());
    model::insert(
        tx,
        &model::RefreshRow {
            token_hash: tenant_token::hash(&token),
            family_id: family.id,
            client_id: family.client_id.clone(),
            user_id: family.user.0,
            session_id: family.session,
            scope: family.scope.clone(),
            created_at: now,
            family_expires_at: family.expires_at,
            rotated_at: None,
            revoked_at: None,
        },
    )
    .await?;
    Ok(token)
}

/// Spends `token` (inside a transaction of its tenant) and returns its family, so the caller
/// can issue the successor. On `Err(Reused)` the caller must still commit: the revocation
/// and the ended session (audited) are the point.
pub async fn rotate(
    tx: &mut TenantTx,
    envelope: &Envelope,
    token: &str,
    client_id: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<Result<Family, RefreshError>, AuditError> {
    let Some(row) = model::lock(tx, &tenant_token::hash(token)).await? else {
        return Ok(Err(RefreshError::Invalid));
    };
    if row.revoked_at.is_some() || row.client_id != client_id {
        return Ok(Err(RefreshError::Invalid));
    }
    if row.rotated_at.is_some() {
        model::revoke_family(tx, row.family_id, now).await?;
        let user = UserId(row.user_id);
        sessions::end(
            tx,
            &crate::audit::Context {
                envelope,
                actor: "system",
                origin,
                now,
            },
            user,
            row.session_id,
            "refresh_token_reused",
        )
        .await?;
        return Ok(Err(RefreshError::Reused));
    }
    if now >= row.family_expires_at || !session_model::is_active(tx, row.session_id, now).await? {
        return Ok(Err(RefreshError::Invalid));
    }
    model::mark_rotated(tx, &row.token_hash, now).await?;
    Ok(Ok(Family {
        id: row.family_id,
        expires_at: row.family_expires_at,
        client_id: row.client_id,
        user: UserId(row.user_id),
        session: row.session_id,
        scope: row.scope,
    }))
}

/// Revokes the family of `token` if it was issued to `client_id` (RFC 7009 §2.1); anything
/// else is ignored, with the same answer.
pub async fn revoke(
    db: &crate::db::Db,
    token: &str,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let Some(tenant) = tenant_of(token) else {
        return Ok(());
    };
    let mut tx = db.tenant(tenant).await?;
    if let Some(family) = model::family_of(&mut tx, &tenant_token::hash(token), client_id).await? {
        model::revoke_family(&mut tx, family, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub fn is_refresh_token(token: &str) -> bool {
    token.starts_with(PREFIX)
}
