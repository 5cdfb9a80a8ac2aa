#!/usr/bin/env bash
# Starts the local checkout over: drops the local databases (data and keys) and the development key, demo
# credentials and demo client in .local/, and the local Redis keys. The next
# ./deploy/local/run.sh seeds everything again. Only for a checkout on this machine.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

ensure_postgres
ensure_redis
for db in identity identity_keys; do
  psql "postgres://postgres@${PG_HOST}:${PG_PORT}/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
done
rm -f .local/platform-key .local/demo-admin .local/demo-client
redis-cli -p "$REDIS_PORT" --scan --pattern 'identity:local:*' | xargs -r redis-cli -p "$REDIS_PORT" del >/dev/null
log "the local database and .local/ keys are gone; ./deploy/local/run.sh starts afresh"
