//! Cancelling and purging a workspace (operator actions). Cancellation builds on
//! suspension: a cancelled workspace is refused on every path, and its data is kept for
//! its kept period (`retention.cancelled_days`, or the workspace's own), during which
//! resuming restores it. Then the purge destroys the workspace's keys first (in the keys
//! database: from then on nothing of it opens, in the database or in any backup of it),
//! removes every row of it (the owner's `identity_purge_tenant`) and leaves a tombstone;
//! what went is recorded, by table, in the platform's audit chain (the workspace's own
//! chain goes with it), where `identity tenants purge-report` reads it.

use crate::audit::{self, Action, AuditError, Context, Event};
use crate::db::kek_store;
use crate::db::models::{audit as audit_log, tenants};
use crate::db::{Db, DbError};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("the workspace is not active or suspended (already cancelled or purged)")]
    NotCancellable,
    #[error("only a cancelled workspace can be purged")]
    NotCancelled,
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Cancels `tenant`, keeping its data `keep_days` (None: the service's setting).
pub async fn cancel(
    db: &Db,
    ctx: &Context<'_>,
    tenant: TenantId,
    keep_days: Option<i32>,
) -> Result<(), LifecycleError> {
    let mut tx = db.tenant_any_status(tenant).await?;
    if !tenants::cancel(&mut tx, keep_days, ctx.now).await? {
        return Err(LifecycleError::NotCancellable);
    }
    let target = format!("tenant:{tenant}");
    let details = json!({ "keep_days": keep_days });
    ctx.record(&mut tx, Action::TenantCancelled, &target, details)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// What a purge destroyed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Purged {
    /// Key versions of the workspace destroyed (0 when a previous attempt destroyed them).
    pub keys_destroyed: usize,
    pub tables: Vec<tenants::PurgedTable>,
}

/// Purges a cancelled `tenant`: its keys destroyed, then every row of it removed in one
/// transaction, the tombstone marked, and the report chained in the platform's audit log.
/// A purge that fails half-way is finished by running it again.
pub async fn purge(db: &Db, ctx: &Context<'_>, tenant: TenantId) -> Result<Purged, LifecycleError> {
    let mut ptx = db.platform().await?;
    let found = tenants::get(&mut ptx, tenant).await?;
    ptx.commit().await?;
    if found.is_none_or(|t| t.status != "cancelled") {
        return Err(LifecycleError::NotCancelled);
    }
    // The keys first: once they are gone, rows not yet removed (and every backup) are noise.
    let mut tx = db.tenant_any_status(tenant).await?;
    let keys_destroyed = kek_store::destroy(&mut tx).await?;
    tx.commit().await?;
    let mut tx = db.tenant_any_status(tenant).await?;
    let tables = tenants::purge(&mut tx).await?;
    tx.commit().await?;
    let removed = Purged {
        keys_destroyed,
        tables,
    };
    let details =
        json!({ "tenant": tenant, "keys_destroyed": keys_destroyed, "tables": removed.tables });
    let event = Event {
        actor: ctx.actor,
        action: Action::TenantPurged,
        target: &format!("tenant:{tenant}"),
        details,
    };
    audit::record_platform(db, ctx.envelope, event, ctx.now).await?;
    // Chained at once, so the report is readable as soon as the purge returns.
    audit::chainer::settle(db, ctx.envelope, TenantId::PLATFORM).await?;
    Ok(removed)
}

/// Purges every cancelled workspace whose kept period ended by `now`.
pub async fn purge_due(
    db: &Db,
    ctx: &Context<'_>,
    default_days: i32,
) -> Result<usize, LifecycleError> {
    let mut ptx = db.platform().await?;
    let due = tenants::due_for_purge(&mut ptx, default_days, ctx.now).await?;
    ptx.commit().await?;
    for tenant in &due {
        purge(db, ctx, *tenant).await?;
    }
    Ok(due.len())
}

/// The purge's record of `tenant` from the platform chain: when, by whom, and the rows
/// removed by table; None when it was not purged.
pub async fn report(
    db: &Db,
    tenant: TenantId,
) -> Result<Option<(DateTime<Utc>, String, Value)>, DbError> {
    let mut tx = db.tenant_read_any_status(TenantId::PLATFORM).await?;
    let target = format!("tenant:{tenant}");
    let found = audit_log::about(&mut tx, &target).await?;
    tx.commit().await?;
    Ok(found
        .into_iter()
        .rev()
        .find(|r| r.action == Action::TenantPurged.as_str())
        .map(|r| (r.occurred_at, r.actor, r.details)))
}

/// Runs [`purge_due`] in the background every `every`.
pub fn spawn(
    db: Db,
    envelope: crate::crypto::Envelope,
    default_days: i32,
    every: std::time::Duration,
) {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(every.max(std::time::Duration::from_secs(1)));
        loop {
            timer.tick().await;
            let ctx = Context::system(&envelope, Utc::now());
            if let Err(e) = purge_due(&db, &ctx, default_days).await {
                tracing::warn!(error = %e, "the purge of cancelled workspaces did not finish; retried next round");
            }
        }
    });
}
