#!/usr/bin/env bash
# Runs the service in the foreground on a seeded demo workspace, with the demo app next to
# it, and prints the URL to open.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

ensure_build_tools
ensure_postgres
ensure_redis
ensure_dev_key_file
ensure_database identity

export IDENTITY_CONFIG="${IDENTITY_CONFIG:-$ROOT/deploy/config/local.yaml}"
log "building (the first build takes a few minutes)"
cargo build --quiet --bin identity --bin identity-demo
BIN="$(target_dir)/debug/identity"

"$BIN" migrate
# Stops here, saying how to recover, when .local/platform-key is not the key that sealed
# the local database's secrets.
"$BIN" keys check >/dev/null

# The demo workspace and its admin; lost credentials get a fresh password.
fresh=()
[ -s "$ROOT/.local/demo-admin" ] || fresh=(--fresh-password)
seed="$("$BIN" bootstrap --tenant demo --name "Demo Workspace" --admin-email admin@demo.example --if-missing "${fresh[@]}" --json)"
password="$(printf '%s' "$seed" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("admin_password",""))')"
if [ -n "$password" ]; then
  (umask 077; printf 'admin@demo.example\n%s\n' "$password" > "$ROOT/.local/demo-admin")
fi

# A test SAML identity provider to set single sign-on up with, signing in a person of a
# domain the demo workspace claims.
ensure_test_idp
"$BIN" domains list --tenant demo | grep -qx sso.demo.example \
  || "$BIN" domains claim --tenant demo --domain sso.demo.example >/dev/null

# The CRM API the demo app's tokens are for: a registered resource server, the only kind of
# audience a workspace application may hold.
"$BIN" resources list | grep -q '^https://api.crm.example ' \
  || "$BIN" resources add --audience https://api.crm.example --name "CRM API" >/dev/null

# The demo app's client registration, kept in .local/demo-client (made again when missing
# or no longer registered). The operator vouches for it (--trusted): no consent screen.
DEMO_URL=http://localhost:8081
client_id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' .local/demo-client 2>/dev/null || true)"
if [ -z "$client_id" ] || ! "$BIN" clients list --tenant demo --json | grep -q "\"$client_id\""; then
  "$BIN" clients create --tenant demo --name "Demo CRM app" \
    --grant-type authorization_code --grant-type refresh_token \
    --redirect-uri "$DEMO_URL/callback" --post-logout-redirect-uri "$DEMO_URL/" \
    --audience https://api.crm.example --trusted --json \
    | python3 -c 'import json,sys; c=json.load(sys.stdin); print(json.dumps({"client_id": c["client_id"], "client_secret": c["client_secret"]}))' \
    > .local/demo-client.new
  chmod 600 .local/demo-client.new && mv .local/demo-client.new .local/demo-client
  log "registered the demo app's client"
fi

echo "Demo workspace 'demo' is ready; its admin's email and password are in .local/demo-admin" >&2
"$(target_dir)/debug/identity-demo" --client-file .local/demo-client --public-url "$DEMO_URL" &
demo_pid=$!
(cd tests/external && exec .venv/bin/python saml_idp.py --port 8082 --person sso.person@sso.demo.example \
  >/dev/null 2>"$ROOT/.local/test-idp.log") &
idp_pid=$!
echo "Test SAML identity provider: metadata at http://127.0.0.1:8082/metadata (it signs in sso.person@sso.demo.example); console: Single sign-on" >&2
# `serve` prints "identity service listening on http://127.0.0.1:PORT" and "open
# http://localhost:8080 in a browser" (the public URL), then JSON logs. Both processes stop
# with this script (Ctrl-C, or a supervisor's TERM).
"$BIN" serve &
serve_pid=$!
trap 'kill "$demo_pid" "$idp_pid" "$serve_pid" 2>/dev/null || true' EXIT INT TERM
wait "$serve_pid"
