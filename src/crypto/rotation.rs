//! Platform key rotation: re-wraps the data key of every stored ciphertext under the newest
//! platform key, a batch per transaction, resumable (each run picks up what is left) and
//! safe while the service writes (compare-and-swap updates). Each step is audited on the
//! platform chain.

use super::envelope::{Envelope, SecretContext};
use crate::audit::{self, Event, Origin};
use crate::db::models::ciphertexts::{self, ENCRYPTED_COLUMNS};
use crate::db::models::tenants;
use crate::db::{Db, DbError};
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
    #[error("{count} ciphertext(s) in {table}.{column} of tenant {tenant} do not open with this keyring ({reason}); add the missing key version and run again")]
    Unopenable {
        count: usize,
        table: &'static str,
        column: &'static str,
        tenant: String,
        reason: String,
    },
}

/// Number of stored ciphertexts per platform key version, over every tenant and column.
pub async fn status(db: &Db) -> Result<BTreeMap<String, i64>, DbError> {
    let mut counts = BTreeMap::new();
    for tenant in tenant_ids(db).await? {
        let mut tx = db.tenant(tenant).await?;
        for col in ENCRYPTED_COLUMNS {
            for (version, n) in ciphertexts::count_by_version(&mut tx, col).await? {
                *counts.entry(version).or_insert(0) += n;
            }
        }
        tx.commit().await?;
    }
    Ok(counts)
}

async fn tenant_ids(db: &Db) -> Result<Vec<TenantId>, DbError> {
    let mut ptx = db.platform().await?;
    let list = tenants::list(&mut ptx).await?;
    ptx.commit().await?;
    Ok(list.into_iter().map(|t| t.id).collect())
}

async fn audit_platform(
    db: &Db,
    envelope: &Envelope,
    action: &str,
    details: serde_json::Value,
) -> Result<(), RotationError> {
    let mut tx = db.tenant(TenantId::PLATFORM).await?;
    let event = Event {
        actor: "cli",
        action,
        target: "platform_encryption_key",
        details,
    };
    audit::record(&mut tx, envelope, event, &Origin::default(), Utc::now()).await?;
    tx.commit().await?;
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
        "encryption.rotation_started",
        json!({"to_version": current, "pending": total, "by_version": before}),
    )
    .await?;
    let mut done = 0u64;
    for tenant in tenant_ids(db).await? {
        for col in ENCRYPTED_COLUMNS {
            loop {
                let mut tx = db.tenant(tenant).await?;
                let batch =
                    ciphertexts::not_under_version(&mut tx, col, current, batch_size).await?;
                if batch.is_empty() {
                    tx.commit().await?;
                    break;
                }
                let mut rewrapped = 0u64;
                let mut failures = Vec::new();
                for stored in &batch {
                    let ctx = SecretContext {
                        tenant,
                        table: col.table,
                        column: col.column,
                        row: &stored.row_key,
                    };
                    match envelope.rewrap(&ctx, &stored.value) {
                        Ok(Some(new)) => {
                            if ciphertexts::replace(
                                &mut tx,
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
                    tx.rollback().await?;
                    return Err(RotationError::Unopenable {
                        count: failures.len(),
                        table: col.table,
                        column: col.column,
                        tenant: tenant.to_string(),
                        reason: reason.clone(),
                    });
                }
                tx.commit().await?;
                done += rewrapped;
                progress(done, total.max(done));
                audit_platform(
                    db,
                    envelope,
                    "encryption.rotation_batch",
                    json!({"tenant": tenant, "table": col.table, "column": col.column,
                           "rewrapped": rewrapped, "done": done, "total": total, "to_version": current}),
                )
                .await?;
            }
        }
    }
    audit_platform(
        db,
        envelope,
        "encryption.rotation_completed",
        json!({"to_version": current, "rewrapped": done}),
    )
    .await?;
    Ok(done)
}
