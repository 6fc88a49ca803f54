#!/usr/bin/env bash
# One command: install everything the tests need (scripts/install.sh --dev),
# check style (scripts/lint.sh), then run them all (unit, AppTest, notebook, headless-Chromium end-to-end).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/render/test_render.py`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
# Style first: it takes a second, and CI fails on it like on a test.
bash scripts/lint.sh
echo "test: .venv/bin/python -m pytest $*"
exec .venv/bin/python -m pytest "$@"
