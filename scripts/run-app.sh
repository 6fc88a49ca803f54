#!/usr/bin/env bash
# One command: install what the app needs (scripts/install.sh), then start it
# on http://localhost:8501 through the launcher (graphs/launcher.py), which
# also picks the programs' limits: the `local` profile (minutes per program)
# while the server listens on localhost only, `hosted` (10 s) once you choose
# --server.address. --port, --trusted and --profile local|hosted are the
# launcher's; every other argument goes to `streamlit run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
echo "run-app: .venv/bin/python -m graphs.launcher $*"
exec .venv/bin/python -m graphs.launcher "$@"
