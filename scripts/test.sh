#!/usr/bin/env bash
# One command: install everything the tests need (scripts/install.sh --dev),
# then run them all (unit, AppTest, notebook, headless-Chromium end-to-end).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/test_render.py`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
echo "test: .venv/bin/python -m pytest $*"
exec .venv/bin/python -m pytest "$@"
