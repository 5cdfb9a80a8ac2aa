//! The newest audit entries of a workspace, optionally of one kind of action, one actor or
//! one target, paged back by sequence number (the console's Audit log and "latest SCIM
//! requests", and the admin API's `GET /admin/v1/audit/recent`).

use super::principal::Principal;
use crate::crypto::Envelope;
use crate::db::models::audit as model;
use crate::db::Db;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
}

pub use model::Filter;

/// A filter as a reader typed it: the action prefix checked, empty actor and target none.
pub fn filter(action_prefix: &str, actor: &str, target: &str) -> Result<Filter, AppError> {
    if action_prefix.len() > 100
        || !action_prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
    {
        return Err(AppError::InvalidRequest(
            "action_prefix is a-z, '.' and '_', at most 100".into(),
        ));
    }
    let exact = |v: &str, name: &str| -> Result<Option<String>, AppError> {
        let v = v.trim();
        if v.len() > 300 || v.chars().any(char::is_control) {
            return Err(AppError::InvalidRequest(format!(
                "{name} is at most 300 printable characters"
            )));
        }
        Ok(Some(v.to_string()).filter(|v| !v.is_empty()))
    };
    Ok(Filter {
        action_prefix: action_prefix.to_string(),
        actor: exact(actor, "actor")?,
        target: exact(target, "target")?,
        ..Filter::default()
    })
}

/// Up to `limit` (1-100) entries, newest first, matching `filter`, older than entry
/// `before` when given (the next page back).
pub async fn recent(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, AppError> {
    // Entries still waiting for the chainer are chained first, so the newest are there.
    crate::audit::chainer::settle(db, envelope, who.tenant).await?;
    let mut tx = db.tenant(who.tenant).await?;
    let rows = model::newest(&mut tx, filter, before, limit.clamp(1, 100)).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            seq: r.seq,
            occurred_at: r.occurred_at,
            actor: r.actor,
            action: r.action,
            target: r.target,
        })
        .collect())
}
