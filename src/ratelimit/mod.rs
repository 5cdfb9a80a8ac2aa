//! Redis-backed rate limiter shared by every instance: one atomic Lua script per check.
//! Small budgets (up to [`EXACT_LIMIT_MAX`], e.g. sign-in, reset, per-IP) use an exact
//! sliding-window log; large throughput budgets (per-client token and introspection) use a
//! sliding-window counter, O(1) in memory, which weighs the previous window by how much of
//! it still overlaps. It fails closed: when Redis is unreachable or slower than the
//! configured timeouts, callers get [`LimiterError::Unavailable`] and must refuse.

use crate::config::{Budget, RedisSettings};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Budgets up to this many requests per window are counted exactly.
pub const EXACT_LIMIT_MAX: u32 = 1_000;

/// Sliding-window counter in one hash (fields are window numbers), so the script touches
/// only its declared key.
const COUNTER_SCRIPT: &str = r#"
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local idx = math.floor(now / window)
local cur = tonumber(redis.call('HGET', key, idx) or '0')
local prev = tonumber(redis.call('HGET', key, idx - 1) or '0')
local elapsed = (now % window) / window
local estimate = prev * (1 - elapsed) + cur
if estimate + 1 > limit then
  local retry = window - (now % window)
  if cur < limit and prev > 0 then
    local needed = 1 - (limit - cur - 1) / prev
    retry = math.max(1, math.ceil((needed - elapsed) * window))
  end
  return {0, 0, retry}
end
redis.call('HINCRBY', key, idx, 1)
redis.call('HDEL', key, idx - 2)
redis.call('PEXPIRE', key, window * 2)
return {1, math.floor(limit - estimate - 1), 0}
"#;

/// Sliding-window log: members are request stamps scored by Redis server time (ms), so
/// instances with skewed clocks agree. Refused requests are not recorded.
const SCRIPT: &str = r#"
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local retry = window
if oldest[2] then retry = tonumber(oldest[2]) + window - now end
return {0, 0, retry}
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed { remaining: u32 },
    Limited { retry_after: Duration },
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
    counter_script: redis::Script,
}

impl Limiter {
    /// Does not connect: the first check does, so the service starts (and refuses limited
    /// requests) even while Redis is down, and recovers by itself when it returns.
    pub fn new(settings: &RedisSettings) -> anyhow::Result<Self> {
        let client = redis::Client::open(settings.url.expose_secret())?;
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
            script: redis::Script::new(SCRIPT),
            counter_script: redis::Script::new(COUNTER_SCRIPT),
        })
    }

    /// Counts one request against `budget` for `subject` (an IP, an account, a client).
    /// The subject is hashed into the key, so Redis never holds addresses or emails.
    pub async fn check(
        &self,
        budget_name: &str,
        subject: &str,
        budget: Budget,
    ) -> Result<Decision, LimiterError> {
        let window_ms = budget.window_secs.saturating_mul(1000).max(1);
        let stamp = crate::crypto::random::token::<12>();
        let mut conn = self.conn.clone();
        // The mode is part of the key: a budget moving across the threshold never finds a
        // value of the other type.
        let (script, mode) = if budget.limit <= EXACT_LIMIT_MAX {
            (&self.script, "log")
        } else {
            (&self.counter_script, "ctr")
        };
        let key = format!(
            "{}rl:{budget_name}:{mode}:{}",
            self.prefix,
            subject_hash(subject)
        );
        let mut invocation = script.key(key);
        invocation.arg(budget.limit).arg(window_ms).arg(stamp);
        let call = invocation.invoke_async::<(i64, i64, i64)>(&mut conn);
        let (allowed, remaining, retry_ms) = tokio::time::timeout(self.deadline, call)
            .await
            .map_err(|_| LimiterError::Unavailable("timed out".into()))?
            .map_err(|e| LimiterError::Unavailable(format!("{:?}", e.kind())))?;
        Ok(if allowed == 1 {
            Decision::Allowed {
                remaining: u32::try_from(remaining).unwrap_or(0),
            }
        } else {
            Decision::Limited {
                retry_after: Duration::from_millis(u64::try_from(retry_ms).unwrap_or(0).max(1)),
            }
        })
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
