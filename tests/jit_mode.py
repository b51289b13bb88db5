"""Whether numba compiles the kernels in this test run, for the tests that depend on it.

With ``NUMBA_DISABLE_JIT=1`` (how the coverage of the kernels is measured, see the coverage
command in ``tasks.py``) every kernel runs as plain Python, 10^3-10^4 times slower: a stable draw
takes ~1 ms instead of ~0.1 us, a simulation step ~0.7 ms.  Tests that inspect compiled code
skip (:data:`needs_jit`); tests whose point is a distribution at a large sample size skip with
:func:`compiled_only` (the compiled suite runs them; ``tests/test_uncompiled.py`` checks that
the uncompiled kernels give the compiled numbers bit for bit, so what they check carries over).
"""

import numba
import pytest

#: True when numba compiles nothing (``NUMBA_DISABLE_JIT=1``).
UNCOMPILED = bool(numba.config.DISABLE_JIT)

#: Mark for tests of compiled code itself (assembly, LLVM IR, the on-disk cache, dispatcher stats).
needs_jit = pytest.mark.skipif(
    UNCOMPILED, reason="inspects numba's compiled code (assembly, LLVM IR, cache), which NUMBA_DISABLE_JIT=1 does not produce"
)


def compiled_only(draws: str):
    """Skip mark for a test of a distribution at a sample size that takes hours uncompiled.

    ``draws`` says what the test draws, e.g. ``"10^5 stable draws per case"``.
    """
    return pytest.mark.skipif(
        UNCOMPILED,
        reason=f"{draws}: hours as plain Python; runs in the compiled suite, and tests/test_uncompiled.py "
        "checks that the uncompiled samplers and simulator give the compiled numbers bit for bit",
    )


def sample_size(compiled: int, uncompiled: int) -> int:
    """``compiled`` draws normally, ``uncompiled`` with ``NUMBA_DISABLE_JIT=1``.

    Only for checks that keep adequate power at the smaller size (the caller says why).
    """
    return uncompiled if UNCOMPILED else compiled
