//! The chainer: moves waiting audit entries (`audit_pending`) into their tenant's hash
//! chain (`audit_log`), in batches.
//!
//! Appending needs the tenant's chain lock until COMMIT. Done inside every request, that
//! made each tenant's audited writes wait in line for one commit flush apiece; here one lock
//! and one flush chain a whole batch. Each entry's seal is checked first (`super::seal`):
//! a forged, edited or replayed entry is not chained; a record of its refusal is. Entries
//! leave `audit_pending` only through `audit_chain_append`, in the statement that appends
//! them, so each is chained exactly once, whichever instance gets there first. The price:
//! between its action's commit and the next batch (normally tens of milliseconds), an
//! entry is stored but not yet covered by the chain.

use super::chain::{self, GENESIS};
use super::seal::{self, Refusal};
use super::{ensure_secret, hash_ip, secret_context, AuditError};
use super::{CHAIN_KEY, IP_SALT};
use crate::crypto::Envelope;
use crate::db::feed::Event;
use crate::db::memory::Change;
use crate::db::models::audit::{self as model, AuditRow, Chained};
use crate::db::models::audit_pending as pending;
use crate::db::models::due_work;
use crate::db::{Db, WeakAuditQueue};
use crate::ids::TenantId;
use chrono::Utc;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::{error::RecvError, Receiver};

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

/// How long entries announced by another instance may wait before this one looks.
const REMOTE_GRACE: Duration = Duration::from_secs(1);

/// Resolves at `at`, or never.
async fn until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// How often the chainer checks, while idle, that anything can still announce entries.
const ALIVE_CHECK: Duration = Duration::from_secs(1);

/// Runs the chainer in the background: on every announced commit, and a sweep every
/// [`SWEEP_EVERY`]. Each pass chains one batch per tenant, so a tenant writing faster than
/// a batch cannot hold up the others; it is simply marked again.
///
/// It runs on a thread and runtime of its own, with two connections of its own: it holds
/// the chain lock while it works, and must never wait on a runtime that something else
/// keeps busy or blocks. It ends once every handle of `db` is dropped.
pub fn spawn(db: &Db, envelope: Envelope) -> std::io::Result<()> {
    let announced = db.feed().subscribe();
    let own = db
        .separate_pool(2)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let queue = db.audit_queue().downgrade();
    std::thread::Builder::new()
        .name("audit-chainer".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(run(own, envelope, queue, announced)),
                Err(e) => tracing::error!(error = %e, "the audit chainer could not start"),
            }
        })?;
    Ok(())
}

async fn run(db: Db, envelope: Envelope, queue: WeakAuditQueue, mut announced: Receiver<Event>) {
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    // Entries another instance committed (announced by the change feed): normally that
    // instance chains them within milliseconds, so look only a moment later, once.
    let mut look_soon: Option<Instant> = None;
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Tenants whose last batch failed: retried by the sweep, not on every commit, so a
    // broken secret costs one error a sweep rather than one a request.
    let mut failed: HashMap<TenantId, Instant> = HashMap::new();
    loop {
        let Some(live) = queue.upgrade() else { return };
        let tenants = tokio::select! {
            _ = live.marked() => {
                // Lets the entries of concurrent requests gather into one batch.
                tokio::time::sleep(GATHER).await;
                let mut marked = live.take();
                marked.retain(|t| failed.get(t).is_none_or(|at| at.elapsed() >= SWEEP_EVERY));
                marked
            }
            event = announced.recv() => {
                if matches!(event, Ok(Event::Changed(Change::Audit(_))) | Err(RecvError::Lagged(_)))
                    && look_soon.is_none()
                {
                    look_soon = Some(Instant::now() + REMOTE_GRACE);
                }
                continue;
            }
            _ = until(look_soon) => {
                look_soon = None;
                match waiting_tenants(&db).await {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::warn!(error = %e, "audit check could not list waiting entries");
                        continue;
                    }
                }
            }
            _ = sweep.tick() => match waiting_tenants(&db).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!(error = %e, "audit sweep could not list waiting entries");
                    continue;
                }
            },
            _ = tokio::time::sleep(ALIVE_CHECK) => continue,
        };
        for tenant in tenants {
            match chain_batch(&db, &envelope, tenant).await {
                Ok(n) => {
                    failed.remove(&tenant);
                    if n == BATCH as u64 {
                        live.mark(tenant);
                    }
                }
                // Left waiting; the next sweep tries again.
                Err(e) => {
                    failed.insert(tenant, Instant::now());
                    tracing::error!(error = %e, %tenant, "audit entries could not be chained");
                }
            }
        }
    }
}

