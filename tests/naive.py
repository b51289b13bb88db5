"""Slow, obviously-correct reference of :func:`sims.simulate`: one replicate, one step at a time.

Nothing here calls the compiled kernels of the simulator except
:func:`sims.sample_noise`, whose contract is to return exactly the noise a
replicate sees (it is tested against scipy elsewhere).  In particular

* the objective's value and gradient come from ``sympy.lambdify`` of its
  *defining* expression :meth:`sims.objectives.Objective.expression`;
* each method's update is written from its published definition (citations
  on each function), in plain NumPy;
* every recorded metric is computed afterwards from the stored trajectory,
  directly from its definition in the module docstring of
  :mod:`sims.engine` (running minima and means by ``cumsum``, the weighted
  averaged iterate as an explicit weighted sum, ...);
* schedules are evaluated from their definitions (constants, ``coef * (k +
  offset) ** power``, per-step arrays, callables of the horizon K).

Only the parameter *declarations* of the registries are read (names and
defaults), never their packing or kernels.

Conventions shared with the engine (they are definitions, not implementation
details):

* steps are 0-based: ``x_0`` is the start, update k maps ``x_k`` to
  ``x_{k+1}`` using the stochastic gradient ``grad f(x_k) + xi_k``;
* state vectors (momentum, second moments) start at zero;
* ``||v||`` is ``sqrt(sum v_i^2)`` in floating point, so it overflows once the
  sum of squares does (about 1.3e154): a replicate *diverges* at the first k
  where ``f(x_k)`` or ``||grad f(x_k)||`` is not finite, and everything it
  would record from k on is nan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

import sims
from sims.engine import METRICS
from sandbox.schedules import PowerSchedule


# ----------------------------------------------------------------------------- helpers


def norm(v: np.ndarray) -> np.float64:
    """Euclidean norm, ``sqrt(sum v_i^2)`` (overflowing like the definition of divergence)."""
    v = np.asarray(v, dtype=np.float64)
    return np.sqrt(np.sum(v * v))


@lru_cache(maxsize=None)
def _lambdified(name: str, frozen_values: tuple) -> tuple:
    obj = sims.OBJECTIVES[name]
    expr, xs = obj.expression(dict(frozen_values))
    value = sp.lambdify(xs, expr, modules="numpy")
    grad = sp.lambdify(xs, [sp.diff(expr, x) for x in xs], modules="numpy")
    return value, grad


class Objective:
    """Value and gradient of a registered objective from its sympy expression.

    Parameters
    ----------
    name : str
        Registry name in :data:`sims.OBJECTIVES`.
    params : dict, optional
        Objective parameters (validated by the registry declaration).
    """

    def __init__(self, name: str, params: dict | None = None):
        self.component = sims.OBJECTIVES[name]
        self.values = self.component.resolve(params)
        self.dim = self.component.dimension(self.values)
        self.f_star = float(self.component.f_star(self.dim, self.values))
        self._value, self._grad = _lambdified(name, tuple(sorted(self.values.items())))

    def default_x0(self) -> np.ndarray:
        """The objective's declared default starting point."""
        return np.asarray(self.component.x0(self.dim, self.values), dtype=np.float64)

    def value(self, x: np.ndarray) -> np.float64:
        """f(x)."""
        with np.errstate(all="ignore"):
            return np.float64(self._value(*(np.float64(xi) for xi in x)))

    def grad(self, x: np.ndarray) -> np.ndarray:
        """grad f(x) as a float64 vector of length d."""
        with np.errstate(all="ignore"):
            return np.array(self._grad(*(np.float64(xi) for xi in x)), dtype=np.float64).reshape(self.dim)


def schedule_values(value, K: int) -> np.ndarray:
    """The K values ``value`` takes at steps k = 0..K-1.

    ``value`` is a number, a :class:`~sandbox.schedules.PowerSchedule`
    (``coef * (k + offset) ** power``), an array of length K, or a callable
    of the horizon K returning one of those.
    """
    if callable(value) and not isinstance(value, PowerSchedule):
        value = value(K)
    if isinstance(value, PowerSchedule):
        return np.array([value.coef * (k + value.offset) ** value.power for k in range(K)], dtype=np.float64)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(K, float(arr))
    if arr.shape != (K,):
        raise ValueError(f"a per-step array must have length K = {K}, got shape {arr.shape}")
    return arr.copy()


