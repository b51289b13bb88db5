"""Clipping forms, step equivalences and the clipped-noise lemma (theory/clipping.py).

Symbolic proofs are run and checked; every inequality is also evaluated on many random inputs
including edge values, the lemma's bounds are checked for tightness on exact two-point laws and
by Monte Carlo on heavy-tailed noise drawn with ``sims.sample_noise``.
"""

import math

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, special

from jit_mode import compiled_only
from sims import sample_noise
from theory.clipping import (
    _nonnegative,
    clip_sandwich_proof,
    clip_vectors,
    clipped_bias_bound,
    clipped_gd_step,
    clipped_noise_lemma_proof,
    clipped_second_moment_bound,
    hard_clip_factor,
    normalized_gd_step,
    soft_clip_factor,
    step_equivalence_proof,
    su_step,
    su_step_proof,
)


def assert_all_hold(steps):
    failed = [s.claim for s in steps if not s.holds]
    assert steps and not failed, failed


def test_proofs_hold():
    for proof in (clip_sandwich_proof, su_step_proof, step_equivalence_proof, clipped_noise_lemma_proof):
        assert_all_hold(proof())


def test_sign_checker_rejects_false_claims():
    a, b = sp.symbols("a b", positive=True)
    assert not _nonnegative(a - b)
    assert not _nonnegative((2 - sp.E) * a + b)
    assert _nonnegative((sp.E - 2) * a + b)
    # The false sandwich direction "soft >= hard" must not be provable in the case n > gamma.
    p, gamma = sp.symbols("p gamma", positive=True)
    n = gamma * (1 + p)
    assert not _nonnegative(gamma / (n + gamma) - gamma / n)


