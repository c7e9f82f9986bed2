#!/usr/bin/env bash
# Everything a fresh machine needs, then the whole test suite: bash scripts/test.sh [pytest args]
# Exits with pytest's code (5 when no test ran, so an empty run never passes). Test files run in
# parallel, one process per core (PYTEST_WORKERS=0 runs them in this process, one after another).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh requirements-dev.txt
# One process per core. One more is no faster since the browser tests reuse their tabs (two quiet
# cores, 2026-12: 376 s against 374 s), and twice in a fresh clone it left test_school_day finding
# the server with 8 threads more after the day than after its first lesson, its runs ended.
workers="${PYTEST_WORKERS:-auto}"
if [ "$workers" = "0" ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
# loadfile: a file's tests share one process, so module fixtures (a trained net, a server) are made once.
# Files are handed out slowest first (tests/conftest.py SLOW_FIRST), not by how many tests they hold.
exec .venv/bin/python -m pytest -q -n "$workers" --dist loadfile --no-loadscope-reorder "$@"
