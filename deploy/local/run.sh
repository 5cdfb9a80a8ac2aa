#!/usr/bin/env bash
# Runs the service in the foreground on a seeded demo tenant and prints its URL.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

ensure_build_tools
ensure_postgres
ensure_redis
ensure_dev_key
ensure_database identity

export IDENTITY_CONFIG="${IDENTITY_CONFIG:-$ROOT/deploy/config/local.yaml}"
log "building (the first build takes a few minutes)"
cargo build --quiet --bin identity
BIN="$ROOT/target/debug/identity"

"$BIN" migrate
seed="$("$BIN" bootstrap --tenant demo --name "Demo Workspace" --admin-email admin@demo.example --if-missing --json)"
password="$(printf '%s' "$seed" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("admin_password",""))')"
if [ -n "$password" ]; then
  (umask 077; printf 'admin@demo.example\n%s\n' "$password" > "$ROOT/.local/demo-admin")
fi
echo "Demo workspace 'demo' is ready; its admin's credentials are in .local/demo-admin" >&2
# `serve` prints "identity service listening on http://127.0.0.1:PORT" and "open
# http://localhost:8080 in a browser" (the public URL), then JSON logs.
exec "$BIN" serve
