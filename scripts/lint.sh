#!/usr/bin/env bash
# Lint and format check with ruff (settings in pyproject.toml). Uses .venv's
# ruff when present (scripts/install.sh --dev), else the one on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff=ruff
[ -x .venv/bin/ruff ] && ruff=.venv/bin/ruff
echo "lint: $ruff check . && $ruff format --check ."
"$ruff" check .
"$ruff" format --check .
