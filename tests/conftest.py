"""Fixtures shared by the test files."""

import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op thread while a module runs many tiny nets: starting threads costs more than the
    maths, and on a busy two-core machine two OpenMP threads can stall each other for tens of ms an op."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
