//! Typed settings: a YAML file plus `IDENTITY__SECTION__KEY` environment overrides.
//! Built once in `main` and passed down; nothing reads the environment after start-up.

use anyhow::{bail, Context};
use ipnet::IpNet;
use secrecy::SecretString;
use serde::Deserialize;
use serde_yaml::Value;
use std::path::Path;

mod database;
mod development;
mod retention;
pub use database::{keys_database_of, DatabaseSettings};
pub use development::{is_loopback_url, DevelopmentSettings};
pub use retention::RetentionSettings;

/// Prefix of environment overrides: `IDENTITY__DATABASE__URL` sets `database.url`.
pub const ENV_PREFIX: &str = "IDENTITY__";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub rate_limits: RateLimitSettings,
    pub tokens: TokenSettings,
    pub mail: MailSettings,
    #[serde(default)]
    pub sessions: SessionSettings,
    #[serde(default)]
    pub log: LogSettings,
    #[serde(default)]
    pub sso: SsoSettings,
    #[serde(default)]
    pub retention: RetentionSettings,
    /// Local checkout conveniences; absent in production.
    #[serde(default)]
    pub development: Option<DevelopmentSettings>,
}

/// Enterprise SSO.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoSettings {
    /// Lets OIDC connections use http and loopback or private addresses (development and
    /// tests, where the provider runs on this machine). Never in production: the issuer is
    /// chosen by workspace admins, and this would let them reach internal services.
    #[serde(default)]
    pub allow_private_networks: bool,
    /// How often SAML metadata configured by URL is fetched again (a signing-key rollover
    /// is taken from there). Daily by default.
    #[serde(default = "default_metadata_refresh_secs")]
    pub metadata_refresh_secs: u64,
}

fn default_metadata_refresh_secs() -> u64 {
    86_400
}

impl SsoSettings {
    pub fn metadata_refresh(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.metadata_refresh_secs.clamp(1, 365 * 86_400) as i64)
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    /// A session unused this long ends.
    pub idle_timeout_secs: i64,
    /// No session lives longer than this after sign-in.
    pub absolute_timeout_secs: i64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 2 * 3600,
            absolute_timeout_secs: 12 * 3600,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP: only for a relay on the same host or a test server.
    None,
    /// STARTTLS upgrade on the submission port.
    #[default]
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// `From` of every message, e.g. `Identity <no-reply@example.com>`.
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    #[serde(default)]
    pub tls: SmtpTls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<SecretString>,
    /// How often the sender looks for due messages.
    #[serde(default = "default_mail_poll")]
    pub poll_interval_ms: u64,
    /// Attempts before a message is marked failed; retries back off exponentially.
    #[serde(default = "default_mail_attempts")]
    pub max_attempts: i32,
    #[serde(default = "default_mail_timeout")]
    pub timeout_ms: u64,
}

