"""Tests of sims/vecmath.py: accuracy in ulps, special values, bit casts and FMA,
on-disk caching, vectorization of the generated code, and the alpha-stable
block sampler.

Oracles
-------
* mpmath at 256 bits (installed with sympy) on structured hard points (powers
  of two, reduction boundaries, the nearest doubles to multiples of pi/2,
  overflow/underflow thresholds) and on random points.
* x87 80-bit long double (64-bit significand, glibc's ``logl``/``expl``/
  ``sinl``/``cosl``) on dense grids of 10^5-10^6 points, where mpmath would be
  too slow.  It is itself checked against mpmath (agreement to 1/256 ulp of
  double), so it adds at most that to a measured error.

Ulps.  For an exact result ``y`` the unit is ``2^(floor(log2|y|) - 52)``,
never less than ``2^-1074``.  At overflow: where ``y`` rounds to infinity
(``|y| >= 2^1024 (1 - 2^-54)``) the result must be that infinity (error 0,
else infinite); elsewhere an infinite result counts as ``2^1024``.  The
measured maxima at the time of writing (fixed seeds) are given next to each
bound.

Stable sampler.  The oracle is the textbook formula (Chambers-Mallows-Stuck,
Weron 1996, as documented in sims/noise.py) in mpmath.  The tolerance for each
draw is a *running error analysis*: each implementation (sims.vecmath and
sims.noise) is transcribed operation by operation with a first-order error
bound (``_Err``): every IEEE operation contributes half an ulp (none if its
operands are exact and so is its result), every function of sims.vecmath its
tested 1-ulp bound, and every libm function (log, exp, sin, cos, tan, atan,
pow) an assumed 1 ulp, within glibc's published bounds for x86-64.  The
transcriptions are also checked to be the same mathematics as the oracle.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import llvmlite.binding as llvm
import mpmath
import numba
import numpy as np
import pytest

from sims import vecmath as vm
from sims._numba import JIT_OPTIONS, jit
from sims.noise import stable_from_uniforms
from sims.rng import uniform_pair
from sims.params import InvalidParameter

from jit_mode import needs_jit

EPS = 2.0**-53  # unit roundoff of float64
MP_PREC = 256
FUNCS = ("log", "exp", "sin", "cos", "sinpi", "cospi")
# Bounds stated in the docstrings of sims.vecmath, in ulps.
ULP_BOUND = {"log": 1.0, "exp": 1.0, "sin": 1.0, "cos": 1.0, "sinpi": 1.0, "cospi": 1.0}
DBL_MAX = np.finfo(np.float64).max
LD = np.longdouble
LD_PI = LD("3.14159265358979323846264338327950288")
OVERFLOW_EDGE = 2**1024 - 2**970  # exact values from here on round to infinity (DBL_MAX + half an ulp)


# ----------------------------------------------------------------------------- compiled helpers


@jit
def _apply(func_id, x, out):
    """out[i] = f(x[i]) for the function FUNCS[func_id] (dispatch by id: passing functions would not cache)."""
    for i in range(x.shape[0]):
        if func_id == 0:
            out[i] = vm.log(x[i])
        elif func_id == 1:
            out[i] = vm.exp(x[i])
        elif func_id == 2:
            out[i] = vm.sin(x[i])
        elif func_id == 3:
            out[i] = vm.cos(x[i])
        elif func_id == 4:
            out[i] = vm.sinpi(x[i])
        else:
            out[i] = vm.cospi(x[i])


@jit
def _bitcasts(x, as_int, as_uint, back_from_int, back_from_uint):
    for i in range(x.shape[0]):
        as_int[i] = vm.bitcast_to_int64(x[i])
        as_uint[i] = vm.bitcast_to_uint64(x[i])
        back_from_int[i] = vm.bitcast_to_float64(as_int[i])
        back_from_uint[i] = vm.bitcast_to_float64(as_uint[i])


@jit
def _fma_array(a, b, c, out):
    for i in range(a.shape[0]):
        out[i] = vm.fma(a[i], b[i], c[i])


@jit
def _fma_int_args(a, b, c):
    return vm.fma(a, b, c)


@jit
def _reference_block(u1, u2, alpha, beta, scale, out):
    for i in range(out.shape[0]):
        out[i] = stable_from_uniforms(u1[i], u2[i], alpha, beta, scale)


def apply(name, x):
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    _apply(FUNCS.index(name), x, out)
    return out


# ----------------------------------------------------------------------------- oracles and ulps


def _mp_exact(name, x):
    """The exact value at the double x, as an mpf (caller sets the precision)."""
    v = mpmath.mpf(float(x))
    return {
        "log": mpmath.log,
        "exp": mpmath.exp,
        "sin": mpmath.sin,
        "cos": mpmath.cos,
        "sinpi": mpmath.sinpi,
        "cospi": mpmath.cospi,
    }[name](v)


def mp_ulp_errors(name, x):
    """Errors in ulps of sims.vecmath's ``name`` at the points x, against mpmath."""
    x = np.asarray(x, dtype=np.float64)
    got = apply(name, x)
    errs = np.empty(x.size)
    with mpmath.workprec(MP_PREC):
        for i, (xi, gi) in enumerate(zip(x, got)):
            y = _mp_exact(name, xi)
            g = mpmath.mpf(2) ** 1024 * np.sign(gi) if np.isinf(gi) else mpmath.mpf(float(gi))
            if y == 0:
                errs[i] = 0.0 if g == 0 else math.inf
                continue
            if abs(y) >= OVERFLOW_EDGE:
                errs[i] = 0.0 if np.isinf(gi) and np.sign(gi) == mpmath.sign(y) else math.inf
                continue
            _, e = mpmath.frexp(y)
            errs[i] = float(abs(g - y) / mpmath.ldexp(1, max(int(e) - 53, -1074)))
    return errs


def ld_exact(name, x):
    """Long-double oracle; sinpi/cospi reduce x = n/2 + r exactly first (as an exact reference must)."""
    xl = np.asarray(x, dtype=np.float64).astype(LD)
    if name in ("sinpi", "cospi"):
        n = np.rint(2 * xl)
        r = xl - n / 2
        q = (n.astype(np.int64) + (name == "cospi")) & 3
        s, c = np.sin(LD_PI * r), np.cos(LD_PI * r)
        return np.select([q == 0, q == 1, q == 2], [s, c, -s], -c)
    return {"log": np.log, "exp": np.exp, "sin": np.sin, "cos": np.cos}[name](xl)


