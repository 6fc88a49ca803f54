#!/usr/bin/env bash
# One command: install what the app needs (scripts/install.sh), then start it
# on http://localhost:8501. Extra arguments go to `streamlit run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
echo "run-app: .venv/bin/python -m streamlit run app.py $*"
exec .venv/bin/python -m streamlit run app.py "$@"
