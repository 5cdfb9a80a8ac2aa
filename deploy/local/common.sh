#!/usr/bin/env bash
# Shared set-up for the run and test commands: installs what is missing (Debian, as root),
# starts PostgreSQL and Redis when they are not answering, and reuses them when they are.
# Safe to run again and again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PG_HOST=127.0.0.1
PG_PORT="${IDENTITY_PG_PORT:-5432}"
REDIS_PORT="${IDENTITY_REDIS_PORT:-6379}"
export IDENTITY_TEST_PG="${IDENTITY_TEST_PG:-postgres://postgres@${PG_HOST}:${PG_PORT}}"
export IDENTITY_TEST_REDIS="${IDENTITY_TEST_REDIS:-redis://127.0.0.1:${REDIS_PORT}}"

log() { printf '[setup] %s\n' "$*" >&2; }

APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root to install them)"; return 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"; DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null; APT_UPDATED=1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_build_tools() {
  apt_install ca-certificates pkg-config gcc libc6-dev libssl-dev libpq-dev libxml2-dev libxmlsec1-dev libclang-dev clang \
    postgresql postgresql-client redis-server redis-tools python3 python3-venv openssl
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    log "cargo not found: installing Debian's Rust toolchain (rustc >= 1.88 is required)"
    apt_install cargo rustc
  fi
}

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" 2>/dev/null; }
pg_superuser_ok() { psql "postgres://postgres@${PG_HOST}:${PG_PORT}/postgres" -Atqc 'select 1' >/dev/null 2>&1; }

ensure_postgres() {
  if ! pg_up; then
    local version
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)"
    if [ -z "$version" ]; then
      log "no PostgreSQL cluster found"; apt_install postgresql
      version="$(ls /etc/postgresql | sort -V | tail -n1)"
    fi
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$version main$"; then
      pg_createcluster "$version" main >/dev/null
    fi
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main start
    for _ in $(seq 1 50); do pg_up && break; sleep 0.2; done
    pg_up || { log "PostgreSQL did not come up on ${PG_HOST}:${PG_PORT}"; return 1; }
  fi
  if ! pg_superuser_ok; then
    # A fresh Debian cluster asks for passwords on TCP. This is a dev/CI machine: let local
    # TCP connections in without one (never do this on a shared or production server).
    local hba
    hba="$(runuser -u postgres -- psql -Atqc 'show hba_file')"
    log "allowing local TCP connections without password in $hba (dev/CI only)"
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    runuser -u postgres -- psql -Atqc 'select pg_reload_conf()' >/dev/null
    sleep 0.5
    pg_superuser_ok || { log "cannot connect as postgres to ${PG_HOST}:${PG_PORT}"; return 1; }
  fi
}

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

ensure_redis() {
  redis_up && return 0
  apt_install redis-server redis-tools
  log "starting Redis on 127.0.0.1:${REDIS_PORT}"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp --logfile /tmp/identity-redis.log
  for _ in $(seq 1 50); do redis_up && break; sleep 0.1; done
  redis_up || { log "Redis did not come up"; return 1; }
}

# A development platform key, generated once and kept out of git.
# The development platform key in .local/platform-key (made on first use). The local
# config names this file, so the CLI and the service find it by themselves.
ensure_dev_key_file() {
  mkdir -p "$ROOT/.local"
  if [ ! -s "$ROOT/.local/platform-key" ]; then
    (umask 077; printf '1:%s\n' "$(head -c 32 /dev/urandom | base64 -w0)" > "$ROOT/.local/platform-key")
    log "generated a development platform key in .local/platform-key"
  fi
}

# The same key exported, for scripts that run with configs of their own (deploy/load).
ensure_dev_key() {
  if [ -z "${IDENTITY_PLATFORM_ENCRYPTION_KEY:-}" ]; then
    ensure_dev_key_file
    IDENTITY_PLATFORM_ENCRYPTION_KEY="$(cat "$ROOT/.local/platform-key")"
    export IDENTITY_PLATFORM_ENCRYPTION_KEY
  fi
}

# The newcomer's test SAML IdP (tests/external/saml_idp.py: pysaml2 signing with xmlsec1).
ensure_test_idp() {
  apt_install xmlsec1
  bash "$ROOT/tests/external/install.sh" --python-only
}

ensure_database() {
  local db="$1"
  if ! psql "postgres://postgres@${PG_HOST}:${PG_PORT}/postgres" -Atqc "select 1 from pg_database where datname = '$db'" | grep -q 1; then
    log "creating database $db"
    psql "postgres://postgres@${PG_HOST}:${PG_PORT}/postgres" -qc "CREATE DATABASE \"$db\"" >/dev/null
  fi
}

# For the scripts in deploy/load: the release binary in $BIN (given, or built here).
# LOAD_SMOKE=1 (the test command's run of every load script) uses the debug build the tests
# already made: it checks that the script works, not how fast the service is.
# Where cargo puts what it builds: CARGO_TARGET_DIR when the environment sets one.
target_dir() {
  echo "${CARGO_TARGET_DIR:-$ROOT/target}"
}

load_binary() {
  if [ -n "${BIN:-}" ]; then   # BIN=<path> measures a binary built elsewhere (an older commit, say)
    return 0
  fi
  if [ "${LOAD_SMOKE:-0}" = 1 ]; then
    cargo build --quiet --bin identity
    BIN="$(target_dir)/debug/identity"
  else
    log "release build"
    cargo build --release --quiet --bin identity
    BIN="$(target_dir)/release/identity"
  fi
}

# A fresh database $1 (and no keys database of it) for a load run, and the service's environment pointing at it on port $2
# (its own Redis key prefix, warnings only). Sets PG to the superuser's connection base.
fresh_load_db() {
  local db="$1" port="$2"
  PG="postgres://postgres@${PG_HOST}:${PG_PORT}"
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  # Its keys database (made by `identity migrate`) goes with it.
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS ${db}_keys WITH (FORCE)" >/dev/null 2>&1
  psql "$PG/postgres" -qc "CREATE DATABASE $db" >/dev/null
  export IDENTITY_CONFIG="$ROOT/deploy/config/local.yaml"
  export IDENTITY__DATABASE__URL="postgres://identity_app@${PG_HOST}:${PG_PORT}/$db"
  export IDENTITY__DATABASE__MIGRATE_URL="$PG/$db"
  export IDENTITY__REDIS__KEY_PREFIX="identity:load:$db:$$:"
  export IDENTITY__SERVER__PORT="$port"
  export IDENTITY__LOG__LEVEL=warn
}
