"""Test-wide fixtures."""

import pytest

from jit_mode import UNCOMPILED, skip_beyond_budget


@pytest.fixture(autouse=True)
def _uncompiled_budget(monkeypatch):
    # NUMBA_DISABLE_JIT=1: skip the tests whose simulations or draws would take hours as plain Python
    if UNCOMPILED:
        skip_beyond_budget(monkeypatch)
