#!/usr/bin/env bash
# Installs the pinned third-party test tools into git-ignored folders beside this script:
# Python packages into .venv (requirements.txt) and .venv-schemathesis, Node packages into node_modules
# (package-lock.json). Reuses what is already installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt .venv/.installed 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/.installed
fi
# --python-only: just the .venv above (deploy/local/run.sh's test SAML IdP needs no more).
[ "${1:-}" = "--python-only" ] && exit 0
# schemathesis in a venv of its own: its dependencies must not move the verifiers' pins.
if [ ! -x .venv-schemathesis/bin/schemathesis ] || ! cmp -s requirements-schemathesis.txt .venv-schemathesis/.installed 2>/dev/null; then
  python3 -m venv .venv-schemathesis
  .venv-schemathesis/bin/pip install --quiet --disable-pip-version-check -r requirements-schemathesis.txt
  cp requirements-schemathesis.txt .venv-schemathesis/.installed
fi
if [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/.installed-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  cp package-lock.json node_modules/.installed-lock
fi
