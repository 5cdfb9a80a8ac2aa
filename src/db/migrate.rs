//! Embedded diesel migrations, run over the privileged `database.migrate_url` connection.

use anyhow::{anyhow, Context};
use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use secrecy::{ExposeSecret, SecretString};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Applies pending migrations; returns the versions applied.
pub async fn run(url: &SecretString) -> anyhow::Result<Vec<String>> {
    let url = url.expose_secret().to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .context("connecting with database.migrate_url")?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow!("migration failed: {e}"))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    })
    .await
    .context("migration task")?
}
