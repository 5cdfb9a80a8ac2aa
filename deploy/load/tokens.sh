#!/usr/bin/env bash
# Load test of the token surface against one release-build instance on this machine:
# client_credentials issuance, introspection of a valid JWT, JWKS fetch. Each as requests/s
# with p50 and p99 latency, measured with wrk on loopback (bounded: DURATION seconds each).
#
#   deploy/load/tokens.sh            # DURATION=10 CONNECTIONS=32 WORKERS=2 by default
#
# It uses its own database (identity_load) and Redis key prefix; rate limits are raised for
# the run (the point is the service's cost, not the limiter refusing the load).
source "$(dirname "${BASH_SOURCE[0]}")/../local/common.sh"
cd "$ROOT"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
WORKERS="${WORKERS:-2}"
PORT="${PORT:-18080}"

ensure_build_tools
ensure_postgres
ensure_redis
apt_install wrk
ensure_dev_key

load_binary
fresh_load_db identity_load "$PORT"
export IDENTITY__DATABASE__POOL_SIZE=32
export IDENTITY__SERVER__WORKERS="$WORKERS"
export IDENTITY__RATE_LIMITS__GLOBAL_PER_IP__LIMIT=100000000
export IDENTITY__RATE_LIMITS__TOKEN_PER_CLIENT__LIMIT=100000000
export IDENTITY__RATE_LIMITS__INTROSPECT_PER_CLIENT__LIMIT=100000000

"$BIN" migrate >/dev/null
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
caller="$("$BIN" clients create --name load-caller --grant-type client_credentials --audience https://api.crm.example --json)"
resource="$("$BIN" clients create --name load-resource --grant-type client_credentials --resource-audience https://api.crm.example --json)"
caller_auth="$(printf '%s:%s' "$(echo "$caller" | json_field client_id)" "$(echo "$caller" | json_field client_secret)" | base64 -w0)"
resource_auth="$(printf '%s:%s' "$(echo "$resource" | json_field client_id)" "$(echo "$resource" | json_field client_secret)" | base64 -w0)"

"$BIN" serve 2>/dev/null >/dev/null &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

token="$(curl -fs -H "Authorization: Basic $caller_auth" -d grant_type=client_credentials -d audience=https://api.crm.example \
  "http://127.0.0.1:$PORT/oauth2/token" | json_field access_token)"
active="$(curl -fs -H "Authorization: Basic $resource_auth" --data-urlencode "token=$token" "http://127.0.0.1:$PORT/oauth2/introspect" | json_field active)"
[ "$active" = "True" ] || { echo "introspection of a fresh token is not active" >&2; exit 1; }

run() {
  local name="$1"; shift
  printf '%-28s ' "$name"
  "$@" | grep '^RESULT' | sed 's/^RESULT //'
}
echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s, $WORKERS service workers, $(nproc) cores shared with wrk"
WRK_AUTH="$caller_auth" WRK_BODY="grant_type=client_credentials&audience=https%3A%2F%2Fapi.crm.example" \
  run "client_credentials (EdDSA)" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s deploy/load/post.lua "http://127.0.0.1:$PORT/oauth2/token"
WRK_AUTH="$resource_auth" WRK_BODY="token=$token" \
  run "introspection (valid JWT)" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s deploy/load/post.lua "http://127.0.0.1:$PORT/oauth2/introspect"
run "JWKS fetch" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s deploy/load/get.lua "http://127.0.0.1:$PORT/.well-known/jwks.json"
