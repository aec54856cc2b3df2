#!/usr/bin/env bash
# Create .venv and install jobfeed with its pinned dependencies (PyPI only). Idempotent and quick
# when nothing changed: the install is skipped while .venv/.installed is newer than pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] < (3, 13) else 1)'; then
  echo "jobfeed needs Python 3.11 or 3.12 (found: $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  echo "==> installing jobfeed and its dependencies into .venv (about a minute the first time)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
  touch .venv/.installed
fi
# --browser: Debian's Chromium for the dashboard's real-browser test (never a downloaded browser).
if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Debian's chromium for the browser test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "   (chromium could not be installed: the browser test will be skipped)" >&2
  else
    echo "   (no root/apt: install Debian's chromium yourself, or the browser test is skipped)" >&2
  fi
fi
echo "==> jobfeed $(.venv/bin/python -c 'import jobfeed; print(jobfeed.__version__)') ready in .venv: run .venv/bin/jobfeed, or first: source .venv/bin/activate"