def random_norms(rng, n):
    """Gradient norms and thresholds spanning 24 orders of magnitude, with n = gamma exactly."""
    gamma = 10.0 ** rng.uniform(-6, 6, size=n)
    norm = gamma * 10.0 ** rng.uniform(-12, 12, size=n)
    norm[: n // 10] = gamma[: n // 10]
    return norm, gamma


def test_sandwich_numerically_and_its_constants_are_tight():
    rng = np.random.default_rng(0)
    norm, gamma = random_norms(rng, 100_000)
    hard = np.minimum(1.0, gamma / norm)
    soft = gamma / (norm + gamma)
    assert np.all(0.5 * hard <= soft * (1 + 1e-15)) and np.all(soft <= hard * (1 + 1e-15))
    # Tight: soft/hard = 1/2 at ||g|| = gamma and -> 1 as ||g|| -> 0 or oo.
    assert float(soft_clip_factor(2.0, 2.0) / hard_clip_factor(2.0, 2.0)) == 0.5
    assert float(soft_clip_factor(1e-9, 1.0) / hard_clip_factor(1e-9, 1.0)) == pytest.approx(1.0, rel=1e-8)
    assert float(soft_clip_factor(1e9, 1.0) / hard_clip_factor(1e9, 1.0)) == pytest.approx(1.0, rel=1e-8)


def test_su_step_minimises_the_model_on_a_grid():
    rng = np.random.default_rng(1)
    for _ in range(50):
        L0, L1, n = rng.uniform(0.1, 10), rng.uniform(0.01, 10), 10.0 ** rng.uniform(-3, 3)
        star = float(su_step(L0, L1, n))
        eta = np.linspace(0, 3 * star, 30_001)
        model = -eta * n**2 + 0.5 * (L0 + L1 * n) * eta**2 * n**2
        assert eta[np.argmin(model)] == pytest.approx(star, rel=2e-4)
        assert star * n < 1 / L1  # a short step
        assert star == pytest.approx(float(soft_clip_factor(n, L0 / L1)) / L0, rel=1e-12)


def test_clipped_and_normalized_steps_within_factor_two():
    rng = np.random.default_rng(2)
    norm, beta = random_norms(rng, 20_000)
    eta_n = 10.0 ** rng.uniform(-4, 1, size=norm.size)
    eta_c = eta_n / beta
    gamma = eta_n / eta_c
    h_c = np.minimum(eta_c, gamma * eta_c / norm)
    h_n = eta_n / (norm + beta)
    assert np.all(0.5 * h_c <= h_n * (1 + 1e-14)) and np.all(h_n <= h_c * (1 + 1e-14))
    # The public functions compute the same steps.
    for i in range(50):
        assert float(clipped_gd_step(eta_c[i], gamma[i], norm[i])) == pytest.approx(h_c[i], rel=1e-12)
        assert float(normalized_gd_step(eta_n[i], beta[i], norm[i])) == pytest.approx(h_n[i], rel=1e-12)


def test_clip_vectors_against_a_naive_loop():
    rng = np.random.default_rng(3)
    g = rng.standard_normal((500, 3)) * 10.0 ** rng.uniform(-3, 3, size=(500, 1))
    g[0] = 0.0
    tau = 10.0 ** rng.uniform(-2, 2, size=500)
    out = clip_vectors(g, tau)
    for row, t, o in zip(g, tau, out):
        norm = math.sqrt(sum(v * v for v in row))
        expected = [v * t / norm for v in row] if norm > t else list(row)
        assert np.allclose(o, expected, rtol=1e-14, atol=0)
    assert np.allclose(clip_vectors(g, 2.0), clip_vectors(g, np.full(500, 2.0)))


def test_bound_expressions():
    assert clipped_bias_bound(sp.Rational(3, 2), 1, 2) == 2  # 2^1.5 * 1 / 2^0.5, exact
    assert float(clipped_bias_bound(1.5, 1, 2)) == pytest.approx(2.0, rel=1e-15)
    assert sp.simplify(clipped_bias_bound(2, 3, 4) - sp.Rational(9)) == 0  # 4 * 9 / 4
    assert clipped_second_moment_bound(2, 5, 7) == 5  # alpha = 2: the plain second moment
    alpha, sigma, tau, m = sp.symbols("alpha sigma tau m", positive=True)
    assert sp.simplify(clipped_bias_bound(alpha, sigma, tau) - 2**alpha * sigma**alpha * tau ** (1 - alpha)) == 0
    assert sp.simplify(clipped_second_moment_bound(alpha, m, tau) - tau ** (2 - alpha) * m) == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda: clipped_bias_bound(1, 1, 1),
        lambda: clipped_bias_bound(2.5, 1, 1),
        lambda: clipped_bias_bound(1.5, -1, 1),
        lambda: clipped_bias_bound(1.5, 1, 0),
        lambda: clipped_second_moment_bound(1.5, -0.1, 1),
        lambda: clipped_second_moment_bound(1.5, 1, sp.Symbol("t", negative=True)),
        lambda: clip_vectors(np.ones(3), 0.0),
        lambda: hard_clip_factor(0, 1),
        lambda: su_step(0, 1, 1),
    ],
)
def test_invalid_inputs_raise(call):
    with pytest.raises(ValueError):
        call()


# ----------------------------------------------------------------------------- the lemma, pointwise and on exact laws


def test_pointwise_lemma_on_random_vectors_with_edges():
    rng = np.random.default_rng(4)
    for dim in (1, 2, 4):
        n = 50_000
        tau = 10.0 ** rng.uniform(-3, 3, size=n)
        alpha = rng.uniform(1.0, 2.0, size=n)
        alpha[:1000], alpha[1000:2000] = 1.0, 2.0
        G = rng.standard_normal((n, dim))
        G *= (tau * rng.uniform(0, 0.5, size=n) / np.linalg.norm(G, axis=1))[:, None]
        G[:3000] *= (0.5 * tau[:3000] / np.linalg.norm(G[:3000], axis=1))[:, None]  # ||G|| = tau/2
        xi = rng.standard_normal((n, dim)) * (tau * 10.0 ** rng.uniform(-8, 8, size=n))[:, None]
        xi[3000:4000] = 0.0
        g = G + xi
        ghat = clip_vectors(g, tau)
        xn, gn = np.linalg.norm(xi, axis=1), np.linalg.norm(g, axis=1)
        bias_term = np.linalg.norm(ghat - g, axis=1)
        assert np.all(bias_term <= 2.0**alpha * xn**alpha / tau ** (alpha - 1) * (1 + 1e-12))
        assert np.all(np.linalg.norm(ghat, axis=1) ** 2 <= tau ** (2 - alpha) * gn**alpha * (1 + 1e-12))