def quantile_with_inf(values, q: float) -> float:
    """Linearly interpolated quantile (NumPy's default rule) of values that may be +inf.

    Sorted values v_0 <= ... <= v_{n-1}, position h = (n - 1) q; the result is
    v_lo + (h - lo)(v_hi - v_lo), taken as v_lo when h is an integer and as
    +inf when the interpolation gives positive weight to +inf.
    """
    v = sorted(float(a) for a in values)
    h = (len(v) - 1) * q
    lo, hi = math.floor(h), math.ceil(h)
    if lo == hi:
        return v[lo]
    if math.isinf(v[hi]):
        return math.inf
    return v[lo] + (h - lo) * (v[hi] - v[lo])


# ----------------------------------------------------------------------------- methods
# Each update maps (x, stochastic gradient g, parameters h at this step, state)
# to (x_next, clipped fraction of the step).  ``state`` holds the momentum
# vectors and the running products of the EMA factors.


def _sgd(x, g, h, state):
    """SGD / GD: x - lr g."""
    return x - h["lr"] * g, 0.0


def _clipped_sgd(x, g, h, state):
    """Hard clipping, x - lr min{1, gamma/(||g|| + delta)} g.

    ICLR20 clipped GD (step min{eta, gamma eta/||g||}), NeurIPS20 GClip;
    delta > 0 is the offset of ICLR20's clipped SGD (Thm 7).
    """
    factor = min(np.float64(1.0), h["threshold"] / (norm(g) + h["clip_offset"]))
    return x - h["lr"] * factor * g, float(factor < 1.0)


def _soft_clipped_sgd(x, g, h, state):
    """Soft clipping, x - lr gamma/(||g|| + gamma) g (Su20; ICLR20's normalized GD with beta = gamma)."""
    gn = norm(g)
    return x - h["lr"] * (h["threshold"] / (gn + h["threshold"])) * g, float(gn > h["threshold"])


def _normalized_sgd(x, g, h, state):
    """ICLR20 normalized GD, x - lr g/(||g|| + beta); no move when g = 0 (nothing to normalize)."""
    gn = norm(g)
    if gn == 0.0:
        return x.copy(), 0.0
    return x - (h["lr"] / (gn + h["norm_offset"])) * g, float(gn > h["norm_offset"])


def _normalized_sgd_momentum(x, g, h, state):
    """Normalized SGD with momentum (Cutkosky & Mehta 2020; Liu & Zhou 2025).

    m <- beta m + (1 - beta) g, x <- x - lr m/||m||; no move while m = 0.
    Every step is normalized, hence counted as clipped.
    """
    state["m"] = h["momentum"] * state["m"] + (1.0 - h["momentum"]) * g
    mn = norm(state["m"])
    if mn == 0.0:
        return x.copy(), 1.0
    return x - h["lr"] * state["m"] / mn, 1.0


def _clipped_momentum(x, g, h, state):
    """Mixed clipping (B. Zhang, Jin, Fang, Wang, NeurIPS 2020).

    m <- beta m + (1 - beta) g;
    x <- x - [nu lr/(1 + lr||m||/gamma) m + (1 - nu) lr/(1 + lr||g||/gamma) g].
    Counted as clipped when lr ||g|| > gamma (the g-term's factor below lr/2).
    """
    lr, gamma, nu = h["lr"], h["threshold"], h["mix"]
    state["m"] = h["momentum"] * state["m"] + (1.0 - h["momentum"]) * g
    m = state["m"]
    step_m = nu * lr / (1.0 + lr * norm(m) / gamma) * m
    step_g = (1.0 - nu) * lr / (1.0 + lr * norm(g) / gamma) * g
    return x - (step_m + step_g), float(lr * norm(g) > gamma)


def _cclip(x, g, h, state):
    """Coordinate-wise clipping (NeurIPS20 CClip): x_i - lr clip(g_i, -tau, tau)."""
    tau = h["threshold"]
    return x - h["lr"] * np.clip(g, -tau, tau), float(np.mean(np.abs(g) > tau))


