"""Branch-free elementary functions that numba can inline and auto-vectorize.

Why this module exists
----------------------
pip's llvmlite is built without Intel SVML, so ``math.log``, ``math.exp``,
``math.sin`` ... in a numba kernel are calls into the scalar C library, and a
loop containing such a call cannot be vectorized.  NumPy's ufuncs, in contrast,
are SIMD (AVX-512 here), which is why a plain numba port of the alpha-stable
sampler barely beats NumPy on large batches (``docs/design.md#why-a-simd-math-module``).

Every function below is a small ``@jit`` function written only with IEEE
arithmetic, fused multiply-adds, bit casts and selects (``a if c else b`` on
values that are both already computed), never a data-dependent branch or a
library call.  When such a function is called inside a simple
``for i in range(n): out[i] = f(x[i])`` loop over float64 arrays, LLVM inlines
it and the loop vectorizer turns it into packed instructions (4 doubles per
``ymm`` register on this machine: LLVM prefers 256-bit vectors on AVX-512
CPUs; the sampler's loops ask for 8 doubles per ``zmm`` register with
:func:`sims._numba.wide_vectors`).  ``tests/test_vecmath.py`` checks the
generated assembly and fails if a loop stops vectorizing.

The module also holds the per-row kernels of a block of replicates
(:func:`row_sums`, :func:`row_norms`, :func:`axpy_rows`) that the simulator's
objectives and methods are written with.

Methods and sources of coefficients (coefficients are mathematical facts; the
code is our own, written from the published methods)
--------------------------------------------------------------------------------
* :func:`log`: fdlibm ``e_log.c`` (Sun Microsystems, 1993): ``x = 2^k m``
  with ``m`` in ``[sqrt(1/2), sqrt(2))``, ``s = f/(2+f)`` for ``f = m - 1`` and
  the degree-14 Remez polynomial ``Lg1..Lg7`` in ``s^2`` (approximation error
  below 2^-58.45), combined as ``f - (f^2/2 - s (f^2/2 + R))``; ``ln 2`` split
  into ``LN2_HI`` (32 significant bits, so ``k LN2_HI`` is exact) and ``LN2_LO``.
  The reduction is done on the 64-bit pattern (subtract the pattern of
  ``sqrt(1/2)``, shift out the exponent), which needs no branch.
* :func:`exp`: Cody-Waite reduction ``x = k ln2 + r``, ``|r| <= ln2/2``,
  with fdlibm's ``LN2_HI``/``LN2_LO``; ``exp(r) = 1 + r + r^2 P(r)`` with
  SLEEF's minimax coefficients of ``xexp`` (N. Shibata and F. Petrogalli,
  "SLEEF: A Portable Vectorized Library of C Standard Mathematical Functions",
  IEEE TPDS 31(6), 2020; the 1-ulp ``u10`` variant).  ``2^k`` is applied as two
  exact powers of two ``2^(k//2) 2^(k - k//2)`` built from bits, so gradual
  underflow and overflow to inf come out of ordinary rounding, without a branch.
* :func:`sin`, :func:`cos`: fdlibm ``k_sin.c``/``k_cos.c`` kernels on
  ``[-pi/4, pi/4]`` (minimax degree 13 and 14, error below 2^-58) after a
  three-term Cody-Waite reduction by ``pi/2`` with fdlibm's ``e_rem_pio2.c``
  constants ``PIO2_1`` (33 bits), ``PIO2_2`` (33 bits), ``PIO2_2T``; the
  reduced argument is carried as a double-double ``(y0, y1)``.  The cosine
  kernel uses the compensated form ``w + (((1 - w) - z/2) + ...)`` with
  ``w = 1 - z/2`` (the form used in FreeBSD's and musl's ``__cos``), plus the
  exact rounding error of ``z = x^2`` (one FMA).  The quadrant is chosen by
  selects.
* :func:`sinpi`, :func:`cospi`: ``x = n/2 + r`` with ``n = rint(2x)`` and
  ``|r| <= 1/4``; this reduction is *exact* in floating point, so the result
  is accurate in relative terms at every zero (near 0 and near 1 in particular,
  where ``cos(pi (u - 1/2))`` evaluated with libm loses all relative accuracy).
  ``pi r`` is formed as a double-double with one FMA and fed to the same two
  fdlibm kernels.

FMA.  Fused multiply-adds are emitted as ``llvm.fma.f64`` (always fused, one
rounding): on a CPU without FMA hardware LLVM falls back to a (slow, scalar)
library call, so results are bit-identical on every machine, never silently a
different rounding.

Accuracy, in units in the last place of the exact result (for a result
``y``, ``1 ulp = 2^(floor(log2|y|)-52)``, never less than the smallest
subnormal ``2^-1074``).  ``tests/test_vecmath.py`` asserts a bound of 1 ulp
for each function against mpmath (256 bits) on hard points and against x87
long double on dense grids (~10^6 points per function).  Maxima measured there:

=======  ==========================================================
log      0.82 ulp (worst near ``x = sqrt(2)``)
exp      0.64 ulp; 0.77 ulp of the subnormal grid for subnormal results
sin/cos  0.67 / 0.68 ulp on ``|x| <= 4096``
sinpi    0.69 ulp; 0.75 ulp of the subnormal grid for subnormal results
cospi    0.68 ulp
=======  ==========================================================
"""

from __future__ import annotations

import math
from fractions import Fraction

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

import numpy as np

from ._numba import jit, lowered_to, wide_vectors
from .params import InvalidParameter

# ----------------------------------------------------------------------------- bit casts and fma
# Each is a plain Python function (what kernels call when run uncompiled, NUMBA_DISABLE_JIT=1)
# that compiled kernels lower to a single LLVM instruction (sims._numba.lowered_to); both give
# the same value bit for bit.


