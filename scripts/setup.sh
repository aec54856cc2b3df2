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
[ -f .env ] || true  # settings come from the environment or an optional .env (see .env.example)
echo "==> jobfeed $(.venv/bin/python -c 'import jobfeed; print(jobfeed.__version__)') ready in .venv"
