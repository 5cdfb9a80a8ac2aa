#!/usr/bin/env bash
# Installs the pinned third-party test tools into git-ignored folders beside this script:
# Python packages into .venv (requirements.txt), Node packages into node_modules
# (package-lock.json). Reuses what is already installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt .venv/.installed 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/.installed
fi
if [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/.installed-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  cp package-lock.json node_modules/.installed-lock
fi
