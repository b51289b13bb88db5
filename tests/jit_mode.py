"""Whether numba compiles the kernels in this test run, for the tests that depend on it.

With ``NUMBA_DISABLE_JIT=1`` (how the coverage of the kernels is measured: ``python3 tasks.py
coverage``) every kernel runs as plain Python: a stable draw takes about 1 ms, a simulation step
of one replicate about 0.7 ms.  Tests that inspect compiled code skip (:data:`needs_jit`); tests
whose point is a distribution at a large sample size skip with :func:`compiled_only` (the
compiled suite runs them; ``tests/test_uncompiled.py`` checks that the uncompiled kernels give
the compiled numbers bit for bit, so what they check carries over) or draw fewer values where
the check keeps its power (:func:`sample_size`).  Every other test is held to
:data:`UNCOMPILED_BUDGET` (:func:`skip_beyond_budget`, applied by ``tests/conftest.py``).
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


#: Uncompiled, the largest simulation (replicates x steps x dimension) or sampling request
#: (draws x dimension) a test may make: about 20 s as plain Python (0.7 ms per replicate-step
#: at d = 2, 1 ms per stable draw).
UNCOMPILED_BUDGET = 20_000


def skip_beyond_budget(monkeypatch) -> None:
    """Uncompiled only: make ``sims.simulate`` and ``sims.sample_noise`` skip the calling test,
    before any work, when a request exceeds :data:`UNCOMPILED_BUDGET`.

    Used by ``tests/conftest.py`` for every test, so that the suite runs uncompiled in hours
    rather than days; the skipped tests are those whose point is a distribution or a trajectory
    at a size only compiled code draws in reasonable time, and the compiled suite runs them.
    """
    import sims.engine
    import sims.noise

    run_block, sample_block = sims.engine._run_block, sims.noise._sample_block

    def check(work, what):
        if work > UNCOMPILED_BUDGET:
            pytest.skip(
                f"uncompiled, this test asks for {what} = {work:.2g}, above the budget of {UNCOMPILED_BUDGET:.0e} "
                "(tests/jit_mode.py); it runs in the compiled suite"
            )

    def guarded_run_block(*args):
        r0, r1, k0, k1, X = args[10], args[11], args[12], args[13], args[19]
        if r1 > r0:  # (the empty call that compiles the kernel is free)
            check(X.shape[0] * (args[14] + 1) * X.shape[1], "replicates x steps x dimension")
        return run_block(*args)

    def guarded_sample_block(law_id, p, seed, replicate, n, out):
        check(n * out.shape[1], "draws x dimension")
        return sample_block(law_id, p, seed, replicate, n, out)

    monkeypatch.setattr(sims.engine, "_run_block", guarded_run_block)
    monkeypatch.setattr(sims.noise, "_sample_block", guarded_sample_block)