def ld_ulp_errors_of(got, exact):
    got = np.asarray(got, dtype=np.float64)
    g = np.where(np.isinf(got), np.copysign(LD(2.0) ** 1024, got), got.astype(LD))
    _, e = np.frexp(exact)
    unit = np.ldexp(LD(1), np.maximum(e - 53, -1074))
    errs = np.asarray(np.abs(g - exact) / unit, dtype=np.float64)
    overflows = np.abs(exact) >= LD(OVERFLOW_EDGE)
    correct_inf = np.isinf(got) & (np.sign(got) == np.sign(exact))
    return np.where(overflows, np.where(correct_inf, 0.0, np.inf), errs)


def ld_ulp_errors(name, x):
    """Errors in ulps against the long-double oracle."""
    return ld_ulp_errors_of(apply(name, x), ld_exact(name, x))


def _report(name, errs, where):
    i = int(np.argmax(errs))
    return f"{name}: max error {errs[i]:.4f} ulp at x = {where[i]!r} (bound {ULP_BOUND[name]})"


def _log_uniform(rng, lo_exp, hi_exp, n):
    return np.exp2(rng.uniform(lo_exp, hi_exp, n))


def _neighbours(x, k):
    """x and its k nearest doubles on each side."""
    x = np.asarray(x, dtype=np.float64)
    out = [x]
    up, down = x.copy(), x.copy()
    with np.errstate(over="ignore"):  # the neighbour of DBL_MAX is inf
        for _ in range(k):
            up, down = np.nextafter(up, np.inf), np.nextafter(down, -np.inf)
            out += [up, down]
    return np.concatenate(out)


# ----------------------------------------------------------------------------- constants


def test_split_constants():
    """The Cody-Waite splits and magic numbers are what the method requires."""

    def significant_bits(v):
        m = Fraction(v)
        while m.denominator != 1:
            m *= 2
        m = m.numerator
        while m % 2 == 0:
            m //= 2
        return m.bit_length()

    with mpmath.workprec(MP_PREC):
        pio2 = mpmath.pi / 2
        assert significant_bits(vm._PIO2_1) <= 33 and significant_bits(vm._PIO2_2) <= 33
        assert abs(mpmath.mpf(vm._PIO2_1) + vm._PIO2_2 + vm._PIO2_2T - pio2) < mpmath.mpf(2) ** -118
        assert significant_bits(vm._LN2_HI) <= 32  # so k LN2_HI is exact for |k| < 2^21
        assert abs(mpmath.mpf(vm._LN2_HI) + vm._LN2_LO - mpmath.log(2)) < mpmath.mpf(2) ** -86
        assert abs(mpmath.mpf(vm._PI) + vm._PI_LO - mpmath.pi) < mpmath.mpf(2) ** -106
        assert abs(vm._INV_LN2 - 1 / mpmath.log(2)) <= mpmath.mpf(2) ** -53
        assert abs(vm._INV_PIO2 - 1 / pio2) <= mpmath.mpf(2) ** -54
    assert vm._SHIFTER == 1.5 * 2.0**52
    assert np.float64(vm._SHIFTER).view(np.int64) == vm._SHIFTER_BITS
    assert np.float64(math.sqrt(0.5)).view(np.int64) == vm._SQRT_HALF_BITS
    assert vm._TWO_54 == 2.0**54 and vm._SMALLEST_NORMAL == np.finfo(np.float64).tiny


# ----------------------------------------------------------------------------- bit casts, fma, cache


def test_bitcasts_match_numpy_views():
    specials = [0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, np.nan, 5e-324, DBL_MAX, -2.2250738585072014e-308]
    x = np.concatenate([specials, np.random.default_rng(1).standard_normal(1000) * 1e10])
    # a nan with a payload survives the round trip bit for bit
    x = np.concatenate([x, np.array([0x7FF8000000000123], dtype=np.int64).view(np.float64)])
    as_int, as_uint = np.empty(x.size, np.int64), np.empty(x.size, np.uint64)
    back_i, back_u = np.empty_like(x), np.empty_like(x)
    _bitcasts(x, as_int, as_uint, back_i, back_u)
    np.testing.assert_array_equal(as_int, x.view(np.int64))
    np.testing.assert_array_equal(as_uint, x.view(np.uint64))
    np.testing.assert_array_equal(back_i.view(np.int64), x.view(np.int64))
    np.testing.assert_array_equal(back_u.view(np.int64), x.view(np.int64))


def test_fma_is_fused():
    """One rounding of the exact a*b + c (Python's float(Fraction) rounds correctly)."""
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal(2000) * 10.0 ** rng.integers(-5, 5, 2000) for _ in range(3))
    c = np.where(np.arange(2000) % 2 == 0, -a * b, c)  # half the cases: c cancels the rounded product
    out = np.empty_like(a)
    _fma_array(a, b, c, out)
    exact = [float(Fraction(ai) * Fraction(bi) + Fraction(ci)) for ai, bi, ci in zip(a, b, c)]
    np.testing.assert_array_equal(out, exact)
    # (1 + 2^-30)(1 - 2^-30) - 1 = -2^-60 exactly; an unfused multiply-add gives 0
    assert _fma_array_scalar(1.0 + 2.0**-30, 1.0 - 2.0**-30, -1.0) == -(2.0**-60)
    assert _fma_int_args(3, 4, 5) == 17.0


def _fma_array_scalar(a, b, c):
    out = np.empty(1)
    _fma_array(np.array([a]), np.array([b]), np.array([c]), out)
    return out[0]


# vm.log uses both bit casts and fma; vm._stable_cauchy_loop is a cached kernel whose callees
# (sinpi, ...) are cached functions built on the intrinsics
_CACHE_PROBE = """
import json, numpy as np
from sims import vecmath as vm
u = np.array([2.0**-54, 0.3, 0.5 + 2.0**-54, 1 - 2.0**-54])
out = np.empty(4)
vm._stable_cauchy_loop(u, 1.0, out)
values = [vm.log(3.0)] + list(out)
funcs = [vm.log, vm._stable_cauchy_loop]
from sims._numba import CACHE_DIR
print(json.dumps({
    "cache_dir": CACHE_DIR,
    "values": [v.hex() for v in values],
    "hits": sum(sum(f.stats.cache_hits.values()) for f in funcs),
    "misses": sum(sum(f.stats.cache_misses.values()) for f in funcs),
}))
"""


def _run_cache_probe_twice(cache_dir):
    env = {**os.environ, "SANDBOX_NUMBA_CACHE_DIR": str(cache_dir), "SANDBOX_NUMBA_CACHE": "1"}
    root = Path(__file__).resolve().parents[1]
    runs = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-c", _CACHE_PROBE], cwd=root, env=env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return runs