fn default_mail_poll() -> u64 {
    1_000
}
fn default_mail_attempts() -> i32 {
    8
}
fn default_mail_timeout() -> u64 {
    10_000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSettings {
    /// The exact `iss` of every token.
    pub issuer: String,
    /// Audience of tokens accepted by the admin API.
    pub admin_audience: String,
    /// Audiences an API key may be exchanged for (the admin audience is always allowed).
    #[serde(default)]
    pub api_key_audiences: Vec<String>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    #[serde(default = "default_leeway")]
    pub leeway_secs: u64,
    /// No token lives longer; retired keys stay published this long (plus leeway).
    #[serde(default = "default_max_ttl")]
    pub max_token_ttl_secs: i64,
    /// Lifetime of a JWT obtained by exchanging an API key.
    #[serde(default = "default_api_key_token_ttl")]
    pub api_key_token_ttl_secs: i64,
    /// How long a new signing key is published before it signs.
    #[serde(default = "default_publish_ahead")]
    pub key_publish_ahead_secs: i64,
    /// How often each instance reloads signing keys.
    #[serde(default = "default_key_refresh")]
    pub key_refresh_secs: u64,
    /// `Cache-Control: max-age` of the JWKS; keep it well below `key_publish_ahead_secs`.
    #[serde(default = "default_jwks_max_age")]
    pub jwks_max_age_secs: u64,
    /// Default overlap of a rotated client secret or API key.
    #[serde(default = "default_overlap")]
    pub rotation_overlap_secs: i64,
}

fn default_leeway() -> u64 {
    30
}
fn default_max_ttl() -> i64 {
    3600
}
fn default_api_key_token_ttl() -> i64 {
    300
}
fn default_publish_ahead() -> i64 {
    3600
}
fn default_key_refresh() -> u64 {
    30
}
fn default_jwks_max_age() -> u64 {
    300
}
fn default_overlap() -> i64 {
    86_400
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// The externally visible base URL (used for issuer and links).
    pub public_url: String,
    /// Actix worker threads; defaults to the number of cores.
    #[serde(default)]
    pub workers: Option<usize>,
    /// Peers whose `X-Forwarded-For` is believed. Empty: the TCP peer is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<IpNet>,
    /// Threads that may run bcrypt at once (sign-in throughput is this divided by the time
    /// of one bcrypt check); defaults to the number of cores.
    #[serde(default)]
    pub password_hash_threads: Option<usize>,
    /// Largest request body accepted, in bytes.
    #[serde(default = "default_body_limit")]
    pub max_body_bytes: usize,
}

fn default_body_limit() -> usize {
    64 * 1024
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// `rediss://` for TLS (the certificate and host name are verified), `redis://` in clear.
    pub url: SecretString,
    /// PEM file of the authorities a `rediss://` server's certificate must chain to; the
    /// system's when absent.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
    /// Prefix of every key this service writes, so environments can share a server.
    #[serde(default = "default_key_prefix")]
    pub key_prefix: String,
    /// Short on purpose: a limiter that waits for Redis is a limiter that lets floods queue.
    #[serde(default = "default_redis_timeout_ms")]
    pub connect_timeout_ms: u64,
    #[serde(default = "default_redis_timeout_ms")]
    pub response_timeout_ms: u64,
}

fn default_key_prefix() -> String {
    "identity:".into()
}
fn default_redis_timeout_ms() -> u64 {
    300
}

/// One budget: at most `limit` requests in any `window_secs` long window.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub limit: u32,
    pub window_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Every request from one client IP (health and metrics excepted).
    pub global_per_ip: Budget,
    /// Token endpoint, per authenticated client (or per API key for exchanges).
    pub token_per_client: Budget,
    /// Introspection and revocation, per authenticated client.
    pub introspect_per_client: Budget,
    /// Sign-in attempts per client IP.
    #[serde(default = "default_signin_per_ip")]
    pub signin_per_ip: Budget,
    /// Sign-in attempts per account (the answer slows down after a few).
    #[serde(default = "default_signin_per_account")]
    pub signin_per_account: Budget,
    /// Password reset requests per client IP.
    #[serde(default = "default_signin_per_ip")]
    pub reset_per_ip: Budget,
    /// Password reset requests per account.
    #[serde(default = "default_reset_per_account")]
    pub reset_per_account: Budget,
    /// TOTP and recovery-code tries per account: a budget of its own, apart from passwords.
    #[serde(default = "default_mfa_per_account")]
    pub mfa_per_account: Budget,
    /// SCIM requests per client IP, in place of `global_per_ip`: identity providers push
    /// bursts from a few addresses.
    #[serde(default = "default_scim")]
    pub scim_per_ip: Budget,
    /// SCIM requests per SCIM token.
    #[serde(default = "default_scim")]
    pub scim_per_token: Budget,
}

fn default_scim() -> Budget {
    Budget {
        limit: 6000,
        window_secs: 60,
    }
}

fn default_mfa_per_account() -> Budget {
    Budget {
        limit: 5,
        window_secs: 300,
    }
}

fn default_signin_per_ip() -> Budget {
    Budget {
        limit: 20,
        window_secs: 900,
    }
}
fn default_signin_per_account() -> Budget {
    Budget {
        limit: 10,
        window_secs: 900,
    }
}
fn default_reset_per_account() -> Budget {
    Budget {
        limit: 5,
        window_secs: 3600,
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Json,
    Pretty,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `tracing` filter directive, e.g. `info` or `identity=debug,info`.
    #[serde(default = "default_log_level")]
    pub level: String,
    #[serde(default)]
    pub format: LogFormat,
}

fn default_log_level() -> String {
    "info".into()
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: default_log_level(),
            format: LogFormat::Json,
        }
    }
}

