"""Every method of ``sims.METHODS`` against the step-by-step reference of ``tests/naive.py``.

The engine and the reference share only the noise stream
(:func:`sims.sample_noise`) and the registries' parameter declarations:
objectives come from sympy, updates from their published definitions.
Comparisons are step by step (``record="all"``, iterates recorded) with the
tolerances of :func:`naive.assert_close_to_reference`; divergence steps must be
identical.  The edge-case tests check hand-computed first steps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import naive
import sims
from sandbox.schedules import PowerSchedule

K = 50
R = 3
SEED = 20240611
# Not on a symmetry axis of the objectives, so that with exact gradients the
# gradient direction changes from step to step.
X_START = np.array([1.0, -0.5, 1.5])

OBJECTIVE_PARAMS = {
    "quadratic": {"dim": 3, "L": 2.0, "cond": 10.0},
    "quartic": {"dim": 3, "a": 0.5},
}
NOISE_PARAMS = {
    "none": {},
    "gaussian": {"scale": 0.5},
    "stable": {"alpha": 1.5, "beta": 0.5, "scale": 0.3},
}
# Chosen so that each method clips on some steps and not on others.
METHOD_PARAMS = {
    "sgd": {"lr": 0.1},
    "clipped_sgd": {"lr": 0.1, "threshold": 1.0, "clip_offset": 0.1},
    "soft_clipped_sgd": {"lr": 0.2, "threshold": 1.0},
    "normalized_sgd": {"lr": 0.05, "norm_offset": 0.5},
    "normalized_sgd_momentum": {"lr": 0.05, "momentum": 0.8},
    "clipped_momentum": {"lr": 0.3, "threshold": 0.5, "momentum": 0.9, "mix": 0.7},
    "cclip": {"lr": 0.1, "threshold": 0.5},
    "acclip": {"lr": 0.05, "momentum": 0.9, "moment_decay": 0.99, "moment_order": 1.5, "eps": 1e-5},
    "adam": {"lr": 0.05, "momentum": 0.9, "moment_decay": 0.999, "eps": 1e-8},
    "l0l1_gd": {"L0": 1.0, "L1": 2.0},
}

# One case per method mixing every kind of schedule: PowerSchedule, per-step
# array, callable of K returning a schedule / an array / a number, constant.
SCHEDULES = {
    "sgd": {"lr": PowerSchedule(0.3, -0.5, 1.0)},
    "clipped_sgd": {
        "lr": lambda K: PowerSchedule(0.5 / math.sqrt(K)),
        "threshold": np.linspace(2.0, 0.2, K),
        "clip_offset": lambda K: 0.1,
    },
    "soft_clipped_sgd": {"lr": lambda K: np.full(K, 0.1), "threshold": PowerSchedule(0.5, 1 / 1.5, 1.0)},
    "normalized_sgd": {"lr": PowerSchedule(0.1, -1.0, 2.0), "norm_offset": np.geomspace(1.0, 1e-3, K)},
    "normalized_sgd_momentum": {"lr": PowerSchedule(0.1, -0.75, 1.0), "momentum": np.linspace(0.5, 0.95, K)},
    "clipped_momentum": {
        "lr": np.linspace(0.3, 0.1, K),
        "threshold": PowerSchedule(1.0, 0.5, 1.0),
        "momentum": PowerSchedule(0.5, 0.1, 1.0),
        "mix": np.linspace(1.0, 0.0, K),
    },
    "cclip": {"lr": PowerSchedule(0.2, -1.0, 1.0), "threshold": lambda K: PowerSchedule(0.3 * K**0.25, 1 / 1.5, 1.0)},
    # Constant EMA factors for the bias-corrected methods: with a varying factor
    # the engine divides by 1 - beta_k^(k+1), the reference by the EMA's total
    # weight 1 - prod_j beta_j (equal for constant beta); their other parameters vary.
    "acclip": {"lr": PowerSchedule(0.05, -0.5, 1.0), "moment_order": np.linspace(1.0, 2.0, K), "eps": PowerSchedule(1e-3, -1.0, 1.0)},
    "adam": {"lr": lambda K: 0.5 / K**0.5, "eps": np.geomspace(1e-3, 1e-8, K)},
    "l0l1_gd": {"L0": np.linspace(0.0, 2.0, K), "L1": PowerSchedule(1.0, 0.5, 1.0)},
}


def _both(objective, method, noise, *, K=K, R=R, seed=SEED, x0=X_START, record="all", method_params=None,
          objective_params=None, noise_params=None, avg_power=1.0):  # fmt: skip
    """The engine's result and the reference for the same configuration."""
    objective_params = OBJECTIVE_PARAMS[objective] if objective_params is None else objective_params
    noise_params = NOISE_PARAMS[noise] if noise_params is None else noise_params
    method_params = METHOD_PARAMS[method] if method_params is None else method_params
    kwargs = dict(objective_params=objective_params, method_params=method_params, noise_params=noise_params, avg_power=avg_power)
    result = sims.simulate(objective, method, noise, K, R, seed, x0, record, record_x=True, threads=1, **kwargs)
    reference = naive.run_replicates(objective, method, noise, K, R, seed, x0, **kwargs)
    return result, reference


