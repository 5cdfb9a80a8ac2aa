//! Audit entries written but not yet chained: inserted with their action, read by the
//! chainer, and removed only by `audit_chain_append` (migration 000015) as they enter
//! `audit_log`. The runtime role can neither update nor delete them.

use crate::db::schema::{audit_log as al, audit_pending as ap};
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Table and column of the seal, for its associated data (its row key is `id`).
pub const TABLE: &str = "audit_pending";
pub const SEAL_COLUMN: &str = "seal";

/// One entry, as written by the action and as read by the chainer.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ap)]
pub struct PendingEntry {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub trace_id: String,
    pub details: serde_json::Value,
    /// Envelope ciphertext of the entry's digest and source IP (`crate::audit::seal`).
    pub seal: String,
}

/// Inserts entries on a shared connection reference, so the insert can be pipelined with
/// COMMIT (`TenantTx::commit`): one statement whatever the number of
/// entries, so COMMIT is always the second of exactly two. The usual single entry goes
/// through a statement prepared once per connection.
pub async fn insert_shared(
    mut conn: &AsyncPgConnection,
    entries: &[PendingEntry],
) -> Result<(), DbError> {
    match entries {
        [one] => {
            diesel::insert_into(ap::table)
                .values(one)
                .execute(&mut conn)
                .await?
        }
        many => {
            diesel::insert_into(ap::table)
                .values(many)
                .execute(&mut conn)
                .await?
        }
    };
    Ok(())
}

/// Up to `limit` of the tenant's oldest waiting entries, oldest first, each with whether
/// an entry of that id is already in the chain (a replayed copy).
pub async fn oldest(tx: &mut TenantTx, limit: i64) -> Result<Vec<(PendingEntry, bool)>, DbError> {
    let tenant = tx.tenant().0;
    let entries: Vec<PendingEntry> = ap::table
        .filter(ap::tenant_id.eq(tenant))
        .order(ap::n.asc())
        .limit(limit)
        .select(PendingEntry::as_select())
        .load(tx.conn()?)
        .await?;
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    let chained: Vec<Option<Uuid>> = al::table
        .filter(al::tenant_id.eq(tenant).and(al::entry_id.eq_any(&ids)))
        .select(al::entry_id)
        .load(tx.conn()?)
        .await?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let replayed = chained.contains(&Some(e.id));
            (e, replayed)
        })
        .collect())
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