@intrinsic
def _llvm_bitcast_to_int64(typingctx, x):
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _llvm_bitcast_to_uint64(typingctx, x):
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.uint64(types.float64), codegen


@intrinsic
def _llvm_bitcast_to_float64(typingctx, bits):
    if not (isinstance(bits, types.Integer) and bits.bitwidth == 64):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(bits), codegen


@intrinsic
def _llvm_fma(typingctx, a, b, c):
    if not all(isinstance(arg, (types.Integer, types.Float)) for arg in (a, b, c)):
        return None

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.DoubleType(), [ir.DoubleType()] * 3)
        operands = [context.cast(builder, v, ty, types.float64) for v, ty in zip(args, signature.args)]
        return builder.call(cgutils.get_or_insert_function(builder.module, fnty, "llvm.fma.f64"), operands)

    return types.float64(a, b, c), codegen


@lowered_to(_llvm_bitcast_to_int64)
def bitcast_to_int64(x):
    """Reinterpret the 64 bits of a float64 as an int64 (no value conversion).

    Compiled: a single LLVM ``bitcast`` (free, and vectorizable).
    """
    return np.float64(x).view(np.int64)


@lowered_to(_llvm_bitcast_to_uint64)
def bitcast_to_uint64(x):
    """Reinterpret the 64 bits of a float64 as a uint64 (no value conversion)."""
    return np.float64(x).view(np.uint64)


@lowered_to(_llvm_bitcast_to_float64)
def bitcast_to_float64(bits):
    """Reinterpret the 64 bits of an int64 or uint64 as a float64.

    In Python, an ``int`` is taken as an int64 when negative and as a uint64 otherwise (the
    compiled form accepts only the 64-bit integer types, where the bits are the value's).
    """
    if not isinstance(bits, (np.int64, np.uint64)):
        bits = np.int64(bits) if bits < 0 else np.uint64(bits)
    return bits.view(np.float64)


@lowered_to(_llvm_fma)
def fma(a, b, c):
    """``a * b + c`` with a single rounding (``llvm.fma.f64`` when compiled).

    Always fused, on every target (a library call where the CPU has no FMA),
    so results do not depend on the machine.  Integer or float32 arguments
    are converted to float64 first.  In Python (``NUMBA_DISABLE_JIT=1``) the
    exact value is formed in integer arithmetic and rounded once, which is the
    IEEE fused multiply-add, overflow, signed zeros, inf and nan included.
    """
    a, b, c = float(a), float(b), float(c)
    if not (math.isfinite(a) and math.isfinite(b)):
        return np.float64(a * b + c)  # the product is inf or nan exactly as when fused
    if not math.isfinite(c):
        return np.float64(c)  # a finite product (even one beyond the float range) + inf or nan
    # a = ma 2^ea etc. with integer ma: frexp's fraction times 2^53 is an integer, also for subnormals
    fa, ea = math.frexp(a)
    fb, eb = math.frexp(b)
    fc, ec = math.frexp(c)
    product, e_product = int(fa * _TWO_53) * int(fb * _TWO_53), ea + eb - 106
    mc, e_c = int(fc * _TWO_53), ec - 53
    e = min(e_product, e_c)
    exact = (product << (e_product - e)) + (mc << (e_c - e))  # a*b + c = exact 2^e
    if exact == 0:
        # an exact zero: -0 only when both a*b and c are -0 (the IEEE sign rule of a sum)
        return np.float64(a * b + c) if product == 0 else np.float64(0.0)
    magnitude = abs(exact)
    shift = max(magnitude.bit_length() - 64, 0)
    # 64 bits with a sticky last bit round to 53 bits exactly as the whole integer does
    kept = (magnitude >> shift) | (1 if magnitude & ((1 << shift) - 1) else 0)
    if e + shift + 64 <= -1022:  # subnormal or close: ldexp would round a second time
        return np.float64(_rational_fma(a, b, c))
    try:
        value = math.ldexp(float(kept), e + shift)  # float(int) rounds correctly; ldexp is exact here
    except OverflowError:
        value = math.inf
    return np.float64(-value if exact < 0 else value)


def _rational_fma(a, b, c) -> float:
    """``a * b + c`` rounded once, for results in the subnormal range (no overflow there)."""
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    return exact.numerator / exact.denominator  # int division rounds correctly, subnormals included


# ----------------------------------------------------------------------------- constants

_INF = math.inf
_NAN = math.nan
_TWO_53 = 9007199254740992.0
_PI = math.pi
_PI_LO = 1.2246467991473532e-16  # pi - float(pi), so (_PI, _PI_LO) is pi to 107 bits
_TWO_OVER_PI = 2.0 / math.pi
_HALF_PI = 0.5 * math.pi

# 1.5 * 2^52: adding it to |y| < 2^51 rounds y to the nearest integer, held in
# the low bits of the sum's pattern (no float -> int conversion needed).
_SHIFTER = 6755399441055744.0
_SHIFTER_BITS = 0x4338000000000000

_SMALLEST_NORMAL = 2.2250738585072014e-308
_TWO_54 = 18014398509481984.0
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # pattern of sqrt(1/2) rounded to double

# fdlibm e_log.c / e_exp.c: ln 2 = LN2_HI + LN2_LO, LN2_HI with 32 significant bits.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00

# fdlibm e_log.c: R(z) ~ Lg1 s^2 + ... + Lg7 s^14, |error| < 2^-58.45 on [0, 0.1716].
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01

