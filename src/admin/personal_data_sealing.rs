//! The online migration of personal data written before it was sealed: every clear `users`
//! row and SSO link of each workspace is sealed and blind-indexed in batches (`identity encryption
//! rotate` runs it, `super::encryption_rotation`), resumable (each run picks up the rows
//! still clear) and safe while the service writes (rows are locked, re-read and skipped when
//! another writer holds them).

use crate::audit::{self, Action, AuditError, Event};
use crate::crypto::Envelope;
use crate::db::models::{person_fields, sso_flow, tenants};
use crate::db::{Db, DbError};
use crate::ids::TenantId;
use serde_json::json;

/// People and SSO links still holding personal data in clear, over every workspace (or
/// `only`).
pub async fn count_clear(db: &Db, only: Option<TenantId>) -> Result<i64, DbError> {
    let mut n = 0;
    for tenant in workspaces(db, only).await? {
        let mut tx = db.tenant_any_status(tenant).await?;
        n += person_fields::count_clear_rows(&mut tx).await?;
        n += sso_flow::count_clear_identities(&mut tx).await?;
        tx.commit().await?;
    }
    Ok(n)
}

/// Every workspace, or only `only`.
pub async fn workspaces(db: &Db, only: Option<TenantId>) -> Result<Vec<TenantId>, DbError> {
    let mut ptx = db.platform().await?;
    let list = tenants::list(&mut ptx).await?;
    ptx.commit().await?;
    Ok(list
        .into_iter()
        .map(|t| t.id)
        .filter(|t| *t != TenantId::PLATFORM && only.is_none_or(|o| o == *t))
        .collect())
}

/// Seals up to `batch_size` clear rows of `tenant` in one transaction; returns how many
/// (0: none left that no request holds). A run is these batches until each workspace
/// answers 0; stopping between two loses nothing.
pub async fn seal_batch(db: &Db, tenant: TenantId, batch_size: i64) -> Result<u64, DbError> {
    let mut tx = db.tenant_any_status(tenant).await?;
    let mut sealed = person_fields::seal_clear_rows(&mut tx, batch_size).await?;
    if sealed == 0 {
        sealed = sso_flow::seal_clear_identities(&mut tx, batch_size).await?;
    }
    tx.commit().await?;
    Ok(sealed as u64)
}

/// Seals every clear row of each workspace (or `only`), a batch at a time, each batch
/// audited on the platform chain like the re-sealing ones. `(done, total)` carry the
/// rotation's progress on; returns how many rows were sealed.
pub async fn run(
    db: &Db,
    envelope: &Envelope,
    only: Option<TenantId>,
    batch_size: i64,
    (mut done, total): (u64, u64),
    progress: &mut impl FnMut(u64, u64),
) -> Result<u64, AuditError> {
    let start = done;
    for tenant in workspaces(db, only).await? {
        loop {
            let sealed = seal_batch(db, tenant, batch_size).await?;
            if sealed == 0 {
                break;
            }
            done += sealed;
            progress(done, total.max(done));
            let event = Event {
                actor: "cli",
                action: Action::EncryptionRotationBatch,
                target: "platform_encryption_key",
                details: json!({"target": tenant.to_string(), "table": "users",
                    "column": "personal data", "moved": sealed, "done": done,
                    "total": total.max(done)}),
            };
            audit::record_platform(db, envelope, event, chrono::Utc::now()).await?;
        }
    }
    Ok(done - start)
}
