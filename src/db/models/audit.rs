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

/// A chained entry and the waiting entry it stands for.
pub struct Chained {
    /// The waiting entry this row takes out of `audit_pending`.
    pub taken: uuid::Uuid,
    /// That entry's id, kept with the row; `None` when the row records a refused entry.
    pub entry_id: Option<uuid::Uuid>,
    pub row: AuditRow,
}

/// Appends a chainer batch and removes the waiting entries it stands for, in one statement
/// (`audit_chain_append`, migration 000015: the runtime role cannot delete them otherwise).
pub async fn append(tx: &mut TenantTx, batch: &[Chained]) -> Result<(), DbError> {
    let rows: Vec<serde_json::Value> = batch
        .iter()
        .map(|c| {
            serde_json::json!({
                "taken": c.taken,
                "entry_id": c.entry_id,
                "seq": c.row.seq,
                "occurred_at": c.row.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "actor": c.row.actor,
                "action": c.row.action,
                "target": c.row.target,
                "trace_id": c.row.trace_id,
                "ip_hash": c.row.ip_hash,
                "details": c.row.details,
                "prev_hash": c.row.prev_hash,
                "hash": c.row.hash,
            })
        })
        .collect();
    let tenant = tx.tenant().0;
    diesel::sql_query("SELECT audit_chain_append($1, $2)")
        .bind::<diesel::sql_types::Uuid, _>(tenant)
        .bind::<diesel::sql_types::Jsonb, _>(serde_json::Value::Array(rows))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Rewrites chained entries in place (a person's erasure, `crate::audit::erasure`): their
/// actor, target, details and hashes (`audit_chain_rewrite`, migration 24). Under the chain
/// lock, so no entry is appended meanwhile.
pub async fn rewrite(tx: &mut TenantTx, rows: &[AuditRow]) -> Result<(), DbError> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "seq": r.seq, "actor": r.actor, "target": r.target, "details": r.details,
                "prev_hash": r.prev_hash, "hash": r.hash,
            })
        })
        .collect();
    let tenant = tx.tenant().0;
    diesel::sql_query("SELECT audit_chain_rewrite($1, $2)")
        .bind::<diesel::sql_types::Uuid, _>(tenant)
        .bind::<diesel::sql_types::Jsonb, _>(serde_json::Value::Array(rows))
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// What a retention cut removed: how many entries, through which seq, and that entry's
/// hash (the next kept entry links to it).
#[derive(Debug, QueryableByName)]
pub struct CutRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub removed: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub through_seq: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub last_hash: Option<String>,
}

/// Removes the chain's prefix of entries older than `before` (never the head), through
/// the owner's `audit_retention_cut` (the runtime role cannot delete from the log).
pub async fn cut_before(tx: &mut TenantTx, before: DateTime<Utc>) -> Result<CutRow, DbError> {
    let tenant = tx.tenant().0;
    let row: CutRow = diesel::sql_query("SELECT * FROM audit_retention_cut($1, $2)")
        .bind::<diesel::sql_types::Uuid, _>(tenant)
        .bind::<diesel::sql_types::Timestamptz, _>(before)
        .get_result(tx.conn()?)
        .await?;
    Ok(row)
}

/// The seq of the chain's head (its newest entry), if it has one.
pub async fn head_seq(tx: &mut TenantTx) -> Result<Option<i64>, DbError> {
    let tenant = tx.tenant().0;
    Ok(al::table
        .filter(al::tenant_id.eq(tenant))
        .select(diesel::dsl::max(al::seq))
        .first(tx.conn()?)
        .await?)
}

/// Entries after `after_seq` in chain order, optionally limited to a time range; used by
/// chain verification and by the CSV export.
pub async fn page(
    tx: &mut TenantTx,
    after_seq: i64,
    range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    let (from, to) = range.unzip();
    let filter = Filter {
        from,
        to,
        ..Filter::default()
    };
    page_matching(tx, after_seq, &filter, limit).await
}

/// Which entries a reader asks for: an action prefix (all when empty), an exact actor, an
/// exact target, and a period (`from` included, `to` excluded).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action_prefix: String,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

fn matching(tenant: uuid::Uuid, f: &Filter) -> al::BoxedQuery<'static, diesel::pg::Pg> {
    let escaped: String = f
        .action_prefix
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let mut query = al::table
        .filter(al::tenant_id.eq(tenant))
        .filter(al::action.like(format!("{escaped}%")))
        .into_boxed();
    if let Some(actor) = &f.actor {
        query = query.filter(al::actor.eq(actor.clone()));
    }
    if let Some(target) = &f.target {
        query = query.filter(al::target.eq(target.clone()));
    }
    if let Some(from) = f.from {
        query = query.filter(al::occurred_at.ge(from));
    }
    if let Some(to) = f.to {
        query = query.filter(al::occurred_at.lt(to));
    }
    query
}

/// Entries after `after_seq` in order, matching `filter` (exports).
pub async fn page_matching(
    tx: &mut TenantTx,
    after_seq: i64,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    let query = matching(tx.tenant().0, filter).filter(al::seq.gt(after_seq));
    Ok(query
        .order(al::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(tx.conn()?)
        .await?)
}

/// Every chained entry `who` (`user:<id>`) acted in or was the target of, oldest first.
pub async fn about(tx: &mut TenantTx, who: &str) -> Result<Vec<AuditRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(al::table
        .filter(al::tenant_id.eq(tenant))
        .filter(
            al::actor
                .eq(who.to_string())
                .or(al::target.eq(who.to_string())),
        )
        .order(al::seq.asc())
        .select(AuditRow::as_select())
        .load(tx.conn()?)
        .await?)
}

/// The newest entries matching `filter`, older than `before_seq` when given (paging back).
pub async fn newest(
    tx: &mut TenantTx,
    filter: &Filter,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    let mut query = matching(tx.tenant().0, filter);
    if let Some(before) = before_seq {
        query = query.filter(al::seq.lt(before));
    }
    Ok(query
        .order(al::seq.desc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(tx.conn()?)
        .await?)
}
