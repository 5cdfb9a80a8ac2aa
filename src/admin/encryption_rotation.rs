//! Encryption key rotation at both levels, resumable (each run picks up what is left) and
//! safe while the service writes (compare-and-swap updates), every step audited on the
//! platform chain:
//! - platform: re-wraps each workspace's KEK (small, in the keys database) and the platform's
//!   own values under the newest platform key, and moves any value still sealed straight
//!   under a platform key (`ev1`, written before workspaces had keys) to its workspace's KEK;
//! - workspace (`--tenant`): a new KEK version for one workspace, and every value of it
//!   sealed again under that version.

use super::personal_data_sealing;
use crate::audit::Action;
use crate::audit::{self, Event};
use crate::crypto::envelope::{Envelope, SecretContext};
use crate::crypto::tenant_keys;
use crate::db::kek_store;
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

impl Target {
    fn label(&self) -> String {
        match self {
            Target::Tenant(t) => t.to_string(),
            Target::Platform => "platform".into(),
        }
    }
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

/// Every (target, column) pair: the tenant columns of each tenant in `only` (every tenant
/// when `None`), then, for a platform rotation, the platform columns.
async fn work_list(
    db: &Db,
    only: Option<TenantId>,
) -> Result<Vec<(Target, &'static EncryptedColumn)>, DbError> {
    let mut ptx = db.platform().await?;
    let list = tenants::list(&mut ptx).await?;
    ptx.commit().await?;
    let mut out = Vec::new();
    for tenant in list.iter().filter(|t| only.is_none_or(|o| o == t.id)) {
        for col in ENCRYPTED_COLUMNS
            .iter()
            .filter(|c| c.scope == Scope::Tenant)
        {
            out.push((Target::Tenant(tenant.id), col));
        }
    }
    if only.is_none() {
        for col in ENCRYPTED_COLUMNS
            .iter()
            .filter(|c| c.scope == Scope::Platform)
        {
            out.push((Target::Platform, col));
        }
    }
    Ok(out)
}

/// What each key protects: stored values per prefix (`ev1.<platform version>` sealed under
/// a platform key, `ev2.<KEK version>` under their workspace's KEK), and the workspaces'
/// KEKs per platform version that wraps them (`destroyed`: purged workspaces).
#[derive(Debug, Default, serde::Serialize)]
pub struct EncryptionStatus {
    pub values: BTreeMap<String, i64>,
    pub workspace_keys: BTreeMap<String, i64>,
    /// People whose personal data is still stored in clear (written before it was sealed).
    pub personal_data_in_clear: i64,
}

pub async fn status(db: &Db) -> Result<EncryptionStatus, DbError> {
    let mut out = EncryptionStatus::default();
    for (target, col) in work_list(db, None).await? {
        let mut tx = OwnedTx::open(db, target).await?;
        for (prefix, n) in ciphertexts::count_by_version(&mut tx.scoped(), col).await? {
            *out.values.entry(prefix).or_insert(0) += n;
        }
        tx.commit().await?;
    }
    // This deployment's workspaces only: a keys database may hold others' (tests share one).
    let tenants = tenant_ids(db).await?;
    out.workspace_keys = db
        .keks()
        .count_by_platform_version(&tenants)
        .await?
        .into_iter()
        .collect();
    out.personal_data_in_clear = personal_data_sealing::count_clear(db, None).await?;
    Ok(out)
}

async fn tenant_ids(db: &Db) -> Result<Vec<uuid::Uuid>, DbError> {
    let mut ptx = db.platform().await?;
    let list = tenants::list(&mut ptx).await?;
    ptx.commit().await?;
    Ok(list.into_iter().map(|t| t.id.0).collect())
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

/// Waiting audit entries are sealed but never re-sealed (the runtime role cannot edit
/// them): they are chained first, while this keyring still opens every version.
async fn settle_audit(db: &Db, envelope: &Envelope) -> Result<(), RotationError> {
    audit::chainer::settle_all(db, envelope)
        .await
        .map_err(|e| match e {
            audit::AuditError::Db(db) => RotationError::Db(db),
            other => RotationError::Waiting(other),
        })?;
    Ok(())
}

/// Platform rotation: the KEKs, then every value not yet where it belongs. `progress(done,
/// total)` is called after each batch. Returns the number of values and KEKs moved.
pub async fn rotate(
    db: &Db,
    envelope: &Envelope,
    batch_size: i64,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, RotationError> {
    settle_audit(db, envelope).await?;
    let current = envelope.keyring().current_version();
    let before = status(db).await?;
    let legacy_or_old: u64 =
        before
            .values
            .iter()
            .filter(|(v, _)| **v != format!("ev1.{current}") && v.starts_with("ev1."))
            .chain(before.workspace_keys.iter().filter(|(v, _)| {
                v.starts_with("platform v") && **v != format!("platform v{current}")
            }))
            .map(|(_, n)| u64::try_from(*n).unwrap_or(0))
            .sum::<u64>()
            + u64::try_from(before.personal_data_in_clear).unwrap_or(0);
    audit_platform(
        db,
        envelope,
        Action::EncryptionRotationStarted,
        json!({"level": "platform", "to_version": current, "pending": legacy_or_old,
               "values": before.values, "workspace_keys": before.workspace_keys}),
    )
    .await?;
    let mut done = rewrap_keks(db, envelope, current, batch_size).await?;
    progress(done, legacy_or_old.max(done));
    let total = legacy_or_old.max(done);
    done += reseal(db, envelope, None, batch_size, done, total, &mut progress).await?;
    done +=
        personal_data_sealing::run(db, envelope, None, batch_size, (done, total), &mut progress)
            .await?;
    audit_platform(
        db,
        envelope,
        Action::EncryptionRotationCompleted,
        json!({"level": "platform", "to_version": current, "moved": done}),
    )
    .await?;
    Ok(done)
}

/// Re-wraps every live KEK not under platform key `current`.
async fn rewrap_keks(
    db: &Db,
    envelope: &Envelope,
    current: u32,
    batch_size: i64,
) -> Result<u64, RotationError> {
    let tenants = tenant_ids(db).await?;
    let mut done = 0;
    loop {
        let batch = db.keks().not_under(&tenants, current, batch_size).await?;
        if batch.is_empty() {
            return Ok(done);
        }
        for kek in &batch {
            let tenant = TenantId(kek.tenant_id);
            let moved = tenant_keys::rewrap_kek(envelope, tenant, kek.version, &kek.wrapped)
                .map_err(|e| RotationError::Unopenable {
                    count: 1,
                    table: "tenant_keys",
                    column: "wrapped",
                    tenant: tenant.to_string(),
                    reason: e.to_string(),
                })?;
            if let Some(new) = moved {
                if db.keks().replace(kek, &new).await? {
                    done += 1;
                }
            }
        }
    }
}

/// Workspace rotation: a new KEK version for `tenant`, then every value of it sealed again
/// under that version. Returns the new version and the number of values moved.
pub async fn rotate_workspace(
    db: &Db,
    envelope: &Envelope,
    tenant: TenantId,
    batch_size: i64,
    mut progress: impl FnMut(u64, u64),
) -> Result<(u32, u64), RotationError> {
    settle_audit(db, envelope).await?;
    let mut tx = db.tenant_any_status(tenant).await?;
    let sealer = envelope.for_tenant(&tx).await?;
    let version = sealer.current_version().unwrap_or(0) + 1;
    let next = i32::try_from(version)
        .map_err(|_| RotationError::Db(DbError::Conflict("too many key versions")))?;
    let wrapped = tenant_keys::new_wrapped_kek(envelope, tenant, next);
    drop(sealer);
    if !kek_store::add(&mut tx, next, &wrapped).await? {
        return Err(RotationError::Db(DbError::Conflict(
            "another rotation of this workspace's key is running",
        )));
    }
    tx.commit().await?;
    audit_platform(
        db,
        envelope,
        Action::EncryptionRotationStarted,
        json!({"level": "workspace", "tenant": tenant, "to_version": version}),
    )
    .await?;
    let mut done = reseal(db, envelope, Some(tenant), batch_size, 0, 0, &mut progress).await?;
    let at = (done, 0);
    done += personal_data_sealing::run(db, envelope, Some(tenant), batch_size, at, &mut progress)
        .await?;
    audit_platform(
        db,
        envelope,
        Action::EncryptionRotationCompleted,
        json!({"level": "workspace", "tenant": tenant, "to_version": version, "moved": done}),
    )
    .await?;
    Ok((version, done))
}

/// Seals again every value of the work list not under its target's current key: a batch per
/// transaction, each value replaced only if nobody changed it meanwhile.
async fn reseal(
    db: &Db,
    envelope: &Envelope,
    only: Option<TenantId>,
    batch_size: i64,
    mut done: u64,
    total: u64,
    progress: &mut impl FnMut(u64, u64),
) -> Result<u64, RotationError> {
    let start = done;
    for (target, col) in work_list(db, only).await? {
        loop {
            let mut tx = OwnedTx::open(db, target).await?;
            let moved = match reseal_batch(&mut tx, envelope, col, batch_size).await {
                Ok(None) => {
                    tx.commit().await?;
                    break;
                }
                Ok(Some(moved)) => moved,
                // Dropping the transaction rolls back this batch.
                Err(e) => return Err(e),
            };
            tx.commit().await?;
            done += moved;
            progress(done, total.max(done));
            audit_platform(
                db,
                envelope,
                Action::EncryptionRotationBatch,
                json!({"target": target.label(), "table": col.table, "column": col.column,
                       "moved": moved, "done": done, "total": total.max(done)}),
            )
            .await?;
        }
    }
    Ok(done - start)
}

/// One batch of `col` in `tx`'s scope; `None` when nothing is left.
async fn reseal_batch(
    tx: &mut OwnedTx,
    envelope: &Envelope,
    col: &'static EncryptedColumn,
    batch_size: i64,
) -> Result<Option<u64>, RotationError> {
    let sealer = match tx {
        OwnedTx::Tenant(t) => envelope.for_tenant(t).await?,
        OwnedTx::Platform(_) => envelope.platform_sealer(),
    };
    let prefix = sealer.current_prefix();
    let mut scoped = tx.scoped();
    let aad_tenant = scoped.aad_tenant();
    let batch = ciphertexts::not_under(&mut scoped, col, &prefix, batch_size).await?;
    if batch.is_empty() {
        return Ok(None);
    }
    let mut moved = 0u64;
    let mut failures = Vec::new();
    for stored in &batch {
        let ctx = SecretContext {
            tenant: aad_tenant,
            table: col.table,
            column: col.column,
            row: &stored.row_key,
        };
        match sealer.reseal(&ctx, &stored.value) {
            Ok(Some(new)) => {
                if ciphertexts::replace(&mut scoped, col, &stored.row_key, &stored.value, &new)
                    .await?
                {
                    moved += 1;
                }
            }
            Ok(None) => {}
            Err(e) => failures.push(e.to_string()),
        }
    }
    match failures.first() {
        Some(reason) => Err(RotationError::Unopenable {
            count: failures.len(),
            table: col.table,
            column: col.column,
            tenant: aad_tenant.to_string(),
            reason: reason.clone(),
        }),
        None => Ok(Some(moved)),
    }
}
