//! The tenant registry (platform scope).

use crate::db::schema::tenants;
use crate::db::{DbError, PlatformTx};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tenants)]
pub struct Tenant {
    #[diesel(deserialize_as = Uuid)]
    pub id: TenantId,
    pub slug: String,
    pub display_name: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(
    tx: &mut PlatformTx,
    id: TenantId,
    slug: &str,
    display_name: &str,
) -> Result<Tenant, DbError> {
    Ok(diesel::insert_into(tenants::table)
        .values((
            tenants::id.eq(id.0),
            tenants::slug.eq(slug),
            tenants::display_name.eq(display_name),
        ))
        .returning(Tenant::as_returning())
        .get_result(tx.conn()?)
        .await?)
}

pub async fn find_by_slug(tx: &mut PlatformTx, slug: &str) -> Result<Option<Tenant>, DbError> {
    Ok(tenants::table
        .filter(tenants::slug.eq(slug))
        .select(Tenant::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// Every tenant, the platform pseudo-tenant included, oldest first.
pub async fn list(tx: &mut PlatformTx) -> Result<Vec<Tenant>, DbError> {
    Ok(tenants::table
        .order((tenants::created_at.asc(), tenants::id.asc()))
        .select(Tenant::as_select())
        .load(tx.conn()?)
        .await?)
}

pub async fn get(tx: &mut PlatformTx, id: TenantId) -> Result<Option<Tenant>, DbError> {
    Ok(tenants::table
        .filter(tenants::id.eq(id.0))
        .select(Tenant::as_select())
        .first(tx.conn()?)
        .await
        .optional()?)
}

/// The display name of the transaction's own tenant (read on the connection already held).
pub async fn own_display_name(tx: &mut crate::db::TenantTx) -> Result<String, DbError> {
    let id = tx.tenant().0;
    Ok(tenants::table
        .filter(tenants::id.eq(id))
        .select(tenants::display_name)
        .first(tx.conn()?)
        .await
        .optional()?
        .unwrap_or_default())
}

/// Sets the status of the transaction's own tenant (`active`, `suspended`, `cancelled`).
pub async fn set_status(tx: &mut crate::db::TenantTx, status: &str) -> Result<bool, DbError> {
    let id = tx.tenant().0;
    tx.forget_on_commit(crate::db::memory::Change::Tenant(tx.tenant()));
    let n = diesel::update(tenants::table.filter(tenants::id.eq(id)))
        .set(tenants::status.eq(status))
        .execute(tx.conn()?)
        .await?;
    Ok(n == 1)
}