@needs_jit
def test_cached_kernels_load_in_fresh_processes(tmp_path):
    """Functions built on the intrinsics are written to and read back from numba's on-disk cache."""
    # The cache directory is keyed on a digest of the package's sources; if someone edits a
    # source file between the two runs (shared working tree) the second run rightly misses.
    for attempt in range(3):
        first, second = _run_cache_probe_twice(tmp_path / str(attempt))
        if first["cache_dir"] == second["cache_dir"]:
            break
    assert first["cache_dir"] == second["cache_dir"], "sources kept changing during the test"
    assert first["misses"] == 2 and first["hits"] == 0, first
    assert second["hits"] == 2 and second["misses"] == 0, second
    assert first["values"] == second["values"]
    assert any(Path(first["cache_dir"]).rglob("*.nbc")), "no cache file written"
    # and the same numbers as in this process
    u = np.array([2.0**-54, 0.3, 0.5 + 2.0**-54, 1 - 2.0**-54])
    out = np.empty(4)
    vm._stable_cauchy_loop(u, 1.0, out)
    here = [vm.log(3.0)] + list(out)
    assert [float(v).hex() for v in here] == first["values"]


# ----------------------------------------------------------------------------- long-double oracle check


def test_long_double_oracle_agrees_with_mpmath():
    """The dense-grid oracle is within 1/256 ulp of mpmath (so measured errors are not its errors)."""
    assert np.finfo(LD).nmant >= 63, "needs x87 extended precision"
    rng = np.random.default_rng(3)
    points = {
        "log": _log_uniform(rng, -1074, 1024, 300),
        "exp": rng.uniform(-745, 709.7, 300),
        "sin": rng.uniform(-4096, 4096, 300),
        "cos": rng.uniform(-4096, 4096, 300),
        "sinpi": np.concatenate([rng.uniform(-2, 2, 200), rng.uniform(0, 1e-6, 50), 1 - rng.uniform(0, 1e-6, 50)]),
        "cospi": np.concatenate([rng.uniform(-2, 2, 200), 0.5 - rng.uniform(0, 1e-6, 100)]),
    }
    with mpmath.workprec(MP_PREC):
        for name, x in points.items():
            ld = ld_exact(name, x)
            for xi, li in zip(x, ld):
                y = _mp_exact(name, xi)
                _, e = mpmath.frexp(y)
                unit = mpmath.ldexp(1, max(int(e) - 53, -1074))
                # repr keeps all 64 bits of the long double
                assert abs(mpmath.mpf(np.format_float_scientific(li, unique=True)) - y) <= unit / 256, (name, xi)


# ----------------------------------------------------------------------------- accuracy in ulps


def test_log_ulp():
    """Max error over the whole positive range, subnormals, near 1 and at the reduction boundary.

    Measured: 0.82 ulp.
    """
    rng = np.random.default_rng(10)
    sqrt_half = np.float64(math.sqrt(0.5))
    dense = np.concatenate(
        [
            _log_uniform(rng, -1074, 1024, 400_000),  # whole range, subnormals included
            rng.uniform(0.5, 2.0, 200_000),
            1.0 + rng.uniform(-2.0**-8, 2.0**-8, 200_000),  # log1p-like regime: relative accuracy near 1
            1.0 + np.arange(-3000, 3000) * 2.0**-53,
            _neighbours(np.ldexp(sqrt_half, np.arange(-1000, 1000)), 3),  # m = sqrt(1/2) switch
        ]
    )
    dense = dense[dense > 0]
    dense = dense[dense != 1.0]  # log(1) = 0 exactly: checked below
    errs = ld_ulp_errors("log", dense)
    assert errs.max() <= ULP_BOUND["log"], _report("log", errs, dense)
    hard = np.concatenate(
        [
            np.ldexp(1.0, np.arange(-1074, 1024, 7)),  # exact powers of two: log = k ln 2
            _neighbours(np.array([5e-324, 2.2250738585072014e-308, DBL_MAX, 1.0 + 2.0**-52, 1.0 - 2.0**-53]), 2),
            rng.uniform(0.7, 1.42, 2000),
        ]
    )
    hard = hard[(hard > 0) & (hard != 1.0) & np.isfinite(hard)]
    errs = mp_ulp_errors("log", hard)
    assert errs.max() <= ULP_BOUND["log"], _report("log", errs, hard)
    assert apply("log", np.array([1.0]))[0] == 0.0


def test_exp_ulp():
    """Normal, subnormal and overflowing results, reduction boundaries (k + 1/2) ln 2.

    Measured: 0.64 ulp (normal results), 0.77 ulp of the subnormal grid (subnormal results).
    """
    rng = np.random.default_rng(11)
    ln2 = math.log(2.0)
    dense = np.concatenate(
        [
            rng.uniform(-745.2, 709.9, 600_000),
            rng.uniform(-1.0, 1.0, 200_000),
            rng.uniform(-746.0, -708.0, 100_000),  # subnormal results and underflow to 0
            _neighbours((np.arange(-1075, 1024) + 0.5) * ln2, 2),
            _log_uniform(rng, -1074, -1, 20_000) * rng.choice([-1.0, 1.0], 20_000),  # exp(x) ~ 1 + x
        ]
    )
    errs = ld_ulp_errors("exp", dense)
    assert errs.max() <= ULP_BOUND["exp"], _report("exp", errs, dense)
    with mpmath.workprec(MP_PREC):  # overflow; smallest normal; smallest subnormal and half of it (-> 0)
        thresholds = np.array([float(mpmath.log(v)) for v in (DBL_MAX, 2.0**-1022, 2.0**-1074, 2.0**-1075)])
    hard = np.concatenate([_neighbours(thresholds, 3), rng.uniform(-20, 20, 2000), np.arange(-745, 710, 5.0)])
    errs = mp_ulp_errors("exp", hard)
    assert errs.max() <= ULP_BOUND["exp"], _report("exp", errs, hard)


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_cos_ulp(name):
    """Dense on the sampler's range [-pi, pi] and the domain [-4096, 4096]; exhaustively at the nearest
    doubles to every multiple of pi/4 in the domain (worst cancellation in the reduction,
    quadrant switches).

    Measured: 0.67 (sin), 0.68 (cos) ulp.
    """
    rng = np.random.default_rng(12)
    dense = np.concatenate(
        [
            rng.uniform(-math.pi, math.pi, 300_000),
            rng.uniform(-4096, 4096, 300_000),
            _log_uniform(rng, -1074, 1, 20_000),
        ]
    )
    errs = ld_ulp_errors(name, dense)
    assert errs.max() <= ULP_BOUND[name], _report(name, errs, dense)
    with mpmath.workprec(MP_PREC):
        multiples = np.array([float(k * mpmath.pi / 4) for k in range(1, 4 * 2607 + 1)])  # also the quadrant switches
    hard = _neighbours(np.concatenate([multiples, -multiples[::97]]), 1)
    hard = np.concatenate([hard[np.abs(hard) <= 4096], [4096.0, -4096.0, math.pi, -math.pi]])
    errs = mp_ulp_errors(name, hard)
    assert errs.max() <= ULP_BOUND[name], _report(name, errs, hard)


