#!/usr/bin/env bash
# One command: install what the app needs, then start it on http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec python3 -m streamlit run app.py "$@"
