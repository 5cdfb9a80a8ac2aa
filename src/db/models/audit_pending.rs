//! Audit entries written but not yet chained: inserted with their action, taken (deleted)
//! by the chainer in the transaction that appends them to `audit_log`.

use crate::db::schema::audit_pending as ap;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Table and column of the sealed IP (its row key is `id`), for the rotation registry.
pub const TABLE: &str = "audit_pending";
pub const IP_COLUMN: &str = "ip_enc";

/// One entry, as written by the action and as taken by the chainer.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ap)]
#[diesel(treat_none_as_default_value = false)]
pub struct PendingEntry {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub trace_id: String,
    /// The source IP, envelope-sealed (row key `id`); hashed with the tenant's salt when chained.
    pub ip_enc: Option<String>,
    pub details: serde_json::Value,
}

/// Inserts `entry` on a shared connection reference, so it can be pipelined with COMMIT
/// (`TenantTx::commit`). A single-row insert with every column bound: the statement is
/// prepared once per connection.
pub async fn insert_shared(
    mut conn: &AsyncPgConnection,
    entry: &PendingEntry,
) -> Result<(), DbError> {
    diesel::insert_into(ap::table)
        .values(entry)
        .execute(&mut conn)
        .await?;
    Ok(())
}

pub async fn insert(tx: &mut TenantTx, entry: &PendingEntry) -> Result<(), DbError> {
    diesel::insert_into(ap::table)
        .values(entry)
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Deletes and returns up to `limit` of the tenant's oldest entries, oldest first. Called
/// with the chain lock held, so no other chainer takes the same entries.
pub async fn take_oldest(tx: &mut TenantTx, limit: i64) -> Result<Vec<PendingEntry>, DbError> {
    let tenant = tx.tenant().0;
    let oldest: Vec<i64> = ap::table
        .filter(ap::tenant_id.eq(tenant))
        .order(ap::n.asc())
        .limit(limit)
        .select(ap::n)
        .load(tx.conn()?)
        .await?;
    if oldest.is_empty() {
        return Ok(Vec::new());
    }
    let mut taken: Vec<(i64, PendingEntry)> =
        diesel::delete(ap::table.filter(ap::tenant_id.eq(tenant).and(ap::n.eq_any(oldest))))
            .returning((ap::n, PendingEntry::as_returning()))
            .get_results(tx.conn()?)
            .await?;
    taken.sort_by_key(|(n, _)| *n);
    Ok(taken.into_iter().map(|(_, e)| e).collect())
}

/// Whether the tenant has entries waiting.
pub async fn any(tx: &mut TenantTx) -> Result<bool, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::select(diesel::dsl::exists(
        ap::table.filter(ap::tenant_id.eq(tenant)),
    ))
    .get_result(tx.conn()?)
    .await?)
}
