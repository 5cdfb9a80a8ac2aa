//! The chainer: moves waiting audit entries (`audit_pending`) into their tenant's hash
//! chain (`audit_log`), in batches.
//!
//! Appending needs the tenant's chain lock until COMMIT. Done inside every request, that
//! made each tenant's audited writes wait in line for one commit flush apiece; here one lock
//! and one flush chain a whole batch. Entries are taken (deleted) from `audit_pending` in
//! the same transaction that appends them, so each is chained exactly once, whichever
//! instance gets there first. The price: between its action's commit and the next batch
//! (normally tens of milliseconds), an entry is stored but not yet covered by the chain.

use super::chain::{self, GENESIS};
use super::{ensure_secret, hash_ip, pending_ip_context, secret_context, AuditError};
use super::{CHAIN_KEY, IP_SALT};
use crate::crypto::Envelope;
use crate::db::models::audit::{self as model, AuditRow};
use crate::db::models::audit_pending as pending;
use crate::db::models::tenants;
use crate::db::Db;
use crate::ids::TenantId;
use std::net::IpAddr;
use std::time::Duration;

/// Entries chained per transaction.
const BATCH: i64 = 500;

/// How long the chainer waits after an announcement before taking a batch: a lock, a
/// commit flush and a few round trips per batch are then shared by more entries.
const GATHER: Duration = Duration::from_millis(20);

/// How often every tenant is checked for entries nobody announced (left by a process that
/// stopped between its commit and chaining, or by a failed batch). One small query per
/// tenant, so not too often; announced entries do not wait for it.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Chains every entry of `tenant` waiting now; answers how many.
pub async fn settle(db: &Db, envelope: &Envelope, tenant: TenantId) -> Result<u64, AuditError> {
    let mut total = 0;
    loop {
        let n = chain_batch(db, envelope, tenant).await?;
        total += n;
        if n < BATCH as u64 {
            return Ok(total);
        }
    }
}

/// Chains the waiting entries of every tenant (the platform's included).
pub async fn settle_all(db: &Db, envelope: &Envelope) -> Result<u64, AuditError> {
    let mut total = 0;
    for tenant in waiting_tenants(db).await? {
        total += settle(db, envelope, tenant).await?;
    }
    Ok(total)
}

/// Runs the chainer in the background: on every announced commit, and a sweep every
/// [`SWEEP_EVERY`].
pub fn spawn(db: Db, envelope: Envelope) {
    tokio::spawn(async move {
        let queue = db.audit_queue().clone();
        let mut sweep = tokio::time::interval(SWEEP_EVERY);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let tenants = tokio::select! {
                _ = queue.marked() => {
                    // Lets the entries of concurrent requests gather into one batch.
                    tokio::time::sleep(GATHER).await;
                    queue.take()
                }
                _ = sweep.tick() => match waiting_tenants(&db).await {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::warn!(error = %e, "audit sweep could not list waiting entries");
                        continue;
                    }
                },
            };
            for tenant in tenants {
                if let Err(e) = settle(&db, &envelope, tenant).await {
                    tracing::error!(error = %e, %tenant, "audit entries could not be chained; kept for the next sweep");
                }
            }
        }
    });
}

async fn waiting_tenants(db: &Db) -> Result<Vec<TenantId>, AuditError> {
    let mut ptx = db.platform().await?;
    let all = tenants::list(&mut ptx).await?;
    ptx.commit().await?;
    let mut waiting = Vec::new();
    // The registry lists the platform's own chain too.
    for tenant in all.into_iter().map(|t| t.id) {
        let mut tx = db.tenant_read(tenant).await?;
        let any = pending::any(&mut tx).await?;
        tx.commit().await?;
        if any {
            waiting.push(tenant);
        }
    }
    Ok(waiting)
}

/// One transaction: the chain lock, up to [`BATCH`] oldest waiting entries, appended.
async fn chain_batch(db: &Db, envelope: &Envelope, tenant: TenantId) -> Result<u64, AuditError> {
    let mut tx = db.tenant(tenant).await?;
    let head = model::lock_and_head(&mut tx).await?;
    let taken = pending::take_oldest(&mut tx, BATCH).await?;
    if taken.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    let open = |tx: &crate::db::TenantTx, name: &'static str, sealed: Option<String>| {
        sealed
            .map(|s| {
                envelope
                    .open(&secret_context(tx, name), &s)
                    .map(|v| v.to_vec())
            })
            .transpose()
    };
    let key = match open(&tx, CHAIN_KEY, head.chain_key_enc)? {
        Some(k) => k,
        None => ensure_secret(&mut tx, envelope, CHAIN_KEY).await?,
    };
    // The salt is opened only when an entry has an IP to hash.
    let salt = if taken.iter().any(|e| e.ip_enc.is_some()) {
        match open(&tx, IP_SALT, head.ip_salt_enc)? {
            Some(s) => s,
            None => ensure_secret(&mut tx, envelope, IP_SALT).await?,
        }
    } else {
        Vec::new()
    };
    let (mut seq, mut prev_hash) = match (head.seq, head.hash) {
        (Some(seq), Some(hash)) => (seq + 1, hash),
        _ => (1, GENESIS.to_string()),
    };
    let mut rows = Vec::with_capacity(taken.len());
    for entry in taken {
        let ip_hash = entry.ip_enc.as_deref().map(|sealed| {
            let row = entry.id.to_string();
            let ip = envelope
                .open(&pending_ip_context(tenant, &row), sealed)
                .ok()
                .and_then(|ip| std::str::from_utf8(&ip).ok()?.parse::<IpAddr>().ok());
            match ip {
                Some(ip) => hash_ip(&salt, ip),
                // Moved or altered in the table: chained with a mark rather than blocking
                // every later entry of the tenant.
                None => UNREADABLE_IP.to_string(),
            }
        });
        let mut row = AuditRow {
            seq,
            occurred_at: entry.occurred_at,
            actor: entry.actor,
            action: entry.action,
            target: entry.target,
            trace_id: entry.trace_id,
            ip_hash,
            details: entry.details,
            prev_hash: std::mem::take(&mut prev_hash),
            hash: String::new(),
        };
        row.hash = chain::entry_hash(&key, &row.prev_hash, &row);
        prev_hash.clone_from(&row.hash);
        seq += 1;
        rows.push(row);
    }
    model::append(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(rows.len() as u64)
}

/// `ip_hash` of an entry whose sealed IP did not open.
pub const UNREADABLE_IP: &str = "unreadable";
