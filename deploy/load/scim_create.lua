-- wrk script: POST new SCIM users, each with a unique userName (deploy/load/scim.sh stops
-- it once enough exist). Reads WRK_TOKEN from the environment.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  n = 0
end

function request()
  n = n + 1
  local name = string.format("load-%d-%d@scim.example", tid, n)
  local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' .. name ..
    '","name":{"givenName":"Load","familyName":"Test"},"emails":[{"value":"' .. name .. '","type":"work","primary":true}]}'
  return wrk.format("POST", "/scim/v2/Users", {
    ["Content-Type"] = "application/scim+json",
    ["Authorization"] = "Bearer " .. os.getenv("WRK_TOKEN"),
  }, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx_or_errors=%d requests=%d seconds=%.2f\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, summary.requests, summary.duration / 1e6))
end
