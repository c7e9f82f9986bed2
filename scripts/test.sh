#!/usr/bin/env bash
# Everything a fresh machine needs, then the whole test suite: bash scripts/test.sh [pytest args]
# Exits with pytest's code (5 when no test ran, so an empty run never passes). Test files run in
# parallel, one process per core and one more (PYTEST_WORKERS=0 runs them in this process, one after another).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh requirements-dev.txt
# One process more than the cores: a file often waits (a server starting, a Ray head, a browser
# settling), and the extra process fills those waits. On two quiet cores: 437 s against 471 s with
# one per core; the vmstat idle share fell from 14% to 3-4%.
workers="${PYTEST_WORKERS:-$(( $(nproc) + 1 ))}"
if [ "$workers" = "0" ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
# loadfile: a file's tests share one process, so module fixtures (a trained net, a server) are made once.
# Files are handed out slowest first (tests/conftest.py SLOW_FIRST), not by how many tests they hold.
exec .venv/bin/python -m pytest -q -n "$workers" --dist loadfile --no-loadscope-reorder "$@"
