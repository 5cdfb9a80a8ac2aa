//! The workspace's outgoing events (the transactional outbox): written in the transaction of
//! the change they report, read in the order they were written.

use crate::db::schema::events as ev;
use crate::db::{DbError, TenantTx};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

/// One event as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ev)]
pub struct EventRow {
    pub id: Uuid,
    pub seq: i64,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// What a change adds to the outbox.
pub struct NewEvent {
    pub id: Uuid,
    pub kind: &'static str,
    pub occurred_at: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// Adds `events` to `tx`'s workspace, in this order.
pub async fn insert(tx: &mut TenantTx, events: &[NewEvent]) -> Result<(), DbError> {
    if events.is_empty() {
        return Ok(());
    }
    let tenant = tx.tenant().0;
    let rows: Vec<_> = events
        .iter()
        .map(|e| {
            (
                ev::tenant_id.eq(tenant),
                ev::id.eq(e.id),
                ev::kind.eq(e.kind),
                ev::occurred_at.eq(e.occurred_at),
                ev::data.eq(&e.data),
            )
        })
        .collect();
    diesel::insert_into(ev::table)
        .values(rows)
        .execute(tx.conn()?)
        .await?;
    Ok(())
}

/// Up to `limit` events of `tx`'s workspace written after `after` (a `seq`), oldest first.
pub async fn after(tx: &mut TenantTx, after: i64, limit: i64) -> Result<Vec<EventRow>, DbError> {
    let tenant = tx.tenant().0;
    Ok(ev::table
        .filter(ev::tenant_id.eq(tenant).and(ev::seq.gt(after)))
        .order(ev::seq.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(tx.conn()?)
        .await?)
}

/// Drops the events about `user` but the one that reports their deletion (an erasure: the
/// CRM services still learn the account is gone, GDPR article 19, and nothing else stays).
pub async fn forget_user(tx: &mut TenantTx, user: Uuid) -> Result<usize, DbError> {
    let tenant = tx.tenant().0;
    Ok(diesel::delete(
        ev::table
            .filter(ev::tenant_id.eq(tenant))
            .filter(ev::kind.ne("user.deleted"))
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("data->>'user_id' = ")
                    .bind::<diesel::sql_types::Text, _>(user.to_string()),
            ),
    )
    .execute(tx.conn()?)
    .await?)
}
