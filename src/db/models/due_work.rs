//! Which workspaces have background work due, in one narrow query whatever their number:
//! two reviewed `SECURITY DEFINER` functions (migration 17) that return tenant ids only.

use crate::db::{DbError, PlatformTx};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
}

/// Workspaces with mail whose next attempt is due at `now`.
pub async fn tenants_with_due_mail(
    tx: &mut PlatformTx,
    now: DateTime<Utc>,
) -> Result<Vec<TenantId>, DbError> {
    let rows: Vec<Row> =
        diesel::sql_query("SELECT t AS id FROM identity_tenants_with_due_mail($1) AS t")
            .bind::<Timestamptz, _>(now)
            .load(tx.conn()?)
            .await?;
    Ok(rows.into_iter().map(|r| TenantId(r.id)).collect())
}

/// Workspaces with an SSO connection whose IdP metadata is due to be fetched again.
pub async fn tenants_with_due_metadata(
    tx: &mut PlatformTx,
    now: DateTime<Utc>,
) -> Result<Vec<TenantId>, DbError> {
    let rows: Vec<Row> =
        diesel::sql_query("SELECT t AS id FROM identity_tenants_with_due_metadata($1) AS t")
            .bind::<Timestamptz, _>(now)
            .load(tx.conn()?)
            .await?;
    Ok(rows.into_iter().map(|r| TenantId(r.id)).collect())
}

/// Workspaces with audit entries waiting to be chained.
pub async fn tenants_with_pending_audit(tx: &mut PlatformTx) -> Result<Vec<TenantId>, DbError> {
    let rows: Vec<Row> =
        diesel::sql_query("SELECT t AS id FROM identity_tenants_with_pending_audit() AS t")
            .load(tx.conn()?)
            .await?;
    Ok(rows.into_iter().map(|r| TenantId(r.id)).collect())
}