@pytest.mark.parametrize("name", ["sinpi", "cospi"])
def test_sinpi_cospi_ulp(name):
    """Relative accuracy everywhere, in particular next to the zeros (the stable law's tails).

    Measured: 0.69 ulp (sinpi; 0.75 ulp of the subnormal grid for subnormal results), 0.68 ulp (cospi).
    """
    rng = np.random.default_rng(13)
    zero = 0.0 if name == "sinpi" else 0.5
    near_zeros = np.concatenate(
        [zero + s * _log_uniform(rng, -1074 if name == "sinpi" else -54, -3, 50_000) for s in (-1.0, 1.0)]
        + [(zero + 1.0) + s * _log_uniform(rng, -53, -3, 50_000) for s in (-1.0, 1.0)]
    )
    # the tails of the uniforms the sampler receives
    tails = np.concatenate([(np.arange(0, 5000) + 0.5) * 2.0**-53, 1 - np.arange(1, 5001) * 2.0**-53])
    dense = np.concatenate(
        [
            rng.uniform(-1.5, 1.5, 400_000),
            rng.uniform(-1e6, 1e6, 100_000),
            near_zeros,
            tails,
            _neighbours(np.arange(-16, 17) / 4.0, 3),  # quadrant switches at r = +-1/4
        ]
    )
    exact = ld_exact(name, dense)
    keep = exact != 0
    errs = ld_ulp_errors_of(apply(name, dense[keep]), exact[keep])
    assert errs.max() <= ULP_BOUND[name], _report(name, errs, dense[keep])
    hard = np.concatenate([tails[::50], rng.uniform(0, 1, 1000), np.ldexp(1.0, np.arange(-1074, 50, 9)) + zero])
    hard = hard[np.abs(hard) <= 2.0**50]
    errs = mp_ulp_errors(name, hard)
    assert errs.max() <= ULP_BOUND[name], _report(name, errs, hard)
    # exact zeros and units
    ints = np.arange(-20, 21, dtype=np.float64)
    if name == "sinpi":
        assert np.all(apply(name, ints) == 0.0)
        np.testing.assert_array_equal(apply(name, ints + 0.5), np.where(ints % 2 == 0, 1.0, -1.0))
    else:
        assert np.all(apply(name, ints + 0.5) == 0.0)
        np.testing.assert_array_equal(apply(name, ints), np.where(ints % 2 == 0, 1.0, -1.0))


# ----------------------------------------------------------------------------- special values


def test_special_values():
    inf, nan = math.inf, math.nan
    cases = {
        "log": [(0.0, -inf), (-0.0, -inf), (-1.0, nan), (-inf, nan), (inf, inf), (nan, nan), (-5e-324, nan)],
        "exp": [(inf, inf), (-inf, 0.0), (nan, nan), (0.0, 1.0), (-0.0, 1.0), (710.0, inf), (1e308, inf), (-746.0, 0.0), (-1e308, 0.0)],
        "sin": [(0.0, 0.0), (inf, nan), (-inf, nan), (nan, nan), (4096.5, nan), (-1e10, nan), (5e-324, 5e-324), (-1e-300, -1e-300)],
        "cos": [(0.0, 1.0), (inf, nan), (nan, nan), (-4097.0, nan), (5e-324, 1.0)],
        "sinpi": [(0.0, 0.0), (inf, nan), (-inf, nan), (nan, nan), (2.0**51, nan), (0.5, 1.0), (-0.5, -1.0), (2.0**50, 0.0)],
        "cospi": [(0.0, 1.0), (inf, nan), (nan, nan), (-(2.0**51), nan), (1.0, -1.0), (2.0**50, 1.0)],
    }
    for name, pairs in cases.items():
        x = np.array([p[0] for p in pairs])
        expected = np.array([p[1] for p in pairs])
        got = apply(name, x)
        np.testing.assert_array_equal(got, expected, err_msg=name)
    # signs of zero where they are specified: sin(-0) = -0, log(1) = +0
    assert math.copysign(1.0, apply("sin", np.array([-0.0]))[0]) == -1.0
    assert math.copysign(1.0, apply("log", np.array([1.0]))[0]) == 1.0


# ----------------------------------------------------------------------------- vectorization

# Inspection is disabled for code loaded from numba's on-disk cache, so the
# assembly is taken from a private uncached compilation with the project's
# other options (the kernels themselves are unchanged).
_UNCACHED = {**JIT_OPTIONS, "cache": False}
# AT&T syntax; the first operand may be a spilled constant in memory
_PACKED_FMA = re.compile(r"\bvfn?m(?:add|sub)\d{3}pd\b[^\n]*%([yz]mm)")
_PACKED_DIV = re.compile(r"\bvdivpd\b[^\n]*%([yz]mm)")


def _host_has_avx2_fma():
    features = llvm.get_host_cpu_features()
    return bool(features.get("avx2")) and bool(features.get("fma"))


needs_simd = pytest.mark.skipif(not _host_has_avx2_fma(), reason="packed FMA needs a CPU with AVX2 and FMA")


def _elementwise_loop(func):
    def loop(x, out):
        for i in range(x.shape[0]):
            out[i] = func(x[i])

    return loop


@needs_jit
@needs_simd
@pytest.mark.parametrize("name", FUNCS)
def test_elementwise_loop_vectorizes(name):
    """``out[i] = f(x[i])`` compiles to packed FMAs on 256/512-bit registers (log: also packed divides)."""
    kernel = numba.njit(**_UNCACHED)(_elementwise_loop(getattr(vm, name)))
    x = np.linspace(0.1, 1.0, 64)
    kernel(x, np.empty_like(x))
    asm = kernel.inspect_asm(kernel.signatures[0])
    assert len(_PACKED_FMA.findall(asm)) >= 5, f"{name}: loop not vectorized"
    if name == "log":
        assert _PACKED_DIV.search(asm), "log: the division is not vectorized"


@needs_jit
@needs_simd
@pytest.mark.parametrize(
    "loop,args",
    [
        ("_stable_general_loop", (1.5, 0.1, 1.0)),
        ("_stable_symmetric_loop", (1.5, 1.0)),
        ("_multiply_by_power", (-0.25,)),
        ("_stable_gaussian_loop", (1.0,)),
        ("_stable_cauchy_loop", (1.0,)),
        ("_stable_alpha_one_loop", (0.5, 1.0, 0.0)),
    ],
)
def test_stable_loops_vectorize(loop, args):
    kernel = numba.njit(**_UNCACHED)(getattr(vm, loop).py_func)
    u = np.linspace(0.01, 0.99, 64)
    arrays = (u,) if loop in ("_stable_cauchy_loop", "_multiply_by_power") else (u, u)
    kernel(*arrays, *args, np.empty_like(u))
    asm = kernel.inspect_asm(kernel.signatures[0])
    assert len(_PACKED_FMA.findall(asm)) >= 10, f"{loop}: not vectorized"


