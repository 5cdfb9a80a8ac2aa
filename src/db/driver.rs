//! Where the pool's connections live. diesel-async drives each connection on the runtime
//! that opened it (`tokio::spawn` at connect), yet the pool hands connections to every
//! runtime: actix's per-worker runtimes, the one `main` (or a test) prepared the service on,
//! the audit chainer's. A connection opened by a runtime that is later busy or blocked
//! (a test waiting on a browser that calls the service; a worker stuck in CPU work) then
//! stalls whoever holds it. Verified recycling (`SELECT 1` with a timeout on every checkout)
//! only hid this: the check timed out and the pool opened another connection, at the price of
//! a round trip per checkout; with `Fast` recycling the same connection hung its next query.
//!
//! So every connection is opened, and its socket driven, on a runtime of the pool's own (one
//! thread, nothing else on it); callers only exchange messages with it. Recycling is then
//! `Fast`: a checkout costs no round trip, and a dead connection is noticed by
//! `is_closed()` when recycled or fails its first statement.

use super::target::PgTarget;
use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::{ManagerConfig, RecyclingMethod};
use diesel_async::AsyncPgConnection;
use std::sync::Arc;

/// A pool of connections driven here, and one connection taken from it.
pub(super) type PgPool = Pool<AsyncPgConnection>;
pub(super) type PooledConn =
    deadpool::managed::Object<AsyncDieselConnectionManager<AsyncPgConnection>>;

/// The runtime that owns every connection of one pool; stopped when the pool goes.
pub(super) struct Driver {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Never blocks, so the last handle may go from inside any async context.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Driver {
    pub(super) fn start() -> std::io::Result<Arc<Self>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("db-connections")
            .enable_all()
            .build()?;
        Ok(Arc::new(Self {
            runtime: Some(runtime),
        }))
    }

    /// The pool's connection setup: connect to `target` (with its TLS) and drive on this
    /// runtime, `Fast` recycling. The URL the manager passes is ignored: `target` is it, read.
    pub(super) fn manager_config(
        self: &Arc<Self>,
        target: PgTarget,
    ) -> ManagerConfig<AsyncPgConnection> {
        let driver = self.clone();
        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        config.custom_setup = Box::new(move |_url| {
            let target = target.clone();
            let handle = driver.runtime.as_ref().map(|rt| rt.handle().clone());
            Box::pin(async move {
                let handle = handle.ok_or_else(|| bad("the connection runtime has stopped"))?;
                let client = handle
                    .spawn(async move {
                        let (client, connection) =
                            target.connect().await.map_err(|e| bad(&e.to_string()))?;
                        tokio::spawn(async move {
                            if let Err(e) = connection.await {
                                tracing::debug!(error = %e, "a database connection ended");
                            }
                        });
                        Ok::<_, ConnectionError>(client)
                    })
                    .await
                    .map_err(|e| bad(&e.to_string()))??;
                AsyncPgConnection::try_from(client).await
            })
        });
        config
    }
}

fn bad(text: &str) -> ConnectionError {
    ConnectionError::BadConnection(text.to_string())
}