def test_every_method_has_a_reference_and_test_parameters():
    assert set(naive.METHOD_STEPS) == set(sims.METHODS)
    assert set(METHOD_PARAMS) == set(sims.METHODS)
    assert set(SCHEDULES) == set(sims.METHODS)


@pytest.mark.parametrize("noise", sorted(NOISE_PARAMS))
@pytest.mark.parametrize("objective", sorted(OBJECTIVE_PARAMS))
@pytest.mark.parametrize("method", sorted(sims.METHODS))
def test_method_matches_reference_step_by_step(method, objective, noise):
    result, reference = _both(objective, method, noise)
    naive.assert_matches(result, reference)
    # not vacuous: the run moved and, with noise, the replicates differ
    assert not np.allclose(result.x[-1], result.x[0])
    if noise != "none":
        assert not np.allclose(result.x[-1, 0], result.x[-1, 1])


def test_methods_clip_on_some_steps_and_not_on_others():
    """The test parameters exercise both branches of every clipping rule (else the comparisons above are weak)."""
    for method in ("clipped_sgd", "soft_clipped_sgd", "normalized_sgd", "clipped_momentum", "cclip", "acclip", "l0l1_gd"):
        result = sims.simulate("quadratic", method, "stable", K, R, SEED, record="all", threads=1,
                               objective_params=OBJECTIVE_PARAMS["quadratic"], method_params=METHOD_PARAMS[method],
                               noise_params=NOISE_PARAMS["stable"])  # fmt: skip
        final_fraction = result.records["clip_fraction"][-1]
        assert np.all((final_fraction > 0.0) & (final_fraction < 1.0)), (method, final_fraction)


@pytest.mark.parametrize("method", sorted(sims.METHODS))
def test_schedules_match_reference(method):
    result, reference = _both("quartic", method, "stable", method_params=SCHEDULES[method])
    naive.assert_matches(result, reference)


@pytest.mark.parametrize("record", ["geometric", 7, np.array([3, 17, 18, 40])])
@pytest.mark.parametrize("method", ["clipped_momentum", "acclip"])
def test_sparse_record_grid_matches_reference(method, record):
    """Running summaries accumulate between recorded steps; local smoothness uses the step after a record."""
    result, reference = _both("quadratic", method, "stable", record=record, avg_power=2.0)
    assert len(result.steps) < K + 1
    naive.assert_matches(result, reference)


def test_divergence_step_matches_reference():
    """sgd with heavy-tailed noise on a quartic: some replicates overflow, at the same step as the reference."""
    R_div = 8
    result, reference = _both("quartic", "sgd", "stable", R=R_div, method_params={"lr": 0.05},
                              noise_params={"alpha": 1.2, "beta": 0.0, "scale": 1.0})  # fmt: skip
    assert 0 < result.n_diverged < R_div
    naive.assert_matches(result, reference)


@pytest.mark.parametrize("method", sorted(sims.METHODS))
def test_overflowing_start_diverges_at_step_zero(method):
    result, reference = _both("quartic", method, "none", R=1, x0=1e80)
    assert result.diverged_step.tolist() == [0]
    naive.assert_matches(result, reference)
    assert all(np.all(np.isnan(v)) for v in result.records.values())


# ----------------------------------------------------------------------------- edge cases
# Quadratic with L = 1, cond = 1: grad f(x) = x.  From x0 = (1, 2, 2) the
# gradient is (1, 2, 2) with norm exactly 3.

X0 = np.array([1.0, 2.0, 2.0])
UNIT_QUADRATIC = {"dim": 3, "L": 1.0, "cond": 1.0}
BELOW_3 = float(np.nextafter(3.0, 0.0))
BELOW_2 = float(np.nextafter(2.0, 0.0))

