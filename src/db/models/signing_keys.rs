//! Token signing keys (platform scope).

use crate::db::schema::signing_keys as sk;
use crate::db::{DbError, PlatformTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub const TABLE: &str = "signing_keys";
pub const COLUMN: &str = "private_enc";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sk)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    pub public_jwk: serde_json::Value,
    pub private_enc: String,
    pub created_at: DateTime<Utc>,
    pub activates_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn insert(tx: &mut PlatformTx, row: &SigningKeyRow) -> Result<(), DbError> {
    diesel::insert_into(sk::table)
        .values((
            sk::kid.eq(&row.kid),
            sk::alg.eq(&row.alg),
            sk::public_jwk.eq(&row.public_jwk),
            sk::private_enc.eq(&row.private_enc),
            sk::created_at.eq(row.created_at),
            sk::activates_at.eq(row.activates_at),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn list_all(tx: &mut PlatformTx) -> Result<Vec<SigningKeyRow>, DbError> {
    Ok(sk::table
        .order((sk::alg.asc(), sk::activates_at.asc()))
        .select(SigningKeyRow::as_select())
        .load(tx.conn()?)
        .await?)
}

pub async fn revoke(tx: &mut PlatformTx, kid: &str, now: DateTime<Utc>) -> Result<bool, DbError> {
    let n = diesel::update(sk::table.filter(sk::kid.eq(kid).and(sk::revoked_at.is_null())))
        .set(sk::revoked_at.eq(now))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}

/// Serialises key creation across instances starting at once.
pub async fn lock(tx: &mut PlatformTx) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(7243002)")
        .execute(tx.conn()?)
        .await?;
    Ok(())
}
