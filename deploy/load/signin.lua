-- wrk script: the sign-in form post, with the CSRF cookie and field, rotating over
-- WRK_ACCOUNTS accounts (load0@…, load1@…) so no account reaches its slow-down.
-- Reads WRK_BODY (the form without email), WRK_COOKIE and WRK_ACCOUNTS from the environment.
local body = os.getenv("WRK_BODY")
local cookie = os.getenv("WRK_COOKIE")
local accounts = tonumber(os.getenv("WRK_ACCOUNTS"))
local n = 0

function request()
  n = n + 1
  local email = "load" .. (n % accounts) .. "%40loadtest.example"
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, body .. "&email=" .. email)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.2f p50_ms=%.0f p99_ms=%.0f socket_errors=%d non_2xx_3xx=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, summary.errors.status, summary.requests))
end
