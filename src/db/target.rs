//! Where a PostgreSQL server is and how to reach it safely. The connection URL is read as
//! libpq reads it for TLS: `sslmode` (`disable`, `require`, `verify-full`) and `sslrootcert`
//! (a PEM file of trusted authorities), which tokio-postgres does not take, are read here and
//! everything else is handed on. Every connection (pool, change feed, migrations) goes
//! through [`PgTarget::connect`], so none of them can end up in clear by accident.

use anyhow::{anyhow, bail, Context};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use tokio_postgres::config::{Host, SslMode as WireMode};
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Config, Connection, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

/// What the connection asks of the server's TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// In clear. The default only for a loopback address or a Unix socket.
    Disable,
    /// Encrypted, but whoever answers is believed (a passive listener learns nothing).
    Require,
    /// Encrypted to a server whose certificate chains to the trusted authorities and names
    /// the host connected to. The default for every other host.
    VerifyFull,
}

/// The stream a connection runs on (plain or TLS, decided per connection).
pub type PgStream = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream;

/// A parsed connection URL with its TLS settings; cheap to clone.
#[derive(Clone)]
pub struct PgTarget {
    config: Config,
    tls: MakeRustlsConnect,
    mode: SslMode,
}

impl PgTarget {
    /// Reads a `postgres://` URL and the CA file it names. Errors name the problem, never
    /// the URL (it holds a password).
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let (mut config, mode, root_cert) = read(url)?;
        let tls = tls_for(mode, root_cert.as_deref())?;
        config.ssl_mode(match mode {
            SslMode::Disable => WireMode::Disable,
            SslMode::Require | SslMode::VerifyFull => WireMode::Require,
        });
        Ok(Self { config, tls, mode })
    }

    /// The mode `url` asks for (or gets by default), without reading any file.
    pub fn mode_of(url: &str) -> anyhow::Result<SslMode> {
        Ok(read(url)?.1)
    }

    pub fn mode(&self) -> SslMode {
        self.mode
    }

    /// The database the URL names.
    pub fn dbname(&self) -> Option<&str> {
        self.config.get_dbname()
    }

    /// One new connection; the caller drives the returned `Connection`.
    pub async fn connect(
        &self,
    ) -> Result<(Client, Connection<Socket, PgStream>), tokio_postgres::Error> {
        self.config.connect(self.tls.clone()).await
    }
}

/// The URL without libpq's TLS parameters, the mode, and the CA file named.
fn read(url: &str) -> anyhow::Result<(Config, SslMode, Option<PathBuf>)> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    if !(base.starts_with("postgres://") || base.starts_with("postgresql://")) {
        bail!("the database URL must be a postgres:// URL");
    }
    let mut mode = None;
    let mut root_cert = None;
    let mut rest = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "sslmode" => mode = Some(mode_named(&value)?),
            "sslrootcert" => root_cert = Some(PathBuf::from(&*value)),
            _ => {
                rest.append_pair(&key, &value);
            }
        }
    }
    let rest = rest.finish();
    let handed_on = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{rest}")
    };
    let config: Config = handed_on
        .parse()
        .map_err(|e| anyhow!("the database URL is not valid: {e}"))?;
    let mode = mode.unwrap_or_else(|| default_mode(&config));
    Ok((config, mode, root_cert))
}

fn mode_named(value: &str) -> anyhow::Result<SslMode> {
    Ok(match value {
        "disable" => SslMode::Disable,
        "require" => SslMode::Require,
        "verify-full" => SslMode::VerifyFull,
        other => bail!(
            "sslmode={other} is not supported: use disable, require or verify-full (verify-ca \
             and prefer would accept a server of the wrong name or no TLS at all)"
        ),
    })
}

/// In clear only where nothing crosses a network: every host a loopback address or a socket.
fn default_mode(config: &Config) -> SslMode {
    let local = config.get_hosts().iter().all(|host| match host {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
    });
    if local && !config.get_hosts().is_empty() {
        SslMode::Disable
    } else {
        SslMode::VerifyFull
    }
}

fn tls_for(mode: SslMode, root_cert: Option<&Path>) -> anyhow::Result<MakeRustlsConnect> {
    let config = match (mode, root_cert) {
        (SslMode::VerifyFull, roots) => crate::tls::verifying(roots),
        (_, Some(_)) => bail!("sslrootcert is used only with sslmode=verify-full"),
        (SslMode::Require, None) => crate::tls::encrypting_only(),
        // Never used for a handshake (the wire mode is Disable), but one connector type
        // keeps every connection the same type.
        (SslMode::Disable, None) => crate::tls::encrypting_only(),
    };
    Ok(MakeRustlsConnect::new(
        config.context("the database TLS settings")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_of(url: &str) -> SslMode {
        PgTarget::parse(url)
            .map(|t| t.mode())
            .unwrap_or(SslMode::Disable)
    }

    #[test]
    fn plain_text_is_the_default_only_on_this_machine() {
        assert_eq!(mode_of("postgres://a@127.0.0.1/db"), SslMode::Disable);
        assert_eq!(mode_of("postgres://a@localhost:5433/db"), SslMode::Disable);
        assert_eq!(mode_of("postgres://a@db.internal/db"), SslMode::VerifyFull);
        assert_eq!(
            mode_of("postgres://a@db.internal/db?sslmode=require"),
            SslMode::Require
        );
    }

    #[test]
    fn modes_that_trust_the_wrong_server_are_refused_with_a_reason() {
        for mode in ["prefer", "allow", "verify-ca", "bogus"] {
            let err = PgTarget::parse(&format!("postgres://a:secret@h/db?sslmode={mode}"))
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default();
            assert!(err.contains("not supported"), "{mode}: {err}");
            assert!(!err.contains("secret"), "{err}");
        }
        let err = PgTarget::parse("postgres://a@h/db?sslmode=require&sslrootcert=/x.pem");
        assert!(err.is_err());
    }

    #[test]
    fn other_parameters_are_handed_on() {
        let target =
            PgTarget::parse("postgres://a@127.0.0.1/db?sslmode=disable&application_name=identity");
        let name = target.map(|t| t.config.get_application_name().map(str::to_owned));
        assert_eq!(name.ok().flatten().as_deref(), Some("identity"));
    }
}
