#!/usr/bin/env bash
# Everything a fresh machine needs, then the whole test suite: bash scripts/test.sh [pytest args]
# Exits with pytest's code (5 when no test ran, so an empty run never passes). Test files run in
# parallel, one process per core and one more, fewer where memory is short (PYTEST_WORKERS=N sets the
# number; PYTEST_WORKERS=0 runs them in this process, one after another).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh requirements-dev.txt
# One process more than there are cores: some files mostly wait (a Ray head starting, nets training
# in a server, a page's clock), and the extra process fills that time with another file's work.
# Two quiet cores, 2026-12, one run after the other: 348 s with three processes against 398 s with
# two (the machine idle a fifth of the time with two, 5% with three).
# Each process, with its app server, training worker and browser, holds up to about 2.7 GB (three
# held 8.1 GB at their peak, Ray and Chromium included): a machine with less memory runs fewer, one
# per 3 GB, so that a small laptop does not run out of memory.
workers="${PYTEST_WORKERS:-$(.venv/bin/python -c 'import os
gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
print(max(1, min((os.cpu_count() or 1) + 1, int(gb // 3))))')}"
if [ "$workers" = "0" ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
# loadfile: a file's tests share one process, so module fixtures (a trained net, a server) are made once.
# Files are handed out slowest first (tests/conftest.py SLOW_FIRST), not by how many tests they hold.
exec .venv/bin/python -m pytest -q -n "$workers" --dist loadfile --no-loadscope-reorder "$@"