# SLEEF xexp (u10): exp(r) = 1 + r + r^2 (1/2 + r (E2 + r (E3 + ... + r E11))), |r| <= ln2/2.
_E2 = 0.166666666666666851703837
_E3 = 0.0416666666666665047591422
_E4 = 0.00833333333331652721664984
_E5 = 0.00138888888889774492207962
_E6 = 0.000198412698960509205564975
_E7 = 2.4801587159235472998791e-05
_E8 = 2.75572362911928827629423e-06
_E9 = 2.75573911234900471893338e-07
_E10 = 2.51112930892876518610661e-08
_E11 = 2.08860621107283687536341e-09
# Beyond these the result is certainly inf / 0; clamping keeps k in [-1076, 1024].
_EXP_ARG_MAX = 710.0
_EXP_ARG_MIN = -746.0

# fdlibm k_sin.c: sin(x)/x ~ 1 + S1 x^2 + ... + S6 x^12, |error| <= 2^-58 on [0, pi/4].
_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
# fdlibm k_cos.c: cos(x) ~ 1 - x^2/2 + C1 x^4 + ... + C6 x^14, |error| <= 2^-58 on [0, pi/4].
_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11

# fdlibm e_rem_pio2.c: pi/2 = PIO2_1 + PIO2_2 + PIO2_2T to about 118 bits,
# PIO2_1 and PIO2_2 with 33 significant bits (n * PIO2_1, n * PIO2_2 exact for |n| < 2^20).
_INV_PIO2 = 6.36619772367581382433e-01
_PIO2_1 = 1.57079632673412561417e00
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_2T = 2.02226624879595063154e-21
_TRIG_ARG_MAX = 4096.0  # domain of sin/cos (see their docstrings)
_TRIGPI_ARG_MAX = 2.0**50  # domain of sinpi/cospi: rint(2x) via _SHIFTER needs |2x| < 2^51
_SINPI_TINY = 2.0**-900
_TWO_200 = 2.0**200
_TWO_M200 = 2.0**-200


# ----------------------------------------------------------------------------- helpers


@jit
def _small_int_to_float(k):
    """``float(k)`` for an int64 ``|k| < 2^51``, by bits (vectorizes without AVX-512DQ)."""
    return bitcast_to_float64(k + _SHIFTER_BITS) - _SHIFTER


@jit
def _sin_kernel(x, tail):
    """sin(x + tail) for ``|x| <= ~pi/4``, ``|tail|`` below an ulp of ``x`` (fdlibm method)."""
    z = x * x
    v = z * x
    r = fma(z, fma(z, fma(z, fma(z, _S6, _S5), _S4), _S3), _S2)
    # sin(x + y) ~ sin(x) + (1 - x^2/2) y, the big term x added last
    return x - fma(-v, _S1, fma(z, fma(-v, r, 0.5 * tail), -tail))


@jit
def _cos_kernel(x, tail):
    """cos(x + tail) for ``|x| <= ~pi/4``, ``|tail|`` below an ulp of ``x`` (fdlibm method).

    ``1 - x^2/2`` is formed as ``w = 1 - z/2`` plus the exact error terms
    ``(1 - w) - z/2`` and ``-(x^2 - z)/2`` (``z = fl(x^2)``; one FMA gives
    ``x^2 - z`` exactly), so the result has less than one rounding of ``w``.
    """
    z = x * x
    z_err = fma(x, x, -z)
    r = z * fma(z, fma(z, fma(z, fma(z, fma(z, _C6, _C5), _C4), _C3), _C2), _C1)
    half_z = 0.5 * z
    w = 1.0 - half_z
    return w + (((1.0 - w) - half_z) + (fma(z, r, -x * tail) - 0.5 * z_err))


@jit
def _quadrant(sin_r, cos_r, q):
    """sin(r + q pi/2) from sin(r) and cos(r); only the low two bits of ``q`` matter."""
    v = cos_r if (q & 1) != 0 else sin_r
    return -v if (q & 2) != 0 else v


# ----------------------------------------------------------------------------- log and exp


@jit
def log(x):
    """Natural logarithm, accurate to 1 ulp for every positive float64.

    Parameters
    ----------
    x : float64

    Returns
    -------
    float64
        ``log(x)``.  The whole IEEE range is handled, branch-free: subnormal
        ``x`` are rescaled by 2^54 exactly (so they are as accurate as normal
        numbers), ``log(+-0) = -inf``, ``log(x < 0) = nan``,
        ``log(+inf) = +inf``, ``log(nan) = nan``.

    Notes
    -----
    fdlibm's method (module docstring).  For ``x`` near 1 the reduction gives
    ``f = x - 1`` exactly, so the result keeps full *relative* accuracy there,
    like ``log1p(x - 1)``.  Bound asserted by
    ``tests/test_vecmath.py::test_log_ulp``: 1 ulp (measured 0.82 ulp).
    """
    tiny = x < _SMALLEST_NORMAL
    xs = x * _TWO_54 if tiny else x
    bits = bitcast_to_int64(xs)
    # exponent relative to sqrt(1/2): m = xs 2^-k lands in [sqrt(1/2), sqrt(2))
    k = (bits - _SQRT_HALF_BITS) >> 52
    m = bitcast_to_float64(bits - (k << 52))
    dk = _small_int_to_float(k - 54 if tiny else k)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * fma(w, fma(w, fma(w, _LG7, _LG5), _LG3), _LG1) + w * fma(w, fma(w, _LG6, _LG4), _LG2)
    half_f2 = 0.5 * f * f
    y = dk * _LN2_HI - ((half_f2 - fma(s, half_f2 + r, dk * _LN2_LO)) - f)
    y = y if x < _INF else x  # +inf -> +inf, nan -> nan
    return y if x > 0.0 else (-_INF if x == 0.0 else _NAN)