@pytest.mark.parametrize("alpha", [1.2, 1.5, 2.0])
def test_bias_bound_within_a_constant_of_tight_on_a_two_point_law(alpha):
    # xi = M w.p. q, -qM/(1-q) otherwise (mean 0), G = tau/2, M = 3tau/2: only the first atom is
    # clipped (|g| = 2 tau), so E ghat - G = q (tau - 2 tau) exactly.  E|xi|^alpha = q M^alpha (1 + O(q^(alpha-1))),
    # so the bound is 3^alpha q tau (1 + O(q^(alpha-1))): within a factor 3^alpha of the true bias.
    tau, q = 1.0, 1e-8
    M = 1.5 * tau
    atoms = np.array([M, -q * M / (1 - q)])
    probs = np.array([q, 1 - q])
    G = tau / 2
    ghat = clip_vectors((G + atoms)[:, None], tau)[:, 0]
    bias = abs(np.dot(probs, ghat) - G)
    sigma_alpha = np.dot(probs, np.abs(atoms) ** alpha)
    bound = float(clipped_bias_bound(alpha, sigma_alpha ** (1 / alpha), tau))
    assert bias == pytest.approx(q * tau, rel=1e-6)
    assert bias <= bound <= 1.1 * 3**alpha * bias


def test_second_moment_bound_is_attained_at_the_threshold():
    for alpha in (1.1, 1.5, 2.0):
        tau = 3.0
        g = np.array([[tau, 0.0]])
        lhs = float(np.sum(clip_vectors(g, tau) ** 2))
        assert lhs == pytest.approx(float(clipped_second_moment_bound(alpha, tau**alpha, tau)), rel=1e-14)


# ----------------------------------------------------------------------------- Monte Carlo with heavy-tailed noise
#
# The clipped quantities are bounded, so Hoeffding's inequality gives distribution-free error bars:
# for values in [-tau, tau], P(|mean - E| >= 6 tau / sqrt(n)) <= 2 exp(-18) = 3e-8 per coordinate;
# for values in [0, tau^2], P(mean - E >= 5 tau^2 / sqrt(n)) <= exp(-50).  With the ~20 checks
# below the false-alarm probability is below 1e-6.  The noise moments come from closed forms
# or from numerical integration of the density (scipy.integrate.quad), never from the samples.

N_MC = 200_000


def pareto_moment(p, alpha, scale, shift=0.0):
    """E|shift + X|^p for the centred Lomax X = scale (Y - 1) - scale/(alpha - 1), Y ~ Pareto(1, alpha)."""
    density = lambda y: alpha * y ** (-alpha - 1)  # noqa: E731
    value = lambda y: abs(shift + scale * (y - 1) - scale / (alpha - 1)) ** p  # noqa: E731
    kink = 1 + 1 / (alpha - 1) - shift / scale  # where shift + X = 0
    points = [1.0] + ([kink] if kink > 1 else []) + [np.inf]
    return sum(integrate.quad(lambda y: value(y) * density(y), a, b, limit=200)[0] for a, b in zip(points[:-1], points[1:]))


def isotropic_stable_moment(p, a, scale, d):
    """E||X||^p for the isotropic S(a) vector (docs/mathematics.md#fractional-moments), 0 < p < a."""
    return (2 * scale) ** p * special.gamma((d + p) / 2) * special.gamma(1 - p / a) / (special.gamma(d / 2) * special.gamma(1 - p / 2))


def test_pareto_moment_oracle_against_samples_at_a_low_order():
    # The oracle itself, checked where Monte Carlo is reliable (p = 1/2, finite variance of |X|^p).
    xi = sample_noise("pareto", N_MC, seed=11, alpha=1.8, scale=1.0)
    values = np.abs(xi) ** 0.5
    assert values.mean() == pytest.approx(pareto_moment(0.5, 1.8, 1.0), abs=6 * values.std() / math.sqrt(N_MC))


