//! The one Lua script every limiter call runs: all budgets of a request in one round trip,
//! all or nothing. Per key, ARGV holds five values: mode (`log` or `ctr`), limit, window
//! (ms), how many units are wanted (1 for `log`; a lease for `ctr`), and a unique stamp.
//! Time is Redis server time, so instances with skewed clocks agree.
//!
//! - `log`, small budgets: an exact sliding-window log (a sorted set of request stamps).
//! - `ctr`, large budgets: a sliding-window counter in one hash (fields are window numbers),
//!   which weighs the previous window by how much of it still overlaps; it grants up to the
//!   units wanted that fit, so an instance can admit them locally (`super::leases`).
//!
//! A refusal records nothing and answers `{0, retry_ms}`; admission records every key and
//! answers `{1, 0, (granted, remaining) per key}`.

pub const SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local grants, left = {}, {}
local retry = 0
for i = 1, n do
  local b = (i - 1) * 5
  local mode, limit, window, want = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  local key = KEYS[i]
  if mode == 'log' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    local count = redis.call('ZCARD', key)
    if count < limit then
      grants[i], left[i] = 1, limit - count - 1
    else
      local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
      local r = window
      if oldest[2] then r = tonumber(oldest[2]) + window - now end
      retry = math.max(retry, r, 1)
    end
  else
    local idx = math.floor(now / window)
    local cur = tonumber(redis.call('HGET', key, idx) or '0')
    local prev = tonumber(redis.call('HGET', key, idx - 1) or '0')
    local elapsed = (now % window) / window
    local room = math.floor(limit - (prev * (1 - elapsed) + cur))
    if room >= 1 then
      grants[i] = math.min(want, room)
      left[i] = room - grants[i]
    else
      local r = window - (now % window)
      if cur < limit and prev > 0 then
        local needed = 1 - (limit - cur - 1) / prev
        r = math.max(1, math.ceil((needed - elapsed) * window))
      end
      retry = math.max(retry, r, 1)
    end
  end
end
if retry > 0 then return {0, retry} end
local out = {1, 0}
for i = 1, n do
  local b = (i - 1) * 5
  local mode, window = ARGV[b + 1], tonumber(ARGV[b + 3])
  local key = KEYS[i]
  if mode == 'log' then
    redis.call('ZADD', key, now, ARGV[b + 5])
    redis.call('PEXPIRE', key, window)
  else
    local idx = math.floor(now / window)
    redis.call('HINCRBY', key, idx, grants[i])
    redis.call('HDEL', key, idx - 2)
    redis.call('PEXPIRE', key, window * 2)
  end
  out[#out + 1] = grants[i]
  out[#out + 1] = left[i]
end
return out
"#;
