//! Refresh tokens of one tenant.

use crate::db::schema::refresh_tokens as rt;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rt)]
pub struct RefreshRow {
    pub token_hash: String,
    pub family_id: Uuid,
    pub client_id: String,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub family_expires_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn insert(tx: &mut TenantTx, row: &RefreshRow) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(rt::table)
        .values((rt::tenant_id.eq(tenant), row))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// The token, locked until the transaction ends (concurrent uses serialise).
pub async fn lock(tx: &mut TenantTx, token_hash: &str) -> Result<Option<RefreshRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(rt::table
        .filter(rt::tenant_id.eq(tenant).and(rt::token_hash.eq(token_hash)))
        .for_update()
        .select(RefreshRow::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

pub async fn mark_rotated(
    tx: &mut TenantTx,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::update(rt::table.filter(rt::tenant_id.eq(tenant).and(rt::token_hash.eq(token_hash))))
        .set(rt::rotated_at.eq(now))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Revokes every token of the family; returns how many were still live.
pub async fn revoke_family(
    tx: &mut TenantTx,
    family: Uuid,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::update(
        rt::table
            .filter(rt::tenant_id.eq(tenant).and(rt::family_id.eq(family)))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(now))
    .execute(tx.conn()?)
    .await?)
}

/// The family of the token with this hash, if it was issued to `client_id`.
pub async fn family_of(
    tx: &mut TenantTx,
    token_hash: &str,
    client_id: &str,
) -> Result<Option<Uuid>, DbError> {
    let tenant = tx.tenant().0;
    Ok(rt::table
        .filter(rt::tenant_id.eq(tenant).and(rt::token_hash.eq(token_hash)))
        .filter(rt::client_id.eq(client_id))
        .select(rt::family_id)
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// Revokes every refresh token `client_id` holds for the sign-in `session` (the grant an
/// access token belongs to).
pub async fn revoke_for_session(
    tx: &mut TenantTx,
    session: Uuid,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::update(
        rt::table
            .filter(rt::tenant_id.eq(tenant).and(rt::session_id.eq(session)))
            .filter(rt::client_id.eq(client_id).and(rt::revoked_at.is_null())),
    )
    .set(rt::revoked_at.eq(now))
    .execute(tx.conn()?)
    .await?)
}

/// Revokes every live refresh token `client_id` holds for `user`.
pub async fn revoke_for_user_and_client(
    tx: &mut TenantTx,
    user: crate::ids::UserId,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::update(
        rt::table
            .filter(rt::tenant_id.eq(tenant).and(rt::user_id.eq(user.0)))
            .filter(rt::client_id.eq(client_id).and(rt::revoked_at.is_null())),
    )
    .set(rt::revoked_at.eq(now))
    .execute(tx.conn()?)
    .await?)
}