# ----------------------------------------------------------------------------- stable sampler


class _Err:
    """Running error analysis: ``x`` is the exact value (mpf) of a quantity that a
    float64 program computes with absolute error at most ``e`` (to first order)."""

    __slots__ = ("x", "e")

    def __init__(self, x, e=0.0):
        self.x = mpmath.mpf(x)
        self.e = float(e)


def _rounded(x, propagated):
    """Result of one IEEE operation: propagated error plus half an ulp (<= EPS |x|).

    An operation on exact operands whose exact result is a double is exact (e.g. a * 0.5,
    or a difference of doubles that cancels to an integer)."""
    if propagated == 0 and mpmath.mpf(float(x)) == x:
        return _Err(x, 0.0)
    return _Err(x, propagated + EPS * float(abs(x)))


def _const(exact):
    """A constant stored as the nearest double."""
    return _Err(exact, float(abs(mpmath.mpf(float(exact)) - exact)))


def _add(a, b):
    return _rounded(a.x + b.x, a.e + b.e)


def _sub(a, b):
    return _rounded(a.x - b.x, a.e + b.e)


def _neg(a):
    return _Err(-a.x, a.e)


def _mul(a, b):
    return _rounded(a.x * b.x, float(abs(a.x)) * b.e + float(abs(b.x)) * a.e)


def _div(a, b):
    x = a.x / b.x
    return _rounded(x, (a.e + float(abs(x)) * b.e) / float(abs(b.x)))


def _fma(a, b, c):
    return _rounded(a.x * b.x + c.x, float(abs(a.x)) * b.e + float(abs(b.x)) * a.e + c.e)


def _sqrt(a):
    x = mpmath.sqrt(a.x)
    return _rounded(x, a.e / (2 * float(x)))


def _fn(f, df, a, ulps=1.0):
    """A function with an error bound of ``ulps`` ulps (1 ulp <= 2 EPS |y|)."""
    y = f(a.x)
    return _Err(y, float(abs(df(a.x))) * a.e + ulps * 2 * EPS * float(abs(y)))


def _log(a):
    return _fn(mpmath.log, lambda t: 1 / t, a)


def _exp(a):
    return _fn(mpmath.exp, mpmath.exp, a)


def _sin(a):
    return _fn(mpmath.sin, mpmath.cos, a)


def _cos(a):
    return _fn(mpmath.cos, lambda t: -mpmath.sin(t), a)


def _tan(a):
    return _fn(mpmath.tan, lambda t: 1 / mpmath.cos(t) ** 2, a)


def _atan(a):
    return _fn(mpmath.atan, lambda t: 1 / (1 + t * t), a)


def _sinpi(a):
    return _fn(mpmath.sinpi, lambda t: mpmath.pi * mpmath.cospi(t), a)


def _cospi(a):
    return _fn(mpmath.cospi, lambda t: -mpmath.pi * mpmath.sinpi(t), a)


def _pow(a, p):
    x = a.x**p.x
    propagated = float(abs(p.x * a.x ** (p.x - 1))) * a.e + float(abs(x * mpmath.log(a.x))) * p.e
    return _Err(x, propagated + 2 * EPS * float(abs(x)))


def _oracle(u1, u2, alpha, beta, scale):
    """CMS / Weron (1996), S1, at the exact inputs (the formula of sims/noise.py's docstring)."""
    u1, u2, alpha, beta, scale = (mpmath.mpf(float(v)) for v in (u1, u2, alpha, beta, scale))
    v = mpmath.pi * (u1 - mpmath.mpf(1) / 2)
    w = -mpmath.log(u2)
    half_pi = mpmath.pi / 2
    if alpha == 2:
        return scale * 2 * mpmath.sin(v) * mpmath.sqrt(w)
    if alpha == 1:
        hb = half_pi + beta * v
        x = (hb * mpmath.tan(v) - beta * mpmath.log(half_pi * w * mpmath.cos(v) / hb)) / half_pi
        return scale * x + beta * scale * mpmath.log(scale) / half_pi
    t = beta * mpmath.tan(half_pi * alpha)
    b = mpmath.atan(t) / alpha
    s = (1 + t * t) ** (1 / (2 * alpha))
    return (
        scale
        * s
        * mpmath.sin(alpha * (v + b))
        / mpmath.cos(v) ** (1 / alpha)
        * (mpmath.cos(v - alpha * (v + b)) / w) ** ((1 - alpha) / alpha)
    )


def _angle(slope, edge, offset):
    """slope * edge + offset in double-double, split into quarter turns q/2 + r (vecmath._affine_quarter_turns):
    the only rounding is that of r (plus the second-order error of the double-double)."""
    x = slope.x * edge.x + offset.x
    r = x - mpmath.nint(2 * x) / 2
    propagated = float(abs(edge.x)) * slope.e + float(abs(slope.x)) * edge.e + offset.e
    return _Err(x, propagated + EPS * float(abs(r)))


