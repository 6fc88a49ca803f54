#!/usr/bin/env bash
# One command: install everything the tests need, then run them all
# (unit, AppTest and the headless-Chromium end-to-end test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
python3 -m pytest "$@"