@jit
def exp(x):
    """Exponential, accurate to 1 ulp, with IEEE overflow and gradual underflow.

    Parameters
    ----------
    x : float64

    Returns
    -------
    float64
        ``exp(x)``: ``+inf`` for ``x > 709.782712893384`` (and ``x = +inf``),
        correctly scaled subnormals below ``-708.4``, ``0`` below about
        ``-745.13`` (and for ``x = -inf``), ``nan`` for ``nan``.

    Notes
    -----
    Cody-Waite reduction and SLEEF's polynomial (module docstring); ``1 + r``
    is kept as an exact double-double and the rounding error of ``r`` is
    added back, so the only large rounding is the final addition.  Bound
    asserted by ``tests/test_vecmath.py::test_exp_ulp``: 1 ulp (measured 0.64
    ulp; 0.77 ulp of the subnormal grid for subnormal results).
    """
    # clamping keeps k representable; nan passes through both comparisons
    xc = _EXP_ARG_MAX if x > _EXP_ARG_MAX else x
    xc = _EXP_ARG_MIN if xc < _EXP_ARG_MIN else xc
    shifted = fma(xc, _INV_LN2, _SHIFTER)
    kf = shifted - _SHIFTER
    k = bitcast_to_int64(shifted) - _SHIFTER_BITS
    r_hi = fma(-kf, _LN2_HI, xc)  # exact: kf * LN2_HI is exact and cancels with xc
    r = fma(-kf, _LN2_LO, r_hi)
    # rounding error of r: r_hi - r is exact (Sterbenz) unless |r_hi| < 4e-7, where its
    # error is below 2^-75, negligible next to an ulp of the result
    r_err = fma(-kf, _LN2_LO, r_hi - r)
    p = fma(r, fma(r, fma(r, fma(r, fma(r, _E11, _E10), _E9), _E8), _E7), _E6)
    p = fma(r, fma(r, fma(r, fma(r, fma(r, p, _E5), _E4), _E3), _E2), 0.5)
    # 1 + r + (r^2 p + r_err) with 1 + r as an exact double-double (one_r, one_r_err):
    # the only rounding of size 1/2 ulp is the final addition
    one_r = 1.0 + r
    one_r_err = (1.0 - one_r) + r
    y = one_r + (one_r_err + fma(r * r, p, r_err))
    # y * 2^k as two exact powers of two, each a normal number for k in [-1076, 1024]
    k_half = k >> 1
    y = y * bitcast_to_float64((k_half + 1023) << 52)
    return y * bitcast_to_float64((k - k_half + 1023) << 52)


# ----------------------------------------------------------------------------- trigonometric


@jit
def sin(x):
    """Sine of ``x`` in radians, for ``|x| <= 4096``, accurate to 1 ulp.

    Parameters
    ----------
    x : float64
        Valid domain ``|x| <= 4096`` (the sampler needs only ``|x| <= pi``).

    Returns
    -------
    float64
        ``sin(x)``; ``nan`` outside the domain and for inf/nan.

    Notes
    -----
    Three-term Cody-Waite reduction by pi/2 (118 bits of pi/2), fdlibm
    kernels, quadrant by selects.  Over the domain the nearest double to every
    multiple of pi/4 is tested (worst cancellation, quadrant switches).  Bound
    asserted by ``tests/test_vecmath.py::test_sin_cos_ulp``: 1 ulp (measured
    0.67 ulp).
    """
    y0, y1, q = _reduce_pio2(x)
    s = _quadrant(_sin_kernel(y0, y1), _cos_kernel(y0, y1), q)
    return s if abs(x) <= _TRIG_ARG_MAX else _NAN


@jit
def cos(x):
    """Cosine of ``x`` in radians, for ``|x| <= 4096``, accurate to 1 ulp.

    Parameters
    ----------
    x : float64
        Valid domain ``|x| <= 4096``.

    Returns
    -------
    float64
        ``cos(x)``; ``nan`` outside the domain and for inf/nan.

    Notes
    -----
    As :func:`sin`, with the quadrant shifted by one.  Bound asserted by
    ``tests/test_vecmath.py::test_sin_cos_ulp``: 1 ulp (measured 0.68 ulp).
    """
    y0, y1, q = _reduce_pio2(x)
    c = _quadrant(_sin_kernel(y0, y1), _cos_kernel(y0, y1), q + 1)
    return c if abs(x) <= _TRIG_ARG_MAX else _NAN


@jit
def _reduce_pio2(x):
    """``x = q pi/2 + y0 + y1`` with ``|y0| <= ~pi/4``: fdlibm's 3-term Cody-Waite, branch-free."""
    shifted = fma(x, _INV_PIO2, _SHIFTER)
    nf = shifted - _SHIFTER
    q = bitcast_to_int64(shifted) - _SHIFTER_BITS
    a = fma(-nf, _PIO2_1, x)  # exact (Sterbenz; nf * PIO2_1 has <= 45 bits)
    w = nf * _PIO2_2  # exact
    r = a - w
    w = fma(nf, _PIO2_2T, -((a - r) - w))  # (a - r) - w: exact rounding error of a - w
    y0 = r - w
    return y0, (r - y0) - w, q


@jit
def _split_quarter_turns(x):
    """An angle ``pi x`` as ``q`` quarter turns plus ``pi r``: ``x = q/2 + r`` with int64
    ``q = rint(2x)`` and ``|r| <= 1/4``, exactly (``|x| < 2^50``)."""
    shifted = fma(x, 2.0, _SHIFTER)
    # exact: |r| <= 1/4 <= |x| or q = 0, and r is a multiple of ulp(x)
    return bitcast_to_int64(shifted) - _SHIFTER_BITS, x - 0.5 * (shifted - _SHIFTER)