def _vecmath_analysis(u1, u2, alpha, beta, scale):
    """sims.vecmath.stable_block, operation by operation."""
    one, half = _Err(1), _Err(0.5)
    a, b, s = _Err(alpha), _Err(beta), _Err(scale)
    assert Fraction(u1) - Fraction(1, 2) == Fraction(u1 - 0.5)  # h = u1 - 1/2 is exact for these inputs
    h = _Err(mpmath.mpf(u1) - half.x)
    lower = u1 <= 0.5
    edge = _Err(min(u1, 1.0 - u1))  # exact (Sterbenz)
    cos_v = _sinpi(edge)
    w = _neg(_log(_Err(u2)))
    if alpha == 2.0:
        return _mul(_mul(_mul(_Err(2), s), _sinpi(h)), _sqrt(w))
    if alpha == 1.0:
        if beta == 0.0:
            return _div(_mul(s, _sinpi(h)), cos_v)
        shift = _mul(_mul(_mul(b, s), _log(s)), _const(2 / mpmath.pi))
        g = _fma(_Err(2 * beta if lower else -2 * beta), edge, _sub(one, b) if lower else _add(one, b))
        tan_term = _div(_mul(g, _sinpi(h)), cos_v)
        log_term = _log(_div(_mul(w, cos_v), g))
        return _add(_mul(s, _sub(tan_term, _mul(_mul(b, _const(2 / mpmath.pi)), log_term))), shift)
    one_minus_alpha = _sub(one, a)
    power = _div(one_minus_alpha, a)
    if beta == 0.0:  # vecmath._stable_symmetric_loop: cos(V - alpha V) by angle addition
        theta = _angle(a, h, _Err(0))  # alpha h
        sin_t, cos_t = _sinpi(theta), _cospi(theta)
        abs_sin_v = _cospi(edge)
        abs_sin_t = _Err(abs(sin_t.x), sin_t.e)
        cos_rest = _fma(cos_v, cos_t, _mul(abs_sin_v, abs_sin_t))
        sin_term = _mul(s, sin_t)
    else:  # vecmath._stable_general_loop
        reduced = _Err(alpha - 2.0 if alpha > 1.0 else alpha)  # exact
        t = _mul(b, _tan(_mul(_const(mpmath.pi / 2), reduced)))
        if abs(beta) == 1.0:
            angle_shift = _Err(beta * reduced.x / 2)  # = atan(t)/pi exactly, and computed exactly
        else:
            angle_shift = _div(_atan(t), _const(mpmath.pi))
        amplitude = _mul(s, _pow(_add(one, _mul(t, t)), _div(half, a)))
        half_alpha, half_rest = _mul(half, a), _mul(half, one_minus_alpha)
        if lower:
            sin_angle = _angle(a, edge, _sub(angle_shift, half_alpha))
            cos_rest = _cospi(_angle(one_minus_alpha, edge, _sub(_neg(half_rest), angle_shift)))
        else:
            sin_angle = _angle(_neg(a), edge, _add(angle_shift, half_alpha))
            cos_rest = _cospi(_angle(_neg(one_minus_alpha), edge, _sub(half_rest, angle_shift)))
        # (abs() of the computed cos_rest only moves it towards the exact, non-negative value)
        sin_term = _mul(amplitude, _sinpi(sin_angle))
    # vecmath._divide_by_w_cos_v and _multiply_by_power
    t = _div(one, _mul(w, cos_v))
    factor = _mul(_mul(sin_term, w), t)
    base = _mul(cos_rest, t)
    return _mul(factor, _exp(_mul(power, _log(base))))


def _reference_analysis(u1, u2, alpha, beta, scale):
    """sims.noise.stable_from_uniforms, operation by operation (libm functions: 1 ulp)."""
    one = _Err(1)
    a, b, s = _Err(alpha), _Err(beta), _Err(scale)
    half_pi = _const(mpmath.pi / 2)
    v = _mul(_const(mpmath.pi), _Err(mpmath.mpf(u1) - mpmath.mpf(0.5)))  # u1 - 0.5 exact (checked above)
    w = _neg(_log(_Err(u2)))
    if alpha == 2.0:
        return _mul(_mul(_mul(s, _Err(2)), _sin(v)), _sqrt(w))
    if alpha == 1.0:
        if beta == 0.0:
            return _mul(s, _tan(v))
        hb = _add(half_pi, _mul(b, v))
        log_term = _log(_div(_mul(_mul(half_pi, w), _cos(v)), hb))
        x = _div(_sub(_mul(hb, _tan(v)), _mul(b, log_term)), half_pi)
        return _add(_mul(s, x), _div(_mul(_mul(b, s), _log(s)), half_pi))
    if beta == 0.0:
        angle, shifted = _mul(a, v), None
    else:
        t = _mul(b, _tan(_mul(half_pi, a)))
        shifted = _pow(_add(one, _mul(t, t)), _div(_Err(0.5), a))
        angle = _mul(a, _add(v, _div(_atan(t), a)))
    # (abs() of the computed cos(v - angle) only moves it towards the exact, non-negative value)
    x = _mul(
        _div(_sin(angle) if shifted is None else _mul(shifted, _sin(angle)), _pow(_cos(v), _div(one, a))),
        _pow(_div(_cos(_sub(v, angle)), w), _div(_sub(one, a), a)),
    )
    return _mul(s, x)


@jit
def _rng_uniforms(seed, n, out1, out2):
    for i in range(n):
        out1[i], out2[i] = uniform_pair(seed, 0, i, 0, 0)


def rng_uniforms(seed, n):
    """Uniform pairs exactly as the simulator draws them (sims.rng.uniform_pair)."""
    u1, u2 = np.empty(n), np.empty(n)
    _rng_uniforms(np.uint64(seed), n, u1, u2)
    return u1, u2


# Extreme and intermediate tails on both sides and the centre: (m + 1/2) 2^-53 below 1/2 (the
# generator's smallest value is 2^-54) and 1 - k 2^-53 above (1 - 2^-53 is the largest double < 1).
_TAIL_STEPS = np.array([0, 1, 5, 2**8, 2**16, 2**24, 2**32, 2**40, 2**46, 2**50], dtype=np.int64)
STRUCTURED_UNIFORMS = np.concatenate(
    [(_TAIL_STEPS + 0.5) * 2.0**-53, 1 - (_TAIL_STEPS + 1) * 2.0**-53, [0.5 - 2.0**-54, 0.5 + 2.0**-53]]
)


STABLE_CASES = [
    (1.5, 0.0, 1.0),
    (0.5, 0.0, 2.0),
    (1.9, 0.0, 0.7),
    (0.3, 0.0, 1.0),
    (1.1, 0.0, 1.0),
    (2.0, 0.0, 1.3),
    (1.0, 0.0, 1.3),
    (1.0, 0.5, 1.3),
    (1.0, -1.0, 0.4),
    (1.5, 0.7, 1.0),
    (0.7, -1.0, 1.0),
    (1.5, 1.0, 2.0),
    (1.2, -0.3, 0.5),
]


