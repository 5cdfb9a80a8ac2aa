//! Redis-backed rate limiter shared by every instance, failing closed. Every budget a
//! request is charged is checked in one Lua script call, all or nothing (`script`): small
//! budgets (up to [`EXACT_LIMIT_MAX`], e.g. sign-in, reset, per-IP) exactly, with a
//! sliding-window log; large throughput budgets (per-client token and introspection) with a
//! sliding-window counter, from which an instance takes leases it admits from locally
//! (`leases`), so a busy client costs a Redis call per lease, not per request. When Redis is
//! unreachable or slower than the configured timeouts, callers get
//! [`LimiterError::Unavailable`] and must refuse; leases expire within the same deadline.

mod leases;
mod script;

use crate::config::{Budget, RedisSettings};
use anyhow::Context;
use leases::Leases;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use leases::{max_lease, MAX_LEASE};

/// Budgets up to this many requests per window are counted exactly.
pub const EXACT_LIMIT_MAX: u32 = 1_000;

/// One budget a request is charged: its name, whom it counts (an IP, an account, a
/// client), and its size.
#[derive(Debug, Clone, Copy)]
pub struct Charge<'a> {
    pub budget_name: &'a str,
    pub subject: &'a str,
    pub budget: Budget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed { remaining: u32 },
    Limited { retry_after: Duration },
}

/// Why a limited request is refused: the one mapping every caller turns into its own error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Over budget; the limiter's own figure for when to retry (at least a second).
    #[error("too many requests; retry after {retry_after_secs} s")]
    Limited { retry_after_secs: u64 },
    /// The limiter cannot answer (fail closed).
    #[error("request limits cannot be checked right now")]
    Unavailable,
}

#[derive(Debug, thiserror::Error)]
pub enum LimiterError {
    /// Redis is down, slow or answered nonsense. Never treat this as "allowed".
    #[error("rate limiter unavailable: {0}")]
    Unavailable(String),
}

#[derive(Clone)]
pub struct Limiter {
    conn: ConnectionManager,
    prefix: String,
    deadline: Duration,
    script: redis::Script,
    leases: Arc<Leases>,
}

/// A client for `redis.url`: `rediss://` verifies the server's certificate and name against
/// `redis.ca_file` (or the system's authorities); `redis://` is in clear, for loopback.
fn client(settings: &RedisSettings) -> anyhow::Result<redis::Client> {
    let url = settings.url.expose_secret();
    let tls = url.starts_with("rediss://");
    if !tls && settings.ca_file.is_some() {
        anyhow::bail!("redis.ca_file is set but redis.url is not a rediss:// URL");
    }
    if !tls {
        return Ok(redis::Client::open(url)?);
    }
    crate::tls::provider();
    let root_cert = match &settings.ca_file {
        Some(path) => Some(crate::tls::read_pem(path).context("redis.ca_file")?),
        None => None,
    };
    let certificates = redis::TlsCertificates {
        client_tls: None,
        root_cert,
    };
    Ok(redis::Client::build_with_tls(url, certificates)?)
}