@jit
def _affine_quarter_turns(slope, x, offset):
    """``slope x + offset = q/2 + r`` (int64 ``q``, ``|r| <~ 1/4``), ``r`` accurate to an ulp of ``r``.

    The product and the sum are formed as double-doubles (FMA and Knuth's
    TwoSum), so the quarter-turn split is exact and ``r`` carries no error from
    the rounding of the (possibly much larger) sum: an angle close to a zero of
    its sine or cosine keeps its relative accuracy.
    """
    p = slope * x
    p_err = fma(slope, x, -p)
    s = p + offset
    v = s - p
    s_err = (p - (s - v)) + (offset - v)
    q, r = _split_quarter_turns(s)
    return q, r + (s_err + p_err)


@jit
def _times_pi(r):
    """``pi r`` as a double-double ``(hi, lo)``, to about 2^-104 relative."""
    hi = _PI * r
    return hi, fma(_PI_LO, r, fma(_PI, r, -hi))


@jit
def _reduce_half(x):
    """``x = q/2 + r``, ``|r| <= 1/4``, exactly, with ``pi r`` as a double-double (hi, lo)."""
    q, r = _split_quarter_turns(x)
    hi, lo = _times_pi(r)
    return hi, lo, q


@jit(inline=True)
def _sincos_quadrant(hi, lo, q):
    """``sin`` and ``cos`` of ``hi + lo + q pi/2`` (``|hi| <= ~pi/4``, double-double ``hi + lo``).

    Both come from the same two kernel evaluations (a vectorized loop evaluates
    both kernels anyway and selects by quadrant), so the pair costs one sine.
    """
    sin_r = _sin_kernel(hi, lo)
    cos_r = _cos_kernel(hi, lo)
    return _quadrant(sin_r, cos_r, q), _quadrant(sin_r, cos_r, q + 1)


@jit
def _sinpi_shifted(x, quarter_turns):
    """``sin(pi (x + quarter_turns/2))`` for an int64 ``quarter_turns``, ``|x| <= 2^50``."""
    hi, lo, q = _reduce_half(x)
    return _sincos_quadrant(hi, lo, q + quarter_turns)[0]


@jit
def sinpi(x):
    """``sin(pi x)``, accurate to 1 ulp in relative terms, for ``|x| <= 2^50``.

    Parameters
    ----------
    x : float64
        Valid domain ``|x| <= 2^50`` (the sampler uses ``[-1.5, 1.5]``).

    Returns
    -------
    float64
        ``sin(pi x)``; ``nan`` outside the domain and for inf/nan.  At the
        zeros (integer ``x``) the sign of the returned zero is not specified.

    Notes
    -----
    The reduction ``x = n/2 + r`` is exact, so the error does not grow near
    the zeros: ``sinpi(1 - u)`` for tiny ``u`` is ``pi u`` to within the
    bound, unlike ``sin(pi * (1 - u))``.  Bound asserted by
    ``tests/test_vecmath.py::test_sinpi_cospi_ulp``: 1 ulp (measured 0.69
    ulp; 0.75 ulp of the subnormal grid for subnormal results).
    """
    s = _sinpi_shifted(x, 0)
    # Below 2^-900, sin(pi x) = pi x to 2^-1800 relative.  Computed on x 2^200 so that the low
    # part of pi x stays clear of the subnormal range, where _reduce_half's FMA would lose it
    # and the error would reach 1 ulp for results near 2^-1021.
    scaled = x * _TWO_200
    s = fma(_PI, scaled, _PI_LO * scaled) * _TWO_M200 if abs(x) < _SINPI_TINY else s
    return s if abs(x) <= _TRIGPI_ARG_MAX else _NAN


@jit
def cospi(x):
    """``cos(pi x)``, accurate to 1 ulp in relative terms, for ``|x| <= 2^50``.

    Parameters
    ----------
    x : float64
        Valid domain ``|x| <= 2^50``.

    Returns
    -------
    float64
        ``cos(pi x)``; ``nan`` outside the domain and for inf/nan.  At the
        zeros (half-integer ``x``) the sign of the returned zero is not specified.

    Notes
    -----
    As :func:`sinpi`, quadrant shifted by one.  Bound asserted by
    ``tests/test_vecmath.py::test_sinpi_cospi_ulp``: 1 ulp (measured 0.68 ulp).
    """
    c = _sinpi_shifted(x, 1)
    return c if abs(x) <= _TRIGPI_ARG_MAX else _NAN




# ----------------------------------------------------------------------------- rows of a block
# The engine advances a block of replicates together: row a of an (n, d) array is replicate a.
# These kernels reduce or update each row; for d = 1 they are flat loops over the rows, which
# vectorize across replicates, and for larger d the loop over a row's coordinates vectorizes.


