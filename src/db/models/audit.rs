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

/// Serialises writers of one tenant's chain until the transaction ends, so two writers
/// can never both append after the same entry.
pub async fn lock_chain(tx: &mut TenantTx) -> Result<(), DbError> {
    let key = format!("audit_log:{}", tx.tenant());
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<Text, _>(key)
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Sequence and hash of the newest entry.
pub async fn head(tx: &mut TenantTx) -> Result<Option<(i64, String)>, DbError> {
    let tenant = tx.tenant().0;
    Ok(al::table
        .filter(al::tenant_id.eq(tenant))
        .order(al::seq.desc())
        .select((al::seq, al::hash))
        .first(tx.conn()?)
        .await
        .optional()?)
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
