//! Events out: the fixed catalogue of what other CRM services are told (`catalogue.rs`), and
//! how an audited change becomes its events. Every change is recorded through
//! `audit::Context::record` (the one audited write), which stages the events the change
//! produces in the same transaction: they commit or roll back with it (a transactional
//! outbox, `db::models::events`).

pub mod catalogue;

pub use catalogue::EventType;

use crate::db::models::events::{self as model, EventRow, NewEvent};
use crate::db::{DbError, TenantTx};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Writes the events that `action` (an audit action's name) on `target` with `details`
/// produces, into `tx`, at `now`.
pub async fn stage(
    tx: &mut TenantTx,
    action: &str,
    target: &str,
    details: &Value,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let events: Vec<NewEvent> = catalogue::events_of(action, target, details)
        .into_iter()
        .map(|(kind, data)| NewEvent {
            id: uuid::Uuid::now_v7(),
            kind: kind.name(),
            occurred_at: now,
            data,
        })
        .collect();
    model::insert(tx, &events).await
}

/// An event as receivers get it (and as `schemas/events/<type>.json` describes it).
pub fn envelope(tenant: TenantId, row: &EventRow) -> Value {
    serde_json::json!({
        "id": row.id,
        "type": row.kind,
        "time": row.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "tenant": tenant.0,
        "data": row.data,
    })
}