def _ema_with_bias_correction(state, key, beta, sample):
    """Update the EMA ``state[key]`` from zero and return it divided by the total weight.

    The weights of the EMA sum to 1 - prod_j beta_j (Kingma & Ba's 1 - beta^t
    for a constant beta).
    """
    state[key] = beta * state[key] + (1.0 - beta) * sample
    state[key + "_prod"] = state.get(key + "_prod", 1.0) * beta
    return state[key] / (1.0 - state[key + "_prod"])


def _acclip(x, g, h, state):
    """ACClip (NeurIPS20, adaptive coordinate-wise clipping), bias-corrected EMAs.

    m^ = EMA of g, tau^alpha = EMA of |g|^alpha, per coordinate
    x_i <- x_i - lr min{tau_i/(|m^_i| + eps), 1} m^_i; clipped where the min is below 1.
    """
    m_hat = _ema_with_bias_correction(state, "m", h["momentum"], g)
    tau = _ema_with_bias_correction(state, "v", h["moment_decay"], np.abs(g) ** h["moment_order"]) ** (
        1.0 / h["moment_order"]
    )
    ratio = tau / (np.abs(m_hat) + h["eps"])
    return x - h["lr"] * np.minimum(ratio, 1.0) * m_hat, float(np.mean(ratio < 1.0))


def _adam(x, g, h, state):
    """Adam (Kingma & Ba 2015, Algorithm 1): x - lr m^/(sqrt(v^) + eps)."""
    m_hat = _ema_with_bias_correction(state, "m", h["momentum"], g)
    v_hat = _ema_with_bias_correction(state, "v", h["moment_decay"], g * g)
    return x - h["lr"] * m_hat / (np.sqrt(v_hat) + h["eps"]), 0.0


def _l0l1_gd(x, g, h, state):
    """Vankov et al. 2024 (arXiv 2410.10800) step x - eta* g.

    eta* = ln(1 + L1||g||/(L0 + L1||g||))/(L1||g||) minimizes their (L0, L1)
    upper model; g = 0 leaves x unchanged.  Counted as clipped when L1||g|| > L0.
    """
    s = h["L1"] * norm(g)
    if s == 0.0:
        return x.copy(), 0.0
    eta = np.log1p(s / (h["L0"] + s)) / s
    return x - eta * g, float(s > h["L0"])


METHOD_STEPS = {
    "sgd": _sgd,
    "clipped_sgd": _clipped_sgd,
    "soft_clipped_sgd": _soft_clipped_sgd,
    "normalized_sgd": _normalized_sgd,
    "normalized_sgd_momentum": _normalized_sgd_momentum,
    "clipped_momentum": _clipped_momentum,
    "cclip": _cclip,
    "acclip": _acclip,
    "adam": _adam,
    "l0l1_gd": _l0l1_gd,
}


# ----------------------------------------------------------------------------- simulation


@dataclass
class NaiveRun:
    """One replicate simulated step by step.

    Attributes
    ----------
    trajectory : ndarray, shape (K + 1, d)
        Every point computed, x_0..x_K (rows after the divergence step are nan;
        the point at the divergence step itself is kept).
    x : ndarray, shape (K + 1, d)
        The iterates as recorded: nan from the divergence step on.
    records : dict of str -> ndarray, shape (K + 1,)
        Every metric of :data:`sims.engine.METRICS` at every step.
    operands : dict of str -> ndarray, shape (K + 1,)
        For the metrics defined as a difference (f_gap, f_gap_avg_iterate,
        local_smoothness): the magnitude of the terms subtracted, which sets
        the rounding error of any implementation (cancellation).
    clipped : ndarray, shape (K,)
        Clipped fraction of each update (nan for updates never made).
    noise : ndarray, shape (K, d)
        The noise added at each step.
    diverged_step : int
        First step where f or ||grad f|| is not finite; -1 if none.
    """

    trajectory: np.ndarray
    x: np.ndarray
    records: dict
    operands: dict
    clipped: np.ndarray
    noise: np.ndarray
    diverged_step: int


def method_parameters(method: str, given: dict | None) -> dict:
    """Each declared parameter of ``method``: the given value, else its declared default."""
    given = dict(given or {})
    return {p.name: given.get(p.name, p.default) for p in sims.METHODS[method].params}


