-- wrk script: lookups of random seeded people. FILTER_KIND is "eq" (SCIM userName eq),
-- "emails" (SCIM emails.value eq) or "lookup" (the admin API's q: one address, as sign-in
-- looks a person up).
-- Reads WRK_TOKEN, SEEDED (number of seeded users) and FILTER_KIND from the environment.
local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

function request()
  local seeded = tonumber(os.getenv("SEEDED"))
  local i = math.random(0, seeded - 1)
  local filter
  if os.getenv("FILTER_KIND") == "lookup" then
    return wrk.format("GET", "/admin/v1/users?q=" .. urlencode(string.format("User%d@seed.example", i)), {
      ["Authorization"] = "Bearer " .. os.getenv("WRK_TOKEN"),
    })
  end
  if os.getenv("FILTER_KIND") == "emails" then
    filter = string.format('emails.value eq "USER%d@seed.example"', i)
  else
    filter = string.format('userName eq "user%d@seed.example"', i)
  end
  return wrk.format("GET", "/scim/v2/Users?filter=" .. urlencode(filter), {
    ["Authorization"] = "Bearer " .. os.getenv("WRK_TOKEN"),
  })
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx_or_errors=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests))
end
