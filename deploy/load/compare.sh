#!/usr/bin/env bash
# The token hot path side by side with panva/oidc-provider, through ../shared/bench/compare.sh:
# starts one release-build instance (own database, limits lifted so budgets do not cap the
# load), registers a client that may both get tokens for AUD and introspect them, runs the
# shared harness (client_credentials, introspection, JWKS; A B A B A B) and stops.
#
#   deploy/load/compare.sh          # knobs of the harness pass through: DUR, CONC, ROUNDS, SCENARIOS
#   PERF=1 deploy/load/compare.sh   # also records a perf profile of the service (perf.data in OUT)
source "$(dirname "${BASH_SOURCE[0]}")/../local/common.sh"
cd "$ROOT"
PORT="${PORT:-18081}"
WORKERS="${WORKERS:-2}"
SHARED="${SHARED:-$ROOT/../shared/bench}"
if [ "${LOAD_SMOKE:-0}" != 1 ]; then
  [ -x "$SHARED/compare.sh" ] || { echo "the shared benchmark is not at $SHARED (set SHARED)" >&2; exit 2; }
fi

ensure_build_tools
ensure_postgres
ensure_redis
ensure_dev_key
load_binary
fresh_load_db identity_load_compare "$PORT"
export IDENTITY__DATABASE__POOL_SIZE=32
export IDENTITY__SERVER__PUBLIC_URL="http://127.0.0.1:$PORT" IDENTITY__TOKENS__ISSUER="http://127.0.0.1:$PORT"
export IDENTITY__SERVER__WORKERS="$WORKERS"
export IDENTITY__RATE_LIMITS__GLOBAL_PER_IP__LIMIT=100000000
export IDENTITY__RATE_LIMITS__TOKEN_PER_CLIENT__LIMIT=100000000
export IDENTITY__RATE_LIMITS__INTROSPECT_PER_CLIENT__LIMIT=100000000
"$BIN" migrate >/dev/null
AUD=https://api.crm.example
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
client="$("$BIN" clients create --name bench --grant-type client_credentials --audience "$AUD" --resource-audience "$AUD" --json)"

if curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; then
  echo "something already listens on port $PORT (a service left from an earlier run?); stop it or set PORT" >&2
  exit 2
fi
mkdir -p /tmp/bench-perf
"$BIN" serve >/tmp/bench-perf/identity-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
if [ "${PERF:-0}" = 1 ]; then
  apt_install linux-perf
  mkdir -p /tmp/bench-perf
  perf record -e cpu-clock -F 499 -g -p "$server" -o /tmp/bench-perf/identity.perf.data >/dev/null 2>&1 &
  perf_pid=$!
  trap 'kill -INT $perf_pid 2>/dev/null; wait $perf_pid 2>/dev/null; kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
fi
if [ "${LOAD_SMOKE:-0}" = 1 ]; then
  # The test command's short run: this script's own part (the service, its client, the three
  # requests the harness sends, each checked once); the side-by-side run is the harness's.
  base="http://127.0.0.1:$PORT"
  id="$(echo "$client" | json_field client_id)" secret="$(echo "$client" | json_field client_secret)"
  token="$(curl -fs -u "$id:$secret" -d grant_type=client_credentials -d "audience=$AUD" "$base/oauth2/token" | json_field access_token)"
  active="$(curl -fs -u "$id:$secret" -d "token=$token" "$base/oauth2/introspect" | json_field active)"
  [ "$active" = True ] || { echo "the harness's token does not introspect as active" >&2; exit 1; }
  curl -fs "$base/.well-known/jwks.json" | python3 -c 'import json,sys; assert json.load(sys.stdin)["keys"]'
  echo "smoke: token, introspection and JWKS answer as the harness expects"
  exit 0
fi
SERVICE_URL="http://127.0.0.1:$PORT" SERVICE_PID="$server" AUD="$AUD" \
  CLIENT_ID="$(echo "$client" | json_field client_id)" CLIENT_SECRET="$(echo "$client" | json_field client_secret)" \
  "$SHARED/compare.sh"