@pytest.mark.parametrize("alpha,beta,scale", STABLE_CASES)
def test_stable_block_within_error_bound(alpha, beta, scale):
    """Every draw is within its first-order error bound of the exact value, including draws with
    u1 or u2 at 2^-54 from 0 or 1; stable_from_uniforms agrees within the sum of both bounds.

    The bounds are first order, so a factor 1.01 covers the neglected O(EPS^2) terms.  Over these
    cases stable_block's bound is at most 1e-13 relative (alpha = 0.3, where the power 7/3 magnifies the
    error of its base) and its measured error at most 2.0e-14 relative, extreme tails included.
    The bound of stable_from_uniforms grows like EPS / (alpha min(u1, 1 - u1)) in the tails, where
    cos(pi (u1 - 1/2)) loses its relative accuracy (its measured error reaches 0.8 at u1 = 2^-54).
    """
    random1, random2 = rng_uniforms(seed=int(alpha * 100 + beta * 10), n=100)
    # every structured u1 (the tails of V matter most) against the extreme and middle u2 (W)
    u2_structured = STRUCTURED_UNIFORMS[[0, 1, 4, 9, 10, 11, 14, 19, 20, 21]]
    u1 = np.concatenate([np.repeat(STRUCTURED_UNIFORMS, u2_structured.size), random1])
    u2 = np.concatenate([np.tile(u2_structured, STRUCTURED_UNIFORMS.size), random2])
    got, ref = np.empty(u1.size), np.empty(u1.size)
    vm.stable_block(u1, u2, alpha, beta, scale, got)
    _reference_block(u1, u2, alpha, beta, scale, ref)
    worst_ratio = 0.0
    # no nan, also where the computed cos(V - alpha (V + B)) of stable_from_uniforms rounds below 0
    # (|beta| = 1, u1 within 1e-15 of 0 or 1; it used to return pow(negative, fraction) = nan there)
    assert np.all(np.isfinite(ref)), (u1[~np.isfinite(ref)], u2[~np.isfinite(ref)])
    with mpmath.workprec(MP_PREC):
        for i in range(u1.size):
            exact = _oracle(u1[i], u2[i], alpha, beta, scale)
            mine = _vecmath_analysis(u1[i], u2[i], alpha, beta, scale)
            theirs = _reference_analysis(u1[i], u2[i], alpha, beta, scale)
            # the transcriptions compute the oracle's mathematics
            for analysis in (mine, theirs):
                assert abs(analysis.x - exact) <= mpmath.mpf(2) ** -150 * (1 + abs(exact)), (u1[i], u2[i])
            err = float(abs(mpmath.mpf(float(got[i])) - exact))
            assert err <= 1.01 * mine.e, (u1[i], u2[i], float(exact), got[i], mine.e)
            diff = abs(got[i] - ref[i])
            assert diff <= 1.01 * (mine.e + theirs.e), (u1[i], u2[i], got[i], ref[i], mine.e, theirs.e)
            worst_ratio = max(worst_ratio, err / mine.e if mine.e > 0 else 0.0)
    assert worst_ratio > 0.0  # the comparison saw rounding errors: it is not vacuous
    assert np.all(np.isfinite(got))


@pytest.mark.parametrize(
    "n1,alpha,beta,scale,message",
    [
        (3, 1.5, 0.0, 1.0, "same length"),
        (4, 0.0, 0.0, 1.0, "alpha must be in"),
        (4, 2.5, 0.0, 1.0, "alpha must be in"),
        (4, math.nan, 0.0, 1.0, "alpha must be in"),
        (4, 1.5, 1.5, 1.0, "beta must be in"),
        (4, 1.5, math.nan, 1.0, "beta must be in"),
        (4, 1.5, 0.0, 0.0, "scale must be in"),
        (4, 1.5, 0.0, math.inf, "scale must be in"),
    ],
)
def test_stable_block_rejects_invalid_input(n1, alpha, beta, scale, message):
    u = np.full(4, 0.5)
    with pytest.raises(InvalidParameter, match=message):
        vm.stable_block(u[:n1], u, alpha, beta, scale, np.empty(4))


# ----------------------------------------------------------------------------- block kernels of the simulator
# The kernels the engine and the samplers are built from: vectorized uniforms, the stable
# transform that owns (overwrites) its uniforms, the per-row reductions of a block of
# replicates, and the two code-generation hints of sims._numba.  References are plain
# Python/NumPy with the documented operation order, so agreement is checked bit for bit.

from sims import noise as sims_noise  # noqa: E402
from sims import specialize  # noqa: E402
from sims import rng as sims_rng  # noqa: E402
from sims._numba import wide_vectors  # noqa: E402

_PACKED_MULUDQ = re.compile(r"\bvpmuludq\b[^\n]*%([yz]mm)")


def _host_has_avx512():
    return bool(llvm.get_host_cpu_features().get("avx512f"))


@pytest.mark.parametrize(
    "rep0,rep_inc,step0,step_inc,rows,d,lane",
    [
        (3, 0, 0, 1, 37, 1, 0),  # one replicate's steps (sample_noise), flat loop
        (5, 1, 9, 0, 21, 1, 0),  # one step, consecutive replicates
        (2**32 - 3, 1, 2**31, 2, 5, 1, 1),  # counters near 2^32, lane 1
        (7, 0, 4, 1, 6, 11, 0),  # rows of 11 coordinates, nested loop
    ],
)
def test_uniform_lanes_are_uniform_pair_bit_for_bit(rep0, rep_inc, step0, step_inc, rows, d, lane):
    seed = np.uint64(0xFEDCBA9876543210)
    u1, u2 = np.full(rows * d + 3, np.nan), np.full(rows * d + 3, np.nan)
    sims_rng.uniform_lanes(seed, rep0, rep_inc, step0, step_inc, rows, d, lane, u1, u2)
    expected = [
        sims_rng.uniform_pair(seed, rep0 + a * rep_inc, step0 + a * step_inc, i, lane) for a in range(rows) for i in range(d)
    ]
    np.testing.assert_array_equal(np.column_stack([u1[: rows * d], u2[: rows * d]]), np.array(expected))
    assert np.all(np.isnan(u1[rows * d :])) and np.all(np.isnan(u2[rows * d :]))  # nothing written beyond


@needs_simd
@needs_jit
def test_uniform_lanes_vectorizes_philox():
    """Philox's 32 x 32 -> 64-bit products become packed vpmuludq in both loops of uniform_lanes."""
    kernel = numba.njit(**_UNCACHED)(sims_rng.uniform_lanes.py_func)
    u = np.empty(64)
    kernel(np.uint64(1), 0, 1, 0, 0, 64, 1, 0, u, u.copy())
    asm = kernel.inspect_asm(kernel.signatures[0])
    # 10 rounds x 2 products in each of the two loops (flat over rows for d = 1, over coordinates
    # otherwise), a few constant-folded (coordinate 0 in the flat loop): both loops must be packed
    assert len(_PACKED_MULUDQ.findall(asm)) >= 30, "Philox not vectorized"


@needs_jit
@pytest.mark.skipif(not _host_has_avx512(), reason="512-bit vectors need AVX-512")
def test_wide_vectors_selects_512_bit_registers():
    """The same loop uses zmm registers with the hint and only ymm without (LLVM's default on AVX-512)."""

    def body(x, out):
        for i in range(x.shape[0]):
            out[i] = vm.exp(x[i])

    def wide(x, out):
        wide_vectors()
        for i in range(x.shape[0]):
            out[i] = vm.exp(x[i])

    asm = {}
    for name, f in (("default", body), ("wide", wide)):
        kernel = numba.njit(**_UNCACHED)(f)
        x = np.linspace(-1.0, 1.0, 64)
        out = np.empty_like(x)
        kernel(x, out)
        np.testing.assert_array_equal(out, apply("exp", x))  # a hint, not a different result
        asm[name] = kernel.inspect_asm(kernel.signatures[0])
    assert set(_PACKED_FMA.findall(asm["wide"])) == {"zmm"}
    # Without the hint, the width is LLVM's tuning choice for the CPU model: 256 bits on Intel's
    # AVX-512 cores (their "prefer-256-bit" tuning, the case the hint exists for), 512 bits on AMD
    # Zen 4 and later, where the hint changes nothing.
    default_width = "zmm" if llvm.get_host_cpu_name().startswith("znver") else "ymm"
    assert set(_PACKED_FMA.findall(asm["default"])) == {default_width}


