//! The newest audit entries of a workspace, optionally of one kind of action (the console's
//! "last SCIM changes" and the admin API's `GET /admin/v1/audit/recent`).

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

/// Up to `limit` (1-100) entries, newest first, whose action starts with `action_prefix`.
pub async fn recent(
    db: &Db,
    envelope: &Envelope,
    who: &Principal,
    action_prefix: &str,
    limit: i64,
) -> Result<Vec<Entry>, AppError> {
    if action_prefix.len() > 100
        || !action_prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
    {
        return Err(AppError::InvalidRequest(
            "action_prefix is a-z, '.' and '_', at most 100".into(),
        ));
    }
    // Entries still waiting for the chainer are chained first, so the newest are there.
    crate::audit::chainer::settle(db, envelope, who.tenant).await?;
    let mut tx = db.tenant(who.tenant).await?;
    let rows = model::newest(&mut tx, action_prefix, limit.clamp(1, 100)).await?;
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