impl Settings {
    /// Reads `path` and applies the process environment's overrides.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        let mut settings = Self::from_yaml_and_env(&text, std::env::vars())?;
        if let Some(dev) = &mut settings.development {
            dev.anchor(path);
        }
        Ok(settings)
    }

    /// Parses YAML text, then applies `IDENTITY__A__B=value` pairs from `env`.
    pub fn from_yaml_and_env(
        yaml: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut tree: Value =
            serde_yaml::from_str(yaml).context("config file is not valid YAML")?;
        for (key, value) in env {
            let Some(path) = key.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let segments: Vec<String> = path.split("__").map(|s| s.to_ascii_lowercase()).collect();
            if segments.iter().any(String::is_empty) {
                bail!("malformed override {key}: empty path segment");
            }
            set_path(&mut tree, &segments, &value)
                .with_context(|| format!("applying override {key}"))?;
        }
        // The error text names the field, never its value.
        let settings: Self = serde_yaml::from_value(tree).context("invalid configuration")?;
        if settings.development.is_some() && !is_loopback_url(&settings.server.public_url) {
            bail!("the development section is for a local checkout only, and server.public_url is not a loopback address");
        }
        Ok(settings)
    }
}

/// Sets `tree[segments...] = raw`, keeping the type of an existing string value so that
/// `IDENTITY__REDIS__KEY_PREFIX=123` stays a string while `..._PORT=8081` becomes a number.
fn set_path(tree: &mut Value, segments: &[String], raw: &str) -> anyhow::Result<()> {
    let mut node = tree;
    for (i, seg) in segments.iter().enumerate() {
        if !node.is_mapping() {
            if node.is_null() {
                *node = Value::Mapping(Default::default());
            } else {
                bail!("{} is not a section", segments[..i].join("."));
            }
        }
        let map = match node.as_mapping_mut() {
            Some(m) => m,
            None => bail!("{} is not a section", segments[..i].join(".")),
        };
        node = map.entry(Value::String(seg.clone())).or_insert(Value::Null);
    }
    let parsed: Value = serde_yaml::from_str(raw).unwrap_or_else(|_| Value::String(raw.into()));
    *node = match (&*node, parsed) {
        (Value::String(_), _) => Value::String(raw.into()),
        (_, v) => v,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const BASE: &str = r#"
server: { host: 127.0.0.1, port: 8080, public_url: "http://127.0.0.1:8080" }
database: { url: "postgres://a@h/db", migrate_url: "postgres://b@h/db" }
redis: { url: "redis://127.0.0.1:6379", key_prefix: "x:" }
rate_limits:
  global_per_ip: { limit: 300, window_secs: 60 }
  token_per_client: { limit: 3000, window_secs: 60 }
  introspect_per_client: { limit: 60000, window_secs: 60 }
tokens: { issuer: "http://127.0.0.1:8080", admin_audience: "http://127.0.0.1:8080/admin" }
mail: { from: "Identity <no-reply@identity.test>", smtp_host: 127.0.0.1, smtp_port: 2525, tls: none }
"#;

    #[test]
    fn env_overrides_nested_keys_and_keep_types() {
        let env = vec![
            ("IDENTITY__SERVER__PORT".to_string(), "9090".to_string()),
            ("IDENTITY__REDIS__KEY_PREFIX".to_string(), "123".to_string()),
            (
                "IDENTITY__RATE_LIMITS__GLOBAL_PER_IP__LIMIT".to_string(),
                "5".to_string(),
            ),
            (
                "IDENTITY__DATABASE__URL".to_string(),
                "postgres://c@h/x".to_string(),
            ),
            ("UNRELATED".to_string(), "1".to_string()),
        ];
        let s = Settings::from_yaml_and_env(BASE, env).unwrap();
        assert_eq!(s.server.port, 9090);
        assert_eq!(s.redis.key_prefix, "123");
        assert_eq!(s.rate_limits.global_per_ip.limit, 5);
        assert_eq!(s.database.url.expose_secret(), "postgres://c@h/x");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let env = vec![("IDENTITY__SERVER__PROT".to_string(), "1".to_string())];
        let err = Settings::from_yaml_and_env(BASE, env).unwrap_err();
        assert!(format!("{err:#}").contains("prot"), "{err:#}");
    }

    #[test]
    fn secrets_are_not_printed_by_debug() {
        let s = Settings::from_yaml_and_env(BASE, Vec::new()).unwrap();
        let dump = format!("{s:?}");
        assert!(!dump.contains("postgres://a@h/db"), "{dump}");
    }
}
