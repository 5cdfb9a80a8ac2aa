//! The keys database: each workspace's key-encryption keys (KEKs), wrapped by a platform key,
//! kept apart from the data so that no backup of the data holds them. Reached only through
//! this file; the crypto layer wraps and unwraps, this stores rows.

use super::driver::Driver;
use super::driver::{PgPool, PooledConn};
pub use super::kek_rows::{StoredKek, WrappedKek};
use super::target::PgTarget;
use super::DbError;
use crate::ids::TenantId;
use anyhow::Context;
use diesel::sql_types::{BigInt, Integer, Text, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Handle to the keys database; cheap to clone.
#[derive(Clone)]
pub struct KekStore {
    pool: PgPool,
    _driver: Arc<Driver>,
}

impl KekStore {
    /// A small pool: a KEK is read once per workspace while memory is trusted.
    pub fn connect(url: &SecretString, max_size: usize, timeout: Duration) -> anyhow::Result<Self> {
        let target = PgTarget::parse(url.expose_secret()).context("database.keys_url")?;
        let driver = Driver::start()?;
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
            url.expose_secret(),
            driver.manager_config(target),
        );
        let pool = Pool::builder(manager)
            .max_size(max_size)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        Ok(Self {
            pool,
            _driver: driver,
        })
    }

    async fn conn(&self) -> Result<PooledConn, DbError> {
        self.pool
            .get()
            .await
            .map_err(|e| DbError::Unavailable(format!("keys database: {e}")))
    }

    /// Every KEK version of `tenant`, oldest first.
    pub async fn load(&self, tenant: TenantId) -> Result<Vec<StoredKek>, DbError> {
        let mut c = self.conn().await?;
        Ok(diesel::sql_query(
            "SELECT version, wrapped FROM tenant_keys WHERE tenant_id = $1 ORDER BY version",
        )
        .bind::<SqlUuid, _>(tenant.0)
        .load(&mut *c)
        .await?)
    }

    /// Adds `version` unless it exists (another instance made it first, or a tombstone
    /// stands there). Returns whether this call added it.
    pub async fn insert(
        &self,
        tenant: TenantId,
        version: i32,
        wrapped: &str,
    ) -> Result<bool, DbError> {
        let mut c = self.conn().await?;
        let n = diesel::sql_query(
            "INSERT INTO tenant_keys (tenant_id, version, wrapped) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind::<SqlUuid, _>(tenant.0)
        .bind::<Integer, _>(version)
        .bind::<Text, _>(wrapped)
        .execute(&mut *c)
        .await?;
        Ok(n == 1)
    }

    /// Destroys every KEK of `tenant` (a tombstone stays, so it never gets one again).
    /// Returns how many live versions were destroyed.
    pub async fn destroy(&self, tenant: TenantId) -> Result<usize, DbError> {
        let mut c = self.conn().await?;
        diesel::sql_query(
            "INSERT INTO tenant_keys (tenant_id, version, wrapped, destroyed_at) \
             VALUES ($1, 1, NULL, now()) ON CONFLICT DO NOTHING",
        )
        .bind::<SqlUuid, _>(tenant.0)
        .execute(&mut *c)
        .await?;
        Ok(diesel::sql_query(
            "UPDATE tenant_keys SET wrapped = NULL, destroyed_at = now() \
             WHERE tenant_id = $1 AND wrapped IS NOT NULL",
        )
        .bind::<SqlUuid, _>(tenant.0)
        .execute(&mut *c)
        .await?)
    }

    /// Up to `limit` live KEKs of `tenants` not wrapped under platform key `version`.
    pub async fn not_under(
        &self,
        tenants: &[uuid::Uuid],
        version: u32,
        limit: i64,
    ) -> Result<Vec<WrappedKek>, DbError> {
        let mut c = self.conn().await?;
        Ok(diesel::sql_query(
            "SELECT tenant_id, version, wrapped FROM tenant_keys \
             WHERE tenant_id = ANY($3) AND wrapped IS NOT NULL \
             AND split_part(wrapped, '.', 2) <> $1 ORDER BY tenant_id, version LIMIT $2",
        )
        .bind::<Text, _>(version.to_string())
        .bind::<BigInt, _>(limit)
        .bind::<diesel::sql_types::Array<SqlUuid>, _>(tenants)
        .load(&mut *c)
        .await?)
    }

    /// Compare-and-swap of one wrapped KEK (platform rotation, safe while others write).
    pub async fn replace(&self, kek: &WrappedKek, new: &str) -> Result<bool, DbError> {
        let mut c = self.conn().await?;
        let n = diesel::sql_query(
            "UPDATE tenant_keys SET wrapped = $4 \
             WHERE tenant_id = $1 AND version = $2 AND wrapped = $3",
        )
        .bind::<SqlUuid, _>(kek.tenant_id)
        .bind::<Integer, _>(kek.version)
        .bind::<Text, _>(&kek.wrapped)
        .bind::<Text, _>(new)
        .execute(&mut *c)
        .await?;
        Ok(n == 1)
    }

    /// Live KEKs of `tenants` per platform key version that wraps them, and `destroyed`.
    pub async fn count_by_platform_version(
        &self,
        tenants: &[uuid::Uuid],
    ) -> Result<Vec<(String, i64)>, DbError> {
        let mut c = self.conn().await?;
        let rows: Vec<Count> = diesel::sql_query(
            "SELECT COALESCE('platform v' || split_part(wrapped, '.', 2), 'destroyed') AS label, \
             count(*) AS n FROM tenant_keys WHERE tenant_id = ANY($1) GROUP BY 1 ORDER BY 1",
        )
        .bind::<diesel::sql_types::Array<SqlUuid>, _>(tenants)
        .load(&mut *c)
        .await?;
        Ok(rows.into_iter().map(|r| (r.label, r.n)).collect())
    }

    /// Readiness: a round trip to the keys database.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut c = self.conn().await?;
        diesel::sql_query("SELECT 1").execute(&mut *c).await?;
        Ok(())
    }
}

