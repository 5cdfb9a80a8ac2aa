#!/usr/bin/env bash
# Sign-in throughput against one release build, and introspection during the burst.
# Sign-ins are bounded by bcrypt: at most server.password_hash_threads / (time of one
# cost-12 check) per second. The script measures one bcrypt check, the sign-in rate, and
# introspection alone and while sign-ins run, so the share it keeps can be read off.
#
# SEEDED (default 0) more people are put in the workspace first, in clear, then sealed by
# `identity encryption rotate` as an upgrade would (SEEDED=100000: sign-in among 100k people,
# every lookup through the email's blind index).
#
#   deploy/load/signin.sh          # DURATION=10 HASH_THREADS=2 SEEDED=0
source "$(dirname "${BASH_SOURCE[0]}")/../local/common.sh"
cd "$ROOT"
DURATION="${DURATION:-10}"
HASH_THREADS="${HASH_THREADS:-2}"
PORT="${PORT:-18081}"

ensure_build_tools
ensure_postgres
ensure_redis
apt_install wrk
ensure_dev_key
load_binary
DB=identity_load_signin
fresh_load_db "$DB" "$PORT"
export IDENTITY__SERVER__WORKERS=2
export IDENTITY__SERVER__PASSWORD_HASH_THREADS="$HASH_THREADS"
for budget in GLOBAL_PER_IP TOKEN_PER_CLIENT INTROSPECT_PER_CLIENT SIGNIN_PER_IP SIGNIN_PER_ACCOUNT; do
  export "IDENTITY__RATE_LIMITS__${budget}__LIMIT=100000000"
done
"$BIN" migrate >/dev/null
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
password="load test passphrase 1"
echo "$password" | "$BIN" bootstrap --tenant loadtest --admin-email admin@loadtest.example --password-stdin --json >/dev/null
SEEDED="${SEEDED:-0}"
if [ "$SEEDED" -gt 0 ]; then
  log "seeding $SEEDED people, sealing them"
  psql "$PG/$DB" -q <<SQL
INSERT INTO users (id, tenant_id, email, display_name, status, created_at, updated_at)
SELECT gen_random_uuid(), t.id, 'seed' || i || '@loadtest.example', 'Seed ' || i, 'active', now(), now()
FROM tenants t, generate_series(0, $SEEDED - 1) AS i WHERE t.slug = 'loadtest';
SQL
  "$BIN" encryption rotate --batch-size 1000 >/dev/null
  psql "$PG/$DB" -q -c "ANALYZE users"
fi
# Accounts to rotate over, so the per-account slow-down never kicks in.
ACCOUNTS="${ACCOUNTS:-60}"
"$BIN" serve 2>/dev/null >/dev/null &
setup_server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
admin_key="$("$BIN" api-keys create --tenant loadtest --role admin --json | json_field key)"
log "creating $ACCOUNTS accounts"
for i in $(seq 0 $((ACCOUNTS - 1))); do
  curl -fs -o /dev/null -H "Authorization: Bearer $admin_key" -H 'content-type: application/json' \
    -d "{\"email\":\"load$i@loadtest.example\",\"password\":\"$password\",\"roles\":[\"member\"]}" "http://127.0.0.1:$PORT/admin/v1/users"
done
kill $setup_server; wait $setup_server 2>/dev/null
"$BIN" clients create --name web --client-id load-web --grant-type authorization_code --redirect-uri https://crm.example/cb >/dev/null
caller="$("$BIN" clients create --name caller --grant-type client_credentials --audience https://api.crm.example --json)"
resource="$("$BIN" clients create --name resource --grant-type client_credentials --resource-audience https://api.crm.example --json)"
caller_auth="$(printf '%s:%s' "$(echo "$caller" | json_field client_id)" "$(echo "$caller" | json_field client_secret)" | base64 -w0)"
resource_auth="$(printf '%s:%s' "$(echo "$resource" | json_field client_id)" "$(echo "$resource" | json_field client_secret)" | base64 -w0)"

"$BIN" serve 2>/dev/null >/dev/null &
server=$!
bg=""
trap 'kill $server $bg 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

base="http://127.0.0.1:$PORT"
challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
page="$(curl -fs -D /tmp/signin-headers.$$ "$base/oauth2/authorize?response_type=code&client_id=load-web&redirect_uri=https%3A%2F%2Fcrm.example%2Fcb&scope=openid&code_challenge=$challenge&code_challenge_method=S256&tenant=loadtest")"
csrf="$(grep -i '^set-cookie: __Host-identity-csrf=' /tmp/signin-headers.$$ | sed 's/.*csrf=\([^;]*\).*/\1/' | tr -d '\r')"
rm -f /tmp/signin-headers.$$
form="$(printf '%s' "$page" | python3 -c '
import html, re, sys, urllib.parse
# The password form only: the page also holds the passkey form, with the same hidden fields.
password_form = sys.stdin.read().split("</form>")[0]
fields = re.findall(r"<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">", password_form)
pairs = [(k, html.unescape(v)) for k, v in fields] + [("password", sys.argv[1])]
print(urllib.parse.urlencode(pairs))' "$password")"
status="$(curl -s -o /tmp/signin-body.$$ -w "%{http_code}" -H "Cookie: __Host-identity-csrf=$csrf" -d "$form&email=admin%40loadtest.example" "$base/signin")"
[ "$status" = 303 ] || { echo "a single sign-in answered $status: $(grep -o "<p[^>]*>[^<]*</p>" /tmp/signin-body.$$ | head -3)" >&2; exit 1; }
rm -f /tmp/signin-body.$$

token="$(curl -fs -H "Authorization: Basic $caller_auth" -d grant_type=client_credentials -d audience=https://api.crm.example "$base/oauth2/token" | json_field access_token)"
introspect() {
  WRK_AUTH="$resource_auth" WRK_BODY="token=$token" wrk -t1 -c8 -d"${DURATION}s" --latency -s deploy/load/post.lua "$base/oauth2/introspect" | grep '^RESULT' | sed 's/^RESULT //'
}
echo "password_hash_threads=$HASH_THREADS, $(nproc) cores shared with wrk, ${DURATION}s each, $SEEDED more people in the workspace"
signins() {
  WRK_COOKIE="__Host-identity-csrf=$csrf" WRK_BODY="$form" WRK_ACCOUNTS="$ACCOUNTS" \
    wrk -t1 -c4 -d"${DURATION}s" --timeout 10s --latency -s deploy/load/signin.lua "$base/signin" | grep '^RESULT' | sed 's/^RESULT //'
}
printf '%-34s %s\n' "sign-ins alone (303 = success)" "$(signins)"
printf '%-34s %s\n' "introspection, idle" "$(introspect)"
WRK_COOKIE="__Host-identity-csrf=$csrf" WRK_BODY="$form" WRK_ACCOUNTS="$ACCOUNTS" wrk -t1 -c4 -d"${DURATION}s" --timeout 10s --latency -s deploy/load/signin.lua "$base/signin" > /tmp/signin-wrk.$$ &
bg=$!
sleep 1
printf '%-34s %s\n' "introspection, during sign-ins" "$(introspect)"
wait $bg
printf '%-34s %s\n' "sign-ins (303 = success)" "$(grep '^RESULT' /tmp/signin-wrk.$$ | sed 's/^RESULT //')"
rm -f /tmp/signin-wrk.$$
echo "ceiling: $HASH_THREADS threads / one bcrypt cost-12 check ('cargo bench --bench password')"
