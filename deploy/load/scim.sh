#!/usr/bin/env bash
# SCIM load against one release build on this machine:
#  1. provisioning: TOTAL (10,000) users created through POST /scim/v2/Users, users/s, and
#     users/s counted until each one's audit entry is in the hash chain (chained_per_s);
#  2. lookups among SEEDED (100,000) people written in clear, as an older release left them:
#     by email (the admin API's `q`, the sign-in's lookup by address), SCIM `userName eq`
#     and `emails.value eq`, requests/s with p50 and p99 latency;
#  3. sealing them online, while the service runs: `identity encryption rotate`, rows/s;
#  4. the same lookups again, now through blind indexes (before and after, one run).
# The 100,000 users are written straight into PostgreSQL (the point is the sealing's and the
# filter's cost, not the seeding); the service reads them through SCIM like any others.
#
# Filtered lists run with FILTER_CONNECTIONS (4) concurrent clients, so the latency shown is
# the query's, not a queue behind a saturated machine (wrk shares the 2 cores).
#
#   deploy/load/scim.sh            # TOTAL=10000 SEEDED=100000 DURATION=10 CONNECTIONS=16
source "$(dirname "${BASH_SOURCE[0]}")/../local/common.sh"
cd "$ROOT"
TOTAL="${TOTAL:-10000}"
SEEDED="${SEEDED:-100000}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-16}"
FILTER_CONNECTIONS="${FILTER_CONNECTIONS:-4}"
PORT="${PORT:-18082}"

ensure_build_tools
ensure_postgres
ensure_redis
apt_install wrk
ensure_dev_key
load_binary
DB=identity_load_scim
fresh_load_db "$DB" "$PORT"
export IDENTITY__DATABASE__POOL_SIZE=32
export IDENTITY__SERVER__WORKERS=2
export IDENTITY__RATE_LIMITS__GLOBAL_PER_IP__LIMIT=100000000
export IDENTITY__RATE_LIMITS__SCIM_PER_IP__LIMIT=100000000
export IDENTITY__RATE_LIMITS__SCIM_PER_TOKEN__LIMIT=100000000
"$BIN" migrate >/dev/null
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
echo "load admin passphrase 1" | "$BIN" bootstrap --tenant provision --admin-email admin@provision.example --password-stdin >/dev/null
echo "load admin passphrase 1" | "$BIN" bootstrap --tenant seeded --admin-email admin@seeded.example --password-stdin >/dev/null

log "seeding $SEEDED users"
psql "$PG/$DB" -q <<SQL
INSERT INTO users (id, tenant_id, email, user_name, display_name, status, scim, created_at, updated_at)
SELECT gen_random_uuid(), t.id, 'user' || i || '@seed.example', 'user' || i || '@seed.example', 'User ' || i, 'active',
       jsonb_build_object('emails', jsonb_build_array(jsonb_build_object('value', 'user' || i || '@seed.example', 'type', 'work', 'primary', true)),
                          'name', jsonb_build_object('givenName', 'User', 'familyName', i::text)),
       now(), now()
FROM tenants t, generate_series(0, $SEEDED - 1) AS i WHERE t.slug = 'seeded';
SQL
psql "$PG/$DB" -q -c "ANALYZE users"

"$BIN" serve 2>/dev/null >/dev/null &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
token_for() {
  local key
  key="$("$BIN" api-keys create --tenant "$1" --role admin --json | json_field key)"
  curl -fs -H "Authorization: Bearer $key" -H 'content-type: application/json' -d '{"name":"load"}' \
    "http://127.0.0.1:$PORT/admin/v1/scim-tokens" | json_field token
}
provision_token="$(token_for provision)"
seeded_token="$(token_for seeded)"
seeded_key="$("$BIN" api-keys create --tenant seeded --role admin --json | json_field key)"

