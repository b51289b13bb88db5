"""Clipping forms, clipped-vs-normalized steps and the clipped-noise lemma (docs/mathematics.md#clipping-forms).

Every inequality here is *derived here* (the papers state them informally or not at all) and comes
with a ``*_proof()`` function returning :class:`theory.smoothness.CheckedStep` objects whose checks
run when the function is called: sympy case splits for scalar inequalities, randomized checks
(fixed seed, edge values included) for the vector triangle-inequality steps.

Sources: Su20 = Su Jianlin's blog post (kexue.fm/archives/7469): hard/soft clipping and the step
``1/(L0 + L1 ||g||)``; ICLR20 = Zhang, He, Sra, Jadbabaie, ICLR 2020: clipped GD and normalized GD
are equivalent up to a factor 2; NeurIPS20 = Zhang et al., NeurIPS 2020: heavy-tailed noise with a
bounded alpha-moment, alpha in (1, 2].
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .smoothness import CheckedStep

__all__ = [
    "hard_clip_factor",
    "soft_clip_factor",
    "clip_sandwich_proof",
    "su_step",
    "su_step_proof",
    "clipped_gd_step",
    "normalized_gd_step",
    "step_equivalence_proof",
    "clip_vectors",
    "clipped_bias_bound",
    "clipped_second_moment_bound",
    "clipped_noise_lemma_proof",
]


# ============================================================================ validation


def _in_range(value, name: str, lo=None, hi=None, lo_open: bool = False, hi_open: bool = False) -> sp.Expr:
    """``value`` as a sympy expression, rejected when it is provably outside its range.

    Numbers are checked exactly; symbolic values are rejected only when sympy can decide that a
    bound fails (e.g. a symbol declared negative where a positive value is required).
    """
    try:
        out = sp.sympify(value)
    except (sp.SympifyError, TypeError):
        raise ValueError(f"{name} must be a real number or a sympy expression, got {value!r}") from None
    left = "(" if lo_open or lo is None else "["
    right = ")" if hi_open or hi is None else "]"
    text = f"{left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"
    if not out.free_symbols and not (out.is_real and out.is_finite):
        raise ValueError(f"{name} must be in {text}, got {value!r}")
    checks = []
    if lo is not None:
        checks.append(out > lo if lo_open else out >= lo)
    if hi is not None:
        checks.append(out < hi if hi_open else out <= hi)
    for check in checks:
        if check is sp.false or (not out.free_symbols and not bool(check)):
            raise ValueError(f"{name} must be in {text}, got {value!r}")
    return out


def _nonnegative(expr) -> bool:
    """Whether ``expr >= 0`` follows from the assumptions on its symbols.

    First sympy's sign inference on the factored form; then, when every symbol is non-negative,
    the sufficient condition that numerator and denominator are polynomials whose coefficients
    (closed-form constants such as ``e - 2``) all have one sign.
    """
    together = sp.together(sp.simplify(expr))
    if sp.factor(together).is_nonnegative:
        return True
    symbols = together.free_symbols
    if not all(s.is_nonnegative for s in symbols):
        return False
    signs = []
    for part in sp.fraction(together):
        try:
            coeffs = sp.Poly(sp.expand(part), *symbols).coeffs() if symbols else [part]
        except sp.PolynomialError:
            return False
        part_signs = {bool(c.is_nonnegative) - bool(c.is_nonpositive) for c in coeffs if c != 0}
        if len(part_signs) != 1 or 0 in part_signs:  # mixed or undecidable signs
            return False
        signs.append(part_signs.pop())
    return signs[0] * signs[1] >= 0


def _resolve_min(expr):
    """Evaluate ``Min(a, b)`` by proving which argument is smaller (None if sympy cannot)."""
    if not isinstance(expr, sp.Min):
        return expr
    a, b = expr.args
    if _nonnegative(b - a):
        return a
    if _nonnegative(a - b):
        return b
    return None


def _power_monotone(x, y, b) -> bool:
    """``x^b >= y^b`` for ``x >= y > 0`` and ``b >= 0``, via ``b (log x - log y) >= 0``."""
    return bool(sp.expand_log(b * (sp.log(x) - sp.log(y)), force=True).is_nonnegative) or _nonnegative(
        b * sp.log(sp.simplify(x / y))
    )


# ============================================================================ hard vs soft clipping


def hard_clip_factor(grad_norm, gamma) -> sp.Expr:
    """``min{1, gamma/||g||}``: the hard-clipping multiplier of the step (Su20, ICLR20).

    Parameters
    ----------
    grad_norm : float or sympy expression
        ``||g|| > 0``.
    gamma : float or sympy expression
        Threshold ``gamma > 0``.

    Returns
    -------
    sympy.Expr
    """
    n = _in_range(grad_norm, "grad_norm", 0, lo_open=True)
    gamma = _in_range(gamma, "gamma", 0, lo_open=True)
    return sp.Min(1, gamma / n)


def soft_clip_factor(grad_norm, gamma) -> sp.Expr:
    """``gamma/(||g|| + gamma)``: the soft-clipping multiplier (Su20).

    Parameters
    ----------
    grad_norm : float or sympy expression
        ``||g|| >= 0``.
    gamma : float or sympy expression
        ``gamma > 0``.

    Returns
    -------
    sympy.Expr
    """
    n = _in_range(grad_norm, "grad_norm", 0)
    gamma = _in_range(gamma, "gamma", 0, lo_open=True)
    return gamma / (n + gamma)


def _cases(scale):
    """The two cases ``n <= scale`` and ``n > scale`` as substitutions with ``p >= 0`` / ``p > 0``."""
    p0 = sp.Symbol("p", nonnegative=True)
    p1 = sp.Symbol("p", positive=True)
    return [("||g|| <= threshold", scale / (1 + p0)), ("||g|| > threshold", scale * (1 + p1))]


def clip_sandwich_proof() -> list[CheckedStep]:
    """``1/2 min{1, gamma/||g||} <= gamma/(||g|| + gamma) <= min{1, gamma/||g||}`` (Su20; derived here).

    Case split with ``n = ||g||``: ``n = gamma/(1 + p)`` (``n <= gamma``) and ``n = gamma (1 + p)``
    (``n > gamma``), ``p >= 0``; in each case sympy resolves the ``min`` and proves both
    differences non-negative.

    Returns
    -------
    list of CheckedStep
    """
    gamma = sp.Symbol("gamma", positive=True)
    steps = []
    for label, n in _cases(gamma):
        hard = _resolve_min(sp.Min(1, gamma / n))
        soft = gamma / (n + gamma)
        holds = hard is not None and _nonnegative(soft - hard / 2) and _nonnegative(hard - soft)
        steps.append(CheckedStep(
            f"{label}: 1/2 hard <= soft <= hard", "sympy: case substitution, min resolved, differences >= 0", holds
        ))
    return steps


# ============================================================================ Su's step


def su_step(L0, L1, grad_norm) -> sp.Expr:
    """``eta* = 1/(L0 + L1 ||g||)``: minimiser of Su's quadratic model (Su20; checked here).

    The model ``f(x) - eta ||g||^2 + (L0 + L1 ||g||) eta^2 ||g||^2 / 2`` is heuristic: it
    plugs the local smoothness at x into the L-smooth descent lemma and is only valid for short
    steps ``||Delta|| = eta ||g|| <~ 1/L1``.  ``eta* ||g|| < 1/L1`` always holds; the rigorous
    version (:func:`theory.smoothness.descent_bound` with ``c = 1``) has the extra factor
    ``e - 1`` in the quadratic term (:func:`su_step_proof`).  ``eta* = (1/L0) gamma/(||g|| + gamma)``
    with ``gamma = L0/L1``: soft clipping.

    Parameters
    ----------
    L0, L1 : float or sympy expression
        ``L0 > 0``, ``L1 >= 0``.
    grad_norm : float or sympy expression
        ``||g|| >= 0``.

    Returns
    -------
    sympy.Expr
    """
    L0 = _in_range(L0, "L0", 0, lo_open=True)
    L1 = _in_range(L1, "L1", 0)
    n = _in_range(grad_norm, "grad_norm", 0)
    return 1 / (L0 + L1 * n)


def su_step_proof() -> list[CheckedStep]:
    """Checks of :func:`su_step`: stationarity, convexity, soft-clip form, short step, rigorous variant.

    Returns
    -------
    list of CheckedStep
    """
    L0, L1, n, eta = sp.symbols("L0 L1 n eta", positive=True)
    model = -eta * n**2 + (L0 + L1 * n) * eta**2 * n**2 / 2
    stationary = sp.solve(sp.diff(model, eta), eta)
    star = su_step(L0, L1, n)
    gamma = L0 / L1
    steps = [
        CheckedStep(
            "d/deta [-eta n^2 + (L0 + L1 n) eta^2 n^2 / 2] = 0 only at eta = 1/(L0 + L1 n)",
            "sympy: solve", len(stationary) == 1 and sp.simplify(stationary[0] - star) == 0,
        ),
        CheckedStep(
            "the model is strictly convex in eta (second derivative (L0 + L1 n) n^2 > 0)",
            "sympy: sign of the second derivative", bool(sp.diff(model, eta, 2).is_positive),
        ),
        CheckedStep(
            "1/(L0 + L1 n) = (1/L0) gamma/(n + gamma) with gamma = L0/L1",
            "sympy: difference simplified to 0", sp.simplify(star - gamma / (L0 * (n + gamma))) == 0,
        ),
        CheckedStep(
            "the step length eta* n = n/(L0 + L1 n) is < 1/L1: inside the radius c = 1 of the local lemma",
            "sympy: 1/L1 - eta* n > 0", _nonnegative(1 / L1 - star * n) and sp.simplify(1 / L1 - star * n) != 0,
        ),
    ]
    rigorous = -eta * n**2 + (sp.E - 1) * (L0 + L1 * n) * eta**2 * n**2 / 2
    rigorous_star = sp.solve(sp.diff(rigorous, eta), eta)
    steps.append(CheckedStep(
        "with the rigorous linearised bound (c = 1: A = B = e - 1) the minimiser is eta*/(e - 1), also inside radius 1/L1",
        "sympy: solve and compare",
        len(rigorous_star) == 1 and sp.simplify(rigorous_star[0] - star / (sp.E - 1)) == 0
        and _nonnegative(1 / L1 - rigorous_star[0] * n),
    ))
    return steps


# ============================================================================ clipped vs normalized GD


def clipped_gd_step(eta_c, gamma, grad_norm) -> sp.Expr:
    """``h_c = min{eta_c, gamma eta_c/||grad f||}``: the clipped-GD step size (ICLR20).

    Parameters
    ----------
    eta_c, gamma : float or sympy expression
        ``> 0``.
    grad_norm : float or sympy expression
        ``||grad f|| > 0``.

    Returns
    -------
    sympy.Expr
    """
    eta_c = _in_range(eta_c, "eta_c", 0, lo_open=True)
    gamma = _in_range(gamma, "gamma", 0, lo_open=True)
    n = _in_range(grad_norm, "grad_norm", 0, lo_open=True)
    return sp.Min(eta_c, gamma * eta_c / n)


def normalized_gd_step(eta_n, beta, grad_norm) -> sp.Expr:
    """``h_n = eta_n/(||grad f|| + beta)``: the normalized-GD step size (ICLR20).

    Parameters
    ----------
    eta_n, beta : float or sympy expression
        ``> 0``.
    grad_norm : float or sympy expression
        ``||grad f|| >= 0``.

    Returns
    -------
    sympy.Expr
    """
    eta_n = _in_range(eta_n, "eta_n", 0, lo_open=True)
    beta = _in_range(beta, "beta", 0, lo_open=True)
    n = _in_range(grad_norm, "grad_norm", 0)
    return eta_n / (n + beta)


def step_equivalence_proof() -> list[CheckedStep]:
    """``h_c/2 <= h_n <= h_c`` when ``gamma eta_c = eta_n`` and ``eta_c = eta_n/beta`` (derived here).

    The two relations give ``gamma = beta`` and ``h_c = eta_n / max{beta, ||grad f||}``; the claim
    is ``max{b, n} <= n + b <= 2 max{b, n}``, proven by the case split ``n <= beta`` / ``n > beta``.
    ICLR20 states the factor-2 equivalence of the two methods.

    Returns
    -------
    list of CheckedStep
    """
    eta_n, beta = sp.symbols("eta_n beta", positive=True)
    eta_c = eta_n / beta
    gamma = eta_n / eta_c
    steps = [CheckedStep("gamma eta_c = eta_n and eta_c = eta_n/beta force gamma = beta", "sympy", sp.simplify(gamma - beta) == 0)]
    for label, n in _cases(beta):
        h_c = _resolve_min(sp.Min(eta_c, gamma * eta_c / n))
        h_n = eta_n / (n + beta)
        holds = h_c is not None and _nonnegative(h_n - h_c / 2) and _nonnegative(h_c - h_n)
        steps.append(CheckedStep(f"{label}: h_c/2 <= h_n <= h_c", "sympy: case substitution, min resolved, differences >= 0", holds))
    return steps


# ============================================================================ clipped-noise lemma


def clip_vectors(g, tau) -> np.ndarray:
    """``min{1, tau/||g||} g`` for each row of ``g`` (the last axis is the vector); ``0 -> 0``.

    Parameters
    ----------
    g : array_like
        Shape ``(..., d)``.
    tau : float or array_like
        Threshold(s) ``tau > 0``, broadcastable to ``g.shape[:-1]`` (one per vector).

    Returns
    -------
    numpy.ndarray
        Same shape as ``g``.
    """
    g = np.asarray(g, dtype=float)
    tau = np.asarray(tau, dtype=float)
    if g.ndim == 0:
        raise ValueError("g must have at least one axis (the vector axis)")
    if not np.all(np.isfinite(tau) & (tau > 0)):
        raise ValueError("tau must be finite and > 0, i.e. in (0, inf)")
    norm = np.linalg.norm(g, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(norm > tau, tau / norm, 1.0)
    return factor[..., None] * g


def clipped_bias_bound(alpha, sigma, tau) -> sp.Expr:
    """``2^alpha sigma^alpha / tau^(alpha - 1)`` bounds ``||E clip(g) - grad f||`` (derived here).

    Assumptions: ``g = grad f + xi``, ``E xi = 0``, ``E||xi||^alpha <= sigma^alpha`` and
    ``||grad f|| <= tau/2`` (consistent with the clipped-noise lemmas of NeurIPS20; the constant is
    ours, see :func:`clipped_noise_lemma_proof`).

    Parameters
    ----------
    alpha : float or sympy expression
        Moment order in ``(1, 2]``.
    sigma : float or sympy expression
        ``sigma >= 0``.
    tau : float or sympy expression
        Threshold ``tau > 0``.

    Returns
    -------
    sympy.Expr
    """
    alpha = _in_range(alpha, "alpha", 1, 2, lo_open=True)
    sigma = _in_range(sigma, "sigma", 0)
    tau = _in_range(tau, "tau", 0, lo_open=True)
    return 2**alpha * sigma**alpha / tau ** (alpha - 1)


def clipped_second_moment_bound(alpha, moment, tau) -> sp.Expr:
    """``tau^(2 - alpha) E||g||^alpha`` bounds ``E||clip(g)||^2 = E min{||g||^2, tau^2}`` (derived here).

    Parameters
    ----------
    alpha : float or sympy expression
        Moment order in ``(1, 2]``.
    moment : float or sympy expression
        The non-central moment ``E||g||^alpha >= 0`` (not its alpha-th root).
    tau : float or sympy expression
        Threshold ``tau > 0``.

    Returns
    -------
    sympy.Expr
    """
    alpha = _in_range(alpha, "alpha", 1, 2, lo_open=True)
    moment = _in_range(moment, "moment", 0)
    tau = _in_range(tau, "tau", 0, lo_open=True)
    return tau ** (2 - alpha) * moment


def _random_lemma_inputs(rng, n: int, dim: int):
    """Random ``(G, xi, tau, alpha)`` with ``||G|| <= tau/2``, including edge values.

    Edges: ``||G|| = tau/2`` exactly, ``G = 0``, ``xi = 0``, ``||G + xi| = tau`` exactly, tiny
    and huge ``xi`` (1e-12 to 1e12 times tau), ``alpha in {1, 2}``.
    """
    tau = 10.0 ** rng.uniform(-3, 3, size=n)
    alpha = rng.uniform(1.0, 2.0, size=n)
    alpha[: n // 10] = 1.0
    alpha[n // 10 : n // 5] = 2.0
    G = rng.standard_normal((n, dim))
    G *= (tau * rng.uniform(0, 0.5, size=n) / np.linalg.norm(G, axis=1))[:, None]
    G[: n // 8] *= (tau[: n // 8] / 2 / np.linalg.norm(G[: n // 8], axis=1))[:, None]  # ||G|| = tau/2
    G[n // 8 : n // 6] = 0.0
    xi = rng.standard_normal((n, dim)) * (tau * 10.0 ** rng.uniform(-12, 12, size=n))[:, None]
    xi[n // 6 : n // 5] = 0.0
    # ||G + xi|| = tau exactly (up to rounding): xi = tau u - G for a random unit u.
    k = slice(n // 5, n // 4)
    u = rng.standard_normal((n // 4 - n // 5, dim))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    xi[k] = tau[k, None] * u - G[k]
    return G, xi, tau, alpha


def clipped_noise_lemma_proof(n_random: int = 20000, seed: int = 0) -> list[CheckedStep]:
    """The clipped-noise lemma, derived here and checked step by step (docs/mathematics.md#clipped-noise-lemma).

    Setting: ``g = G + xi`` with ``G = grad f``, ``E xi = 0``, ``E||xi||^alpha <= sigma^alpha``,
    ``alpha in (1, 2]``, ``ghat = min{1, tau/||g||} g``, ``||G|| <= tau/2``.

    Bias.  ``E ghat - G = E[ghat - g]`` (``E g = G``), and pointwise
    ``||ghat - g|| = (||g|| - tau)_+ <= ||g|| 1{||g|| > tau}``.  On ``{||g|| > tau}``:
    ``||xi|| >= ||g|| - ||G|| > tau/2`` and ``||g|| <= ||G|| + ||xi|| <= tau/2 + ||xi|| < 2||xi||``,
    so ``||ghat - g|| <= 2||xi|| 1{||xi|| > tau/2} <= 2||xi|| (2||xi||/tau)^(alpha - 1)
    = 2^alpha ||xi||^alpha / tau^(alpha - 1)``.  Jensen and the moment bound give
    :func:`clipped_bias_bound`.

    Second moment.  ``||ghat||^2 = min{||g||^2, tau^2} <= tau^(2 - alpha) ||g||^alpha`` pointwise
    (``alpha <= 2``), hence :func:`clipped_second_moment_bound`.

    Parameters
    ----------
    n_random : int
        Number of random cases for the vector steps (edge values included).
    seed : int
        Seed of the random cases.

    Returns
    -------
    list of CheckedStep
    """
    if isinstance(n_random, bool) or not isinstance(n_random, (int, np.integer)) or n_random < 100:
        raise ValueError(f"n_random must be an integer >= 100, got {n_random!r}")
    tau, alpha_minus_1 = sp.symbols("tau a", positive=True)
    steps = []
    # ||clip(g) - g|| = (n - tau)_+ : for n > tau the clipped vector is (tau/n) g.
    _, above = _cases(tau)[1]
    steps.append(CheckedStep(
        "for ||g|| = n > tau: ||ghat - g|| = (1 - tau/n) n = n - tau <= n",
        "sympy: case n = tau (1 + p)",
        sp.simplify((1 - tau / above) * above - (above - tau)) == 0 and _nonnegative(tau),
    ))
    # Indicator bound: on ||xi|| = (tau/2)(1 + p), p > 0: (2||xi||/tau)^(alpha - 1) >= 1.
    p = sp.Symbol("p", positive=True)
    xi_norm = tau / 2 * (1 + p)
    steps.append(CheckedStep(
        "1{||xi|| > tau/2} <= (2||xi||/tau)^(alpha - 1) for alpha >= 1",
        "sympy: (1 + p)^a >= 1 via a log(1 + p) >= 0",
        _power_monotone(2 * xi_norm / tau, sp.Integer(1), alpha_minus_1),
    ))
    alpha = alpha_minus_1 + 1
    x = sp.Symbol("x", positive=True)
    lhs, rhs = 2 * x * (2 * x / tau) ** (alpha - 1), 2**alpha * x**alpha / tau ** (alpha - 1)
    steps.append(CheckedStep(
        "2 x (2 x/tau)^(alpha - 1) = 2^alpha x^alpha / tau^(alpha - 1)",
        "sympy: logarithms of both sides expanded, difference simplified to 0",
        sp.simplify(sp.expand_log(sp.log(lhs) - sp.log(rhs), force=True)) == 0,
    ))
    # Second moment: min{n^2, tau^2} <= tau^(2 - alpha) n^alpha.  alpha = 2/(1 + w), w >= 0, so
    # that both alpha > 0 and 2 - alpha = 2w/(1 + w) >= 0 are visible to sympy's sign inference.
    w = sp.Symbol("w", nonnegative=True)
    alpha_2 = 2 / (1 + w)
    second = []
    for label, n in _cases(tau):
        clipped_sq = _resolve_min(sp.Min(n**2, tau**2))
        if clipped_sq == n**2:  # tau^(2-alpha) n^alpha >= n^2  <=>  tau^(2-alpha) >= n^(2-alpha)
            second.append(_power_monotone(tau, n, 2 - alpha_2))
        elif clipped_sq == tau**2:  # tau^(2-alpha) n^alpha >= tau^2  <=>  n^alpha >= tau^alpha
            second.append(_power_monotone(n, tau, alpha_2))
        else:
            second.append(False)
    steps.append(CheckedStep(
        "||ghat||^2 = min{||g||^2, tau^2} <= tau^(2 - alpha) ||g||^alpha for 0 < alpha <= 2",
        "sympy: case split n <= tau / n > tau, min resolved, monotonicity of powers via logarithms",
        all(second),
    ))
    # Randomized checks of the vector steps and of the whole pointwise chain.
    rng = np.random.default_rng(seed)
    ok_triangle, ok_bias, ok_second = True, True, True
    for dim in (1, 2, 3, 5):
        G, xi, tau_v, alpha_v = _random_lemma_inputs(rng, n_random // 4, dim)
        g = G + xi
        gn, xn = np.linalg.norm(g, axis=1), np.linalg.norm(xi, axis=1)
        big = gn > tau_v
        ok_triangle &= bool(np.all(xn[big] > tau_v[big] / 2) and np.all(gn[big] <= 2 * xn[big] * (1 + 1e-12)))
        err = np.linalg.norm(clip_vectors(g, tau_v) - g, axis=1)
        bound = 2.0**alpha_v * xn**alpha_v / tau_v ** (alpha_v - 1)
        ok_bias &= bool(np.all(err <= bound * (1 + 1e-12) + 1e-300))
        clipped_sq = np.linalg.norm(clip_vectors(g, tau_v), axis=1) ** 2
        ok_second &= bool(np.all(clipped_sq <= tau_v ** (2 - alpha_v) * gn**alpha_v * (1 + 1e-12)))
    steps.append(CheckedStep(
        "on ||g|| > tau with ||G|| <= tau/2: ||xi|| > tau/2 and ||g|| <= 2||xi||",
        f"randomized: {n_random} cases, d in {{1, 2, 3, 5}}, edge values included", ok_triangle,
    ))
    steps.append(CheckedStep(
        "pointwise: ||ghat - g|| <= 2^alpha ||xi||^alpha / tau^(alpha - 1)",
        f"randomized: {n_random} cases, edge values included", ok_bias,
    ))
    steps.append(CheckedStep(
        "pointwise: ||ghat||^2 <= tau^(2 - alpha) ||g||^alpha",
        f"randomized: {n_random} cases, edge values included", ok_second,
    ))
    return steps

