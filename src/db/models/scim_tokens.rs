//! SCIM bearer tokens of one tenant (SHA-256 of the token only).

use crate::db::schema::scim_tokens as st;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = st)]
pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    name: &str,
    token_hash: &str,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(st::table)
        .values((
            st::id.eq(id),
            st::tenant_id.eq(tenant),
            st::name.eq(name),
            st::token_hash.eq(token_hash),
            st::created_by.eq(created_by),
            st::created_at.eq(now),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<TokenRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(st::table
        .filter(st::tenant_id.eq(tenant))
        .order(st::created_at.asc())
        .select(TokenRow::as_select())
        .load(tx.conn()?)
        .await?)
}

pub async fn revoke(tx: &mut TenantTx, id: Uuid, now: DateTime<Utc>) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n = diesel::update(
        st::table
            .filter(st::tenant_id.eq(tenant).and(st::id.eq(id)))
            .filter(st::revoked_at.is_null()),
    )
    .set(st::revoked_at.eq(now))
    .execute(tx.conn()?)
    .await?;
    Ok(n == 1)
}

/// Revokes every live token `creator` (an audit actor such as `user:<id>`) made; their ids.
pub async fn revoke_created_by(
    tx: &mut TenantTx,
    creator: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::update(
        st::table
            .filter(st::tenant_id.eq(tenant))
            .filter(st::created_by.eq(creator))
            .filter(st::revoked_at.is_null()),
    )
    .set(st::revoked_at.eq(now))
    .returning(st::id)
    .get_results(tx.conn()?)
    .await?)
}

/// The live token with this hash and who made it; notes its use at most once a minute.
pub async fn authenticate(
    tx: &mut TenantTx,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, String)>, DbError> {
    let tenant = tx.tenant().0;
    let found: Option<(Uuid, Option<DateTime<Utc>>, String)> = st::table
        .filter(st::tenant_id.eq(tenant).and(st::token_hash.eq(token_hash)))
        .filter(st::revoked_at.is_null())
        .select((st::id, st::last_used_at, st::created_by))
        .first(tx.conn()?)
        .await
        .optional()?;
    if let Some((id, last, created_by)) = found {
        if last.is_none_or(|l| now - l > chrono::Duration::seconds(60)) {
            diesel::update(st::table.filter(st::tenant_id.eq(tenant).and(st::id.eq(id))))
                .set(st::last_used_at.eq(now))
                .execute(tx.conn()?)
                .await?;
        }
        return Ok(Some((id, created_by)));
    }
    Ok(None)
}

/// Names another creator on every token `from` made (an erased person's pseudonym).
pub async fn rename_creator(tx: &mut TenantTx, from: &str, to: &str) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::update(
        st::table
            .filter(st::tenant_id.eq(tenant))
            .filter(st::created_by.eq(from)),
    )
    .set(st::created_by.eq(to))
    .execute(tx.conn()?)
    .await?)
}
