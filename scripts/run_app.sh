#!/usr/bin/env bash
# Set up .venv if needed, then start the explorer: bash scripts/run_app.sh [streamlit options]
# e.g. bash scripts/run_app.sh --server.port 8501 --server.address 0.0.0.0   (for a classroom)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh requirements.txt
# Runs app.py once as soon as the server answers, so the first visitor finds it warm. Started from
# a subshell that ends at once, so it is not the server's child: the server never waits for its
# children, and the finished warm-up would stay behind it as a zombie process.
( .venv/bin/python scripts/warm_up.py "$@" & )
exec .venv/bin/streamlit run app.py "$@"
