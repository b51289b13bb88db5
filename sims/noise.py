"""Noise laws injected into the gradient: ``g = grad f(x) + xi``.

Each law is one :class:`NoiseLaw` definition: parameters, compiled kernel
and facts.  All samplers draw from the
counter-based generator of :mod:`sims.rng`, so a draw is a pure function of
``(seed, replicate, step, coordinate[, lane])``: identical for every thread
count and for every method run with the same seed.

Conventions (``docs/mathematics.md#parameterizations``)
-------------------------------------------------------
Every law's scale parameter is called ``scale`` (except ``bounded``, whose
``radius`` is an almost-sure bound); a tail or stability index is ``alpha``.
Closed-form moments of every law are in :mod:`theory.stable`.

* ``none``: no noise.
* ``gaussian``: i.i.d. ``N(0, scale^2)`` coordinates (``scale`` is the
  standard deviation, unlike ``stable`` at alpha = 2).
* ``stable``: i.i.d. coordinates ``S(alpha, beta, scale)`` in the S1
  parameterisation (scipy's default): characteristic function
  ``exp(-scale^alpha |t|^alpha (1 - i beta sign(t) tan(pi alpha / 2)))`` for
  alpha != 1 and ``exp(-scale |t| (1 + i beta (2/pi) sign(t) log|t|))`` for
  alpha = 1.  ``alpha = 2`` is ``N(0, 2 scale^2)``; ``alpha = 1, beta = 0`` is
  Cauchy with scale ``scale``.  For alpha > 1 the mean is 0 for every beta.
  alpha >= :data:`STABLE_ALPHA_MIN` = 0.2 (also for ``stable_isotropic``): the
  probability that a draw is not a finite double is then below 1e-30 (for
  smaller alpha a fraction of the true values lies beyond the double range,
  e.g. 0.08 % at alpha = 0.01, and the sampler returns inf or 0 for them).
* ``stable_isotropic``: the sub-Gaussian (rotation-invariant) alpha-stable
  vector ``X = sqrt(A) G`` with ``A ~ S(alpha/2, 1, cos(pi alpha/4)^(2/alpha))``
  positive (Laplace transform ``exp(-lambda^(alpha/2))``) and
  ``G ~ N(0, 2 scale^2 I)``.  Its characteristic function is
  ``exp(-scale^alpha |t|^alpha)``, so every unit projection is
  ``S(alpha, 0, scale)``; ``alpha = 2`` is exactly ``N(0, 2 scale^2 I)``.
  i.i.d. ``stable`` coordinates are *not* isotropic (mass on the axes).
* ``student_t``: i.i.d. ``scale * T`` with ``T`` Student-t with ``df``
  degrees of freedom (Bailey's polar method, exact).
* ``pareto``: i.i.d. centred Lomax ``scale (U^(-1/alpha) - 1) - scale/(alpha - 1)``:
  one-sided heavy tail ``P(X > x) ~ (x/scale)^(-alpha)``, mean 0, infinite
  variance for alpha <= 2.
* ``log_tail``: i.i.d. symmetric with ``P(|X| > scale x) = x^(-alpha) / (1 + ln x)^2``
  for x >= 1 (and 1 for x < 1): ``E|X|^alpha = scale^alpha (1 + alpha)`` is
  finite while every higher moment is infinite -- the law with a bounded
  alpha-moment "at its own index" (docs/mathematics.md#bounded-moment-at-its-own-index).
* ``bounded``: uniform in the ball of radius ``radius`` (uniform on
  ``[-radius, radius]`` when d = 1), so ``||xi|| <= radius`` almost surely
  (ICLR20 Theorem 7's assumption); in floating point up to a few ulps, which
  needs ``U^(1/d)`` within a few ulps of 1 (probability ~1e-16 per draw).

Random-number lanes
-------------------
Laws with one random number per coordinate use lane 0 of that coordinate.
``stable_isotropic`` and ``bounded`` draw their one radial variable from
coordinate 0, lane 1; ``student_t`` uses lane j for its j-th rejection
attempt, so rejection stays counter-based.

How blocks are drawn
--------------------
A law's block kernel ``fill_noise_rows`` (generated from one of two templates
by :mod:`sims.specialize`) is the one implementation behind the engine,
:func:`sample_noise` and :func:`fill_noise`.  For the laws whose coordinates
are transforms of one uniform pair each (a ``transform`` kernel: gaussian,
stable, pareto, log_tail) it draws blocks of ~:data:`NOISE_BLOCK` lanes in two flat loops, all uniforms
(:func:`sims.rng.uniform_lanes`, vectorized Philox) then all transforms; the
stable transform is :func:`sims.vecmath.stable_lanes` and the Gaussian one
Box-Muller with :mod:`sims.vecmath`'s ``log`` and ``cospi``, all vectorized
with 512-bit registers where the CPU has them.  The other laws are drawn row
by row.  The kernels use :mod:`sims.vecmath`'s intrinsics, so they run only
compiled (not under ``NUMBA_DISABLE_JIT=1``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import specialize
from . import vecmath as vm
from ._numba import jit, wide_vectors
from .memory import check_memory
from .params import Component, InvalidParameter, Param, Registry
from .rng import check_seed, uniform_lanes, uniform_pair

_PI = math.pi
_HALF_PI = 0.5 * math.pi
_SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True, kw_only=True)
class NoiseLaw(Component):
    """A registered noise law.

    Attributes
    ----------
    isotropic : bool
        True when the d coordinates are drawn jointly (rotation invariant),
        False when they are i.i.d.
    transform : numba kernel ``(p, u1, u2, out) -> None`` or None
        For laws whose coordinates are i.i.d. transforms of one uniform pair
        each (lane 0): ``out[j]`` from ``(u1[j], u2[j])``, lane by lane (the
        uniforms may be overwritten).  Such laws are drawn in blocks of
        lanes, all uniforms then all transforms (module docstring).
    row : numba kernel ``(p, seed, replicate, step, out) -> None`` or None
        For the other laws: the noise vector of ``(seed, replicate, step)``.
    exact : bool
        True for the law without noise: the engine then draws nothing and
        uses the exact gradient.

    Exactly one of ``transform`` and ``row`` is given.  ``p`` is the packed
    parameter vector (:meth:`Component.pack`), validated by the registry.
    """

    kind: str = "noise law"
    isotropic: bool = False
    transform: Callable | None = field(default=None, repr=False)
    row: Callable | None = field(default=None, repr=False)
    exact: bool = False

    def __post_init__(self):
        if (self.transform is None) == (self.row is None):
            raise TypeError(f"noise law {self.name!r}: give exactly one of transform and row")


_SCALE = Param("scale", 1.0, 0.0, math.inf, lo_open=True, doc="scale sigma of the noise")
# The smallest stability index sampled: below it, draws overflow the double range with a probability
# that matters (P(|X| > 1.8e308) ~ 2 C_alpha 1.8e308^-alpha, C_alpha = Gamma(alpha) sin(pi alpha/2)/pi,
# is 1.4e-31 at alpha = 0.1 but 8.2e-4 at 0.01; stable_isotropic's mixing variable has index alpha/2), so
# the sampler returns inf (and, isotropic, nan) there.  Derived here; checked in tests/test_bad_input.py.
STABLE_ALPHA_MIN = 0.2
_ALPHA = Param(
    "alpha", 1.5, STABLE_ALPHA_MIN, 2.0,
    doc=f"stability index (>= {STABLE_ALPHA_MIN:g}: below, draws overflow the float range with non-negligible probability)",
)  # fmt: skip
_BETA = Param("beta", 0.0, -1.0, 1.0, doc="skewness (S1 parameterisation)")

# ----------------------------------------------------------------------------- kernels


@jit
def stable_from_uniforms(u1, u2, alpha, beta, scale):
    """One S1 alpha-stable draw by Chambers-Mallows-Stuck / Weron (1996).

    ``u1, u2`` are uniforms on (0, 1): ``V = pi (u1 - 1/2)``, ``W = -log u2``.
    alpha = 2 and alpha = 1 are handled by their exact special forms.
    """
    v = _PI * (u1 - 0.5)
    w = -math.log(u2)
    if alpha == 2.0:
        # sin(2V)/sqrt(cos V) * sqrt(W / cos V) = 2 sin(V) sqrt(W): N(0, 2)
        return scale * 2.0 * math.sin(v) * math.sqrt(w)
    if alpha == 1.0:
        if beta == 0.0:
            return scale * math.tan(v)
        hb = _HALF_PI + beta * v
        x = (hb * math.tan(v) - beta * math.log(_HALF_PI * w * math.cos(v) / hb)) / _HALF_PI
        return scale * x + beta * scale * math.log(scale) / _HALF_PI
    if beta == 0.0:
        av = alpha * v
        x = math.sin(av) / math.cos(v) ** (1.0 / alpha) * (math.cos(v - av) / w) ** ((1.0 - alpha) / alpha)
        return scale * x
    t = beta * math.tan(_HALF_PI * alpha)
    b = math.atan(t) / alpha
    s = (1.0 + t * t) ** (0.5 / alpha)
    avb = alpha * (v + b)
    # cos(V - alpha (V + B)) >= 0 exactly, but at |beta| = 1 and u1 within ~1e-15 of 0 or 1 the angle
    # is pi/2 up to the rounding of V + B and alpha (V + B), and its computed cosine can be ~-1e-16:
    # abs() moves it towards the exact value (a negative base would make the power nan compiled and
    # complex in Python).  Elsewhere it changes nothing.
    cos_rest = abs(math.cos(v - avb))
    x = s * math.sin(avb) / math.cos(v) ** (1.0 / alpha) * (cos_rest / w) ** ((1.0 - alpha) / alpha)
    return scale * x


@jit(inline=True)
def normal_from_uniforms(u1, u2):
    """One standard normal draw by Box-Muller (cosine branch): ``sqrt(-2 log u1) cos(2 pi u2)``.

    With :mod:`sims.vecmath`'s branch-free ``log`` and ``cospi`` (1 ulp each;
    ``cospi(2 u2)`` has no rounding in its argument, unlike ``cos(2 pi u2)``),
    so that a loop of draws vectorizes.  Compiled code only.
    """
    return math.sqrt(-2.0 * vm.log(u1)) * vm.cospi(2.0 * u2)


@jit
def log_tail_log_radius(v, alpha):
    """``y = ln x`` solving ``x^-alpha / (1 + ln x)^2 = v`` for ``v`` in (0, 1].

    Inversion of the ``log_tail`` survival function: ``y >= 0`` is the root of
    the increasing concave ``g(y) = alpha y + 2 log(1 + y) - L``,
    ``L = -log v``.  Newton's method started left of the root
    (``y0 = L/(alpha+2)``, where ``g <= 0`` because ``log(1+y) <= y``)
    increases monotonically to the root without overshooting (concavity), so
    it needs no bracketing; it stops once the step is below ~4 ulp of ``y``.
    Relative accuracy of ``x = e^y`` is better than 1e-14 for v >= 2^-54 (tested against mpmath).
    """
    big_l = -math.log(v)
    y = big_l / (alpha + 2.0)
    for _ in range(50):
        step = (alpha * y + 2.0 * math.log1p(y) - big_l) / (alpha + 2.0 / (1.0 + y))
        y -= step
        if abs(step) <= 1e-15 * y:
            break
    return y


@jit(refcount=False)
def _none_row(p, seed, replicate, step, out):
    for i in range(out.shape[0]):
        out[i] = 0.0


@jit(refcount=False)
def _stable_isotropic_row(p, seed, replicate, step, out):
    # sqrt(A) * N(0, 2 scale^2 I)
    d = out.shape[0]
    alpha = p[0]
    amplitude = _SQRT2 * p[1]
    if alpha != 2.0:  # at alpha = 2 the mixing variable A is exactly 1
        u1, u2 = uniform_pair(seed, replicate, step, 0, 1)
        half = 0.5 * alpha
        mixing = stable_from_uniforms(u1, u2, half, 1.0, math.cos(0.5 * _HALF_PI * alpha) ** (1.0 / half))
        amplitude *= math.sqrt(mixing)
    for i in range(d):
        u1, u2 = uniform_pair(seed, replicate, step, i, 0)
        out[i] = amplitude * normal_from_uniforms(u1, u2)


@jit(refcount=False)
def _student_t_row(p, seed, replicate, step, out):
    # Bailey (1994) polar method; lane = attempt number
    df = p[0]
    for i in range(out.shape[0]):
        lane = 0
        u1, u2 = uniform_pair(seed, replicate, step, i, lane)
        a = 2.0 * u1 - 1.0
        w = a * a + (2.0 * u2 - 1.0) ** 2
        while w > 1.0:  # accepted with probability pi/4
            lane += 1
            u1, u2 = uniform_pair(seed, replicate, step, i, lane)
            a = 2.0 * u1 - 1.0
            w = a * a + (2.0 * u2 - 1.0) ** 2
        # T = a sqrt(df (w^(-2/df) - 1) / w); expm1 keeps accuracy for large df
        out[i] = p[1] * a * math.sqrt(df * math.expm1(-2.0 * math.log(w) / df) / w)


@jit(refcount=False)
def _bounded_row(p, seed, replicate, step, out):
    # uniform direction times radius * U^(1/d)
    d = out.shape[0]
    sum_sq = 0.0
    for i in range(d):
        u1, u2 = uniform_pair(seed, replicate, step, i, 0)
        z = normal_from_uniforms(u1, u2)
        out[i] = z
        sum_sq += z * z
    u1, u2 = uniform_pair(seed, replicate, step, 0, 1)
    # ||xi|| = radius * U^(1/d) < radius, up to a few ulps of rounding in the normalisation
    factor = p[0] * u1 ** (1.0 / d) / math.sqrt(sum_sq)
    for i in range(d):
        out[i] *= factor


# Lanes per block of the scratch of a law's block kernel: two arrays of this many doubles stay
# in the first-level cache together with the block of output.
NOISE_BLOCK = 1024


@jit(refcount=False)
def _gaussian_lanes(u1, u2, scale, out):
    wide_vectors()
    for j in range(out.shape[0]):
        out[j] = scale * normal_from_uniforms(u1[j], u2[j])


# The transforms are thin layers (dispatch=True: inserted into their caller before it is
# compiled), so that the heavy vectorized loops are optimized once, in the law's block kernel.


@jit(dispatch=True)
def _gaussian_transform(p, u1, u2, out):
    _gaussian_lanes(u1, u2, p[0], out)


@jit(dispatch=True)
def _stable_transform(p, u1, u2, out):
    # branch-free, vectorized, accurate in the tails
    vm.stable_lanes(u1, u2, p[0], p[1], p[2], out)


@jit(dispatch=True)
def _pareto_transform(p, u1, u2, out):
    alpha, scale = p[0], p[1]
    for j in range(out.shape[0]):
        out[j] = scale * (math.expm1(-math.log(u1[j]) / alpha) - 1.0 / (alpha - 1.0))


@jit(dispatch=True)
def _log_tail_transform(p, u1, u2, out):
    for j in range(out.shape[0]):
        out[j] = math.copysign(p[1] * math.exp(log_tail_log_radius(u1[j], p[0])), u2[j] - 0.5)


# The two templates of a law's block kernel ``fill_noise_rows(p, seed, rep0, rep_inc, step0,
# step_inc, out, work)`` (:mod:`sims.specialize` binds ``transform`` or ``row`` per law): fill
# ``out`` (rows, d), row a with the noise of (replicate ``rep0 + a*rep_inc``, step
# ``step0 + a*step_inc``).  ``work`` is scratch of shape (2, m), m >= d (best NOISE_BLOCK or
# more, see noise_work).  Every law's draws are a function of (seed, replicate, step) only, so
# the values depend neither on the blocks nor on which rows are drawn together.


def _fill_rows_by_lanes(p, seed, rep0, rep_inc, step0, step_inc, out, work):
    """Template for laws with a ``transform``: blocks of ``m // d`` rows, all uniforms of a
    block (:func:`sims.rng.uniform_lanes`, vectorized Philox) then all transforms."""
    rows, d = out.shape
    flat = out.reshape(rows * d)
    u1, u2 = work[0], work[1]
    block = max(1, u1.shape[0] // d)
    for a0 in range(0, rows, block):
        n_rows = min(block, rows - a0)
        n = n_rows * d
        uniform_lanes(seed, rep0 + a0 * rep_inc, rep_inc, step0 + a0 * step_inc, step_inc, n_rows, d, 0, u1, u2)
        transform(p, u1[:n], u2[:n], flat[a0 * d : a0 * d + n])  # noqa: F821  (bound per law)


def _fill_rows_by_rows(p, seed, rep0, rep_inc, step0, step_inc, out, work):
    """Template for laws with a ``row`` kernel: row by row."""
    for a in range(out.shape[0]):
        row(p, seed, rep0 + a * rep_inc, step0 + a * step_inc, out[a])  # noqa: F821  (bound per law)


# ----------------------------------------------------------------------------- registry

LAWS = Registry(
    "noise law",
    [
        NoiseLaw(name="none", row=_none_row, exact=True, doc="no noise: exact gradients (deterministic theorems)"),
        NoiseLaw(name="gaussian", transform=_gaussian_transform, params=(_SCALE,), doc="i.i.d. N(0, scale^2) coordinates"),
        NoiseLaw(
            name="stable",
            transform=_stable_transform,
            params=(_ALPHA, _BETA, _SCALE),
            doc="i.i.d. alpha-stable S(alpha, beta, scale) coordinates, S1 parameterisation (alpha=2: N(0, 2 scale^2))",
        ),
        NoiseLaw(
            name="stable_isotropic",
            row=_stable_isotropic_row,
            params=(_ALPHA, _SCALE),
            isotropic=True,
            doc="isotropic (sub-Gaussian) alpha-stable vector: every unit projection is S(alpha, 0, scale) (alpha=2: N(0, 2 scale^2 I))",
        ),
        NoiseLaw(
            name="student_t",
            row=_student_t_row,
            params=(Param("df", 3.0, 0.0, math.inf, lo_open=True, doc="degrees of freedom nu"), _SCALE),
            doc="i.i.d. scale * Student-t(df) coordinates: E|xi_i|^p < inf iff p < df",
        ),
        NoiseLaw(
            name="pareto",
            transform=_pareto_transform,
            params=(Param("alpha", 1.5, 1.0, math.inf, lo_open=True, doc="tail index: P(X > x) ~ x^-alpha"), _SCALE),
            doc="i.i.d. centred Lomax scale (U^(-1/alpha) - 1) - scale/(alpha-1): one-sided tail, mean 0",
        ),
        NoiseLaw(
            name="log_tail",
            transform=_log_tail_transform,
            params=(Param("alpha", 1.5, 1.0, 2.0, lo_open=True, doc="moment index: E|X|^alpha finite, higher ones not"), _SCALE),
            doc="i.i.d. symmetric, P(|X| > scale x) = x^-alpha/(1 + ln x)^2 for x >= 1: E|X|^alpha = scale^alpha (1 + alpha)",
        ),
        NoiseLaw(
            name="bounded",
            row=_bounded_row,
            params=(Param("radius", 1.0, 0.0, math.inf, lo_open=True, doc="almost-sure bound on ||xi||"),),
            isotropic=True,
            doc="uniform in the ball of radius `radius` (d = 1: uniform on [-radius, radius])",
        ),
    ],
)



def noise_work(d: int) -> np.ndarray:
    """Scratch for a law's block kernel drawing rows of d coordinates."""
    return np.empty((2, max(d, NOISE_BLOCK)))


