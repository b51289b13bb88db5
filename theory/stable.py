"""Fractional moments of the simulator's noise laws, symbolic (sympy) and fast (float).

These are the numbers the theorem checks use to set constants such as
NeurIPS20's sigma in the assumption ``E||xi||^alpha <= sigma^alpha``
(:func:`alpha_moment_scale`).

Scale conventions (identical to :mod:`sims.noise`; docs/mathematics.md#parameterizations)
-----------------------------------------------------------------------------------------
* ``stable``: ``S(alpha, beta, scale)`` in the S1 parameterisation (scipy's
  default), characteristic function
  ``exp(-scale^alpha |t|^alpha (1 - i beta sign(t) tan(pi alpha/2)))``
  (alpha != 1), ``exp(-scale |t| (1 + i beta (2/pi) sign(t) ln|t|))``
  (alpha = 1).  alpha = 2 is ``N(0, 2 scale^2)``; alpha = 1, beta = 0 is
  Cauchy(scale).  Not ``N(0, scale^2)``: the Gaussian law below uses the
  standard deviation.
* ``stable_isotropic``: ``X = sqrt(A) G`` in R^d with
  ``A ~ S(alpha/2, 1, cos(pi alpha/4)^(2/alpha))`` and ``G ~ N(0, 2 scale^2 I)``;
  ``E exp(i<t, X>) = exp(-scale^alpha ||t||^alpha)``, so every unit projection
  is ``S(alpha, 0, scale)``.
* ``gaussian``: ``N(0, scale^2 I)`` (``scale`` = standard deviation).
* ``student_t``: ``scale * T``, ``T`` Student-t with ``df`` degrees of freedom.
* ``pareto``: centred Lomax ``scale (U^(-1/alpha) - 1) - scale/(alpha - 1)``.
* ``log_tail``: symmetric, ``P(|X| > scale x) = x^-alpha / (1 + ln x)^2`` (x >= 1).
* ``bounded``: uniform in the ball of radius ``radius`` in R^d.

Formulas (X one coordinate, ||X|| the Euclidean norm of a vector law)
--------------------------------------------------------------------
* stable, 0 < p < alpha < 2, alpha != 1 or beta = 0 (Samorodnitsky & Taqqu
  1994, Property 1.2.17 -- recalled, not re-read, so verified here against
  quadrature of scipy's density and of the characteristic function --
  rewritten with Gamma(p) sin(pi p/2) so that p = 1 is regular):
  ``E|X|^p = (2/pi) Gamma(p) sin(pi p/2) Gamma(1 - p/alpha)
  (1 + theta^2)^(p/(2 alpha)) cos((p/alpha) arctan theta) scale^p``,
  ``theta = beta tan(pi alpha/2)``.  At beta = 0 this equals the symmetric form
  (docs/mathematics.md#fractional-moments)
  ``(2 scale)^p Gamma((1+p)/2) Gamma(1 - p/alpha) / (sqrt(pi) Gamma(1 - p/2))``
  (checked in the tests).  Infinite for p >= alpha when alpha < 2.
  alpha = 1 with beta != 0 has no closed form here: it is evaluated by
  quadrature of ``E|X|^p = (2 Gamma(p+1) sin(pi p/2)/pi) int_0^inf
  (1 - Re phi(t)) t^(-p-1) dt`` (valid for 0 < p < 2 and any law).
* isotropic stable: ``E||X||^p = (2 scale)^p Gamma((d+p)/2) Gamma(1 - p/alpha)
  / (Gamma(d/2) Gamma(1 - p/2))`` (product of ``E A^(p/2) = Gamma(1 - p/alpha)
  / Gamma(1 - p/2)`` and the chi moment of G); alpha = 2 (and the
  ``gaussian`` law with std s): ``E||X||^p = (sqrt(2) s)^p Gamma((d+p)/2) / Gamma(d/2)``,
  finite for all p.
* Student-t, p < df: ``E|X|^p = scale^p df^(p/2) Gamma((1+p)/2) Gamma((df-p)/2)
  / (sqrt(pi) Gamma(df/2))``.
* pareto (centred Lomax), p < alpha, derived here: with ``c = alpha/(alpha-1)``
  and splitting at the mean,
  ``E|X|^p = scale^p alpha c^(p-alpha) [B(alpha-p, p+1)
  + alpha^-(p+1)/(p+1) 2F1(p+1, alpha+1; p+2; 1/alpha)]``.
* log_tail, derived here: for p <= alpha,
  ``E|X|^p = scale^p (1 + p e^b E_2(b))``, ``b = alpha - p`` (E_2 the
  generalised exponential integral), so ``E|X|^alpha = scale^alpha (1 + alpha)``;
  infinite for every p > alpha.
* ball of radius r in R^d: ``E||X||^p = r^p d/(d+p)``.

Every closed form is checked in ``tests/test_noise.py`` against numerical
integration (scipy densities, survival functions, Laplace transforms) and
against Monte Carlo draws of the simulator.  scipy's ``levy_stable`` density
is *not* a usable oracle at alpha = 1, beta != 0 (integrating |x|^p against
it is 2% off); that case is checked by Monte Carlo.

Numerics: Gamma ratios use ``math.lgamma`` differences, whose relative error
grows like 1e-16 d log d (about 1e-12 at d = 10^4).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Mapping

import sympy as sp
from scipy import integrate, special

from sandbox.names import LAW_PARAMETERS

__all__ = [
    "LAW_PARAMETERS",
    "MomentScale",
    "alpha_moment_scale",
    "ball_norm_moment",
    "ball_norm_moment_expr",
    "gaussian_norm_moment",
    "gaussian_norm_moment_expr",
    "isotropic_stable_norm_moment",
    "isotropic_stable_norm_moment_expr",
    "log_tail_abs_moment",
    "log_tail_abs_moment_expr",
    "pareto_abs_moment",
    "pareto_abs_moment_expr",
    "stable_abs_moment",
    "stable_abs_moment_expr",
    "student_t_abs_moment",
    "student_t_abs_moment_expr",
]

# ----------------------------------------------------------------------------- symbolic


def _sym(x):
    return sp.sympify(x)


def stable_abs_moment_expr(p, alpha, scale=1, beta=0) -> sp.Expr:
    """``E|X|^p`` for ``X ~ S(alpha, beta, scale)`` (S1), as a sympy expression.

    Samorodnitsky & Taqqu (1994), Property 1.2.17, in the form
    ``(2/pi) Gamma(p) sin(pi p/2) Gamma(1 - p/alpha) (1 + theta^2)^(p/(2 alpha))
    cos((p/alpha) atan(theta)) scale^p`` with ``theta = beta tan(pi alpha/2)``.

    Parameters
    ----------
    p, alpha, scale, beta : sympy-compatible
        Valid for ``0 < p < alpha < 2`` with ``alpha != 1`` or ``beta = 0``
        (for symbolic arguments the caller is responsible for that domain).

    Returns
    -------
    sympy.Expr
    """
    p, alpha, scale, beta = map(_sym, (p, alpha, scale, beta))
    theta = beta * sp.tan(sp.pi * alpha / 2)
    return (
        2 / sp.pi * sp.gamma(p) * sp.sin(sp.pi * p / 2) * sp.gamma(1 - p / alpha)
        * (1 + theta**2) ** (p / (2 * alpha)) * sp.cos(p / alpha * sp.atan(theta)) * scale**p
    )  # fmt: skip


def isotropic_stable_norm_moment_expr(p, alpha, scale=1, dim=1) -> sp.Expr:
    """``E||X||^p`` for the isotropic alpha-stable vector in R^dim (0 < p < alpha < 2).

    ``(2 scale)^p Gamma((d+p)/2) Gamma(1 - p/alpha) / (Gamma(d/2) Gamma(1 - p/2))``;
    at ``dim = 1`` this is the 1-D symmetric formula
    ``(2 scale)^p Gamma((1+p)/2) Gamma(1 - p/alpha) / (sqrt(pi) Gamma(1 - p/2))``.

    Returns
    -------
    sympy.Expr
    """
    p, alpha, scale, d = map(_sym, (p, alpha, scale, dim))
    return (2 * scale) ** p * sp.gamma((d + p) / 2) * sp.gamma(1 - p / alpha) / (sp.gamma(d / 2) * sp.gamma(1 - p / 2))


def gaussian_norm_moment_expr(p, std=1, dim=1) -> sp.Expr:
    """``E||X||^p`` for ``X ~ N(0, std^2 I_dim)``: ``(sqrt(2) std)^p Gamma((d+p)/2) / Gamma(d/2)``.

    Returns
    -------
    sympy.Expr
    """
    p, std, d = map(_sym, (p, std, dim))
    return (sp.sqrt(2) * std) ** p * sp.gamma((d + p) / 2) / sp.gamma(d / 2)


def student_t_abs_moment_expr(p, df, scale=1) -> sp.Expr:
    """``E|scale T|^p`` for Student-t ``T`` with ``df`` degrees of freedom (0 < p < df).

    Returns
    -------
    sympy.Expr
    """
    p, df, scale = map(_sym, (p, df, scale))
    return scale**p * df ** (p / 2) * sp.gamma((1 + p) / 2) * sp.gamma((df - p) / 2) / (sp.sqrt(sp.pi) * sp.gamma(df / 2))


def pareto_abs_moment_expr(p, alpha, scale=1) -> sp.Expr:
    """``E|X|^p`` for the centred Lomax law of the ``pareto`` noise (0 < p < alpha, alpha > 1).

    Derived here: with ``Z = 1 + X/scale + 1/(alpha-1)`` (density
    ``alpha z^(-alpha-1)`` on z >= 1) and ``c = alpha/(alpha-1)`` its mean,
    ``E|Z - c|^p = alpha c^(p-alpha) [int_0^1 t^(alpha-p-1) (1-t)^p dt
    + int_0^(1/alpha) s^p (1-s)^(-alpha-1) ds]`` (substitutions ``z = c/t`` above
    the mean and ``z = c (1 - s)`` below it); the first integral is
    ``B(alpha - p, p + 1)``, the second ``alpha^-(p+1)/(p+1)
    2F1(p+1, alpha+1; p+2; 1/alpha)``.

    Returns
    -------
    sympy.Expr
    """
    p, alpha, scale = map(_sym, (p, alpha, scale))
    c = alpha / (alpha - 1)
    lower = alpha ** (-(p + 1)) / (p + 1) * sp.hyper([p + 1, alpha + 1], [p + 2], 1 / alpha)
    return scale**p * alpha * c ** (p - alpha) * (sp.beta(alpha - p, p + 1) + lower)


def log_tail_abs_moment_expr(p, alpha, scale=1) -> sp.Expr:
    """``E|X|^p`` for the ``log_tail`` law (0 < p <= alpha), derived here.

    ``E|X/scale|^p = int_0^inf p x^(p-1) P(|X/scale| > x) dx
    = 1 + p int_1^inf x^(p-alpha-1) (1 + ln x)^-2 dx
    = 1 + p int_0^inf e^(-b u) (1+u)^-2 du = 1 + p e^b E_2(b)``,
    ``b = alpha - p`` (substitution ``x = e^u``).  At p = alpha, ``E_2(0) = 1``
    gives ``scale^alpha (1 + alpha)``.

    Returns
    -------
    sympy.Expr
    """
    p, alpha, scale = map(_sym, (p, alpha, scale))
    b = alpha - p
    return scale**p * (1 + p * sp.exp(b) * sp.expint(2, b))


def ball_norm_moment_expr(p, radius=1, dim=1) -> sp.Expr:
    """``E||X||^p = r^p d/(d+p)`` for X uniform in the ball of radius r in R^d.

    Returns
    -------
    sympy.Expr
    """
    p, r, d = map(_sym, (p, radius, dim))
    return r**p * d / (d + p)


# ----------------------------------------------------------------------------- validation


def _number(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {name!r} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"parameter {name!r} must be finite, got {value!r}")
    return v


def _positive(name: str, value: Any) -> float:
    v = _number(name, value)
    if v <= 0.0:
        raise ValueError(f"parameter {name!r} must be > 0, got {value!r}")
    return v


def _in_range(name: str, value: Any, lo: float, hi: float, lo_open: bool, hi_open: bool) -> float:
    v = _number(name, value)
    if (v <= lo if lo_open else v < lo) or (v >= hi if hi_open else v > hi):
        rng = ("(" if lo_open else "[") + f"{lo:g}, {hi:g}" + (")" if hi_open else "]")
        raise ValueError(f"parameter {name!r} must be in {rng}, got {value!r}")
    return v


def _dimension(dim: Any) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim < 1:
        raise ValueError(f"parameter 'dim' must be an integer >= 1, got {dim!r}")
    return int(dim)


# ----------------------------------------------------------------------------- fast floats


def gaussian_norm_moment(p: float, std: float = 1.0, dim: int = 1) -> float:
    """``E||X||^p`` for ``X ~ N(0, std^2 I_dim)``.

    Parameters
    ----------
    p : float
        Moment order, > 0.
    std : float
        Standard deviation of each coordinate, > 0.
    dim : int
        Dimension, >= 1.

    Returns
    -------
    float
        ``(sqrt(2) std)^p Gamma((d+p)/2) / Gamma(d/2)`` (log-gamma form: no
        overflow for large d).
    """
    p = _positive("p", p)
    std = _positive("std", std)
    d = _dimension(dim)
    return math.exp(p * math.log(math.sqrt(2.0) * std) + math.lgamma(0.5 * (d + p)) - math.lgamma(0.5 * d))


def _abs_moment_by_characteristic_function(p: float, one_minus_re_phi, re_phi_tail) -> float:
    """``E|X|^p = (2 Gamma(p+1) sin(pi p/2)/pi) int_0^inf (1 - Re phi(t)) t^(-p-1) dt``, 0 < p < 2.

    ``int_1^inf t^(-p-1) dt = 1/p`` is done analytically; ``re_phi_tail`` is
    ``Re phi`` on [1, inf), integrated numerically (it decays there).
    """
    head = integrate.quad(lambda t: one_minus_re_phi(t) * t ** (-p - 1.0), 0.0, 1.0, limit=200, epsabs=0.0, epsrel=1e-11)[0]
    tail = integrate.quad(lambda t: re_phi_tail(t) * t ** (-p - 1.0), 1.0, math.inf, limit=200, epsabs=0.0, epsrel=1e-11)[0]
    return 2.0 * math.gamma(p + 1.0) * math.sin(0.5 * math.pi * p) / math.pi * (head + 1.0 / p - tail)


def stable_abs_moment(p: float, alpha: float, scale: float = 1.0, beta: float = 0.0) -> float:
    """``E|X|^p`` for ``X ~ S(alpha, beta, scale)`` (S1 parameterisation).

    Parameters
    ----------
    p : float
        Moment order, > 0.
    alpha : float
        Stability index in (0, 2].
    scale : float
        Scale, > 0.
    beta : float
        Skewness in [-1, 1].

    Returns
    -------
    float
        The closed form of :func:`stable_abs_moment_expr` for p < alpha
        (alpha = 1 with beta != 0: numerical quadrature of the characteristic
        function, relative accuracy ~1e-10); ``math.inf`` for p >= alpha < 2;
        at alpha = 2 the ``N(0, 2 scale^2)`` moment for every p.

    Raises
    ------
    ValueError
        Naming the first invalid parameter.
    """
    p = _positive("p", p)
    alpha = _in_range("alpha", alpha, 0.0, 2.0, True, False)
    scale = _positive("scale", scale)
    beta = _in_range("beta", beta, -1.0, 1.0, False, False)
    if alpha == 2.0:
        return gaussian_norm_moment(p, math.sqrt(2.0) * scale, 1)
    if p >= alpha:
        return math.inf
    if alpha == 1.0 and beta != 0.0:
        c = 2.0 / math.pi * beta * scale

        def one_minus_re_phi(t):
            return -math.expm1(-scale * t) + math.exp(-scale * t) * 2.0 * math.sin(0.5 * c * t * math.log(t)) ** 2

        return _abs_moment_by_characteristic_function(
            p, one_minus_re_phi, lambda t: math.exp(-scale * t) * math.cos(c * t * math.log(t))
        )
    theta = beta * math.tan(0.5 * math.pi * alpha) if beta != 0.0 else 0.0
    log_m = (
        math.log(2.0 / math.pi) + math.lgamma(p) + math.log(math.sin(0.5 * math.pi * p)) + math.lgamma(1.0 - p / alpha)
        + p / (2.0 * alpha) * math.log1p(theta * theta) + math.log(math.cos(p / alpha * math.atan(theta)))
        + p * math.log(scale)
    )  # fmt: skip
    return math.exp(log_m)


def isotropic_stable_norm_moment(p: float, alpha: float, scale: float = 1.0, dim: int = 1) -> float:
    """``E||X||^p`` for the isotropic alpha-stable vector of the ``stable_isotropic`` law.

    Parameters
    ----------
    p : float
        Moment order, > 0.
    alpha : float
        Stability index in (0, 2].
    scale : float
        Scale: every unit projection is ``S(alpha, 0, scale)``; > 0.
    dim : int
        Dimension, >= 1.

    Returns
    -------
    float
        The closed form of :func:`isotropic_stable_norm_moment_expr`;
        ``math.inf`` for p >= alpha < 2; at alpha = 2 the ``N(0, 2 scale^2 I)``
        moment for every p.

    Raises
    ------
    ValueError
        Naming the first invalid parameter.
    """
    p = _positive("p", p)
    alpha = _in_range("alpha", alpha, 0.0, 2.0, True, False)
    scale = _positive("scale", scale)
    d = _dimension(dim)
    if alpha == 2.0:
        return gaussian_norm_moment(p, math.sqrt(2.0) * scale, d)
    if p >= alpha:
        return math.inf
    return math.exp(
        p * math.log(2.0 * scale) + math.lgamma(0.5 * (d + p)) + math.lgamma(1.0 - p / alpha)
        - math.lgamma(0.5 * d) - math.lgamma(1.0 - 0.5 * p)
    )  # fmt: skip


def student_t_abs_moment(p: float, df: float, scale: float = 1.0) -> float:
    """``E|scale T|^p`` for Student-t ``T`` with ``df`` degrees of freedom.

    Parameters
    ----------
    p : float
        Moment order, > 0.
    df : float
        Degrees of freedom, > 0.
    scale : float
        Scale, > 0.

    Returns
    -------
    float
        The closed form of :func:`student_t_abs_moment_expr` for p < df,
        ``math.inf`` for p >= df.

    Raises
    ------
    ValueError
        Naming the first invalid parameter.
    """
    p = _positive("p", p)
    df = _positive("df", df)
    scale = _positive("scale", scale)
    if p >= df:
        return math.inf
    return math.exp(
        p * math.log(scale) + 0.5 * p * math.log(df) + math.lgamma(0.5 * (1.0 + p)) + math.lgamma(0.5 * (df - p))
        - 0.5 * math.log(math.pi) - math.lgamma(0.5 * df)
    )  # fmt: skip


def pareto_abs_moment(p: float, alpha: float, scale: float = 1.0) -> float:
    """``E|X|^p`` for the centred Lomax law of the ``pareto`` noise.

    Parameters
    ----------
    p : float
        Moment order, > 0.
    alpha : float
        Tail index, > 1.
    scale : float
        Scale, > 0.

    Returns
    -------
    float
        The closed form of :func:`pareto_abs_moment_expr` for p < alpha,
        ``math.inf`` for p >= alpha.

    Raises
    ------
    ValueError
        Naming the first invalid parameter.
    """
    p = _positive("p", p)
    alpha = _number("alpha", alpha)
    if alpha <= 1.0:
        raise ValueError(f"parameter 'alpha' must be in (1, inf), got {alpha!r}")
    scale = _positive("scale", scale)
    if p >= alpha:
        return math.inf
    log_c = math.log(alpha) - math.log(alpha - 1.0)
    upper = math.exp(special.betaln(alpha - p, p + 1.0))
    lower = math.exp(-(p + 1.0) * math.log(alpha)) / (p + 1.0) * special.hyp2f1(p + 1.0, alpha + 1.0, p + 2.0, 1.0 / alpha)
    return math.exp(p * math.log(scale) + math.log(alpha) + (p - alpha) * log_c) * float(upper + lower)


def log_tail_abs_moment(p: float, alpha: float, scale: float = 1.0) -> float:
    """``E|X|^p`` for the ``log_tail`` law.

    Parameters
    ----------
    p : float
        Moment order, > 0.
    alpha : float
        Index in (1, 2]: ``P(|X| > scale x) = x^-alpha / (1 + ln x)^2``.
    scale : float
        Scale, > 0.

    Returns
    -------
    float
        ``scale^p (1 + p e^b E_2(b))`` with ``b = alpha - p`` for p <= alpha
        (so ``scale^alpha (1 + alpha)`` at p = alpha); ``math.inf`` for p > alpha.

    Raises
    ------
    ValueError
        Naming the first invalid parameter.
    """
    p = _positive("p", p)
    alpha = _in_range("alpha", alpha, 1.0, 2.0, True, False)
    scale = _positive("scale", scale)
    if p > alpha:
        return math.inf
    b = alpha - p
    return scale**p * (1.0 + p * math.exp(b) * float(special.expn(2, b)))


def ball_norm_moment(p: float, radius: float = 1.0, dim: int = 1) -> float:
    """``E||X||^p = r^p d/(d+p)`` for X uniform in the ball of radius r in R^d.

    Parameters
    ----------
    p : float
        Moment order, > 0.
    radius : float
        Radius r, > 0.
    dim : int
        Dimension d, >= 1.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Naming the first invalid parameter.
    """
    p = _positive("p", p)
    radius = _positive("radius", radius)
    d = _dimension(dim)
    return radius**p * d / (d + p)


# ----------------------------------------------------------------------------- sigma_alpha


@dataclass(frozen=True)
class MomentScale:
    """``(E||xi||^alpha)^(1/alpha)`` of a noise law, or an upper bound on it.

    Attributes
    ----------
    value : float
        sigma_alpha such that ``E||xi||^alpha <= value^alpha`` (equality when
        ``exact``); ``math.inf`` when the moment is infinite.
    exact : bool
        True when ``value^alpha`` *is* ``E||xi||^alpha``; False when it is the
        upper bound for i.i.d. coordinates described in :func:`alpha_moment_scale`.
    moment : float
        ``value ** alpha``: ``E||xi||^alpha`` or its upper bound.
    how : str
        Which formula was used.
    """

    value: float
    exact: bool
    moment: float
    how: str


def _coordinate_moment(law: str, alpha: float, prm: Mapping[str, float]) -> float:
    """``E|xi_1|^alpha`` of one coordinate of an i.i.d.-coordinate law."""
    if law == "gaussian":
        return gaussian_norm_moment(alpha, prm["scale"], 1)
    if law == "stable":
        return stable_abs_moment(alpha, prm["alpha"], prm["scale"], prm["beta"])
    if law == "student_t":
        return student_t_abs_moment(alpha, prm["df"], prm["scale"])
    if law == "pareto":
        return pareto_abs_moment(alpha, prm["alpha"], prm["scale"])
    if law == "log_tail":
        return log_tail_abs_moment(alpha, prm["alpha"], prm["scale"])
    raise AssertionError(law)  # unreachable: laws are checked against LAW_PARAMETERS first


def alpha_moment_scale(law: str, alpha: float, params: Mapping[str, float] | None = None, dim: int = 1) -> MomentScale:
    """sigma_alpha = ``(E||xi||^alpha)^(1/alpha)``: the constant of NeurIPS20's ``E||xi||^alpha <= sigma^alpha``.

    Parameters
    ----------
    law : str
        A noise-law name of :data:`sims.noise.LAWS` (keys of :data:`LAW_PARAMETERS`).
    alpha : float
        Moment order, > 0 (NeurIPS20 uses alpha in (1, 2]).  Not to be confused
        with a law's own ``params["alpha"]``.
    params : mapping
        The law's parameters, all of them (e.g. ``sims``' resolved values).
    dim : int
        Dimension d of the noise vector, >= 1.

    Returns
    -------
    MomentScale
        Exact for ``none``, ``gaussian``, ``stable_isotropic``, ``bounded``,
        for every law at d = 1, and for ``stable`` with index 2 (i.i.d.
        Gaussian coordinates are isotropic).  For the other i.i.d.-coordinate
        laws at d > 1 the moment is replaced by the upper bound
        ``E||xi||^alpha <= d^max(1, alpha/2) E|xi_1|^alpha`` (derived here:
        for alpha <= 2, ``t -> t^(alpha/2)`` is subadditive, so
        ``(sum xi_i^2)^(alpha/2) <= sum |xi_i|^alpha``; for alpha > 2 Jensen's
        inequality on the power mean gives the factor ``d^(alpha/2)``), and
        ``exact=False``.  An infinite coordinate moment makes the norm moment
        infinite too (``||xi|| >= |xi_1|``), which is exact.

    Raises
    ------
    ValueError
        For an unknown law (listing the valid names), a missing or unknown
        parameter, or a parameter out of range (naming it).
    """
    if law not in LAW_PARAMETERS:
        raise ValueError(f"unknown noise law {law!r}; valid: {', '.join(sorted(LAW_PARAMETERS))}")
    alpha = _positive("alpha", alpha)
    d = _dimension(dim)
    prm = dict(params or {})
    names = LAW_PARAMETERS[law]
    unknown = sorted(set(prm) - set(names))
    if unknown:
        raise ValueError(f"noise law {law!r}: unknown parameter(s) {unknown}; valid: {', '.join(names) or 'none'}")
    missing = [n for n in names if n not in prm]
    if missing:
        raise ValueError(f"noise law {law!r}: missing parameter(s) {missing}")

    try:
        return _alpha_moment_scale(law, alpha, prm, d)
    except ValueError as err:  # say which law the offending parameter belongs to
        raise ValueError(f"noise law {law!r}: {err}") from None


def _alpha_moment_scale(law: str, alpha: float, prm: Mapping[str, Any], d: int) -> MomentScale:
    def result(moment: float, exact: bool, how: str) -> MomentScale:
        value = math.inf if math.isinf(moment) else moment ** (1.0 / alpha)
        return MomentScale(value=value, exact=exact, moment=moment, how=how)

    if law == "none":
        return result(0.0, True, "no noise")
    if law == "stable_isotropic":
        return result(isotropic_stable_norm_moment(alpha, prm["alpha"], prm["scale"], d), True, "isotropic stable closed form")
    if law == "bounded":
        return result(ball_norm_moment(alpha, prm["radius"], d), True, "uniform ball closed form")
    if law == "gaussian":
        return result(gaussian_norm_moment(alpha, _positive("scale", prm["scale"]), d), True, "Gaussian chi moment")
    if law == "stable" and _number("alpha", prm["alpha"]) == 2.0:
        # N(0, 2 scale^2) coordinates: validate the rest, then use the isotropic Gaussian formula
        _in_range("beta", prm["beta"], -1.0, 1.0, False, False)
        return result(gaussian_norm_moment(alpha, math.sqrt(2.0) * _positive("scale", prm["scale"]), d), True, "Gaussian chi moment (stable index 2)")
    coordinate = _coordinate_moment(law, alpha, prm)
    if d == 1 or math.isinf(coordinate):
        return result(coordinate, True, f"{law} coordinate closed form")
    factor = d ** max(1.0, 0.5 * alpha)
    return result(factor * coordinate, False, f"upper bound d^max(1, alpha/2) E|xi_1|^alpha for i.i.d. {law} coordinates")
