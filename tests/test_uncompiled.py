"""The kernels run uncompiled (``NUMBA_DISABLE_JIT=1``, how their coverage is measured) and give
the compiled results: bit for bit wherever the two runs perform the same operations.

Uncompiled, every kernel is plain Python and the numba intrinsics are their Python forms
(sims._numba.lowered_to): the bit casts are NumPy views and the fused multiply-add is formed
exactly in integer arithmetic and rounded once, as ``llvm.fma.f64`` does; ``math.exp``,
``math.log``, ``pow`` are the C library's in both runs.  Two operations differ, and only the
runs that use them get a tolerance (:data:`NOT_THE_SAME_OPERATIONS`):

* ``float ** int`` (Adam's and ACClip's bias corrections ``b ** (k + 1)``): numba multiplies by
  repeated squaring, Python calls the C library's ``pow``; each is within about an ulp.
* ``math.hypot`` (``pseudo_huber``): CPython computes it with its own algorithm, numba calls
  the C library's ``hypot``; both within an ulp.

A difference of an ulp in one operation per step stays within ``RTOL`` after the 24 steps of
these runs (the maps are contractions here: measured 5e-16), except in ``local_smoothness``, a
difference quotient ``||grad f(mid) - grad f(x)|| / ||mid - x||`` that amplifies it by
``|x| / ||step||`` (measured 1.2e-13): ``RTOL_QUOTIENT``.
A subprocess runs a small simulation of every method, every objective and every noise law, and
the samplers in each of their code paths; this process runs the same calls compiled.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sims.vecmath import fma
from sims._numba import jit

ROOT = Path(__file__).resolve().parents[1]

# Run by this module in-process (compiled) and in a subprocess with NUMBA_DISABLE_JIT=1.
_CODE = r"""
import json, numpy as np, sims

def hexed(a):
    return np.ascontiguousarray(np.asarray(a, dtype=float)).tobytes().hex()

def runs():
    out = {}
    for method in sims.METHODS:
        res = sims.simulate("quadratic", method, "stable", K=24, R=3, seed=5, objective_params={"dim": 2},
                            noise_params={"alpha": 1.4, "beta": 0.5})
        out[f"method {method}"] = {m: hexed(v) for m, v in sorted(res.records.items())}
    for objective in sims.OBJECTIVES:
        obj = sims.OBJECTIVES[objective]
        params = {"dim": 2} if "dim" in obj.param_names and obj.fixed_dim is None else {}
        res = sims.simulate(objective, "clipped_sgd", "gaussian", K=24, R=3, seed=6, objective_params=params)
        out[f"objective {objective}"] = {m: hexed(v) for m, v in sorted(res.records.items())}
    draws = [("stable", {"alpha": 1.5}), ("stable", {"alpha": 1.2, "beta": 0.7}), ("stable", {"alpha": 1.0}),
             ("stable", {"alpha": 1.0, "beta": -0.4}), ("stable", {"alpha": 2.0}), ("stable", {"alpha": 0.6, "beta": 1.0})]
    draws += [(law, {}) for law in sims.LAWS if law != "stable"]
    for law, params in draws:
        out[f"noise {law} {sorted(params.items())}"] = hexed(sims.sample_noise(law, 300, seed=7, **params))
        out[f"noise {law} {sorted(params.items())} dim 3"] = hexed(sims.sample_noise(law, 40, seed=8, dim=3, **params))
    return out
"""


def _namespace():
    namespace = {}
    exec(_CODE, namespace)
    return namespace


def test_uncompiled_runs_give_the_compiled_numbers_bit_for_bit():
    compiled = _namespace()["runs"]()
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(ROOT))
    script = _CODE + "\nprint(json.dumps(runs()))\n"
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    uncompiled = json.loads(proc.stdout)
    assert uncompiled.keys() == compiled.keys()
    differing = [name for name in compiled if uncompiled[name] != compiled[name]]
    assert set(differing) <= set(NOT_THE_SAME_OPERATIONS), differing
    for name in NOT_THE_SAME_OPERATIONS:
        for metric, text in compiled[name].items():
            a, b = (np.frombuffer(bytes.fromhex(t)) for t in (text, uncompiled[name][metric]))
            assert np.array_equal(np.isnan(a), np.isnan(b)), (name, metric)
            rtol = RTOL_QUOTIENT if metric == "local_smoothness" else RTOL
            np.testing.assert_allclose(b, a, rtol=rtol, atol=0, err_msg=f"{name} {metric}")


#: Runs that perform an operation differently compiled and uncompiled (module docstring).
NOT_THE_SAME_OPERATIONS = {
    "method adam": "b ** (k + 1): repeated squaring compiled, C pow uncompiled",
    "method acclip": "b ** (k + 1): repeated squaring compiled, C pow uncompiled",
    "objective pseudo_huber": "math.hypot: C library compiled, CPython's own uncompiled",
}
RTOL = 1e-14
RTOL_QUOTIENT = 1e-11


@jit
def _compiled_fma(a, b, c):
    return fma(a, b, c)


def _bits(values):
    return np.asarray(values, dtype=np.float64).view(np.int64)


def test_python_fma_is_the_fused_multiply_add():
    # Random operands over the whole exponent range, cancellations (c = -a*b), products beyond
    # the float range, subnormal results, signed zeros, inf and nan, and the overflow threshold.
    rng = np.random.default_rng(3)
    big = np.finfo(float).max
    values = np.concatenate([
        rng.standard_normal(600) * 10.0 ** rng.integers(-320, 300, 600),
        rng.standard_normal(200) * 2.0 ** rng.integers(-1074, -1000, 200),
        [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, big, -big, 2.0**-1022, 1.0, -1.0],
    ])
    cases = [tuple(rng.choice(values, 3)) for _ in range(6000)]
    with np.errstate(all="ignore"):
        cases += [(a, b, -(a * b)) for a, b, _ in cases[:1500]]
    cases += [(1 + k * 2.0**-52, 1 - k * 2.0**-52, -1.0) for k in range(1, 200)]  # exact low part -k^2 2^-104
    cases += [(big, 1.0, 2.0**970), (big, 1.0, 2.0**970 - 2.0**918), (2.0**1023, 2.0, -(2.0**970)),
              (2.0**1023, 2.0, -(2.0**971)), (2.0**-600, 2.0**-500, 2.0**-1074), (2.0**-537, 2.0**-537, -(2.0**-1074))]
    with np.errstate(all="ignore"):
        python = [fma(a, b, c) for a, b, c in cases]
        compiled = [_compiled_fma(a, b, c) for a, b, c in cases]
    py, co = _bits(python), _bits(compiled)
    nan = np.isnan(python) & np.isnan(compiled)
    assert np.all((py == co) | nan)
    assert fma(1.0 + 2.0**-30, 1.0 - 2.0**-30, -1.0) == -(2.0**-60)  # unfused: 0