/// `tx`'s workspace's KEK versions, oldest first: from memory while the change feed is
/// trusted (invariant 8), else from the keys database. An empty list is never remembered.
pub async fn of_tenant(tx: &crate::db::TenantTx) -> Result<Arc<Vec<StoredKek>>, DbError> {
    let (store, memory) = tx.kek_parts();
    let ticket = memory.ticket();
    if let Some(found) = ticket.and_then(|t| memory.tenant_keks(t, tx.tenant())) {
        return Ok(found);
    }
    let rows = Arc::new(store.load(tx.tenant()).await?);
    if let (Some(t), false) = (ticket, rows.is_empty()) {
        memory.remember_tenant_keks(t, tx.tenant(), rows.clone());
    }
    Ok(rows)
}

/// [`of_tenant`], making the workspace's first KEK (wrapped by `first`) when it has none:
/// any instance may race, one insert wins and all read it back.
pub async fn of_tenant_or_first(
    tx: &crate::db::TenantTx,
    first: impl FnOnce() -> String,
) -> Result<Arc<Vec<StoredKek>>, DbError> {
    let keks = of_tenant(tx).await?;
    if !keks.is_empty() {
        return Ok(keks);
    }
    tx.kek_parts().0.insert(tx.tenant(), 1, &first()).await?;
    of_tenant(tx).await
}

/// Adds KEK `version` to `tx`'s workspace; once `tx` commits every instance forgets the
/// versions it remembered, so the new one seals from then on. Returns whether it was added.
pub async fn add(
    tx: &mut crate::db::TenantTx,
    version: i32,
    wrapped: &str,
) -> Result<bool, DbError> {
    let tenant = tx.tenant();
    let added = tx.kek_parts().0.insert(tenant, version, wrapped).await?;
    announce(tx).await?;
    Ok(added)
}

/// Destroys every KEK of `tx`'s workspace, announced to every instance at commit.
pub async fn destroy(tx: &mut crate::db::TenantTx) -> Result<usize, DbError> {
    let tenant = tx.tenant();
    let n = tx.kek_parts().0.destroy(tenant).await?;
    announce(tx).await?;
    Ok(n)
}

/// The change feed's `tenant:` announcement, sent with `tx`'s commit (migration 17's
/// payload format), and forgotten here at once.
async fn announce(tx: &mut crate::db::TenantTx) -> Result<(), DbError> {
    let tenant = tx.tenant();
    tx.kek_parts()
        .1
        .apply(&super::memory::Change::Tenant(tenant));
    diesel::sql_query("SELECT pg_notify('identity_changes', 'tenant:' || $1::text)")
        .bind::<SqlUuid, _>(tenant.0)
        .execute(tx.conn()?)
        .await?;
    tx.forget_on_commit(super::memory::Change::Tenant(tenant));
    Ok(())
}