impl Limiter {
    /// Does not connect: the first check does, so the service starts (and refuses limited
    /// requests) even while Redis is down, and recovers by itself when it returns.
    pub fn new(settings: &RedisSettings) -> anyhow::Result<Self> {
        let client = client(settings)?;
        let connect = Duration::from_millis(settings.connect_timeout_ms);
        let respond = Duration::from_millis(settings.response_timeout_ms);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(connect))
            .set_response_timeout(Some(respond))
            .set_number_of_retries(0);
        let conn = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self {
            conn,
            prefix: settings.key_prefix.clone(),
            deadline: connect + respond,
            script: redis::Script::new(script::SCRIPT),
            leases: Arc::new(Leases::new(connect + respond)),
        })
    }

    /// Counts one request against `budget` for `subject`.
    pub async fn check(
        &self,
        budget_name: &str,
        subject: &str,
        budget: Budget,
    ) -> Result<Decision, LimiterError> {
        self.check_all(&[Charge {
            budget_name,
            subject,
            budget,
        }])
        .await
    }

    /// [`Limiter::check_all`] as admitted (with the fewest units left) or a [`Refusal`]; an
    /// unavailable limiter is logged here, once.
    pub async fn admit(&self, charges: &[Charge<'_>]) -> Result<u32, Refusal> {
        match self.check_all(charges).await {
            Ok(Decision::Allowed { remaining }) => Ok(remaining),
            Ok(Decision::Limited { retry_after }) => Err(Refusal::Limited {
                retry_after_secs: retry_after.as_secs().max(1),
            }),
            Err(e) => {
                tracing::warn!(error = %e, "rate limiter unavailable, refusing");
                Err(Refusal::Unavailable)
            }
        }
    }

    /// [`Limiter::admit`] for one charge.
    pub async fn admit_one(
        &self,
        budget_name: &str,
        subject: &str,
        budget: Budget,
    ) -> Result<u32, Refusal> {
        self.admit(&[Charge {
            budget_name,
            subject,
            budget,
        }])
        .await
    }

    /// Counts one request against every charge, all or nothing, in at most one round trip.
    /// Subjects are hashed into the keys, so Redis never holds addresses or emails.
    pub async fn check_all(&self, charges: &[Charge<'_>]) -> Result<Decision, LimiterError> {
        let now = Instant::now();
        let mut remaining = u32::MAX;
        let mut invocation = self.script.prepare_invoke();
        // (key, units asked) of the counter budgets sent, for the leases they bring back.
        let mut sent: Vec<(String, u32, bool)> = Vec::with_capacity(charges.len());
        for c in charges {
            let large = c.budget.limit > EXACT_LIMIT_MAX;
            // The mode is part of the key: a budget moving across the threshold never finds
            // a value of the other type.
            let mode = if large { "ctr" } else { "log" };
            let key = format!(
                "{}rl:{}:{mode}:{}",
                self.prefix,
                c.budget_name,
                subject_hash(c.subject)
            );
            let want = if large {
                if let Some(left) = self.leases.take(&key, now) {
                    remaining = remaining.min(left);
                    continue;
                }
                self.leases.want(&key, c.budget.limit, now)
            } else {
                1
            };
            let window_ms = c.budget.window_secs.saturating_mul(1000).max(1);
            invocation.key(&key);
            invocation
                .arg(mode)
                .arg(c.budget.limit)
                .arg(window_ms)
                .arg(want)
                .arg(crate::crypto::random::token::<12>());
            sent.push((key, want, large));
        }
        if sent.is_empty() {
            return Ok(Decision::Allowed { remaining });
        }
        let mut conn = self.conn.clone();
        let call = invocation.invoke_async::<Vec<i64>>(&mut conn);
        let answer = tokio::time::timeout(self.deadline, call)
            .await
            .map_err(|_| LimiterError::Unavailable("timed out".into()))?
            .map_err(|e| LimiterError::Unavailable(format!("{:?}", e.kind())))?;
        let n = |i: usize| answer.get(i).copied().unwrap_or(0);
        if n(0) != 1 {
            return Ok(Decision::Limited {
                retry_after: Duration::from_millis(u64::try_from(n(1)).unwrap_or(0).max(1)),
            });
        }
        for (i, (key, want, large)) in sent.iter().enumerate() {
            let granted = u32::try_from(n(2 + 2 * i)).unwrap_or(0);
            let left = u32::try_from(n(3 + 2 * i)).unwrap_or(0);
            if *large {
                self.leases.grant(key, granted, *want, now);
                remaining = remaining.min(granted.saturating_sub(1).saturating_add(left));
            } else {
                remaining = remaining.min(left);
            }
        }
        Ok(Decision::Allowed { remaining })
    }

    /// Readiness: Redis answers within the deadline.
    pub async fn ping(&self) -> Result<(), LimiterError> {
        let mut conn = self.conn.clone();
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        tokio::time::timeout(self.deadline, ping)
            .await
            .map_err(|_| LimiterError::Unavailable("timed out".into()))?
            .map_err(|e| LimiterError::Unavailable(format!("{:?}", e.kind())))?;
        Ok(())
    }
}

fn subject_hash(subject: &str) -> String {
    hex::encode(&Sha256::digest(subject.as_bytes())[..16])
}
