//! Platform key rotation: re-wraps the data key of every stored ciphertext under the newest
//! platform key, a batch per transaction, resumable (each run picks up what is left) and
//! safe while the service writes (compare-and-swap updates). Each step is audited on the
//! platform chain.

use crate::audit::Action;
use crate::audit::{self, Event};
use crate::crypto::envelope::{Envelope, SecretContext};
use crate::db::models::ciphertexts::{self, EncryptedColumn, Scope, ScopedTx, ENCRYPTED_COLUMNS};
use crate::db::models::tenants;
use crate::db::{Db, DbError, PlatformTx, TenantTx};
use crate::ids::TenantId;
use chrono::Utc;
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("waiting audit entries could not be chained first: their secrets do not open with this keyring ({0}); add the missing key version and run again")]
    Waiting(audit::AuditError),
    #[error("{count} ciphertext(s) in {table}.{column} of tenant {tenant} do not open with this keyring ({reason}); add the missing key version and run again")]
    Unopenable {
        count: usize,
        table: &'static str,
        column: &'static str,
        tenant: String,
        reason: String,
    },
}

/// Where a batch runs: one tenant's rows, or the platform tables.
#[derive(Debug, Clone, Copy)]
enum Target {
    Tenant(TenantId),
    Platform,
}

/// An owned transaction of either kind.
enum OwnedTx {
    Tenant(TenantTx),
    Platform(PlatformTx),
}

impl OwnedTx {
    async fn open(db: &Db, target: Target) -> Result<Self, DbError> {
        Ok(match target {
            Target::Tenant(t) => OwnedTx::Tenant(db.tenant_any_status(t).await?),
            Target::Platform => OwnedTx::Platform(db.platform().await?),
        })
    }

    fn scoped(&mut self) -> ScopedTx<'_> {
        match self {
            OwnedTx::Tenant(tx) => ScopedTx::Tenant(tx),
            OwnedTx::Platform(tx) => ScopedTx::Platform(tx),
        }
    }

    async fn commit(self) -> Result<(), DbError> {
        match self {
            OwnedTx::Tenant(tx) => tx.commit().await,
            OwnedTx::Platform(tx) => tx.commit().await,
        }
    }
}

/// Every (target, column) pair: each tenant with the tenant columns, then the platform.
async fn work_list(db: &Db) -> Result<Vec<(Target, &'static EncryptedColumn)>, DbError> {
    let mut ptx = db.platform().await?;
    let list = tenants::list(&mut ptx).await?;
    ptx.commit().await?;
    let mut out = Vec::new();
    for tenant in list {
        for col in ENCRYPTED_COLUMNS
            .iter()
            .filter(|c| c.scope == Scope::Tenant)
        {
            out.push((Target::Tenant(tenant.id), col));
        }
    }
    for col in ENCRYPTED_COLUMNS
        .iter()
        .filter(|c| c.scope == Scope::Platform)
    {
        out.push((Target::Platform, col));
    }
    Ok(out)
}

/// Number of stored ciphertexts per platform key version, over every tenant and column.
pub async fn status(db: &Db) -> Result<BTreeMap<String, i64>, DbError> {
    let mut counts = BTreeMap::new();
    for (target, col) in work_list(db).await? {
        let mut tx = OwnedTx::open(db, target).await?;
        for (version, n) in ciphertexts::count_by_version(&mut tx.scoped(), col).await? {
            *counts.entry(version).or_insert(0) += n;
        }
        tx.commit().await?;
    }
    Ok(counts)
}

async fn audit_platform(
    db: &Db,
    envelope: &Envelope,
    action: Action,
    details: serde_json::Value,
) -> Result<(), RotationError> {
    let event = Event {
        actor: "cli",
        action,
        target: "platform_encryption_key",
        details,
    };
    audit::record_platform(db, envelope, event, Utc::now()).await?;
    Ok(())
}

/// Re-wraps everything not under the current version. `progress(done, total)` is called
/// after each batch. Returns the number of ciphertexts re-wrapped.
pub async fn rotate(
    db: &Db,
    envelope: &Envelope,
    batch_size: i64,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, RotationError> {
    // Waiting audit entries are sealed but not re-wrapped (the runtime role cannot edit
    // them): they are chained now, while this keyring still opens every version.
    audit::chainer::settle_all(db, envelope)
        .await
        .map_err(|e| match e {
            audit::AuditError::Db(db) => RotationError::Db(db),
            other => RotationError::Waiting(other),
        })?;
    let current = envelope.keyring().current_version();
    let before = status(db).await?;
    let total: u64 = before
        .iter()
        .filter(|(v, _)| **v != current.to_string())
        .map(|(_, n)| u64::try_from(*n).unwrap_or(0))
        .sum();
    audit_platform(
        db,
        envelope,
        Action::EncryptionRotationStarted,
        json!({"to_version": current, "pending": total, "by_version": before}),
    )
    .await?;
    let mut done = 0u64;
    for (target, col) in work_list(db).await? {
        loop {
            let mut tx = OwnedTx::open(db, target).await?;
            let mut scoped = tx.scoped();
            let aad_tenant = scoped.aad_tenant();
            let batch =
                ciphertexts::not_under_version(&mut scoped, col, current, batch_size).await?;
            if batch.is_empty() {
                tx.commit().await?;
                break;
            }
            let mut rewrapped = 0u64;
            let mut failures = Vec::new();
            for stored in &batch {
                let ctx = SecretContext {
                    tenant: aad_tenant,
                    table: col.table,
                    column: col.column,
                    row: &stored.row_key,
                };
                match envelope.rewrap(&ctx, &stored.value) {
                    Ok(Some(new)) => {
                        if ciphertexts::replace(
                            &mut scoped,
                            col,
                            &stored.row_key,
                            &stored.value,
                            &new,
                        )
                        .await?
                        {
                            rewrapped += 1;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => failures.push(e.to_string()),
                }
            }
            if let Some(reason) = failures.first() {
                // Dropping the transaction rolls back this batch.
                drop(tx);
                return Err(RotationError::Unopenable {
                    count: failures.len(),
                    table: col.table,
                    column: col.column,
                    tenant: aad_tenant.to_string(),
                    reason: reason.clone(),
                });
            }
            tx.commit().await?;
            done += rewrapped;
            progress(done, total.max(done));
            audit_platform(
                db,
                envelope,
                Action::EncryptionRotationBatch,
                json!({"tenant": aad_tenant, "table": col.table, "column": col.column,
                       "rewrapped": rewrapped, "done": done, "total": total, "to_version": current}),
            )
            .await?;
        }
    }
    audit_platform(
        db,
        envelope,
        Action::EncryptionRotationCompleted,
        json!({"to_version": current, "rewrapped": done}),
    )
    .await?;
    Ok(done)
}
