#!/usr/bin/env bash
# What an idle instance costs the database, by number of workspaces: one release-build
# instance with no traffic at all, PostgreSQL transactions per second (pg_stat_database)
# and the instance's CPU, measured over WINDOW seconds at 10 and at 10,000 workspaces.
# Background work (mail, audit chaining, signing keys, the change feed's heartbeat) must
# cost the same at both.
#
#   deploy/load/idle.sh            # COUNTS="10 10000" WINDOW=20 SETTLE=5
source "$(dirname "${BASH_SOURCE[0]}")/../local/common.sh"
cd "$ROOT"
COUNTS="${COUNTS:-10 10000}"
WINDOW="${WINDOW:-20}"
SETTLE="${SETTLE:-5}"
PORT="${PORT:-18083}"

ensure_build_tools
ensure_postgres
ensure_redis
ensure_dev_key
load_binary
DB=identity_load_idle
commits() { psql "$PG/postgres" -Atqc "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$DB'"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

printf '%-12s %14s %16s\n' workspaces "transactions/s" "instance cores"
for count in $COUNTS; do
  fresh_load_db "$DB" "$PORT"
  "$BIN" migrate >/dev/null
  # Workspaces straight into the registry: the point is the idle cost, not creating them.
  psql "$PG/$DB" -qc "INSERT INTO tenants (id, slug, display_name, status, created_at)
    SELECT gen_random_uuid(), 'idle-' || i, 'Idle ' || i, 'active', now() FROM generate_series(1, $count) AS i" >/dev/null
  "$BIN" serve >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  sleep "$SETTLE"
  c0=$(commits); t0=$(cpu_ticks "$server")
  sleep "$WINDOW"
  c1=$(commits); t1=$(cpu_ticks "$server")
  kill "$server"; wait "$server" 2>/dev/null
  python3 -c "print(f'{$count:<12} {($c1 - $c0) / $WINDOW:14.1f} {($t1 - $t0) / $(getconf CLK_TCK) / $WINDOW:16.3f}')"
done
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS ${DB}_keys WITH (FORCE)" >/dev/null 2>&1
