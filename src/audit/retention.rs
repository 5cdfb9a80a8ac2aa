//! Retention. Expired rows (sessions, codes, refresh families, reset links, pending
//! sign-ins, revocations, SSO requests and remembered assertion ids) are purged a day
//! after their use is over, audited with counts ([`purge_expired`]).
//!
//! Audit retention: entries older than the window (`retention.audit_days`) leave the log,
//! without breaking verification. The oldest entries go as a prefix of the chain (never its
//! head) in one transaction with an `audit.retention_cut` entry naming the last removed
//! seq and hash: that entry is chained and keyed like any other, so `audit verify` accepts
//! a chain starting after seq 1 only where the chain itself vouches for the cut. Entries
//! removed by hand, or a cut whose record is gone too, still show as a break.

use super::{Action, AuditError, Context};
use crate::crypto::Envelope;
use crate::db::models::{audit as model, expired, tenants};
use crate::db::Db;
use crate::ids::TenantId;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

/// What one workspace's run removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub removed: i64,
    pub through_seq: Option<i64>,
}

/// Removes `tenant`'s entries older than `window` (as of `ctx.now`) and records the cut.
pub async fn cut(
    db: &Db,
    ctx: &Context<'_>,
    tenant: TenantId,
    window: Duration,
) -> Result<Cut, AuditError> {
    let before = ctx.now - window;
    // A suspended or cancelled workspace keeps its retention too.
    let mut tx = db.tenant_any_status(tenant).await?;
    let gone = model::cut_before(&mut tx, before).await?;
    if let (true, Some(through), Some(hash)) = (gone.removed > 0, gone.through_seq, &gone.last_hash)
    {
        let details = json!({
            "removed": gone.removed, "through_seq": through, "last_hash": hash,
            "older_than": before,
        });
        ctx.record(&mut tx, Action::AuditRetentionCut, "audit_log", details)
            .await?;
    }
    tx.commit().await?;
    Ok(Cut {
        removed: gone.removed,
        through_seq: gone.through_seq,
    })
}

/// How long a row is kept after it expired or ended: longer than any token that could
/// still name it lives.
pub const KEEP_AFTER_EXPIRY: Duration = Duration::days(1);

/// Removes `tenant`'s rows whose use ended before `ctx.now - KEEP_AFTER_EXPIRY` and records
/// what went, by count, in the same transaction (nothing is recorded when nothing went).
pub async fn purge_expired(
    db: &Db,
    ctx: &Context<'_>,
    tenant: TenantId,
) -> Result<expired::Purged, AuditError> {
    let mut tx = db.tenant_any_status(tenant).await?;
    let purged = expired::purge(&mut tx, ctx.now - KEEP_AFTER_EXPIRY).await?;
    let sso = crate::db::models::sso_flow::purge_expired(&mut tx, ctx.now).await?;
    if purged.total() + sso > 0 {
        let mut details = serde_json::to_value(purged).unwrap_or_default();
        details["sso_requests_and_assertions"] = json!(sso);
        ctx.record(&mut tx, Action::RetentionPurged, "retention", details)
            .await?;
    }
    tx.commit().await?;
    Ok(purged)
}

/// One run over every workspace and the platform chain: expired rows, then the audit
/// window; the audit entries removed in all.
pub async fn run(
    db: &Db,
    envelope: &Envelope,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<i64, AuditError> {
    let mut ptx = db.platform().await?;
    let all = tenants::list(&mut ptx).await?;
    ptx.commit().await?;
    let ctx = Context::system(envelope, now);
    let mut removed = 0;
    for tenant in all {
        purge_expired(db, &ctx, tenant.id).await?;
        removed += cut(db, &ctx, tenant.id, window).await?.removed;
    }
    Ok(removed)
}

/// Runs [`run`] in the background every `every`.
pub fn spawn(db: Db, envelope: Envelope, window: Duration, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(every.max(std::time::Duration::from_secs(1)));
        loop {
            timer.tick().await;
            if let Err(e) = run(&db, &envelope, window, Utc::now()).await {
                tracing::warn!(error = %e, "audit retention did not finish; retried next round");
            }
        }
    });
}
