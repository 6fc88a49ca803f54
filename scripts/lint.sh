#!/usr/bin/env bash
# Lint and format check with ruff (settings in pyproject.toml): .venv's ruff,
# pinned in requirements-dev.txt (bash scripts/install.sh --dev), else ruff on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff=.venv/bin/ruff
[ -x "$ruff" ] || ruff=$(command -v ruff) || {
  echo "lint: ruff not found; bash scripts/install.sh --dev installs it into .venv" >&2
  exit 1
}
echo "lint: $ruff check . && $ruff format --check ."
"$ruff" check .
"$ruff" format --check .
