//! Password reset tokens of one tenant.

use crate::db::schema::password_resets as pr;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

pub async fn insert(
    tx: &mut TenantTx,
    token_hash: &str,
    user: Uuid,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(pr::table)
        .values((
            pr::tenant_id.eq(tenant),
            pr::token_hash.eq(token_hash),
            pr::user_id.eq(user),
            pr::created_at.eq(now),
            pr::expires_at.eq(expires_at),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Marks an unused, unexpired token used and returns its user; `None` otherwise.
pub async fn consume(
    tx: &mut TenantTx,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::update(
        pr::table
            .filter(pr::tenant_id.eq(tenant).and(pr::token_hash.eq(token_hash)))
            .filter(pr::used_at.is_null().and(pr::expires_at.gt(now))),
    )
    .set(pr::used_at.eq(now))
    .returning(pr::user_id)
    .get_result(tx.conn()?)
    .await
    .optional()?)
}

/// Whether the token would still be accepted (for showing the form).
pub async fn is_usable(
    tx: &mut TenantTx,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n: i64 = pr::table
        .filter(pr::tenant_id.eq(tenant).and(pr::token_hash.eq(token_hash)))
        .filter(pr::used_at.is_null().and(pr::expires_at.gt(now)))
        .count()
        .get_result(tx.conn()?)
        .await?;
    Ok(n > 0)
}

/// Voids every outstanding link of `user` (password changed, email changed, disabled).
pub async fn void_for_user(
    tx: &mut TenantTx,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::update(
        pr::table
            .filter(pr::tenant_id.eq(tenant).and(pr::user_id.eq(user)))
            .filter(pr::used_at.is_null()),
    )
    .set(pr::used_at.eq(now))
    .execute(tx.conn()?)
    .await?)
}