@jit(inline=True)
def _row_reduce(T, out, square):
    """``out[a] = sum_i t`` over row a, ``t = T[a, i]**2`` if ``square`` else ``T[a, i]``.

    The order of the additions is fixed (so every row's sum is the same in any
    block): for d < 8 left to right from 0.0; for d >= 8 eight interleaved
    partial sums (coordinates i = j mod 8), added pairwise at the end, which
    are 8 independent chains of additions instead of one.
    """
    n, d = T.shape
    if d == 1:
        for a in range(n):
            t = T[a, 0]
            out[a] = 0.0 + (t * t if square else t)
    elif d < 8:
        for a in range(n):
            acc = 0.0
            for i in range(d):
                t = T[a, i]
                acc += t * t if square else t
            out[a] = acc
    else:
        for a in range(n):
            row = T[a]
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
            i = 0
            while i + 8 <= d:
                t0, t1, t2, t3 = row[i], row[i + 1], row[i + 2], row[i + 3]
                t4, t5, t6, t7 = row[i + 4], row[i + 5], row[i + 6], row[i + 7]
                if square:
                    t0, t1, t2, t3, t4, t5, t6, t7 = t0 * t0, t1 * t1, t2 * t2, t3 * t3, t4 * t4, t5 * t5, t6 * t6, t7 * t7
                s0 += t0
                s1 += t1
                s2 += t2
                s3 += t3
                s4 += t4
                s5 += t5
                s6 += t6
                s7 += t7
                i += 8
            for j in range(i, d):
                t = row[j]
                s0 += t * t if square else t
            out[a] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@jit(inline=True)
def row_sums(T, out):
    """``out[a] = sum_i T[a, i]`` for an (n, d) block (order: see ``_row_reduce``)."""
    _row_reduce(T, out, False)


@jit(inline=True)
def row_norms(V, out):
    """``out[a] = sqrt(sum_i V[a, i]^2)``, the Euclidean norm of each row.

    Computed by its definition, without rescaling: it overflows to inf once
    the sum of squares does (about 1.3e154), which the engine's divergence
    rule relies on.
    """
    _row_reduce(V, out, True)
    for a in range(out.shape[0]):
        out[a] = math.sqrt(out[a])


@jit(inline=True)
def axpy_rows(c, G, X):
    """``X[a, i] -= c[a] * G[a, i]``: each row moves along its own row of G by its own factor."""
    n, d = X.shape
    if d == 1:
        for a in range(n):
            X[a, 0] -= c[a] * G[a, 0]
    else:
        for a in range(n):
            ca = c[a]
            for i in range(d):
                X[a, i] -= ca * G[a, i]


# ----------------------------------------------------------------------------- alpha-stable sampler


# Draws per block of stable_block's private copies of the uniforms (they stay in cache).
_STABLE_BLOCK = 1024


@jit
def stable_block(u1, u2, alpha, beta, scale, out):
    """S1 alpha-stable draws from arrays of uniforms, in vectorizable loops.

    The same law, parameterisation and special cases as
    :func:`sims.noise.stable_from_uniforms` (Chambers-Mallows-Stuck; Weron
    1996 for beta != 0), element by element: ``out[i]`` is the draw for
    ``(u1[i], u2[i])`` with ``V = pi (u1 - 1/2)`` and ``W = -log u2``.

    Parameters
    ----------
    u1, u2 : 1-D float64 arrays
        Uniforms on the open interval (0, 1), e.g. from
        :func:`sims.rng.uniform_pair`.  Not modified.
    alpha : float
        Stability index in (0, 2]; 2 and 1 take their exact special forms
        (``2 scale sin(V) sqrt(W)``; ``scale tan V`` for beta = 0).
    beta : float
        Skewness in [-1, 1].  beta = 0 is the fast path, with a loop of
        its own (two sine/cosine evaluations per draw instead of three).
    scale : float
        Scale sigma > 0.
    out : 1-D float64 array
        Receives the draws; same length as ``u1`` and ``u2``.

    Raises
    ------
    InvalidParameter
        If the three arrays differ in length, or alpha, beta or scale is
        outside its range (nan included).  The uniforms are not checked
        (that would cost a pass over the data): ``u2 = 1`` gives ``W = 0``
        and a draw of 0 or +-inf, values outside [0, 1] give nan.

    Notes
    -----
    Angles are handled in units of pi, and every angle is written relative to
    the nearer end of the u1 range, ``e = min(u1, 1 - u1)`` (exact), as
    ``c + a e`` evaluated in double-double and split exactly into quarter
    turns and a remainder.  So every sine or cosine keeps its relative
    accuracy next to its zeros: ``cos V`` at both ends of the range, the
    sine of ``alpha (V + B)`` where the draw crosses 0, and for ``|beta| = 1``
    (where the block constants are exact) also ``sin(alpha (V + B))`` and
    ``cos(V - alpha (V + B))``, which then vanish at an end of the range.
    ``cos(pi (u1 - 1/2))`` in floating point, in contrast, has an absolute
    error of about 1e-16, i.e. a relative error of about ``1e-16 / (pi e)``.
    For beta = 0 only ``cos V`` vanishes at the ends, and ``cos(V - alpha V)``
    comes from the angle-addition formula (:func:`_stable_symmetric_loop`).
    The powers are taken together as
    ``X = (sin(alpha (V + B)) / cos V) (cos(V - alpha (V + B)) / (W cos V))^((1 - alpha)/alpha)``
    (``cos V^(-1/alpha) = cos V^(-1) cos V^(-(1 - alpha)/alpha)``): per draw
    two :func:`log`, one :func:`exp`, one division and three sine/cosine
    evaluations (two for beta = 0), for alpha not in {1, 2}.

    The computation is :func:`stable_lanes` (which overwrites its uniforms)
    on private copies of the uniforms, block by block.

    Accuracy (``tests/test_vecmath.py::test_stable_block_within_error_bound``):
    every draw is within a first-order running-error bound of an mpmath
    evaluation of Weron's formula, for uniforms from ``2^-54`` to ``1 - 2^-53``
    and 13 (alpha, beta) pairs.  Measured maximum relative error 2.0e-14 over
    all of them (at most 3e-16 for alpha = 1, 2 with beta = 0), extreme tails
    included; ``stable_from_uniforms`` reaches 0.8 there.  The two agree
    within the sum of their bounds, which is about 1e-13 relative away from
    the tails.
    """
    n = out.shape[0]
    if u1.shape[0] != n or u2.shape[0] != n:
        raise InvalidParameter("stable_block: u1, u2 and out must have the same length")
    if not 0.0 < alpha <= 2.0:
        raise InvalidParameter("stable_block: alpha must be in (0, 2]")
    if not -1.0 <= beta <= 1.0:
        raise InvalidParameter("stable_block: beta must be in [-1, 1]")
    if not 0.0 < scale < _INF:
        raise InvalidParameter("stable_block: scale must be in (0, inf)")
    size = max(1, min(n, _STABLE_BLOCK))
    v1 = np.empty(size)
    v2 = np.empty(size)
    for start in range(0, n, size):
        m = min(n, start + size) - start
        v1[:m] = u1[start : start + m]
        v2[:m] = u2[start : start + m]
        stable_lanes(v1[:m], v2[:m], alpha, beta, scale, out[start : start + m])