def run(
    objective: str,
    method: str,
    noise: str,
    K: int,
    seed: int,
    replicate: int = 0,
    x0=None,
    *,
    objective_params: dict | None = None,
    method_params: dict | None = None,
    noise_params: dict | None = None,
    avg_power: float = 0.0,
) -> NaiveRun:
    """Simulate replicate ``replicate`` of ``method`` for K steps; the reference of :func:`sims.simulate`.

    ``x0`` is None (the objective's default), a number or a vector of length d.
    """
    obj = Objective(objective, objective_params)
    d = obj.dim
    x = obj.default_x0() if x0 is None else np.broadcast_to(np.asarray(x0, dtype=np.float64), (d,)).copy()
    schedules = {name: schedule_values(v, K) for name, v in method_parameters(method, method_params).items()}
    xi = np.asarray(
        sims.sample_noise(noise, K, seed=seed, dim=d, replicate=replicate, **(noise_params or {})), dtype=np.float64
    ).reshape(K, d)
    update = METHOD_STEPS[method]
    state = {"m": np.zeros(d), "v": np.zeros(d)}

    trajectory = np.full((K + 1, d), np.nan)
    f_values = np.full(K + 1, np.nan)
    grads = np.full((K + 1, d), np.nan)
    clipped = np.full(K, np.nan)
    diverged_step = -1
    with np.errstate(all="ignore"):
        for k in range(K + 1):
            trajectory[k] = x
            f_values[k] = obj.value(x)
            grads[k] = obj.grad(x)
            if not (np.isfinite(f_values[k]) and np.isfinite(norm(grads[k]))):
                diverged_step = k
                break
            if k == K:
                break
            h = {name: vals[k] for name, vals in schedules.items()}
            x, clipped[k] = update(x, grads[k] + xi[k], h, state)
        records, operands = _metrics(obj, trajectory, f_values, grads, clipped, diverged_step, avg_power)
    x_recorded = trajectory.copy()
    if diverged_step >= 0:
        x_recorded[diverged_step:] = np.nan
    return NaiveRun(trajectory, x_recorded, records, operands, clipped, xi, diverged_step)


def _metrics(obj, trajectory, f_values, grads, clipped, diverged_step, avg_power) -> tuple[dict, dict]:
    """Every metric at every step, from the stored trajectory (definitions in :mod:`sims.engine`), and the operands."""
    K = trajectory.shape[0] - 1
    n = K + 1 if diverged_step < 0 else diverged_step  # steps with a finite evaluation
    gn = np.array([norm(grads[k]) for k in range(n)])
    count = np.arange(1, n + 1, dtype=np.float64)
    out = {name: np.full(K + 1, np.nan) for name in METRICS}
    operands = {name: np.full(K + 1, np.nan) for name in ("f_gap", "f_gap_avg_iterate", "local_smoothness")}
    out["grad_norm"][:n] = gn
    out["f_gap"][:n] = f_values[:n] - obj.f_star
    operands["f_gap"][:n] = np.abs(f_values[:n]) + abs(obj.f_star)
    out["min_grad_norm"][:n] = np.minimum.accumulate(gn)
    out["avg_min_grad"][:n] = np.cumsum(np.minimum(gn, gn**2)) / count
    out["avg_grad_norm"][:n] = np.cumsum(gn) / count
    out["avg_grad_norm_sq"][:n] = np.cumsum(gn**2) / count
    for k in range(1, n):
        out["clip_fraction"][k] = np.sum(clipped[:k]) / k
    for k in range(n):
        w = (np.arange(k + 1) + 1.0) ** avg_power
        xbar = np.sum(w[:, None] * trajectory[: k + 1], axis=0) / np.sum(w)
        out["f_gap_avg_iterate"][k] = obj.value(xbar) - obj.f_star
        operands["f_gap_avg_iterate"][k] = abs(obj.value(xbar)) + abs(obj.f_star)
        if k < K:
            s = trajectory[k + 1] - trajectory[k]
            if norm(s) > 0.0:
                grad_mid = obj.grad(trajectory[k] + s / 2)
                out["local_smoothness"][k] = norm(grad_mid - grads[k]) / (norm(s) / 2)
                operands["local_smoothness"][k] = (norm(grad_mid) + norm(grads[k])) / (norm(s) / 2)
    return out, operands


@dataclass
class NaiveReplicates:
    """R replicates of :func:`run`, stacked like :class:`sims.SimulationResult` (all steps 0..K)."""

    records: dict  # metric -> (K + 1, R)
    operands: dict  # metric -> (K + 1, R), see NaiveRun
    x: np.ndarray  # (K + 1, R, d)
    diverged_step: np.ndarray  # (R,)
    runs: list


