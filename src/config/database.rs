//! Where the data and the workspaces' keys live: two PostgreSQL databases, so that no backup
//! of the data ever holds the keys that open it (crypto-shredding, README "Data lifecycle").

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Runtime role (`identity_app`): NOSUPERUSER NOBYPASSRLS, DML only.
    pub url: SecretString,
    /// Privileged connection that runs migrations; DDL runs as `identity_owner`.
    pub migrate_url: SecretString,
    /// The keys database for the runtime role. Default: `url` with `_keys` added to the
    /// database name.
    #[serde(default)]
    pub keys_url: Option<SecretString>,
    /// The keys database for migrations. Default: `migrate_url` with `_keys` added.
    #[serde(default)]
    pub keys_migrate_url: Option<SecretString>,
    #[serde(default = "default_pool_size")]
    pub pool_size: usize,
    #[serde(default = "default_db_timeout_ms")]
    pub acquire_timeout_ms: u64,
}

fn default_pool_size() -> usize {
    16
}
fn default_db_timeout_ms() -> u64 {
    2_000
}

impl DatabaseSettings {
    pub fn keys_url(&self) -> SecretString {
        self.keys_url
            .clone()
            .unwrap_or_else(|| keys_database_of(&self.url))
    }

    pub fn keys_migrate_url(&self) -> SecretString {
        self.keys_migrate_url
            .clone()
            .unwrap_or_else(|| keys_database_of(&self.migrate_url))
    }
}

/// `postgres://…/NAME?…` → `postgres://…/NAME_keys?…`. A URL without a database name gets
/// `identity_keys`.
pub fn keys_database_of(url: &SecretString) -> SecretString {
    let raw = url.expose_secret();
    let (base, query) = match raw.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (raw, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let out = match base[scheme_end..].find('/') {
        Some(i) if base.len() > scheme_end + i + 1 => format!("{base}_keys"),
        Some(_) => format!(
            "{}identity_keys",
            base.trim_end_matches('/').to_owned() + "/"
        ),
        None => format!("{base}/identity_keys"),
    };
    SecretString::from(match query {
        Some(q) => format!("{out}?{q}"),
        None => out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(url: &str) -> String {
        keys_database_of(&SecretString::from(url.to_string()))
            .expose_secret()
            .to_string()
    }

    #[test]
    fn the_keys_database_sits_beside_the_data() {
        assert_eq!(
            keys("postgres://a@h:5432/identity"),
            "postgres://a@h:5432/identity_keys"
        );
        assert_eq!(
            keys("postgres://a:p%40ss@h/crm?sslmode=verify-full&sslrootcert=/ca.pem"),
            "postgres://a:p%40ss@h/crm_keys?sslmode=verify-full&sslrootcert=/ca.pem"
        );
        assert_eq!(keys("postgres://a@h"), "postgres://a@h/identity_keys");
        assert_eq!(keys("postgres://a@h/"), "postgres://a@h/identity_keys");
    }
}
