//! The audit log table: append and read, nothing else (the runtime role cannot update or delete).

use crate::db::prepared::ChainHead;
use crate::db::schema::audit_log as al;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
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
#[derive(Queryable)]
pub struct LockedHead {
    pub seq: Option<i64>,
    pub hash: Option<String>,
    pub ip_salt_enc: Option<String>,
    pub chain_key_enc: Option<String>,
}

/// Takes the tenant's chain lock (held until the transaction ends, so two writers can never
/// both append after the same entry), then reads the newest entry's sequence and hash and
/// the sealed secrets, in one round trip (`audit_chain_head`, migration 000014).
pub async fn lock_and_head(tx: &mut TenantTx) -> Result<LockedHead, DbError> {
    let tenant = tx.tenant();
    let head = ChainHead {
        tenant: tenant.0,
        lock_key: format!("audit_log:{tenant}"),
    };
    Ok(head.get_result(tx.conn()?).await?)
}

/// One entry as inserted (the row plus its tenant).
#[derive(Insertable)]
#[diesel(table_name = al)]
struct NewEntry<'a> {
    tenant_id: uuid::Uuid,
    seq: i64,
    occurred_at: DateTime<Utc>,
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    trace_id: &'a str,
    ip_hash: Option<&'a str>,
    details: &'a serde_json::Value,
    prev_hash: &'a str,
    hash: &'a str,
}

fn values_of(tenant: uuid::Uuid, row: &AuditRow) -> NewEntry<'_> {
    NewEntry {
        tenant_id: tenant,
        seq: row.seq,
        occurred_at: row.occurred_at,
        actor: &row.actor,
        action: &row.action,
        target: &row.target,
        trace_id: &row.trace_id,
        ip_hash: row.ip_hash.as_deref(),
        details: &row.details,
        prev_hash: &row.prev_hash,
        hash: &row.hash,
    }
}

/// Appends chained entries (a chainer batch) in one multi-row statement.
pub async fn append(tx: &mut TenantTx, rows: &[AuditRow]) -> Result<(), DbError> {
    let tenant = tx.tenant().0;
    let values: Vec<NewEntry<'_>> = rows.iter().map(|row| values_of(tenant, row)).collect();
    diesel::insert_into(al::table)
        .values(values)
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
