"""Synthetic objectives: one definition each, holding its expression, kernel and facts.

Each :class:`Objective` carries its *defining* sympy expression
(:meth:`Objective.expression`); the compiled kernel is an optimised
implementation of that expression and is tested against it (value and
gradient), against finite differences, and its ``f*`` against a numerical
minimum.  The declared (L0, L1) pairs are certified by :mod:`theory`.

Conventions
-----------
* (L0, L1)-smoothness is ICLR20's definition (Zhang, He, Sra, Jadbabaie, ICLR 2020;
  docs/mathematics.md#definition-and-the-c1-relaxation): ``||hess f(x)||_2 <= L0 + L1 ||grad f(x)||_2`` for all x,
  with the spectral norm.  For the C^1 objective ``huber`` the relaxation
  ``limsup_{y -> x} ||grad f(y) - grad f(x)|| / ||y - x|| <= L0 + L1 ||grad f(x)||``
  is meant (``docs/mathematics.md#definition-and-the-c1-relaxation``).
* *Separable* objectives ``f(x) = sum_i phi(x_i)`` inherit every 1-D pair of
  ``phi``: the Hessian is ``diag(phi''(x_i))``, so for the coordinate j where
  ``|phi''|`` is largest, ``||hess f|| = |phi''(x_j)| <= L0 + L1 |phi'(x_j)|
  <= L0 + L1 ||grad f||``.  Only non-separable objectives need a d-dimensional
  argument.
* Overflow: the exponential objectives return ``inf`` (value and gradient)
  once the true value exceeds the float range, never an exception, also
  with ``NUMBA_DISABLE_JIT=1`` (where ``math.exp`` would raise): the engine
  records a non-finite value as divergence.

The two hard instances of the fixed-step lower bound of ICLR20 Thm 4 are built
here (the paper's hard function is not available to us, docs/mathematics.md#theorem-4-fixed-step-gd-lower-bound):
``exp_wall`` (a large fixed step diverges, see :func:`exp_wall_start`) and
``huber`` (a small fixed step is slow, see :func:`huber_start`).  ``rosenbrock``
is the counter-example that is *not* (L0, L1)-smooth.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy as sp

from . import specialize
from ._numba import jit
from .params import Component, InvalidParameter, Param, Registry
from .vecmath import row_sums


@dataclass(frozen=True, kw_only=True)
class Objective(Component):
    """A registered objective ``f: R^d -> R``.

    Attributes
    ----------
    sympy_expr : callable ``(xs, params) -> sympy.Expr``
        The defining expression in the list of symbols ``xs`` (length d).
    f_star : callable ``(dim, params) -> float``
        The infimum of f.
    pairs : callable ``(dim, params) -> list of (L0, L1)``
        Declared (L0, L1)-smoothness pairs; an empty list declares that the
        objective is *not* (L0, L1)-smooth (e.g. Rosenbrock).
    x0 : callable ``(dim, params) -> ndarray``
        Default starting point.
    fixed_dim : int or None
        The dimension when the objective has no ``dim`` parameter.
    kernel : numba kernel ``(p, X, G, F, T) -> None``
        The compiled implementation of the expression on a block of points:
        ``G[a] = grad f(X[a])`` and, for a ``separable`` objective, the
        coordinate terms ``T[a, i] = phi(X[a, i])`` (summed into ``F`` by one
        shared copy of the summation), else ``F[a] = f(X[a])``.  ``p`` is the
        packed parameter vector (:meth:`Component.pack`).  Compiled
        ``@jit(inline=True)``: inlined into the objective's specialized block
        kernel (:mod:`sims.specialize`).
    separable : bool
        Whether ``f(x) = sum_i phi(x_i)`` (the kernel writes terms, not values).
    """

    kind: str = "objective"
    sympy_expr: Callable = field(repr=False)
    f_star: Callable = field(repr=False)
    pairs: Callable = field(repr=False)
    x0: Callable = field(repr=False)
    kernel: Callable = field(repr=False)
    separable: bool = True
    fixed_dim: int | None = None

    def dimension(self, values: dict[str, float]) -> int:
        """The dimension d for resolved parameter values."""
        return int(values["dim"]) if self.fixed_dim is None else self.fixed_dim

    def value_and_grad(self, p: np.ndarray, x: np.ndarray, g: np.ndarray) -> float:
        """f(x) by the compiled kernel the engine runs, writing grad f(x) into ``g``.

        ``p`` is ``self.pack(values)``; ``x`` and ``g`` are float64 arrays of length d.
        """
        return specialize.objective_kernels(self).value_and_grad(p, x, g)

    def expression(self, values: dict[str, float]) -> tuple[sp.Expr, list[sp.Symbol]]:
        """``(f, xs)``: the defining sympy expression and its d real symbols.

        Parameters enter as the exact rationals equal to the float values the
        kernels use (``sp.Rational(0.4)`` is the binary double nearest 0.4):
        with Python floats, sympy would round products such as ``L0/L1**2``
        and, e.g., give ``exp_wall`` a spurious gradient jump at 0.
        """
        xs = list(sp.symbols(f"x0:{self.dimension(values)}", real=True))
        exact = {k: sp.Rational(v) for k, v in values.items()}
        return self.sympy_expr(xs, exact), xs


def _positive(name: str, default: float, doc: str) -> Param:
    # hi_open: Param.contains accepts inf for a closed upper bound of inf.
    return Param(name, default, 0.0, math.inf, lo_open=True, hi_open=True, doc=doc)


_DIM = Param("dim", 1, 1, 10**6, integer=True, doc="dimension d")
_COND = Param("cond", 1.0, 1.0, math.inf, hi_open=True, doc="condition number: scales spread geometrically from the largest to largest/cond")
_L0 = _positive("L0", 1.0, "smoothness constant L0 (curvature at the minimum)")
_L1 = _positive("L1", 1.0, "smoothness constant L1 (growth rate of the wall)")
_HUBER_SLOPE = _positive("slope", 1.0, "gradient norm s on the linear region")
_HUBER_L = _positive("L", 1.0, "curvature of the quadratic core |x| <= slope/L")

# exp(t) overflows exactly when t > _EXP_ARG_MAX (= 709.78...).
_EXP_ARG_MAX = math.log(sys.float_info.max)


def _geometric_spread(i, d, top, cond):
    """``top * cond**(-i/(d-1))``: from ``top`` (i = 0) down to ``top/cond`` (i = d-1)."""
    return top if d == 1 else top * cond ** (-i / (d - 1))


_geometric_spread_jit = jit(_geometric_spread, inline=True)


def _separable(xs, term):
    return sum(term(x) for x in xs)


# ----------------------------------------------------------------------------- (L0, L1) pairs derived here
#
# quartic, f = a sum_i x_i^4.  1-D: f'' = 12 a x^2, |f'| = 4 a |x|^3.  With t = L1 |x|,
#   16a/L1^2 + L1 * 4a|x|^3 - 12 a x^2 = (4a/L1^2)(t^3 - 3t^2 + 4) = (4a/L1^2)(t + 1)(t - 2)^2 >= 0,
# equality at t = 2: (16a/L1^2, L1) is on the frontier for every L1 > 0.  Separable, so also in d dims.
_QUARTIC_L1 = (0.5, 1.0, 2.0, 4.0)


def _norm_quartic_l0(d: int, cond: float, l1: float) -> float:
    """Smallest L0 this bound allows for ``f = ||Ax||^4`` with the given L1 (derived here).

    With w = Ax, v = A w = A^2 x, s = ||w||, r = ||v||:  grad f = 4 s^2 v, hess f =
    4 s^2 A^2 + 8 v v^T, so ||hess f|| <= 4 s^2 + 8 r^2 (a_max = 1) and ||grad f|| = 4 s^2 r, and
    a_min s <= r <= a_max s, i.e. r in [s/cond, s] (r = s when d = 1).  The pair holds if
    sup_{s, r} 4 s^2 + 8 r^2 - 4 L1 s^2 r <= L0.  The bracket is convex in r, so the sup over
    r is at an end:  r = s gives 12 s^2 - 4 L1 s^3 <= 16/L1^2 (the quartic, at s = 2/L1);
    r = s/cond gives alpha s^2 - beta s^3 with alpha = 4 + 8/cond^2, beta = 4 L1/cond, whose
    maximum (at s = 2 alpha/(3 beta)) is 4 alpha^3/(27 beta^2) = alpha^3 cond^2/(108 L1^2).
    At cond = 1 both give 16/L1^2.  Valid, not claimed tight for d >= 2 (the first step
    is a triangle inequality); tight for d = 1 (the quartic with a = 1).
    """
    if d == 1:
        return 16.0 / l1**2
    alpha = 4.0 + 8.0 / cond**2
    return max(16.0, alpha**3 * cond**2 / 108.0) / l1**2


def _double_well_l0(l1: float) -> float:
    """The exact frontier L0(L1) of f = x^4/4 - x^2/2 + 1/4 (derived here; separable, so any d).

    f' = x^3 - x, f'' = 3x^2 - 1, u = |x|.  For u <= 1: |f''| <= 2, with |f''| = 2 at the
    minimisers u = 1 where f' = 0, so L0 >= 2 is necessary, and sufficient on u <= 1.  For
    u > 1 (f'' > 2 > 0, |f'| = u^3 - u > 0) the condition 3u^2 - 1 <= L0 + L1 (u^3 - u) reads
    q(u) = -L1 u^3 + 3 u^2 + L1 u - 1 <= L0.  q(1) = 2; q'(u) = -3 L1 u^2 + 6 u + L1 vanishes at
    u* = (3 + sqrt(9 + 3 L1^2))/(3 L1), which is >= 1 iff L1 <= 3 (square 9 + 3L1^2 >= (3L1 - 3)^2
    <=> 6 L1 (L1 - 3) <= 0).  Hence L0(L1) = q(u*) for L1 <= 3 (attained at u = u*: tight) and
    L0(L1) = 2 for L1 >= 3.  Examples: L0(3) = 2; L0(1) = 2 + 16/(3 sqrt 3) = 5.0792...
    (u* = 1 + 2/sqrt 3); L0(1/2) = 17.02...
    """
    if l1 >= 3.0:
        return 2.0
    u = (3.0 + math.sqrt(9.0 + 3.0 * l1 * l1)) / (3.0 * l1)
    # Rounded up by 1e-12 relative: a declared pair must not fall below the exact frontier by
    # floating-point rounding (the float q(u*) at L1 = 1 is 1.7e-15 below 2 + 16/(3 sqrt 3)).
    return (-l1 * u**3 + 3.0 * u**2 + l1 * u - 1.0) * (1.0 + 1e-12)


_DOUBLE_WELL_L1 = (0.5, 1.0, 3.0)


# ----------------------------------------------------------------------------- expressions


def _quadratic_expr(xs, p):
    d = len(xs)
    return sp.Rational(1, 2) * sum(_geometric_spread(i, d, p["L"], p["cond"]) * x**2 for i, x in enumerate(xs))


def _norm_quartic_expr(xs, p):
    d = len(xs)
    return sum((_geometric_spread(i, d, 1.0, p["cond"]) * x) ** 2 for i, x in enumerate(xs)) ** 2


def _exp_wall_expr(xs, p):
    L0, L1 = p["L0"], p["L1"]
    return _separable(xs, lambda x: L0 / L1**2 * (sp.exp(L1 * sp.Abs(x)) - 1 - L1 * sp.Abs(x)))


def _huber_expr(xs, p):
    s, L = p["slope"], p["L"]
    return _separable(xs, lambda x: sp.Piecewise((L * x**2 / 2, sp.Abs(x) <= s / L), (s * sp.Abs(x) - s**2 / (2 * L), True)))


def _pseudo_huber_expr(xs, p):
    dl = p["delta"]
    return _separable(xs, lambda x: dl**2 * (sp.sqrt(1 + (x / dl) ** 2) - 1))


def _rosenbrock_expr(xs, p):
    x, y = xs
    return (1 - x) ** 2 + p["b"] * (y - x**2) ** 2


# ----------------------------------------------------------------------------- starting points for ICLR20 Thm 4


def exp_wall_start(M: float, L0: float, L1: float) -> float:
    """The coordinate x0 > 0 where the 1-D ``exp_wall`` has slope ``f'(x0) = M``.

    ``x0 = ln(1 + M L1/L0)/L1``.  This is the "large step diverges" half of the
    ICLR20 Thm 4 lower bound (docs/mathematics.md#theorem-4-fixed-step-gd-lower-bound): on ``exp_wall`` started at x0,
    fixed-step GD with ``h > 2 x0/M`` diverges.  Proof (derived here): ``|f'(y)|/|y|``
    increases with |y| (f' is convex on y > 0 with f'(0) = 0).  If ``|x_k| >= x0`` then
    ``|f'(x_k)| >= (M/x0)|x_k| > (2/h)|x_k|``, so the step ``h|f'(x_k)| > 2|x_k|`` jumps over
    the minimiser and ``|x_{k+1}| >= (hM/x0 - 1)|x_k|`` with ``hM/x0 - 1 > 1``: geometric
    growth until overflow.  Conversely with ``h < 2 x0/M`` every ``|x_k| <= x0`` has
    ``h|f'(x_k)| <= (hM/x0)|x_k| < 2|x_k|``, so |x_k| never increases.

    Parameters
    ----------
    M : float
        Target slope ``|f'(x0)|`` (the sup of the gradient norm on the sublevel set
        ``{f <= f(x0)}`` in ICLR20's notation), in (0, inf).
    L0, L1 : float
        The objective's parameters, in (0, inf).

    Returns
    -------
    float
        x0; use it as the starting point of ``exp_wall`` with ``dim = 1``.

    Raises
    ------
    InvalidParameter
        If a parameter is out of range or x0 overflows.
    """
    owner = "exp_wall_start"
    M = _positive("M", None, "").validate(M, owner)
    L0 = _L0.validate(L0, owner)
    L1 = _L1.validate(L1, owner)
    x0 = math.log1p(M * L1 / L0) / L1
    if not (math.isfinite(x0) and x0 > 0.0):
        raise InvalidParameter(f"{owner}: x0 = ln(1 + M L1/L0)/L1 is not a positive finite number for M={M!r}, L0={L0!r}, L1={L1!r}")
    return x0


def huber_start(delta: float, slope: float, L: float) -> float:
    """The coordinate x0 >= 0 where the 1-D ``huber`` has ``f(x0) - f* = delta``.

    ``x0 = sqrt(2 delta/L)`` if ``delta <= slope^2/(2L)`` (quadratic region), else
    ``x0 = delta/slope + slope/(2L)`` (linear region).  This is the "small step is slow"
    half of the ICLR20 Thm 4 lower bound (docs/mathematics.md#theorem-4-fixed-step-gd-lower-bound): on the linear region
    ``|x| > slope/L`` the gradient is exactly ``slope * sign(x)``, so GD with a fixed step h
    moves by ``h slope`` per step and needs at least ``(x0 - slope/L)/(h slope)`` steps
    before ``|f'|`` can drop below ``slope``.

    Parameters
    ----------
    delta : float
        Target initial gap ``f(x0) - f*``, in (0, inf).
    slope, L : float
        The objective's parameters, in (0, inf).

    Returns
    -------
    float
        x0; use it as the starting point of ``huber`` with ``dim = 1``.

    Raises
    ------
    InvalidParameter
        If a parameter is out of range.
    """
    owner = "huber_start"
    delta = _positive("delta", None, "").validate(delta, owner)
    s = _HUBER_SLOPE.validate(slope, owner)
    L = _HUBER_L.validate(L, owner)
    if delta <= s * s / (2.0 * L):
        return math.sqrt(2.0 * delta / L)
    x0 = delta / s + s / (2.0 * L)
    if not math.isfinite(x0):
        raise InvalidParameter(f"{owner}: x0 = delta/slope + slope/(2L) overflows for delta={delta!r}, slope={s!r}, L={L!r}")
    return x0


# Default start of exp_wall: every coordinate where |f'| = 100 L0/L1, i.e. local smoothness 101 L0.
_EXP_WALL_X0 = math.log(101.0)  # times 1/L1

# ----------------------------------------------------------------------------- kernels
# p is the packed parameter vector in declaration order (p[0] = dim where declared).
#
# Every kernel evaluates a *block* of points: row a of the (n, d) arrays X, G is one point
# (one replicate of the engine), ``G[a] = grad f(X[a])``.  Separable objectives compute each
# coordinate's term (into the (n, d) array T) and gradient in one flat loop over the block,
# which vectorizes across replicates when d = 1 and across coordinates otherwise; the
# objective's block kernel (the template ``_values_and_grads``) sums the terms of each row
# into ``F``.  The others write ``F[a] = f(X[a])`` themselves.  The kernels are inlined into
# the block kernel (``@jit(inline=True)``).


@jit(inline=True)
def _exp_or_inf(t):
    # math.exp raises OverflowError in pure Python (NUMBA_DISABLE_JIT=1); compiled it returns inf.
    return math.exp(t) if t <= _EXP_ARG_MAX else math.inf


@jit(inline=True)
def _quadratic(p, X, G, F, T):
    n, d = X.shape
    L, cond = p[1], p[2]
    for i in range(d):
        lam = _geometric_spread_jit(i, d, L, cond)
        for a in range(n):
            G[a, i] = lam * X[a, i]
            T[a, i] = 0.5 * lam * X[a, i] * X[a, i]


@jit(inline=True)
def _quartic(p, X, G, F, T):
    a = p[1]
    x, g, t = X.reshape(X.size), G.reshape(G.size), T.reshape(T.size)
    for j in range(x.shape[0]):
        x2 = x[j] * x[j]
        g[j] = 4.0 * a * x2 * x[j]
        t[j] = a * x2 * x2


@jit(inline=True)
def _norm_quartic(p, X, G, F, T):
    n, d = X.shape
    cond = p[1]
    for r in range(n):
        x = X[r]
        q = 0.0  # ||A x||^2
        for i in range(d):
            w = _geometric_spread_jit(i, d, 1.0, cond) * x[i]
            q += w * w
        for i in range(d):
            a = _geometric_spread_jit(i, d, 1.0, cond)
            G[r, i] = 4.0 * q * (a * a * x[i])
        F[r] = q * q


@jit(inline=True)
def _cosh(p, X, G, F, T):
    x, g, t = X.reshape(X.size), G.reshape(G.size), T.reshape(T.size)
    for j in range(x.shape[0]):
        xj = x[j]
        if abs(xj) > _EXP_ARG_MAX:  # 2cosh(x) and 2sinh(x) ~ e^|x| overflow
            t[j] = math.inf
            g[j] = math.copysign(math.inf, xj)
        else:
            # 2cosh x = 2 + 4 sinh^2(x/2): accurate near 0 and never rounds below 2, so f >= f* = 2d.
            s = math.sinh(0.5 * xj)
            t[j] = 2.0 + 4.0 * s * s
            g[j] = 2.0 * math.sinh(xj)


@jit(inline=True)
def _exp_wall(p, X, G, F, T):
    L0, L1 = p[1], p[2]
    scale = L0 / (L1 * L1)  # f_i = scale * phi(t), phi(t) = e^t - 1 - t, t = L1|x_i|
    slope = L0 / L1  # f'_i = slope * sign(x_i) * (e^t - 1)
    # For t >= 1/2, scale * e^t is evaluated as exp(t + ln scale): finite wherever the true value is.
    log_scale = math.log(L0) - 2.0 * math.log(L1)
    log_slope = math.log(L0) - math.log(L1)
    x, g, terms = X.reshape(X.size), G.reshape(G.size), T.reshape(T.size)
    for j in range(x.shape[0]):
        t = L1 * abs(x[j])
        if t < 0.5:
            # phi(t) = (t^2/2)(1 + t/3 (1 + t/4 (... (1 + t/16)))): e^t - 1 - t would cancel;
            # the first omitted term is below 2e-19 relative for t < 1/2.
            s = 1.0
            for m in range(16, 2, -1):
                s = 1.0 + s * t / m
            terms[j] = scale * (0.5 * t * t * s)
            gj = slope * math.expm1(t)
        else:
            e = _exp_or_inf(t + log_scale)
            terms[j] = e if e == math.inf else e - scale * (1.0 + t)  # t = inf would give inf - inf
            gj = _exp_or_inf(t + log_slope) - slope
        g[j] = math.copysign(gj, x[j])


@jit(inline=True)
def _huber(p, X, G, F, T):
    s, L = p[1], p[2]
    knee = s / L
    x, g, t = X.reshape(X.size), G.reshape(G.size), T.reshape(T.size)
    for j in range(x.shape[0]):
        ax = abs(x[j])
        if ax <= knee:
            t[j] = 0.5 * L * x[j] * x[j]
            g[j] = L * x[j]
        else:
            t[j] = s * (ax - 0.5 * knee)  # = s|x| - s^2/(2L) without the cancellation
            g[j] = math.copysign(s, x[j])


@jit(inline=True)
def _double_well(p, X, G, F, T):
    x, g, t = X.reshape(X.size), G.reshape(G.size), T.reshape(T.size)
    for j in range(x.shape[0]):
        xj = x[j]
        # x^4/4 - x^2/2 + 1/4 = ((x-1)(x+1))^2/4: accurate near the minima x = +-1, and >= 0.
        u = (xj - 1.0) * (xj + 1.0)
        t[j] = 0.25 * u * u
        g[j] = xj * u


@jit(inline=True)
def _rosenbrock(p, X, G, F, T):
    b = p[0]
    for r in range(X.shape[0]):
        u = 1.0 - X[r, 0]
        v = X[r, 1] - X[r, 0] * X[r, 0]
        G[r, 0] = -2.0 * u - 4.0 * b * X[r, 0] * v
        G[r, 1] = 2.0 * b * v
        F[r] = u * u + b * v * v


@jit(inline=True)
def _pseudo_huber(p, X, G, F, T):
    dl = p[1]
    x, g, t = X.reshape(X.size), G.reshape(G.size), T.reshape(T.size)
    for j in range(x.shape[0]):
        u = x[j] / dl
        h = math.hypot(1.0, u)  # sqrt(1 + u^2) without overflow
        # delta^2 (h - 1) = delta^2 u^2/(h + 1) = (delta |x|)(|u|/(h + 1)): no cancellation, no overflow.
        t[j] = dl * abs(x[j]) * (abs(u) / (h + 1.0))
        g[j] = x[j] / h


def _values_and_grads(p, X, G, F, T):
    """Template of an objective's block kernel (:mod:`sims.specialize` binds ``kernel`` and
    ``SEPARABLE`` per objective): ``F[a] = f(X[a])``, ``G[a] = grad f(X[a])`` for every row.

    ``T`` is (n, d) scratch.  One call per block of replicates and step of the
    engine: the objective's kernel is inlined here, and the call itself
    (without reference counting) costs little next to a block's work.
    """
    kernel(p, X, G, F, T)  # noqa: F821  (bound per objective)
    if SEPARABLE:  # noqa: F821
        row_sums(T, F)


def _value_and_grad(p, x, g):
    """Template: f(x), writing grad f(x) into ``g`` (one point; ``x``, ``g`` of length d),
    by the objective's block kernel ``values_and_grads`` on a block of one row."""
    d = x.shape[0]
    X = np.empty((1, d))
    G = np.empty((1, d))
    F = np.empty(1)
    for i in range(d):
        X[0, i] = x[i]
    values_and_grads(p, X, G, F, np.empty((1, d)))  # noqa: F821  (bound per objective)
    for i in range(d):
        g[i] = G[0, i]
    return F[0]


# ----------------------------------------------------------------------------- registry

OBJECTIVES = Registry(
    "objective",
    [
        Objective(
            name="quadratic",
            kernel=_quadratic,
            params=(
                _DIM,
                _positive("L", 1.0, "largest curvature"),
                _COND,
            ),
            doc="f = 1/2 sum_i lambda_i x_i^2, lambda_i spread geometrically from L to L/cond: the L-smooth "
            "baseline, (L0, L1) = (L, 0); x0 = (1, ..., 1)",
            sympy_expr=_quadratic_expr,
            f_star=lambda d, p: 0.0,
            pairs=lambda d, p: [(p["L"], 0.0)],
            x0=lambda d, p: np.ones(d),
        ),
        Objective(
            name="quartic",
            kernel=_quartic,
            params=(_DIM, _positive("a", 1.0, "coefficient")),
            doc="f = a sum_i x_i^4: the simplest objective that is (L0, L1)-smooth but not L-smooth, "
            "(16a/L1^2, L1) for every L1 > 0 (tight at L1|x_i| = 2); x0 = (1, ..., 1)",
            sympy_expr=lambda xs, p: p["a"] * _separable(xs, lambda x: x**4),
            f_star=lambda d, p: 0.0,
            pairs=lambda d, p: [(16.0 * p["a"] / l1**2, l1) for l1 in _QUARTIC_L1],
            x0=lambda d, p: np.ones(d),
        ),
        Objective(
            name="norm_quartic",
            kernel=_norm_quartic,
            separable=False,
            params=(_DIM, _COND),
            doc="f = ||A x||^4, A = diag(a_i), a_i spread geometrically from 1 to 1/cond: a non-separable, "
            "ill-conditioned quartic (its Hessian couples coordinates); pairs derived here "
            "(16/L1^2 in 1-D; max(16, (4+8/cond^2)^3 cond^2/108)/L1^2 in d >= 2); x0 = (1, ..., 1)",
            sympy_expr=_norm_quartic_expr,
            f_star=lambda d, p: 0.0,
            pairs=lambda d, p: [(_norm_quartic_l0(d, p["cond"], l1), l1) for l1 in _QUARTIC_L1],
            x0=lambda d, p: np.ones(d),
        ),
        Objective(
            name="cosh",
            kernel=_cosh,
            params=(_DIM,),
            doc="f = sum_i 2 cosh(x_i), f* = 2d: exponential growth in every direction, (L0, L1) = (2, 1), tight at 0 "
            "(2cosh - 2|sinh| = 2e^{-|x|} <= 2); x0 = (3, ..., 3), where |f'| = 20 per coordinate",
            sympy_expr=lambda xs, p: _separable(xs, lambda x: 2 * sp.cosh(x)),
            f_star=lambda d, p: 2.0 * d,
            pairs=lambda d, p: [(2.0, 1.0)],
            x0=lambda d, p: np.full(d, 3.0),
        ),
        Objective(
            name="exp_wall",
            kernel=_exp_wall,
            params=(_DIM, _L0, _L1),
            doc="f = sum_i (L0/L1^2)(e^{L1|x_i|} - 1 - L1|x_i|): convex, C^2, f* = 0, f'' = L0 + L1|f'| exactly "
            "(pair (L0, L1), tight everywhere); the 'large fixed step diverges' instance of ICLR20 Thm 4 "
            "(start it at exp_wall_start(M, L0, L1)); x0 = ln(101)/L1 per coordinate, where |f'| = 100 L0/L1",
            sympy_expr=_exp_wall_expr,
            f_star=lambda d, p: 0.0,
            pairs=lambda d, p: [(p["L0"], p["L1"])],
            x0=lambda d, p: np.full(d, _EXP_WALL_X0 / p["L1"]),
        ),
        Objective(
            name="huber",
            kernel=_huber,
            params=(_DIM, _HUBER_SLOPE, _HUBER_L),
            doc="f = sum_i L x_i^2/2 for |x_i| <= slope/L, slope|x_i| - slope^2/(2L) beyond: convex, C^1 with "
            "L-Lipschitz gradient (the Hessian jumps at |x_i| = slope/L, so the C^1 relaxation of the (L0, L1) "
            "definition applies), pair (L, 0); the 'small fixed step is slow' instance of ICLR20 Thm 4 "
            "(start it at huber_start(delta, slope, L)); x0 = 10 slope/L per coordinate (linear region)",
            sympy_expr=_huber_expr,
            f_star=lambda d, p: 0.0,
            pairs=lambda d, p: [(p["L"], 0.0)],
            x0=lambda d, p: np.full(d, 10.0 * p["slope"] / p["L"]),
        ),
        Objective(
            name="double_well",
            kernel=_double_well,
            params=(_DIM,),
            doc="f = sum_i (x_i^4/4 - x_i^2/2) + d/4: non-convex (local maximum at 0, minima f* = 0 at x_i = +-1), "
            "pairs on the exact frontier derived here: (2, 3), (2 + 16/(3 sqrt 3), 1), (17.02..., 0.5); "
            "x0 = (2, ..., 2), where f' = 6 per coordinate",
            sympy_expr=lambda xs, p: _separable(xs, lambda x: x**4 / 4 - x**2 / 2) + sp.Rational(len(xs), 4),
            f_star=lambda d, p: 0.0,
            pairs=lambda d, p: [(_double_well_l0(l1), l1) for l1 in _DOUBLE_WELL_L1],
            x0=lambda d, p: np.full(d, 2.0),
        ),
        Objective(
            name="rosenbrock",
            kernel=_rosenbrock,
            separable=False,
            params=(_positive("b", 100.0, "valley steepness"),),
            fixed_dim=2,
            doc="f = (1 - x)^2 + b (y - x^2)^2, f* = 0 at (1, 1): the counter-example, NOT (L0, L1)-smooth "
            "(pairs = []): along the valley y = x^2 the gradient norm is 2|1 - x| while the Hessian grows like "
            "8 b x^2; x0 = (-1.2, 1), the classical start",
            sympy_expr=_rosenbrock_expr,
            f_star=lambda d, p: 0.0,
            pairs=lambda d, p: [],
            x0=lambda d, p: np.array([-1.2, 1.0]),
        ),
        Objective(
            name="pseudo_huber",
            kernel=_pseudo_huber,
            params=(_DIM, _positive("delta", 1.0, "width of the quadratic core, and the gradient bound")),
            doc="f = sum_i delta^2 (sqrt(1 + (x_i/delta)^2) - 1): convex, L-smooth with L = 1 (pair (1, 0)), "
            "|f'| < delta: the objective where skewed heavy-tailed noise makes the clipping bias visible "
            "(docs/mathematics.md#pre-asymptotic-regimes); x0 = 5 delta per coordinate (|f'| = 0.98 delta)",
            sympy_expr=_pseudo_huber_expr,
            f_star=lambda d, p: 0.0,
            pairs=lambda d, p: [(1.0, 0.0)],
            x0=lambda d, p: np.full(d, 5.0 * p["delta"]),
        ),
    ],
)
