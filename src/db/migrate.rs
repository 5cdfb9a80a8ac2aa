//! Embedded diesel migrations, run over the privileged `database.migrate_url` connection
//! (with the same TLS rules as every other connection, see `super::target`): the data
//! database's, and the keys database's (`super::kek_store`), which is made when missing.

use super::target::PgTarget;
use anyhow::{anyhow, bail, Context};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use secrecy::{ExposeSecret, SecretString};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");
pub const KEY_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations_keys");

/// Applies the data database's pending migrations; returns the versions applied.
pub async fn run(url: &SecretString) -> anyhow::Result<Vec<String>> {
    apply(url, "database.migrate_url", MIGRATIONS).await
}

/// Makes the keys database when it is missing (over `data_url`, which needs CREATEDB for
/// that), then applies its pending migrations.
pub async fn run_keys(
    keys_url: &SecretString,
    data_url: &SecretString,
) -> anyhow::Result<Vec<String>> {
    let target = PgTarget::parse(keys_url.expose_secret()).context("database.keys_migrate_url")?;
    let name = target.dbname().unwrap_or_default().to_string();
    if let Err(e) = target.connect().await {
        if e.code() != Some(&tokio_postgres::error::SqlState::INVALID_CATALOG_NAME) {
            return Err(anyhow!("connecting with database.keys_migrate_url: {e}"));
        }
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!("the keys database name must be letters, digits and underscores");
        }
        let data = PgTarget::parse(data_url.expose_secret()).context("database.migrate_url")?;
        let (client, connection) = data
            .connect()
            .await
            .context("connecting with database.migrate_url")?;
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| format!("the keys database {name} is missing and could not be made; create it (owner with CREATE on it) and run migrate again"))?;
    }
    apply(keys_url, "database.keys_migrate_url", KEY_MIGRATIONS).await
}

async fn apply(
    url: &SecretString,
    setting: &'static str,
    migrations: EmbeddedMigrations,
) -> anyhow::Result<Vec<String>> {
    let target = PgTarget::parse(url.expose_secret()).context(setting)?;
    let (client, connection) = target
        .connect()
        .await
        .with_context(|| format!("connecting with {setting}"))?;
    let conn = AsyncPgConnection::try_from_client_and_connection(client, connection)
        .await
        .with_context(|| format!("connecting with {setting}"))?;
    // diesel's migration harness is synchronous: it runs on a blocking thread and drives
    // the connection through this runtime.
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
        let applied = conn
            .run_pending_migrations(migrations)
            .map_err(|e| anyhow!("migration failed: {e}"))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    })
    .await
    .context("migration task")?
}