# (method, params, clipped fraction of step 0, x_1 computed by hand)
THRESHOLD_CASES = [
    ("clipped_sgd", {"lr": 0.5, "threshold": 3.0, "clip_offset": 0.0}, 0.0, X0 - 0.5 * X0),
    ("clipped_sgd", {"lr": 0.5, "threshold": BELOW_3, "clip_offset": 0.0}, 1.0, X0 - 0.5 * (BELOW_3 / 3.0) * X0),
    ("clipped_sgd", {"lr": 0.5, "threshold": 4.0, "clip_offset": 1.0}, 0.0, X0 - 0.5 * X0),
    ("clipped_sgd", {"lr": 0.5, "threshold": 2.0, "clip_offset": 1.0}, 1.0, X0 - 0.5 * (2.0 / 4.0) * X0),
    ("soft_clipped_sgd", {"lr": 0.5, "threshold": 3.0}, 0.0, X0 - 0.5 * (3.0 / 6.0) * X0),
    ("soft_clipped_sgd", {"lr": 0.5, "threshold": BELOW_3}, 1.0, X0 - 0.5 * (BELOW_3 / (3.0 + BELOW_3)) * X0),
    ("normalized_sgd", {"lr": 0.5, "norm_offset": 3.0}, 0.0, X0 - 0.5 / 6.0 * X0),
    ("normalized_sgd", {"lr": 0.5, "norm_offset": BELOW_3}, 1.0, X0 - 0.5 / (3.0 + BELOW_3) * X0),
    ("clipped_momentum", {"lr": 1.0, "threshold": 3.0, "momentum": 0.5, "mix": 0.0}, 0.0, X0 - 1.0 / (1.0 + 1.0) * X0),
    ("clipped_momentum", {"lr": 1.0, "threshold": BELOW_3, "momentum": 0.5, "mix": 0.0}, 1.0, X0 - 1.0 / (1.0 + 3.0 / BELOW_3) * X0),
    ("cclip", {"lr": 0.5, "threshold": 2.0}, 0.0, X0 - 0.5 * X0),
    ("cclip", {"lr": 0.5, "threshold": BELOW_2}, 2.0 / 3.0, X0 - 0.5 * np.array([1.0, BELOW_2, BELOW_2])),
    ("l0l1_gd", {"L0": 3.0, "L1": 1.0}, 0.0, X0 - math.log1p(3.0 / 6.0) / 3.0 * X0),
    ("l0l1_gd", {"L0": BELOW_3, "L1": 1.0}, 1.0, X0 - math.log1p(3.0 / (BELOW_3 + 3.0)) / 3.0 * X0),
]


@pytest.mark.parametrize("method, params, fraction, x1", THRESHOLD_CASES)
def test_clipping_exactly_at_the_threshold(method, params, fraction, x1):
    """A gradient exactly at the threshold is not clipped; one ulp above it is."""
    result, reference = _both("quadratic", method, "none", K=2, R=1, x0=X0, method_params=params,
                              objective_params=UNIT_QUADRATIC)  # fmt: skip
    assert result.records["clip_fraction"][1, 0] == fraction
    np.testing.assert_allclose(result.x[1, 0], x1, rtol=1e-15, atol=0)
    naive.assert_matches(result, reference)


# Offsets at zero wherever the range allows: the normalizing denominators vanish with g.
ZERO_GRADIENT_PARAMS = {
    **METHOD_PARAMS,
    "clipped_sgd": {"lr": 0.1, "threshold": 1.0, "clip_offset": 0.0},
    "normalized_sgd": {"lr": 0.05, "norm_offset": 0.0},
    "l0l1_gd": {"L0": 0.0, "L1": 2.0},
}


@pytest.mark.parametrize("method", sorted(sims.METHODS))
def test_zero_gradient_is_a_fixed_point(method):
    """At the minimizer with exact gradients every method stays put: no 0/0, no spurious divergence."""
    result, reference = _both("quadratic", method, "none", K=5, R=1, x0=0.0, method_params=ZERO_GRADIENT_PARAMS[method])
    assert result.diverged_step.tolist() == [-1]
    assert np.all(result.x == 0.0)
    assert np.all(result.records["grad_norm"] == 0.0)
    naive.assert_matches(result, reference)


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.99])
def test_normalized_momentum_first_step_is_normalized_gradient(momentum):
    """m starts at 0, so m_1 = (1 - beta) g_0 and the first step is lr g_0/||g_0|| for every beta."""
    result, _ = _both("quadratic", "normalized_sgd_momentum", "none", K=1, R=1, x0=X0,
                      method_params={"lr": 0.3, "momentum": momentum}, objective_params=UNIT_QUADRATIC)  # fmt: skip
    np.testing.assert_allclose(result.x[1, 0], X0 - 0.3 * X0 / 3.0, rtol=1e-15, atol=0)


