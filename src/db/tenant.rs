//! The two ways into the database. [`TenantTx`] opens a transaction and sets
//! `app.tenant_id` with `SET LOCAL` semantics, so row-level security limits every statement
//! to that tenant; model functions also filter on [`TenantTx::tenant`] (second layer).
//! [`PlatformTx`] sets no tenant: tenant tables read as empty there.
//!
//! A transaction that is dropped without `commit` is rolled back by closing its connection,
//! so a tenant setting can never leak into the next user of a pooled connection.

use super::pool::PooledConn;
use super::DbError;
use crate::ids::TenantId;
use diesel::sql_types::Text;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};

/// An open transaction bound to one tenant.
pub struct TenantTx {
    conn: Option<PooledConn>,
    tenant: TenantId,
}

/// An open transaction with no tenant: the tenant registry and platform-owned tables.
pub struct PlatformTx {
    conn: Option<PooledConn>,
}

async fn begin(conn: &mut AsyncPgConnection) -> Result<(), DbError> {
    AnsiTransactionManager::begin_transaction(conn).await?;
    Ok(())
}

async fn set_tenant(conn: &mut AsyncPgConnection, tenant: TenantId) -> Result<(), DbError> {
    // `is_local = true`: the setting ends with the transaction.
    diesel::sql_query("SELECT set_config('app.tenant_id', $1, true)")
        .bind::<Text, _>(tenant.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

fn live(conn: &mut Option<PooledConn>) -> Result<&mut AsyncPgConnection, DbError> {
    conn.as_mut()
        .map(|c| &mut **c)
        .ok_or_else(|| DbError::Unavailable("transaction already finished".into()))
}

async fn finish(conn: &mut Option<PooledConn>, commit: bool) -> Result<(), DbError> {
    let c = live(conn)?;
    if commit {
        AnsiTransactionManager::commit_transaction(c).await?;
    } else {
        AnsiTransactionManager::rollback_transaction(c).await?;
    }
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
    pub(super) async fn begin(mut conn: PooledConn, tenant: TenantId) -> Result<Self, DbError> {
        begin(&mut conn).await?;
        let mut tx = TenantTx {
            conn: Some(conn),
            tenant,
        };
        set_tenant(tx.conn()?, tenant).await?;
        Ok(tx)
    }

    /// The tenant every statement in this transaction is limited to.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub(in crate::db) fn conn(&mut self) -> Result<&mut AsyncPgConnection, DbError> {
        live(&mut self.conn)
    }

    pub async fn commit(mut self) -> Result<(), DbError> {
        finish(&mut self.conn, true).await
    }

    pub async fn rollback(mut self) -> Result<(), DbError> {
        finish(&mut self.conn, false).await
    }
}

impl PlatformTx {
    pub(super) async fn begin(mut conn: PooledConn) -> Result<Self, DbError> {
        begin(&mut conn).await?;
        Ok(PlatformTx { conn: Some(conn) })
    }

    pub(in crate::db) fn conn(&mut self) -> Result<&mut AsyncPgConnection, DbError> {
        live(&mut self.conn)
    }

    /// Continues the same transaction as `tenant`, e.g. to create a tenant and its first
    /// rows atomically.
    pub async fn into_tenant(mut self, tenant: TenantId) -> Result<TenantTx, DbError> {
        let conn = self
            .conn
            .take()
            .ok_or_else(|| DbError::Unavailable("transaction already finished".into()))?;
        let mut tx = TenantTx {
            conn: Some(conn),
            tenant,
        };
        set_tenant(tx.conn()?, tenant).await?;
        Ok(tx)
    }

    pub async fn commit(mut self) -> Result<(), DbError> {
        finish(&mut self.conn, true).await
    }
}

impl Drop for TenantTx {
    fn drop(&mut self) {
        discard(&mut self.conn);
    }
}

impl Drop for PlatformTx {
    fn drop(&mut self) {
        discard(&mut self.conn);
    }
}
