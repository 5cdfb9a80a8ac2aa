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

/// Cancels the transaction's workspace (active or suspended): refused everywhere from now
/// on, its data kept `keep_days` (NULL: the service's setting) before the purge.
pub async fn cancel(
    tx: &mut crate::db::TenantTx,
    keep_days: Option<i32>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let id = tx.tenant().0;
    tx.forget_on_commit(crate::db::memory::Change::Tenant(tx.tenant()));
    let n = diesel::update(
        tenants::table
            .filter(tenants::id.eq(id))
            .filter(tenants::status.eq_any(["active", "suspended"])),
    )
    .set((
        tenants::status.eq("cancelled"),
        tenants::cancelled_at.eq(now),
        tenants::cancel_keep_days.eq(keep_days),
    ))
    .execute(tx.conn()?)
    .await?;
    Ok(n == 1)
}

/// Lets a suspended or cancelled (not yet purged) workspace in again.
pub async fn resume(tx: &mut crate::db::TenantTx) -> Result<bool, DbError> {
    let id = tx.tenant().0;
    tx.forget_on_commit(crate::db::memory::Change::Tenant(tx.tenant()));
    let n = diesel::update(
        tenants::table
            .filter(tenants::id.eq(id))
            .filter(tenants::status.eq_any(["active", "suspended", "cancelled"])),
    )
    .set((
        tenants::status.eq("active"),
        tenants::cancelled_at.eq(None::<DateTime<Utc>>),
        tenants::cancel_keep_days.eq(None::<i32>),
    ))
    .execute(tx.conn()?)
    .await?;
    Ok(n == 1)
}

/// Cancelled workspaces whose kept period (their own, else `default_days`) ended by `now`.
pub async fn due_for_purge(
    tx: &mut PlatformTx,
    default_days: i32,
    now: DateTime<Utc>,
) -> Result<Vec<TenantId>, DbError> {
    let rows: Vec<(Uuid, Option<DateTime<Utc>>, Option<i32>)> = tenants::table
        .filter(tenants::status.eq("cancelled"))
        .select((
            tenants::id,
            tenants::cancelled_at,
            tenants::cancel_keep_days,
        ))
        .load(tx.conn()?)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, at, keep)| {
            let days = chrono::Duration::days(i64::from(keep.unwrap_or(default_days)));
            at.is_some_and(|at| at + days <= now)
        })
        .map(|(id, _, _)| TenantId(id))
        .collect())
}

#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct PurgedTable {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub table_name: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub removed: i64,
}

/// Removes every row of the transaction's (cancelled) workspace and marks it purged
/// (`identity_purge_tenant`); what each table lost.
pub async fn purge(tx: &mut crate::db::TenantTx) -> Result<Vec<PurgedTable>, DbError> {
    let id = tx.tenant().0;
    tx.forget_on_commit(crate::db::memory::Change::Tenant(tx.tenant()));
    Ok(diesel::sql_query("SELECT * FROM identity_purge_tenant($1)")
        .bind::<diesel::sql_types::Uuid, _>(id)
        .load(tx.conn()?)
        .await?)
}
