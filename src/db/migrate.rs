//! Embedded diesel migrations, run over the privileged `database.migrate_url` connection
//! (with the same TLS rules as every other connection, see `super::target`).

use super::target::PgTarget;
use anyhow::{anyhow, Context};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use secrecy::{ExposeSecret, SecretString};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Applies pending migrations; returns the versions applied.
pub async fn run(url: &SecretString) -> anyhow::Result<Vec<String>> {
    let target = PgTarget::parse(url.expose_secret()).context("database.migrate_url")?;
    let (client, connection) = target
        .connect()
        .await
        .context("connecting with database.migrate_url")?;
    let conn = AsyncPgConnection::try_from_client_and_connection(client, connection)
        .await
        .context("connecting with database.migrate_url")?;
    // diesel's migration harness is synchronous: it runs on a blocking thread and drives
    // the connection through this runtime.
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow!("migration failed: {e}"))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    })
    .await
    .context("migration task")?
}