def fill_noise(law, p, seed, replicate, step, out) -> None:
    """Write the noise vector of ``(seed, replicate, step)`` into ``out`` (contiguous, length d).

    ``law`` is a :class:`NoiseLaw`; ``p`` holds its parameters in declaration
    order.  The values are those that the engine and :func:`sample_noise`
    give for that replicate and step (the same block kernel).
    """
    d = out.shape[0]
    fill_rows = specialize.noise_kernels(law).fill_noise_rows
    fill_rows(p, seed, replicate, 0, step, 0, out.reshape(1, d), noise_work(d))


def _sample_block(law, p, seed, replicate, n, out) -> None:
    # row k = step k of one replicate (n = out.shape[0])
    fill_rows = specialize.noise_kernels(law).fill_noise_rows
    fill_rows(p, seed, replicate, 0, 0, 1, out, noise_work(out.shape[1]))


# ----------------------------------------------------------------------------- public


def resolve_law(law, **params) -> tuple[NoiseLaw, dict[str, float]]:
    """Look up a law and validate its parameters (no compilation happens here).

    Parameters
    ----------
    law : str or NoiseLaw
        Registry name, e.g. ``"stable"``.
    **params
        The law's parameters; defaults fill the ones not given.

    Returns
    -------
    (NoiseLaw, dict)
        The registry entry and the resolved parameter values.

    Raises
    ------
    InvalidParameter
        For an unknown law (the message lists the valid names) or a parameter
        outside its range (the message names it and its range).
    """
    comp = LAWS.get_component(law)
    return comp, comp.resolve(params)


