//! Revoked JWT ids, kept until the token would have expired.

use crate::db::memory::Change;
use crate::db::schema::revoked_tokens as rt;
use crate::db::{DbError, TenantTx};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub async fn insert(
    tx: &mut TenantTx,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    tx.forget_on_commit(Change::Revoked(TenantId(tenant), jti.to_string()));
    diesel::insert_into(rt::table)
        .values((
            rt::tenant_id.eq(tenant),
            rt::jti.eq(jti),
            rt::expires_at.eq(expires_at),
        ))
        .on_conflict_do_nothing()
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

pub async fn is_revoked(tx: &mut TenantTx, jti: &str) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let found: Option<String> = rt::table
        .filter(rt::tenant_id.eq(tenant).and(rt::jti.eq(jti)))
        .select(rt::jti)
        .first(tx.conn()?)
        .await
        .optional()?;
    Ok(found.is_some())
}