@pytest.mark.parametrize("law_alpha", [1.3, 1.8])
@pytest.mark.parametrize("tau", [1.0, 4.0])
def test_bias_bound_log_tail_noise(law_alpha, tau):
    # log_tail at its own index: E|xi|^alpha = scale^alpha (1 + alpha) exactly (sims.noise docstring).
    xi = sample_noise("log_tail", N_MC, seed=12, alpha=law_alpha, scale=1.0)
    sigma = (1 + law_alpha) ** (1 / law_alpha)
    for G in (tau / 2, -tau / 2, tau / 4):
        ghat = clip_vectors((G + xi)[:, None], tau)[:, 0]
        bias = abs(ghat.mean() - G)
        assert bias <= float(clipped_bias_bound(law_alpha, sigma, tau)) + 6 * tau / math.sqrt(N_MC)


@pytest.mark.parametrize("tau", [0.5, 2.0, 8.0])
def test_bias_bound_skewed_pareto_noise(tau):
    alpha, tail = 1.5, 1.8  # moment order below the tail index: finite
    xi = sample_noise("pareto", N_MC, seed=13, alpha=tail, scale=1.0)
    sigma = pareto_moment(alpha, tail, 1.0) ** (1 / alpha)
    for G in (tau / 2, -tau / 2):
        ghat = clip_vectors((G + xi)[:, None], tau)[:, 0]
        assert abs(ghat.mean() - G) <= float(clipped_bias_bound(alpha, sigma, tau)) + 6 * tau / math.sqrt(N_MC)


# pareto and log_tail draws take 20-40 us each uncompiled (NUMBA_DISABLE_JIT=1): those checks keep N_MC
@compiled_only("2e5 isotropic stable draws (~1 ms each uncompiled)")
def test_bias_bound_isotropic_stable_vector_noise():
    alpha, index, d, tau = 1.5, 1.9, 2, 2.0
    xi = sample_noise("stable_isotropic", N_MC, seed=14, dim=d, alpha=index, scale=1.0)
    sigma = isotropic_stable_moment(alpha, index, 1.0, d) ** (1 / alpha)
    G = np.array([tau / 2, 0.0])
    ghat = clip_vectors(G + xi, tau)
    # Per-coordinate Hoeffding, union bound over the 2 coordinates, then the norm of the error.
    error_bar = math.sqrt(d) * 6 * tau / math.sqrt(N_MC)
    assert np.linalg.norm(ghat.mean(axis=0) - G) <= float(clipped_bias_bound(alpha, sigma, tau)) + error_bar


@pytest.mark.parametrize("tau", [0.5, 2.0, 8.0])
def test_second_moment_bound_heavy_tailed_noise(tau):
    # Centred log_tail noise (G = 0): E||g||^alpha = (1 + alpha) exactly.
    alpha = 1.5
    xi = sample_noise("log_tail", N_MC, seed=15, alpha=alpha, scale=1.0)
    sq = np.sum(clip_vectors(xi[:, None], tau) ** 2, axis=1)
    assert np.allclose(sq, np.minimum(xi**2, tau**2), rtol=1e-12)
    assert sq.mean() <= float(clipped_second_moment_bound(alpha, 1 + alpha, tau)) + 5 * tau**2 / math.sqrt(N_MC)
    # Skewed Pareto noise around G = tau/2: the non-central moment from the density.
    G = tau / 2
    xi = sample_noise("pareto", N_MC, seed=16, alpha=1.8, scale=1.0)
    sq = np.sum(clip_vectors((G + xi)[:, None], tau) ** 2, axis=1)
    moment = pareto_moment(alpha, 1.8, 1.0, shift=G)
    assert sq.mean() <= float(clipped_second_moment_bound(alpha, moment, tau)) + 5 * tau**2 / math.sqrt(N_MC)