/// The tenants with entries waiting (the platform's own chain included): one narrow query,
/// so an idle instance costs the same at ten workspaces and at ten thousand.
async fn waiting_tenants(db: &Db) -> Result<Vec<TenantId>, AuditError> {
    let mut ptx = db.platform().await?;
    let waiting = due_work::tenants_with_pending_audit(&mut ptx).await?;
    ptx.commit().await?;
    Ok(waiting)
}

/// One transaction: the chain lock, the secrets, up to [`BATCH`] oldest waiting entries
/// checked against their seals, appended. Answers how many entries it took.
async fn chain_batch(db: &Db, envelope: &Envelope, tenant: TenantId) -> Result<u64, AuditError> {
    let mut tx = db.tenant_any_status(tenant).await?;
    let head = model::lock_and_head(&mut tx).await?;
    let sealer = envelope.for_tenant(&tx).await?;
    // The chain key first: if it does not open, nothing is read or taken.
    let key = match head.chain_key_enc {
        Some(sealed) => Some(
            sealer
                .open(&secret_context(&tx, CHAIN_KEY), &sealed)?
                .to_vec(),
        ),
        None => None,
    };
    let waiting = pending::oldest(&mut tx, BATCH).await?;
    if waiting.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    // Made on the first entry only: a workspace with nothing to chain (a purged one, whose
    // key is destroyed) is left as it is.
    let key = match key {
        Some(key) => key,
        None => ensure_secret(&mut tx, envelope, CHAIN_KEY).await?,
    };
    // Each entry's seal: its IP, or why it is refused. A seal under a platform key this
    // keyring lacks stops the batch (another instance, or a later keyring, can open it).
    let mut checked = Vec::with_capacity(waiting.len());
    for (entry, replayed) in waiting {
        let verdict = if replayed {
            Err(Refusal::Replayed)
        } else {
            match seal::open(&sealer, &entry) {
                Ok(ip) => Ok(ip),
                Err(Ok(refusal)) => Err(refusal),
                Err(Err(e)) => return Err(e.into()),
            }
        };
        checked.push((entry, verdict));
    }
    let salt = if checked.iter().any(|(_, v)| matches!(v, Ok(Some(_)))) {
        match head.ip_salt_enc {
            Some(sealed) => sealer
                .open(&secret_context(&tx, IP_SALT), &sealed)?
                .to_vec(),
            None => ensure_secret(&mut tx, envelope, IP_SALT).await?,
        }
    } else {
        Vec::new()
    };
    let (mut seq, mut prev_hash) = match (head.seq, head.hash) {
        (Some(seq), Some(hash)) => (seq + 1, hash),
        _ => (1, GENESIS.to_string()),
    };
    let now = chain::to_micros(Utc::now());
    let mut batch = Vec::with_capacity(checked.len());
    for (entry, verdict) in checked {
        let taken = entry.id;
        let (entry_id, mut row) = match verdict {
            Ok(ip) => (
                Some(entry.id),
                AuditRow {
                    seq,
                    occurred_at: entry.occurred_at,
                    actor: entry.actor,
                    action: entry.action,
                    target: entry.target,
                    trace_id: entry.trace_id,
                    ip_hash: ip.map(|ip| hash_ip(&salt, ip)),
                    details: entry.details,
                    prev_hash: String::new(),
                    hash: String::new(),
                },
            ),
            // The refused entry's content is not trusted: the chain records the refusal.
            Err(refusal) => {
                tracing::error!(%tenant, entry = %taken, reason = refusal.reason(), "audit entry refused");
                (
                    None,
                    AuditRow {
                        seq,
                        occurred_at: now,
                        actor: "audit-chainer".into(),
                        action: REFUSED_ACTION.into(),
                        target: format!("audit_entry:{taken}"),
                        trace_id: String::new(),
                        ip_hash: None,
                        details: serde_json::json!({ "reason": refusal.reason() }),
                        prev_hash: String::new(),
                        hash: String::new(),
                    },
                )
            }
        };
        row.prev_hash = std::mem::take(&mut prev_hash);
        row.hash = chain::entry_hash(&key, &row.prev_hash, &row);
        prev_hash.clone_from(&row.hash);
        seq += 1;
        batch.push(Chained {
            taken,
            entry_id,
            row,
        });
    }
    model::append(&mut tx, &batch).await?;
    tx.commit().await?;
    Ok(batch.len() as u64)
}

/// The action recorded in place of a refused waiting entry.
pub const REFUSED_ACTION: &str = super::Action::AuditEntryRefused.as_str();