def test_mixed_clipping_first_step_uses_zero_initialised_momentum():
    lr, gamma, beta, nu = 0.4, 0.5, 0.9, 0.7
    m1 = (1 - beta) * X0
    x1 = X0 - (nu * lr / (1 + lr * np.linalg.norm(m1) / gamma) * m1 + (1 - nu) * lr / (1 + lr * 3.0 / gamma) * X0)
    result, reference = _both("quadratic", "clipped_momentum", "none", K=3, R=1, x0=X0,
                              method_params={"lr": lr, "threshold": gamma, "momentum": beta, "mix": nu},
                              objective_params=UNIT_QUADRATIC)  # fmt: skip
    np.testing.assert_allclose(result.x[1, 0], x1, rtol=1e-15, atol=0)
    naive.assert_matches(result, reference)


def test_adam_bias_correction_first_two_steps():
    """With bias correction the first Adam step is lr g/(|g| + eps) per coordinate; the second is written out."""
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 0.5
    g0 = X0
    x1 = X0 - lr * g0 / (np.abs(g0) + eps)
    g1 = x1  # grad f = x
    m2 = b1 * (1 - b1) * g0 + (1 - b1) * g1
    v2 = b2 * (1 - b2) * g0**2 + (1 - b2) * g1**2
    x2 = x1 - lr * (m2 / (1 - b1**2)) / (np.sqrt(v2 / (1 - b2**2)) + eps)
    result, reference = _both("quadratic", "adam", "none", K=2, R=1, x0=X0, objective_params=UNIT_QUADRATIC,
                              method_params={"lr": lr, "momentum": b1, "moment_decay": b2, "eps": eps})  # fmt: skip
    np.testing.assert_allclose(result.x[1, 0], x1, rtol=1e-15, atol=0)
    np.testing.assert_allclose(result.x[2, 0], x2, rtol=1e-14, atol=0)
    naive.assert_matches(result, reference)


@pytest.mark.parametrize("order", [1.0, 1.5, 2.0])
def test_acclip_bias_correction_first_two_steps(order):
    """Bias-corrected: m^_1 = g_0 and tau_1 = |g_0|, so every coordinate is clipped by |g|/(|g| + eps) at step 0."""
    lr, b1, b2, eps = 0.1, 0.9, 0.99, 0.5
    g0 = X0
    x1 = X0 - lr * np.abs(g0) / (np.abs(g0) + eps) * g0
    g1 = x1
    m_hat = (b1 * (1 - b1) * g0 + (1 - b1) * g1) / (1 - b1**2)
    tau = ((b2 * (1 - b2) * np.abs(g0) ** order + (1 - b2) * np.abs(g1) ** order) / (1 - b2**2)) ** (1 / order)
    x2 = x1 - lr * np.minimum(tau / (np.abs(m_hat) + eps), 1.0) * m_hat
    params = {"lr": lr, "momentum": b1, "moment_decay": b2, "moment_order": order, "eps": eps}
    result, reference = _both("quadratic", "acclip", "none", K=2, R=1, x0=X0, objective_params=UNIT_QUADRATIC,
                              method_params=params)  # fmt: skip
    assert result.records["clip_fraction"][1, 0] == 1.0
    np.testing.assert_allclose(result.x[1, 0], x1, rtol=1e-15, atol=0)
    np.testing.assert_allclose(result.x[2, 0], x2, rtol=1e-14, atol=0)
    naive.assert_matches(result, reference)


def test_l0l1_step_is_the_minimizer_of_the_vankov_model():
    """eta* minimizes -eta g^2 + (L0 + L1 g)/L1^2 phi(L1 eta g), phi(t) = e^t - t - 1 (Vankov et al. 2024)."""
    L0, L1 = 0.7, 1.3
    result, _ = _both("quadratic", "l0l1_gd", "none", K=1, R=1, x0=X0, objective_params=UNIT_QUADRATIC,
                      method_params={"L0": L0, "L1": L1})  # fmt: skip
    g = 3.0
    eta = float(np.linalg.norm(X0 - result.x[1, 0]) / g)

    def model(e):
        return -e * g**2 + (L0 + L1 * g) / L1**2 * math.expm1(L1 * e * g) - (L0 + L1 * g) / L1 * e * g

    # the central difference of the model vanishes at eta (truncation error ~ 1e-8 here),
    # and eta is a minimum
    h = 1e-4 * eta
    assert abs(model(eta + h) - model(eta - h)) / (2 * h) < 1e-7 * g**2
    assert model(eta + h) > model(eta) < model(eta - h)