def run_replicates(objective, method, noise, K, R, seed, x0=None, **kwargs) -> NaiveReplicates:
    """Replicates 0..R-1 of :func:`run`; ``x0`` may also be an (R, d) array of per-replicate starts."""
    x0s = [None] * R
    if x0 is not None:
        arr = np.asarray(x0, dtype=np.float64)
        x0s = list(arr) if arr.ndim == 2 else [arr] * R
    runs = [run(objective, method, noise, K, seed, r, x0s[r], **kwargs) for r in range(R)]
    return NaiveReplicates(
        records={m: np.stack([rn.records[m] for rn in runs], axis=1) for m in METRICS},
        operands={m: np.stack([rn.operands[m] for rn in runs], axis=1) for m in runs[0].operands},
        x=np.stack([rn.x for rn in runs], axis=1),
        diverged_step=np.array([rn.diverged_step for rn in runs]),
        runs=runs,
    )


# ----------------------------------------------------------------------------- comparison

#: Relative tolerance of engine-vs-reference comparisons.  The two compute
#: the same formulas in different operation orders (and sympy prints float
#: coefficients with 15 significant digits), so they differ by rounding.
#: Measured over tests/test_methods.py and tests/test_engine.py: the largest
#: difference is 0.02 of the tolerance below (relative differences <= 3e-14
#: wherever neither floor applies).
RTOL = 1e-12
#: Absolute floor, relative to the largest magnitude the compared quantity
#: takes in the run: a coordinate that passes near zero inherits the
#: rounding of the large values it was computed from (measured <= 4e-15).
SCALE_ATOL = 1e-13


def assert_close_to_reference(actual: np.ndarray, expected: np.ndarray, what: str, scale_axes, operands=None) -> None:
    """Same nan pattern and same infinities; finite entries within tolerance.

    The tolerance is the largest of RTOL |expected|, SCALE_ATOL times the run's
    scale (the largest finite |expected| over ``scale_axes``, e.g. steps and
    coordinates but not replicates), and, for a quantity defined as a
    difference, RTOL times the magnitude of its ``operands`` (rounding of the
    terms survives the cancellation; e.g. the local smoothness of a nearly
    flat region is a small difference of two large gradients).
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert np.array_equal(np.isnan(actual), np.isnan(expected)), (
        f"{what}: nan at different places: engine {np.argwhere(np.isnan(actual)).tolist()[:5]}..., "
        f"reference {np.argwhere(np.isnan(expected)).tolist()[:5]}..."
    )
    inf = np.isinf(expected)
    assert np.array_equal(np.isinf(actual), inf) and np.array_equal(actual[inf], expected[inf]), f"{what}: infinities differ"
    finite = np.isfinite(expected)
    magnitude = np.where(finite, np.abs(expected), 0.0)
    scale = np.max(magnitude, axis=scale_axes, keepdims=True) if magnitude.size else magnitude
    tol = np.maximum(RTOL * magnitude, SCALE_ATOL * scale)
    if operands is not None:
        tol = np.maximum(tol, RTOL * np.where(finite, np.asarray(operands, dtype=np.float64), 0.0))
    err = np.where(finite, np.abs(actual - np.where(finite, expected, 0.0)), 0.0)
    bad = err > tol
    if np.any(bad):
        i = tuple(np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} entries differ, first at {i}: engine {actual[i]!r}, reference {expected[i]!r}"
        )


def assert_matches(result, reference: NaiveReplicates) -> None:
    """Engine result (any record grid) equals the reference at its recorded steps.

    Checks the divergence steps exactly, every metric, and the iterates when
    they were recorded.
    """
    np.testing.assert_array_equal(result.diverged_step, reference.diverged_step, err_msg="diverged_step")
    np.testing.assert_array_equal(result.diverged, reference.diverged_step >= 0, err_msg="diverged")
    steps = result.steps
    for metric in METRICS:
        operands = reference.operands[metric][steps] if metric in reference.operands else None
        assert_close_to_reference(result.records[metric], reference.records[metric][steps], metric, (0,), operands)
    if result.x is not None:
        assert_close_to_reference(result.x, reference.x[steps], "x", scale_axes=(0, 2))