@jit(dispatch=True)
def stable_lanes(u1, u2, alpha, beta, scale, out):
    """:func:`stable_block` without its input checks and copies, for kernels that own their uniforms.

    The same values; but ``u1`` and ``u2`` are **overwritten** (used as
    scratch), and invalid parameters give meaningless numbers instead of an
    exception.
    """
    if alpha == 2.0:
        _stable_gaussian_loop(u1, u2, scale, out)
    elif alpha == 1.0:
        if beta == 0.0:
            _stable_cauchy_loop(u1, scale, out)
        else:
            # shift of the S1 parameterisation at alpha = 1 (as in noise.stable_from_uniforms)
            shift = beta * scale * math.log(scale) * _TWO_OVER_PI
            _stable_alpha_one_loop(u1, u2, beta, scale, shift, out)
    else:
        # Weron (1996): t = beta tan(pi alpha / 2), B = atan(t) / alpha, S = (1 + t^2)^(1/(2 alpha)).
        # tan has period pi: for alpha > 1 use alpha - 2 (exact), so that the argument of tan is
        # small, not close to pi, when alpha is close to 2.
        reduced = alpha - 2.0 if alpha > 1.0 else alpha
        t = beta * math.tan(_HALF_PI * reduced)
        # alpha B / pi, which is exactly beta * reduced / 2 when |beta| = 1 (|pi reduced / 2| < pi/2):
        # computed exactly there, so that the angles that vanish at u1 -> 0 or 1 vanish exactly
        angle_shift = 0.5 * beta * reduced if abs(beta) == 1.0 else math.atan(t) / _PI
        amplitude = scale * (1.0 + t * t) ** (0.5 / alpha)
        if beta == 0.0:
            _stable_symmetric_loop(u1, u2, alpha, scale, out)
        else:
            _stable_general_loop(u1, u2, alpha, angle_shift, amplitude, out)


@jit(inline=True)
def _divide_by_w_cos_v(sin_term, cos_rest, w, cos_v):
    """``(sin_term / cos V, cos_rest / (W cos V))`` with one division: the factor and the base
    of the power in ``X = (sin_term / cos V) (cos_rest / (W cos V))^((1 - alpha)/alpha)``."""
    t = 1.0 / (w * cos_v)
    return sin_term * w * t, cos_rest * t


@jit(refcount=False)
def _multiply_by_power(base, power, out):
    """``out[i] *= base[i]^power``, as ``exp(power log base)``; ``base`` is overwritten.

    Two loops, so that each keeps its constants in registers.  A function of its own: inlined
    into the caller, these loops ran about 15 % slower (measured)."""
    wide_vectors()
    n = out.shape[0]
    for i in range(n):
        base[i] = log(base[i])
    for i in range(n):
        out[i] = out[i] * exp(power * base[i])


@jit(refcount=False)
def _stable_general_loop(u1, u2, alpha, angle_shift, amplitude, out):
    """CMS / Weron for alpha not in {1, 2}; ``angle_shift = alpha B / pi`` (0 when beta = 0).

    X = amplitude sin(alpha (V + B)) cos(V)^(-1/alpha) (cos(V - alpha (V + B)) / W)^((1 - alpha)/alpha)
    with, in units of pi and h = u1 - 1/2,
    alpha (V + B) / pi = alpha h + angle_shift and (V - alpha (V + B)) / pi = (1 - alpha) h - angle_shift.
    Since -1/alpha = -1 - (1 - alpha)/alpha, this is
    X = (amplitude sin(alpha (V + B)) / cos V) (cos(V - alpha (V + B)) / (W cos V))^((1 - alpha)/alpha):
    two logarithms per draw (W and the base of the power), not three.

    One loop per stage, in place: ``out`` receives the sine term, ``u2`` becomes W, the third
    loop forms both factors (``u1`` becomes the base of the power), and the last two take the
    power.  The same operations in the same order as a single loop (so the same values), but
    each loop's constants and temporaries fit in registers and its chain of dependent
    operations is short, so consecutive draws overlap (measured faster than fewer, longer
    loops).  ``u1`` and ``u2`` are overwritten.
    """
    wide_vectors()
    one_minus_alpha = 1.0 - alpha
    power = one_minus_alpha / alpha
    # the two angles (in units of pi) at u1 = 0 ("lower") and u1 = 1 ("upper"); exact for beta = 0, |beta| = 1
    half_alpha = 0.5 * alpha
    half_rest = 0.5 * one_minus_alpha
    sin_lower, sin_upper = angle_shift - half_alpha, angle_shift + half_alpha
    cos_lower, cos_upper = -half_rest - angle_shift, half_rest - angle_shift
    n = out.shape[0]
    for i in range(n):
        u = u1[i]
        lower = u <= 0.5
        edge = u if lower else 1.0 - u  # exact
        q, r = _affine_quarter_turns(alpha if lower else -alpha, edge, sin_lower if lower else sin_upper)
        out[i] = amplitude * _sinpi_shifted(r, q)
    for i in range(n):
        u2[i] = -log(u2[i])  # W
    for i in range(n):
        u = u1[i]
        lower = u <= 0.5
        edge = u if lower else 1.0 - u
        q, r = _affine_quarter_turns(
            one_minus_alpha if lower else -one_minus_alpha, edge, cos_lower if lower else cos_upper
        )
        # cos(V - alpha (V + B)) >= 0 exactly (its angle is within pi/2 of 0): the absolute value is
        # no farther from it than a computed value rounded below 0, and keeps the log finite
        cos_rest = abs(_sinpi_shifted(r, q + 1))
        out[i], u1[i] = _divide_by_w_cos_v(out[i], cos_rest, u2[i], sinpi(edge))  # cos V = sin(pi edge)
    _multiply_by_power(u1, power, out)


