#!/usr/bin/env bash
# Starts the local checkout over: drops the local database and the development key, demo
# credentials and demo client in .local/, and the local Redis keys. The next
# ./deploy/local/run.sh seeds everything again. Only for a checkout on this machine.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

ensure_postgres
ensure_redis
psql "postgres://postgres@${PG_HOST}:${PG_PORT}/postgres" -qc 'DROP DATABASE IF EXISTS identity WITH (FORCE)' >/dev/null
rm -f .local/platform-key .local/demo-admin .local/demo-client
redis-cli -p "$REDIS_PORT" --scan --pattern 'identity:local:*' | xargs -r redis-cli -p "$REDIS_PORT" del >/dev/null
log "the local database and .local/ keys are gone; ./deploy/local/run.sh starts afresh"
