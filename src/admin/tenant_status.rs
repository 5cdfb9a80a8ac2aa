//! Suspending and resuming a workspace (an operator action). A suspended workspace is
//! refused on every path at the moment a request enters it (`crate::db::Entry::Active`):
//! browser sign-in, every token grant, introspection (`active: false`), the admin API,
//! SCIM and API keys. Nothing is deleted: resuming restores every session, key and token
//! that had not expired meanwhile.

use crate::audit::Action;
use crate::audit::{AuditError, Origin};
use crate::crypto::Envelope;
use crate::db::models::tenants;
use crate::db::Db;
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde_json::json;

/// Sets the workspace's status to `active` or `suspended`; audited in its own chain.
pub async fn set(
    db: &Db,
    envelope: &Envelope,
    tenant: TenantId,
    active: bool,
    actor: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), AuditError> {
    let mut tx = db.tenant_any_status(tenant).await?;
    let (status, action) = if active {
        ("active", Action::TenantResumed)
    } else {
        ("suspended", Action::TenantSuspended)
    };
    tenants::set_status(&mut tx, status).await?;
    let ctx = crate::audit::Context {
        envelope,
        actor,
        origin,
        now,
    };
    ctx.record(
        &mut tx,
        action,
        &format!("tenant:{tenant}"),
        json!({ "status": status }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