def sample_memory(n: int, d: int) -> int:
    """Bytes :func:`sample_noise` allocates for ``n`` draws of dimension ``d`` (output and scratch)."""
    return 8 * n * d + 8 * 2 * max(d, NOISE_BLOCK)


def sample_noise(
    law, n: int, *, seed: int, dim: int | None = None, replicate: int = 0, max_memory=None, **params
) -> np.ndarray:
    """Draw ``n`` noise values (or vectors) from a registered law.

    The k-th draw is exactly the noise that replicate ``replicate`` of
    :func:`sims.simulate` sees at step k with the same seed.

    Parameters
    ----------
    law : str
        Registry name, e.g. ``"stable"``; see ``sims.noise.LAWS``.
    n : int
        Number of draws, >= 1.
    seed : int
        Seed in [0, 2**64).
    replicate : int
        Which replicate's noise stream to return (default 0).
    dim : int, optional
        Dimension d of each draw.  ``None`` means d = 1 and returns a 1-D
        array of scalar draws for i.i.d. laws.  Isotropic (vector) laws
        always return shape ``(n, d)``, also for ``dim=None`` (then
        ``(n, 1)``), so code taking norms along axis 1 needs no special case.
    max_memory : float or str, optional
        Refuse a request that needs more bytes than this (e.g. ``"4G"``;
        ``"inf"``: never refuse); default ``SANDBOX_MAX_MEMORY``, else the
        memory available now (see :mod:`sims.memory`).
    **params
        The law's parameters (see its registry entry); defaults are used for
        the ones not given.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n,)`` or ``(n, d)``.

    Raises
    ------
    InvalidParameter
        For an unknown law, an out-of-range parameter, ``n < 1`` or
        ``dim < 1``; raised before any compilation or sampling.
        :class:`sims.memory.InsufficientMemory` (a subclass) when the draws
        need more memory than the limit.
    """
    comp, values = resolve_law(law, **params)
    seed = check_seed(seed)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidParameter(f"n must be an integer >= 1, got {n!r}")
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1):
        raise InvalidParameter(f"dim must be an integer >= 1, got {dim!r}")
    if isinstance(replicate, bool) or not isinstance(replicate, (int, np.integer)) or not 0 <= replicate < 2**32:
        raise InvalidParameter(f"replicate must be an integer in [0, 2**32), got {replicate!r}")
    d = 1 if dim is None else int(dim)
    check_memory(sample_memory(int(n), d), f"sample_noise with n = {n}, dim = {d}", max_memory)
    out = np.empty((int(n), d), dtype=np.float64)
    _sample_block(comp, comp.pack(values), np.uint64(seed), int(replicate), int(n), out)
    if dim is None and not comp.isotropic:
        return out[:, 0]
    return out
