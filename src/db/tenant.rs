//! The two ways into the database. [`TenantTx`] sets `app.tenant_id`, so row-level
//! security limits every statement to that tenant; model functions also filter on
//! [`TenantTx::tenant`] (second layer). [`PlatformTx`] clears the setting: tenant tables
//! read as empty there.
//!
//! A `TenantTx` is either a transaction (`SET LOCAL` semantics: the setting ends with it) or,
//! for hot read paths, a read session: the setting is made for the session and each
//! statement commits on its own, which halves the round trips. Every way in sets or clears
//! the tenant first, so a value left on a pooled connection is always overwritten before
//! use. A transaction dropped without `commit` is rolled back by closing its connection, so
//! it never returns to the pool half-done.

use super::audit_queue::AuditQueue;
use super::driver::PooledConn;
use super::field_cipher::FieldCipher;
use super::kek_store::KekStore;
use super::memory::{Change, Memory};
use super::models::audit_pending::{self as pending, PendingEntry};
use super::prepared::Commit;
use super::DbError;
use crate::ids::TenantId;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use std::sync::Arc;

/// What every transaction of one [`super::Db`] shares.
pub(super) type Shared = (AuditQueue, Memory, KekStore, Option<Arc<dyn FieldCipher>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Transaction,
    ReadSession,
}

/// An open transaction (or read session) bound to one tenant.
pub struct TenantTx {
    conn: Option<PooledConn>,
    tenant: TenantId,
    mode: Mode,
    /// Audit entries of this transaction, written together with COMMIT in one round trip.
    staged_audit: Vec<PendingEntry>,
    /// Told which tenant has entries to chain once they are committed.
    audit_queue: AuditQueue,
    /// What this instance remembers of the database, and what to forget once committed.
    memory: Memory,
    forget: Vec<Change>,
    /// The keys database, for the workspace's key-encryption keys.
    keks: KekStore,
    /// Seals personal data (`super::personal_keys`); absent on a handle that cannot.
    cipher: Option<Arc<dyn FieldCipher>>,
}

/// An open transaction with no tenant: the tenant registry and platform-owned tables.
pub struct PlatformTx {
    conn: Option<PooledConn>,
    audit_queue: AuditQueue,
    memory: Memory,
    keks: KekStore,
    cipher: Option<Arc<dyn FieldCipher>>,
}

/// How a tenant is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Every request path: a suspended or cancelled workspace is refused
    /// ([`DbError::TenantNotActive`](super::DbError::TenantNotActive)) by the statement that
    /// binds it (`identity_enter_tenant`), at no extra round trip.
    Active,
    /// The operator's and the service's own upkeep (CLI commands, audit chaining): any status.
    Any,
}

/// The statement that binds `tenant`. A `Uuid` renders as hex and dashes only, so it is
/// safe to place in SQL text; this lets BEGIN and the setting share one round trip.
fn set_tenant_sql(tenant: TenantId, local: bool, entry: Entry) -> String {
    let id = tenant.0.hyphenated();
    match entry {
        Entry::Active => format!("SELECT identity_enter_tenant('{id}', {local})"),
        Entry::Any => format!("SELECT set_config('app.tenant_id', '{id}', {local})"),
    }
}

fn live(conn: &mut Option<PooledConn>) -> Result<&mut AsyncPgConnection, DbError> {
    conn.as_mut()
        .map(|c| &mut **c)
        .ok_or_else(|| DbError::Unavailable("transaction already finished".into()))
}

async fn finish(conn: &mut Option<PooledConn>, sql: &str) -> Result<(), DbError> {
    live(conn)?.batch_execute(sql).await?;
    // Only a cleanly finished transaction returns its connection to the pool.
    conn.take();
    Ok(())
}

/// Never return a connection with an open transaction to the pool: detach and close it.
fn discard(conn: &mut Option<PooledConn>) {
    if let Some(c) = conn.take() {
        drop(deadpool::managed::Object::take(c));
    }
}

impl TenantTx {
    pub(super) async fn begin(
        conn: PooledConn,
        tenant: TenantId,
        entry: Entry,
        (audit_queue, memory, keks, cipher): Shared,
    ) -> Result<Self, DbError> {
        // The guard owns the connection before the first await: if this future is dropped
        // half-way, Drop closes the connection instead of pooling an open transaction.
        let mut tx = TenantTx {
            conn: Some(conn),
            tenant,
            mode: Mode::Transaction,
            staged_audit: Vec::new(),
            audit_queue,
            memory,
            forget: Vec::new(),
            keks,
            cipher,
        };
        let sql = format!("BEGIN; {}", set_tenant_sql(tenant, true, entry));
        tx.conn()?.batch_execute(&sql).await?;
        Ok(tx)
    }

    pub(super) async fn begin_read(
        mut conn: PooledConn,
        tenant: TenantId,
        entry: Entry,
        (audit_queue, memory, keks, cipher): Shared,
    ) -> Result<Self, DbError> {
        conn.batch_execute(&set_tenant_sql(tenant, false, entry))
            .await?;
        Ok(TenantTx {
            conn: Some(conn),
            tenant,
            mode: Mode::ReadSession,
            staged_audit: Vec::new(),
            audit_queue,
            memory,
            forget: Vec::new(),
            keks,
            cipher,
        })
    }

