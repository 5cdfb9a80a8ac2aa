//! Connection pool for the runtime role, with short acquire timeouts so a database outage
//! turns into a clear 503 instead of piling up requests.

use super::audit_queue::AuditQueue;
use super::driver::{Driver, PgPool, PooledConn};
use super::feed::Feed;
use super::field_cipher::FieldCipher;
use super::kek_store::KekStore;
use super::memory::Memory;
use super::target::PgTarget;
use super::tenant::Shared;
use super::{DbError, Entry, PlatformTx, TenantTx};
use crate::ids::TenantId;
use anyhow::Context;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// Connections to the keys database: a KEK is read once per workspace while memory is
/// trusted, so a few suffice.
const KEK_POOL_SIZE: usize = 4;

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub url: SecretString,
    /// The keys database (`super::kek_store`), reached through a small pool of its own.
    pub keys_url: SecretString,
    pub max_size: usize,
    pub acquire_timeout: Duration,
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    settings: PoolSettings,
    target: PgTarget,
    audit_queue: AuditQueue,
    memory: Memory,
    feed: Feed,
    keks: KekStore,
    /// Seals personal data (set by [`Db::with_cipher`]).
    cipher: Option<Arc<dyn FieldCipher>>,
    /// Owns (and drives) every connection of `pool` (see `super::driver`).
    _driver: Arc<Driver>,
}

impl Db {
    pub fn connect(settings: &PoolSettings) -> anyhow::Result<Self> {
        let target = PgTarget::parse(settings.url.expose_secret()).context("database.url")?;
        let driver = Driver::start()?;
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
            settings.url.expose_secret(),
            driver.manager_config(target.clone()),
        );
        let pool = Pool::builder(manager)
            .max_size(settings.max_size)
            .wait_timeout(Some(settings.acquire_timeout))
            .create_timeout(Some(settings.acquire_timeout))
            .recycle_timeout(Some(settings.acquire_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        let keks = KekStore::connect(&settings.keys_url, KEK_POOL_SIZE, settings.acquire_timeout)?;
        Ok(Self {
            pool,
            keks,
            cipher: None,
            settings: settings.clone(),
            target,
            audit_queue: AuditQueue::default(),
            memory: Memory::default(),
            feed: Feed::default(),
            _driver: driver,
        })
    }

    /// The same database through a pool of its own with at most `max_size` connections,
    /// for a background worker: requests cannot take the connections it needs while it holds
    /// a lock (and, like every pool, its connections are driven by a runtime of their own).
    /// The new handle has its own (unused) audit queue and memory (never trusted).
    pub fn separate_pool(&self, max_size: usize) -> anyhow::Result<Self> {
        let db = Self::connect(&PoolSettings {
            max_size,
            ..self.settings.clone()
        })?;
        Ok(Self {
            cipher: self.cipher.clone(),
            ..db
        })
    }

    pub(super) async fn conn(&self) -> Result<PooledConn, DbError> {
        self.pool
            .get()
            .await
            .map_err(|e| DbError::Unavailable(e.to_string()))
    }

    /// Opens a transaction scoped to `tenant`: row-level security sees only its rows. A
    /// suspended or cancelled workspace is refused (`DbError::TenantNotActive`).
    pub async fn tenant(&self, tenant: TenantId) -> Result<TenantTx, DbError> {
        let queue = self.shared();
        TenantTx::begin(self.conn().await?, tenant, Entry::Active, queue).await
    }

    /// A read session scoped to `tenant` for hot read paths: each statement commits on its
    /// own (no multi-statement atomicity), with half the round trips of a transaction.
    pub async fn tenant_read(&self, tenant: TenantId) -> Result<TenantTx, DbError> {
        let queue = self.shared();
        TenantTx::begin_read(self.conn().await?, tenant, Entry::Active, queue).await
    }

    /// [`Db::tenant`] for upkeep that must reach a workspace whatever its status: operator
    /// commands and audit chaining. Never for a request path.
    pub async fn tenant_any_status(&self, tenant: TenantId) -> Result<TenantTx, DbError> {
        let queue = self.shared();
        TenantTx::begin(self.conn().await?, tenant, Entry::Any, queue).await
    }

    /// [`Db::tenant_read`] whatever the workspace's status (see [`Db::tenant_any_status`]).
    pub async fn tenant_read_any_status(&self, tenant: TenantId) -> Result<TenantTx, DbError> {
        let queue = self.shared();
        TenantTx::begin_read(self.conn().await?, tenant, Entry::Any, queue).await
    }

    /// Opens a transaction with no tenant set: only platform tables are visible.
    pub async fn platform(&self) -> Result<PlatformTx, DbError> {
        PlatformTx::begin(self.conn().await?, self.shared()).await
    }

    fn shared(&self) -> Shared {
        (
            self.audit_queue.clone(),
            self.memory.clone(),
            self.keks.clone(),
            self.cipher.clone(),
        )
    }

    /// This handle, able to seal and read personal data (`super::personal_keys`). Without
    /// it, reading or writing a person's fields fails (nothing is ever stored in clear).
    pub fn with_cipher(mut self, cipher: Arc<dyn FieldCipher>) -> Self {
        self.cipher = Some(cipher);
        self
    }

    /// The keys database (each workspace's key-encryption keys).
    pub fn keks(&self) -> &KekStore {
        &self.keks
    }

    /// What this instance remembers of the database (trusted only while its change feed is).
    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    /// This instance's change feed (started by [`Db::start_feed`]).
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// The runtime role's server, for the change feed's own connection.
    pub(super) fn target(&self) -> &PgTarget {
        &self.target
    }

    /// The tenants with audit entries waiting to be chained (`crate::audit::chainer`).
    pub fn audit_queue(&self) -> &AuditQueue {
        &self.audit_queue
    }

    /// Readiness probe: a round trip to the server.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }
}
