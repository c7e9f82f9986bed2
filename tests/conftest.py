"""Fixtures shared by the test files."""

import os

# Test files run in parallel, one process per core (scripts/test.sh). Each torch would otherwise
# start an intra-op thread per core, so two processes on two cores keep four busy threads, which
# spin waiting for one another; one thread each (and for the servers they start, which inherit
# the variable) made the suite's CPU-bound half 8% faster on two cores. Set before torch loads.
if os.environ.get("PYTEST_XDIST_WORKER") and "OMP_NUM_THREADS" not in os.environ:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))

# A page's job runner starts its worker processes at once, one per core by default: forks of a
# template that imports torch once per process (about 3.5 s of CPU), each then holding memory.
# Most test files make a runner of their own and train little or nothing, so one worker each
# (and the AppTest files share one pool: apptest_helpers.LentPool).
# The pool's own tests (tests/test_pool.py) ask for their worker counts explicitly.
os.environ.setdefault("RESNET_EXPLORER_WORKERS", "1")

import pytest  # noqa: E402
import torch  # noqa: E402


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op thread while a module runs many tiny nets: starting threads costs more than the
    maths, and on a busy two-core machine two OpenMP threads can stall each other for tens of ms an op."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