# Lookups among the SEEDED people: by email (the admin API's `q`, the sign-in's lookup by
# address), SCIM `userName eq` and `emails.value eq`.
lookups() {
  for kind in lookup eq emails; do
    local token="$seeded_token" path="/scim/v2/Users"
    if [ "$kind" = lookup ]; then token="$seeded_key"; path="/admin/v1/users"; fi
    printf '%-34s ' "$kind among $SEEDED ($1)"
    WRK_TOKEN="$token" SEEDED="$SEEDED" FILTER_KIND="$kind" \
      wrk -t2 -c"$FILTER_CONNECTIONS" -d"${DURATION}s" --latency -s deploy/load/scim_filter.lua "http://127.0.0.1:$PORT$path" \
      | grep '^RESULT' | sed 's/^RESULT //'
  done
}
lookups "in clear, as an older release left them"
# Sealed online, while the service runs, as an upgrade does.
start=$(date +%s.%N)
"$BIN" encryption rotate --batch-size 1000 >/dev/null
elapsed=$(python3 -c "print($(date +%s.%N) - $start)")
clear="$("$BIN" encryption status --json | json_field personal_data_in_clear)"
printf '%-34s rows=%d seconds=%.2f rows_per_s=%.0f left_in_clear=%d\n' "sealing personal data (rotate)" \
  "$SEEDED" "$elapsed" "$(python3 -c "print($SEEDED / $elapsed)")" "$clear"
# Sealing rewrote every row: until (auto)vacuum clears the dead entries, the index of rows
# still in clear walks 100,000 of them (emails.value eq p99 56 ms here instead of 8).
# Done at once here, as autovacuum does within minutes and the README advises after a
# large migration.
psql "$PG/$DB" -q -c "VACUUM ANALYZE users" -c "VACUUM ANALYZE user_email_indexes"
lookups "sealed, by blind index"

echo "2 service workers, wrk -t2 (-c$CONNECTIONS provisioning, -c$FILTER_CONNECTIONS filters), $(nproc) cores shared with wrk"
# wrk cannot stop at a count, so the clock is the database's: wrk runs until TOTAL users
# exist, then is interrupted (it still prints its latency figures).
provision_id="$(psql "$PG/$DB" -tAc "SELECT id FROM tenants WHERE slug = 'provision'")"
# A cheap count (index only, this tenant's rows; its admin is the one other user), polled
# twice a second, so the clock costs the measured service next to nothing.
count_created() {
  psql "$PG/$DB" -tAc "SELECT count(*) - 1 FROM users WHERE tenant_id = '$provision_id'"
}
WRK_TOKEN="$provision_token" \
  wrk -t2 -c"$CONNECTIONS" -d300s --latency -s deploy/load/scim_create.lua "http://127.0.0.1:$PORT/scim/v2/Users" \
  > /tmp/scim-create.$$ &
wrk_pid=$!
start=$(date +%s.%N)
seen=0
while [ "$seen" -lt "$TOTAL" ]; do sleep 0.5; seen="$(count_created)"; done
elapsed=$(python3 -c "print($(date +%s.%N) - $start)")
kill -INT $wrk_pid; wait $wrk_pid 2>/dev/null
created="$(count_created)"
# Audit entries are chained moments after their commit (src/audit/chainer.rs): the second
# clock stops once every entry of the run is in the hash chain, so the backlog counts too.
while [ "$(psql "$PG/$DB" -tAc "SELECT count(*) FROM audit_pending WHERE tenant_id = '$provision_id'")" -gt 0 ]; do
  sleep 0.05
done
chained_elapsed=$(python3 -c "print($(date +%s.%N) - $start)")
# The rate counts the users seen when the clock stopped (never more than were made by then).
# chained_per_s: every user made in the run (wrk overshoots a little), with its audit entry
# in the chain, per second until the last one was.
printf '%-34s users=%d seconds=%.2f users_per_s=%.0f chained_per_s=%.0f %s\n' "POST /Users until $TOTAL created" \
  "$created" "$elapsed" "$(python3 -c "print($seen / $elapsed)")" "$(python3 -c "print($created / $chained_elapsed)")" \
  "$(grep '^RESULT' /tmp/scim-create.$$ | sed 's/^RESULT //; s/users_per_s=[0-9]* //')"
rm -f /tmp/scim-create.$$
