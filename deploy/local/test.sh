#!/usr/bin/env bash
# Runs the whole test suite: formatting, lints, unit and integration tests (real PostgreSQL
# and Redis, one database per test), one quick pass of every benchmark, and every load script
# once in a short mode.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

ensure_build_tools
ensure_postgres
ensure_redis
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
# Debian's Chromium for the real-browser test (driven by playwright-core).
[ -x /usr/bin/chromium ] || apt_install chromium
# Debian's xmlsec1 signs and encrypts for the pysaml2 identity provider of the SSO tests.
apt_install xmlsec1
log "third-party test tools (tests/external)"
"$ROOT/tests/external/install.sh"

if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy
fi
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --locked --all-targets --quiet -- -D warnings
log "cargo test"
cargo test --locked --all-targets
log "every load script once, short (deploy/local/load_smoke.sh)"
"$ROOT/deploy/local/load_smoke.sh"
