//! Authorization codes of one tenant.

use crate::db::schema::authorization_codes as ac;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ac)]
pub struct CodeRow {
    pub code_hash: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub code_challenge: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub auth_time: DateTime<Utc>,
    pub amr: Vec<String>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub issued_family: Option<Uuid>,
    pub issued_jti: Option<String>,
    pub issued_exp: Option<DateTime<Utc>>,
}

pub async fn insert(tx: &mut TenantTx, row: &CodeRow) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(ac::table)
        .values((ac::tenant_id.eq(tenant), row))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// The code, locked until the transaction ends (two concurrent redemptions serialise).
pub async fn lock(tx: &mut TenantTx, code_hash: &str) -> Result<Option<CodeRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(ac::table
        .filter(ac::tenant_id.eq(tenant).and(ac::code_hash.eq(code_hash)))
        .for_update()
        .select(CodeRow::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

pub async fn mark_used(
    tx: &mut TenantTx,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::update(ac::table.filter(ac::tenant_id.eq(tenant).and(ac::code_hash.eq(code_hash))))
        .set(ac::used_at.eq(now))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Records what the first redemption issued, for revocation on a second one.
pub async fn record_issued(
    tx: &mut TenantTx,
    code_hash: &str,
    family: Option<Uuid>,
    jti: &str,
    exp: DateTime<Utc>,
) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::update(ac::table.filter(ac::tenant_id.eq(tenant).and(ac::code_hash.eq(code_hash))))
        .set((
            ac::issued_family.eq(family),
            ac::issued_jti.eq(jti),
            ac::issued_exp.eq(exp),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Whether `client_id` was ever given a code for the sign-in `session` (kept until the
/// codes are purged): the session was one of that client's.
pub async fn issued_to(tx: &mut TenantTx, session: Uuid, client_id: &str) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    let n: i64 = ac::table
        .filter(ac::tenant_id.eq(tenant).and(ac::session_id.eq(session)))
        .filter(ac::client_id.eq(client_id))
        .count()
        .get_result(tx.conn()?)
        .await?;
    Ok(n > 0)
}
