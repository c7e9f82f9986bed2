#!/usr/bin/env bash
# Everything a fresh machine needs, then the whole test suite: bash scripts/test.sh [pytest args]
# Exits with pytest's code (5 when no test ran, so an empty run never passes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh requirements-dev.txt
exec .venv/bin/python -m pytest -q "$@"
