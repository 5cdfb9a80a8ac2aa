//! Per-tenant secrets, stored envelope-encrypted (see `crypto::envelope`).

use crate::db::schema::tenant_secrets as ts;
use crate::db::{DbError, TenantTx};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub const TABLE: &str = "tenant_secrets";
pub const COLUMN: &str = "value_enc";

/// Stores `value_enc` under `name` unless a value exists; returns the stored value.
pub async fn insert_or_get(
    tx: &mut TenantTx,
    name: &str,
    value_enc: &str,
) -> Result<String, DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(ts::table)
        .values((
            ts::tenant_id.eq(tenant),
            ts::name.eq(name),
            ts::value_enc.eq(value_enc),
        ))
        .on_conflict_do_nothing()
        .execute(tx.conn()?)
        .await?;
    get(tx, name).await?.ok_or(DbError::NotFound)
}

pub async fn get(tx: &mut TenantTx, name: &str) -> Result<Option<String>, DbError> {
    let tenant = tx.tenant().0;
    Ok(ts::table
        .filter(ts::tenant_id.eq(tenant).and(ts::name.eq(name)))
        .select(ts::value_enc)
        .first(tx.conn()?)
        .await
        .optional()?)
}
