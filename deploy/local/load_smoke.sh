#!/usr/bin/env bash
# Runs every deploy/load/*.sh once in a short mode, so that no load script breaks silently:
# LOAD_SMOKE=1 uses the debug build the tests already made, and the knobs below shrink each
# run to seconds and a few dozen items. The figures printed mean nothing; each script's own
# checks (a sign-in answers 303, a token introspects as active, ...) must pass, and no
# request under load may fail.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
export LOAD_SMOKE=1 DURATION=1 ACCOUNTS=3 TOTAL=30 SEEDED=200 COUNTS="2 20" WINDOW=1 SETTLE=1 \
  CONNECTIONS=2 FILTER_CONNECTIONS=2 HASH_THREADS=1
for script in deploy/load/*.sh; do
  log "load script $script (short)"
  if ! out="$("$script" 2>&1)"; then
    printf '%s\n' "$out" >&2
    log "$script failed"
    exit 1
  fi
  if printf '%s\n' "$out" | grep -Eq '(non2xx_or_errors|non_2xx_3xx|socket_errors)=[1-9]'; then
    printf '%s\n' "$out" >&2
    log "$script: some requests failed under load"
    exit 1
  fi
  printf '%s\n' "$out" | tail -n 4
done
