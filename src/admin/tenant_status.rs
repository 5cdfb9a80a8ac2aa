//! Suspending and resuming a workspace (an operator action). A suspended workspace is
//! refused on every path at the moment a request enters it (`crate::db::Entry::Active`):
//! browser sign-in, every token grant, introspection (`active: false`), the admin API,
//! SCIM and API keys. Nothing is deleted: resuming restores every session, key and token
//! that had not expired meanwhile.

use crate::audit::{Action, AuditError, Context};
use crate::db::models::tenants;
use crate::db::Db;
use crate::ids::TenantId;
use serde_json::json;

/// Sets the workspace's status to `active` (which also ends a cancellation still in its
/// kept period) or `suspended`; audited in its own chain. `false`: nothing changed (a
/// purged workspace is not brought back).
pub async fn set(
    db: &Db,
    ctx: &Context<'_>,
    tenant: TenantId,
    active: bool,
) -> Result<bool, AuditError> {
    let mut tx = db.tenant_any_status(tenant).await?;
    let (status, action) = if active {
        ("active", Action::TenantResumed)
    } else {
        ("suspended", Action::TenantSuspended)
    };
    let changed = if active {
        tenants::resume(&mut tx).await?
    } else {
        tenants::set_status(&mut tx, status).await?
    };
    if !changed {
        return Ok(false);
    }
    let target = format!("tenant:{tenant}");
    ctx.record(&mut tx, action, &target, json!({ "status": status }))
        .await?;
    tx.commit().await?;
    Ok(true)
}
