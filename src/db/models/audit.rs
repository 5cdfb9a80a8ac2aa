//! The audit log table: append and read, nothing else (the runtime role cannot update or delete).

use crate::db::schema::audit_log as al;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = al)]
pub struct AuditRow {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub trace_id: String,
    pub ip_hash: Option<String>,
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// The chain's head and the tenant's sealed audit secrets, read under the chain lock.
#[derive(QueryableByName)]
pub struct LockedHead {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub seq: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub hash: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub ip_salt_enc: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub chain_key_enc: Option<String>,
}

/// Takes the tenant's chain lock (held until the transaction ends, so two writers can never
/// both append after the same entry), then reads the newest entry's sequence and hash and
/// the sealed secrets, in one round trip (`audit_chain_head`, migration 000014).
pub async fn lock_and_head(tx: &mut TenantTx) -> Result<LockedHead, DbError> {
    let tenant = tx.tenant();
    let rows: Vec<LockedHead> = diesel::sql_query(
        "SELECT seq, hash, ip_salt_enc, chain_key_enc FROM audit_chain_head($1, $2)",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant.0)
    .bind::<Text, _>(format!("audit_log:{tenant}"))
    .load(tx.conn()?)
    .await?;
    rows.into_iter().next().ok_or(DbError::NotFound)
}

/// Inserts staged entries on a shared connection reference, so the insert can be
/// pipelined with COMMIT (`TenantTx::commit`).
pub async fn insert_many(
    mut conn: &diesel_async::AsyncPgConnection,
    tenant: crate::ids::TenantId,
    rows: &[AuditRow],
) -> Result<(), DbError> {
    let values: Vec<_> = rows
        .iter()
        .map(|row| {
            (
                al::tenant_id.eq(tenant.0),
                al::seq.eq(row.seq),
                al::occurred_at.eq(row.occurred_at),
                al::actor.eq(&row.actor),
                al::action.eq(&row.action),
                al::target.eq(&row.target),
                al::trace_id.eq(&row.trace_id),
                al::ip_hash.eq(&row.ip_hash),
                al::details.eq(&row.details),
                al::prev_hash.eq(&row.prev_hash),
                al::hash.eq(&row.hash),
            )
        })
        .collect();
    diesel::insert_into(al::table)
        .values(values)
        .execute(&mut conn)
        .await?;
    Ok(())
}

pub async fn insert(tx: &mut TenantTx, row: &AuditRow) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    diesel::insert_into(al::table)
        .values((
            al::tenant_id.eq(tenant),
            al::seq.eq(row.seq),
            al::occurred_at.eq(row.occurred_at),
            al::actor.eq(&row.actor),
            al::action.eq(&row.action),
            al::target.eq(&row.target),
            al::trace_id.eq(&row.trace_id),
            al::ip_hash.eq(&row.ip_hash),
            al::details.eq(&row.details),
            al::prev_hash.eq(&row.prev_hash),
            al::hash.eq(&row.hash),
        ))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Entries after `after_seq` in chain order, optionally limited to a time range; used by
/// chain verification and by the CSV export.
pub async fn page(
    tx: &mut TenantTx,
    after_seq: i64,
    range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    let tenant = tx.tenant().0;
    let mut query = al::table
        .filter(al::tenant_id.eq(tenant).and(al::seq.gt(after_seq)))
        .into_boxed();
    if let Some((from, to)) = range {
        query = query.filter(al::occurred_at.ge(from).and(al::occurred_at.lt(to)));
    }
    Ok(query
        .order(al::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(tx.conn()?)
        .await?)
}