@jit(refcount=False)
def _stable_symmetric_loop(u1, u2, alpha, scale, out):
    """CMS for beta = 0 and alpha not in {1, 2}, with two sine/cosine evaluations per draw, not three.

    X = (scale sin(alpha V) / cos V) (cos(V - alpha V) / (W cos V))^((1 - alpha)/alpha) as in
    :func:`_stable_general_loop`, but ``cos(V - alpha V) = cos V cos(alpha V) + |sin V| |sin(alpha V)|``
    (``alpha V`` has the sign of ``V``) from the sines and cosines of ``V`` and ``alpha V`` that the
    two evaluations give in pairs.  For alpha < 1 both terms are >= 0; for alpha > 1 they can have
    opposite signs, but their magnitudes sum to at most 1 and the result is at least
    ``cos((alpha - 1) pi / 2) = sin((2 - alpha) pi / 2)``, so the sum loses at most a factor
    ``1 / sin((2 - alpha) pi / 2)`` of relative accuracy (1.4 at alpha = 1.5, 6.4 at 1.9).  Without
    skewness no other factor of the formula vanishes at the ends of the range, so nothing else needs
    the edge-relative angles of the general loop.
    ``alpha V / pi = alpha h``, ``h = u1 - 1/2``, is formed as a double-double; ``h`` itself is exact
    for uniforms on the grid of multiples of 2^-54 (all of :func:`sims.rng.uniform_pair`'s) and for
    every u1 >= 1/4.  ``u1`` and ``u2`` are overwritten.
    """
    wide_vectors()
    power = (1.0 - alpha) / alpha
    n = out.shape[0]
    for i in range(n):
        u2[i] = -log(u2[i])  # W
    for i in range(n):
        u = u1[i]
        edge = u if u <= 0.5 else 1.0 - u  # exact
        hi, lo, q = _reduce_half(edge)
        cos_v, abs_sin_v = _sincos_quadrant(hi, lo, q)  # sin(pi edge) = cos V, cos(pi edge) = |sin V|
        # alpha V / pi = alpha h = p + p_err exactly, split into quarter turns and pi r
        h = u - 0.5
        p = alpha * h
        q, r = _split_quarter_turns(p)
        r = r + fma(alpha, h, -p)
        hi, lo = _times_pi(r)
        sin_t, cos_t = _sincos_quadrant(hi, lo, q)
        cos_rest = fma(cos_v, cos_t, abs_sin_v * abs(sin_t))
        out[i], u1[i] = _divide_by_w_cos_v(scale * sin_t, cos_rest, u2[i], cos_v)
    _multiply_by_power(u1, power, out)


@jit(refcount=False)
def _stable_gaussian_loop(u1, u2, scale, out):
    """alpha = 2: X = 2 scale sin(V) sqrt(W), i.e. N(0, 2 scale^2)."""
    wide_vectors()
    for i in range(out.shape[0]):
        out[i] = 2.0 * scale * sinpi(u1[i] - 0.5) * math.sqrt(-log(u2[i]))


@jit(refcount=False)
def _stable_cauchy_loop(u1, scale, out):
    """alpha = 1, beta = 0: X = scale tan V = scale sin(V) / cos(V)."""
    wide_vectors()
    for i in range(out.shape[0]):
        u = u1[i]
        out[i] = scale * sinpi(u - 0.5) / sinpi(min(u, 1.0 - u))


@jit(refcount=False)
def _stable_alpha_one_loop(u1, u2, beta, scale, shift, out):
    """alpha = 1, beta != 0 (Weron 1996, S1):

    X = scale (2/pi) ((pi/2 + beta V) tan V - beta log((pi/2) W cos V / (pi/2 + beta V))) + shift,
    written with g = (pi/2 + beta V) / (pi/2) = 1 + 2 beta h, h = u1 - 1/2, and g taken from the
    nearer end of the range (g -> 0 at u1 -> 1 when beta = -1, at u1 -> 0 when beta = 1).
    """
    wide_vectors()
    two_beta = 2.0 * beta
    beta_two_over_pi = beta * _TWO_OVER_PI
    one_minus_beta = 1.0 - beta
    one_plus_beta = 1.0 + beta
    for i in range(out.shape[0]):
        u = u1[i]
        lower = u <= 0.5
        edge = u if lower else 1.0 - u  # exact
        cos_v = sinpi(edge)
        g = fma(two_beta if lower else -two_beta, edge, one_minus_beta if lower else one_plus_beta)
        w = -log(u2[i])
        out[i] = scale * (g * sinpi(u - 0.5) / cos_v - beta_two_over_pi * log(w * cos_v / g)) + shift