    /// The tenant every statement here is limited to.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub(in crate::db) fn conn(&mut self) -> Result<&mut AsyncPgConnection, DbError> {
        live(&mut self.conn)
    }

    /// The keys database (the crypto layer makes a workspace's first KEK through it).
    pub fn keks(&self) -> &KekStore {
        &self.keks
    }

    /// What seals personal data; an error on a handle made without it.
    pub(in crate::db) fn field_cipher(&self) -> Result<Arc<dyn FieldCipher>, DbError> {
        self.cipher.clone().ok_or_else(|| {
            DbError::Unavailable("this handle has no key to read personal data".into())
        })
    }

    /// The keys database and this instance's memory (`super::kek_store`).
    pub(in crate::db) fn kek_parts(&self) -> (&KekStore, &Memory) {
        (&self.keks, &self.memory)
    }

    /// This instance forgets what `change` names once the transaction commits, without
    /// waiting for the change feed (which tells every other instance).
    pub(in crate::db) fn forget_on_commit(&mut self, change: Change) {
        self.forget.push(change);
    }

    fn forget_now(&mut self) {
        for change in self.forget.drain(..) {
            self.memory.apply(&change);
        }
    }

    /// Adds an audit entry: in a transaction it is written with COMMIT (and so only if the
    /// action commits); in a read session at once. Either way the chainer is told once the
    /// entry is stored.
    pub async fn add_audit(&mut self, entry: PendingEntry) -> Result<(), DbError> {
        match self.mode {
            Mode::Transaction => self.staged_audit.push(entry),
            Mode::ReadSession => {
                pending::insert_shared(live(&mut self.conn)?, std::slice::from_ref(&entry)).await?;
                self.audit_queue.mark(self.tenant);
            }
        }
        Ok(())
    }

    /// The audit entries this transaction will write with COMMIT, for an erasure to replace
    /// the person in them before they are written (`crate::audit::erasure`).
    pub(crate) fn staged_audit_mut(&mut self) -> &mut [PendingEntry] {
        &mut self.staged_audit
    }

    pub async fn commit(mut self) -> Result<(), DbError> {
        match self.mode {
            Mode::Transaction if !self.staged_audit.is_empty() => {
                let entries = std::mem::take(&mut self.staged_audit);
                let conn: &AsyncPgConnection = live(&mut self.conn)?;
                // Pipelined: the insert and COMMIT leave together and the server runs them
                // in order; a failed insert turns COMMIT into a rollback. The insert is sent
                // first: diesel-async sends a query as it releases the connection's
                // statement-cache lock, which waiters get in turn, and try_join polls the
                // insert first.
                let insert = pending::insert_shared(conn, &entries);
                let commit = Commit.execute(&mut &*conn);
                futures_util::future::try_join(insert, async {
                    commit.await.map_err(DbError::from)
                })
                .await?;
                self.conn.take();
                self.audit_queue.mark(self.tenant);
                self.forget_now();
                Ok(())
            }
            Mode::Transaction => {
                finish(&mut self.conn, "COMMIT").await?;
                self.forget_now();
                Ok(())
            }
            Mode::ReadSession => {
                self.conn.take();
                self.forget_now();
                Ok(())
            }
        }
    }

    pub async fn rollback(mut self) -> Result<(), DbError> {
        match self.mode {
            Mode::Transaction => finish(&mut self.conn, "ROLLBACK").await,
            Mode::ReadSession => {
                self.conn.take();
                Ok(())
            }
        }
    }
}

impl PlatformTx {
    pub(super) async fn begin(
        conn: PooledConn,
        (audit_queue, memory, keks, cipher): Shared,
    ) -> Result<Self, DbError> {
        let mut tx = PlatformTx {
            conn: Some(conn),
            audit_queue,
            memory,
            keks,
            cipher,
        };
        // Clear any tenant a read session left on this connection.
        tx.conn()?
            .batch_execute("BEGIN; SELECT set_config('app.tenant_id', '', true)")
            .await?;
        Ok(tx)
    }

    pub(in crate::db) fn conn(&mut self) -> Result<&mut AsyncPgConnection, DbError> {
        live(&mut self.conn)
    }

    /// The keys database (platform key rotation, the purge).
    pub fn keks(&self) -> &KekStore {
        &self.keks
    }

    /// Continues the same transaction as `tenant`, e.g. to create a tenant and its first
    /// rows atomically (platform work: any status).
    pub async fn into_tenant(mut self, tenant: TenantId) -> Result<TenantTx, DbError> {
        let conn = self
            .conn
            .take()
            .ok_or_else(|| DbError::Unavailable("transaction already finished".into()))?;
        let mut tx = TenantTx {
            conn: Some(conn),
            tenant,
            mode: Mode::Transaction,
            staged_audit: Vec::new(),
            audit_queue: self.audit_queue.clone(),
            memory: self.memory.clone(),
            forget: Vec::new(),
            keks: self.keks.clone(),
            cipher: self.cipher.clone(),
        };
        tx.conn()?
            .batch_execute(&set_tenant_sql(tenant, true, Entry::Any))
            .await?;
        Ok(tx)
    }

    pub async fn commit(mut self) -> Result<(), DbError> {
        finish(&mut self.conn, "COMMIT").await
    }
}

impl Drop for TenantTx {
    fn drop(&mut self) {
        if self.mode == Mode::Transaction {
            discard(&mut self.conn);
        }
    }
}

impl Drop for PlatformTx {
    fn drop(&mut self) {
        discard(&mut self.conn);
    }
}