@needs_jit
def test_inline_kernel_is_inlined_without_reference_counting():
    """``@jit(inline=True)``: no call of the kernel remains in its caller, and the kernel itself
    (compiled without reference counting) contains no NRT reference-count operation."""

    @jit(inline=True)
    def _scale_rows(c, X):
        for a in range(X.shape[0]):
            for i in range(X.shape[1]):
                X[a, i] *= c[a]

    def caller(c, X, k):
        for _ in range(k):
            _scale_rows(c, X[1:])

    kernel = numba.njit(**_UNCACHED)(caller)
    X = np.ones((4, 3))
    kernel(np.array([2.0, 3.0, 4.0]), X, 2)
    np.testing.assert_array_equal(X, [[1.0] * 3, [4.0] * 3, [9.0] * 3, [16.0] * 3])
    caller_ir = kernel.inspect_llvm(kernel.signatures[0])
    assert "_scale_rows" not in "".join(re.findall(r"call [^\n]*", caller_ir))
    # the kernel itself, compiled with jit's options except the cache (cached code cannot be inspected)
    assert _scale_rows.targetoptions["forceinline"] and not _scale_rows.targetoptions["_nrt"]
    options = {k: v for k, v in _scale_rows.targetoptions.items() if k != "nopython"}  # njit implies it
    uncached = numba.njit(**{**options, "cache": False})(_scale_rows.py_func)
    uncached(np.ones(2), np.ones((2, 2)))
    kernel_ir = uncached.inspect_llvm(uncached.signatures[0])
    assert "define" in kernel_ir and "NRT_incref" not in kernel_ir and "NRT_decref" not in kernel_ir


def _row_sum_reference(row, square):
    """The documented order: d < 8 left to right from 0.0; d >= 8 eight partial sums, then pairwise."""
    terms = [float(t) * float(t) if square else float(t) for t in row]
    d = len(terms)
    if d < 8:
        acc = 0.0
        for t in terms:
            acc += t
        return acc
    s = [0.0] * 8
    full = d - d % 8
    for i in range(full):
        s[i % 8] += terms[i]
    for t in terms[full:]:
        s[0] += t
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))


@jit
def _row_reductions(T, sums, norms):
    vm.row_sums(T, sums)
    vm.row_norms(T, norms)


@pytest.mark.parametrize("d", [1, 3, 7, 8, 13, 16, 29])
def test_row_reductions_follow_the_documented_order(d):
    T = np.random.default_rng(d).standard_normal((6, d)) * np.exp2(np.arange(d) % 40 - 20)
    sums, norms = np.empty(6), np.empty(6)
    _row_reductions(T, sums, norms)
    np.testing.assert_array_equal(sums, [_row_sum_reference(row, False) for row in T])
    np.testing.assert_array_equal(norms, [math.sqrt(_row_sum_reference(row, True)) for row in T])
    np.testing.assert_allclose(norms, np.linalg.norm(T, axis=1), rtol=1e-15)


def test_row_norms_overflow_like_their_definition():
    """No rescaling: a coordinate above ~1.3e154 makes the norm inf (the engine's divergence rule)."""
    T = np.array([[1e155, 0.0, 1.0], [1e150, 1e150, 0.0]])
    sums, norms = np.empty(2), np.empty(2)
    _row_reductions(T, sums, norms)
    assert norms[0] == math.inf and norms[1] == pytest.approx(math.sqrt(2.0) * 1e150, rel=1e-15)


@jit
def _axpy_rows(c, G, X):
    vm.axpy_rows(c, G, X)


@pytest.mark.parametrize("d", [1, 5])
def test_axpy_rows(d):
    rng = np.random.default_rng(d)
    c, G, X = rng.standard_normal(4), rng.standard_normal((4, d)), rng.standard_normal((4, d))
    expected = X - c[:, None] * G
    _axpy_rows(c, G, X)
    np.testing.assert_array_equal(X, expected)


@pytest.mark.parametrize("alpha,beta", [(1.5, 0.0), (0.7, -1.0), (2.0, 0.3), (1.0, 0.0), (1.0, 0.6)])
def test_stable_lanes_is_stable_block_on_uniforms_it_owns(alpha, beta):
    """The same draws; stable_block leaves its uniforms alone (it works on copies, in blocks)."""
    u1, u2 = rng_uniforms(np.uint64(99), 2500)  # more than one of stable_block's blocks
    kept1, kept2 = u1.copy(), u2.copy()
    block = np.empty(u1.size)
    vm.stable_block(u1, u2, alpha, beta, 1.7, block)
    np.testing.assert_array_equal(u1, kept1)
    np.testing.assert_array_equal(u2, kept2)
    lanes = np.empty(u1.size)
    vm.stable_lanes(u1, u2, alpha, beta, 1.7, lanes)
    np.testing.assert_array_equal(lanes, block)
    assert np.all(np.isfinite(block))


@pytest.mark.parametrize("law,params", [("stable", [1.3, 0.4, 2.0]), ("gaussian", [0.5]), ("pareto", [2.5, 1.0]),
                                        ("log_tail", [1.5, 1.0]), ("stable_isotropic", [1.4, 1.0]),
                                        ("student_t", [3.0, 1.0]), ("bounded", [2.0])])  # fmt: skip
def test_fill_noise_rows_does_not_depend_on_blocks_or_row_order(law, params):
    """Rows drawn in blocks of any size, or by replicate instead of by step, are the same numbers."""
    law, p, seed, d, K = sims_noise.LAWS[law], np.array(params), np.uint64(31), 3, 40
    fill_noise_rows = specialize.noise_kernels(law).fill_noise_rows
    by_step = {}
    for width in (d, 2 * d + 1, 1024):  # 1, 2 and all rows per block
        out = np.empty((K, d))
        fill_noise_rows(p, seed, 5, 0, 0, 1, out, np.empty((2, width)))
        by_step[width] = out
    for width in (2 * d + 1, 1024):
        np.testing.assert_array_equal(by_step[width], by_step[d])
    # step 7 of replicates 3..7, drawn as one block of rows with a replicate increment
    across = np.empty((5, d))
    fill_noise_rows(p, seed, 3, 1, 7, 0, across, np.empty((2, 1024)))
    np.testing.assert_array_equal(across[2], by_step[1024][7])
    for a in range(5):
        one = np.empty(d)
        sims_noise.fill_noise(law, p, seed, 3 + a, 7, one)
        np.testing.assert_array_equal(across[a], one)
