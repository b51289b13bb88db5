"""Tests of the noise laws (sims/noise.py) and of their moments (theory/stable.py).

Oracles: closed-form characteristic functions, scipy.stats distributions,
numerical integration (scipy.integrate.quad, mpmath), sympy.

False alarms.  Every statistical check states its false-alarm probability
for a correct sampler; all seeds are fixed, so a given run is deterministic
and these numbers say how unlucky a seed would have to be.
* Kolmogorov-Smirnov checks require p-value > ``KS_LEVEL`` = 1e-6: under the
  null the p-value is uniform, so the false-alarm rate is exactly 1e-6 each.
* Characteristic-function checks use Hoeffding's inequality (cos, sin are in
  [-1, 1]): P(|mean - E| >= c/sqrt(n)) <= 2 exp(-c^2/2) = 3e-8 for c = 6.
* Moment checks use 6 standard errors computed from the *exact* variance
  ``E|X|^{2p} - (E|X|^p)^2`` (closed forms of theory/stable.py), with
  ``p = index/3.5`` so that the third moment is finite and the normal
  approximation applies: false-alarm rate ~2e-9 each.

Uncompiled (``NUMBA_DISABLE_JIT=1``, ``tests/jit_mode.py``) a stable draw takes ~1 ms: the checks
drawing 2e4-2e5 stable or isotropic values skip, and the three KS checks at n = 2e4 draw
``N_KS`` = 2000 values, the size of every other KS check here, at which
``test_ks_check_has_power`` shows the check rejecting a 40 % scale error (false alarms unchanged).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

import sims.noise as noise
import theory.stable as ts
from sims.noise import LAWS, fill_noise, log_tail_log_radius, sample_noise
from sims.params import InvalidParameter

from jit_mode import compiled_only, sample_size

KS_LEVEL = 1e-6
HOEFFDING_C = 6.0
N_SIGMA = 6.0
N_KS = 2000
N_MOMENT = 200_000


def _ks_pvalue(x, cdf) -> float:
    """KS p-value of the sample against a cdf; scipy evaluates the cdf once on the sorted sample."""
    return float(stats.kstest(np.asarray(x), cdf).pvalue)


def _stable_cf(t, alpha, beta, scale):
    """Characteristic function of S(alpha, beta, scale), S1 (Samorodnitsky-Taqqu Def. 1.1.6)."""
    t = np.asarray(t, dtype=float)
    a = np.abs(scale * t)
    if alpha == 1.0:
        return np.exp(-a * (1.0 + 1j * beta * (2.0 / np.pi) * np.sign(t) * np.log(np.abs(t))))
    return np.exp(-(a**alpha) * (1.0 - 1j * beta * np.sign(t) * np.tan(np.pi * alpha / 2.0)))


# ----------------------------------------------------------------------------- stable (i.i.d.)

ECF_CASES = [(0.7, 0.0, 1.0), (1.0, 0.0, 1.5), (1.5, 0.0, 0.7), (2.0, 0.0, 1.3), (1.3, 0.8, 1.0), (1.0, -0.6, 2.0), (1.8, -1.0, 0.5)]


@compiled_only("2e4 stable draws per case")
@pytest.mark.parametrize("alpha,beta,scale", ECF_CASES)
def test_stable_empirical_characteristic_function(alpha, beta, scale):
    n = 20_000
    x = sample_noise("stable", n, seed=11, alpha=alpha, beta=beta, scale=scale)
    tol = HOEFFDING_C / math.sqrt(n)  # per real / imaginary part, false alarm 3e-8 each
    for t in np.array([-2.0, -0.3, 0.1, 0.5, 1.0, 2.5]) / scale:
        phi = _stable_cf(t, alpha, beta, scale)
        assert abs(np.mean(np.cos(t * x)) - phi.real) <= tol, (t, np.mean(np.cos(t * x)), phi)
        assert abs(np.mean(np.sin(t * x)) - phi.imag) <= tol, (t, np.mean(np.sin(t * x)), phi)


@pytest.mark.parametrize(
    "alpha,beta,scale",
    [(1.5, 0.0, 1.0), (1.2, 0.9, 2.0), (1.0, 0.5, 1.5), (1.0, 0.0, 0.8), (0.8, -0.7, 1.0), (1.9, 1.0, 0.6)],
)
def test_stable_ks_against_scipy(alpha, beta, scale):
    x = sample_noise("stable", N_KS, seed=21, alpha=alpha, beta=beta, scale=scale)
    assert _ks_pvalue(x, stats.levy_stable(alpha, beta, scale=scale).cdf) > KS_LEVEL


def test_stable_alpha_two_is_gaussian_exactly():
    x = sample_noise("stable", sample_size(20_000, N_KS), seed=22, alpha=2.0, beta=0.7, scale=1.3)
    assert _ks_pvalue(x, stats.norm(scale=math.sqrt(2.0) * 1.3).cdf) > KS_LEVEL


def test_ks_check_has_power():
    """The KS check rejects a law with the wrong scale (so passing it means something)."""
    x = sample_noise("stable", N_KS, seed=21, alpha=1.5, beta=0.0, scale=1.0)
    assert _ks_pvalue(x, stats.levy_stable(1.5, 0.0, scale=1.4).cdf) < KS_LEVEL


# ----------------------------------------------------------------------------- isotropic stable


def _unit(d, seed):
    u = np.random.default_rng(seed).standard_normal(d)
    return u / np.linalg.norm(u)


@pytest.mark.parametrize("alpha,scale,dim", [(1.5, 1.0, 3), (0.9, 2.0, 2), (1.99, 0.5, 4), (1.2, 1.0, 1)])
def test_isotropic_projections_are_symmetric_stable(alpha, scale, dim):
    x = sample_noise("stable_isotropic", N_KS, seed=31, dim=dim, alpha=alpha, scale=scale)
    proj = x @ _unit(dim, 1)
    assert _ks_pvalue(proj, stats.levy_stable(alpha, 0.0, scale=scale).cdf) > KS_LEVEL


def test_isotropic_alpha_two_is_gaussian_vector():
    scale, dim = 0.8, 3
    x = sample_noise("stable_isotropic", sample_size(20_000, N_KS), seed=32, dim=dim, alpha=2.0, scale=scale)
    for v in (x[:, 0], x[:, 2], x @ _unit(dim, 2)):
        assert _ks_pvalue(v, stats.norm(scale=math.sqrt(2.0) * scale).cdf) > KS_LEVEL
    # the squared norm of N(0, 2 scale^2 I) is 2 scale^2 chi^2_d
    assert _ks_pvalue((x**2).sum(axis=1) / (2 * scale**2), stats.chi2(dim).cdf) > KS_LEVEL


@compiled_only("2e4 isotropic and 2e4 stable draws in dimension 2")
def test_isotropic_is_not_iid_coordinates():
    """Isotropic coordinates share one radial factor: |X_1| and |X_2| are dependent (iid stable ones are not)."""
    n = 20_000
    x = sample_noise("stable_isotropic", n, seed=33, dim=2, alpha=1.2, scale=1.0)
    r = stats.spearmanr(np.abs(x[:, 0]), np.abs(x[:, 1])).statistic
    # Spearman's rho has standard error ~ 1/sqrt(n) = 0.007 under independence
    assert r > N_SIGMA / math.sqrt(n)
    y = sample_noise("stable", n, seed=33, dim=2, alpha=1.2, beta=0.0, scale=1.0)
    assert abs(stats.spearmanr(np.abs(y[:, 0]), np.abs(y[:, 1])).statistic) < N_SIGMA / math.sqrt(n)


# ----------------------------------------------------------------------------- other laws


@pytest.mark.parametrize("df,scale", [(0.5, 1.0), (1.0, 2.0), (3.0, 0.7), (40.0, 1.0)])
def test_student_t_against_scipy(df, scale):
    x = sample_noise("student_t", N_KS, seed=41, df=df, scale=scale)
    assert _ks_pvalue(x, stats.t(df, scale=scale).cdf) > KS_LEVEL


@pytest.mark.parametrize("alpha,scale", [(1.2, 1.0), (1.8, 0.5), (3.0, 2.0)])
def test_pareto_is_shifted_lomax(alpha, scale):
    x = sample_noise("pareto", N_KS, seed=51, alpha=alpha, scale=scale)
    law = stats.lomax(alpha, scale=scale, loc=-scale / (alpha - 1.0))
    assert law.mean() == pytest.approx(0.0, abs=1e-12)
    assert _ks_pvalue(x, law.cdf) > KS_LEVEL


def test_pareto_mean_is_zero():
    alpha, scale = 3.5, 1.0  # finite variance, so the sample mean has a standard error
    x = sample_noise("pareto", N_MOMENT, seed=52, alpha=alpha, scale=scale)
    sd = stats.lomax(alpha, scale=scale).std()
    assert abs(x.mean()) <= N_SIGMA * sd / math.sqrt(x.size)  # false alarm ~2e-9 (CLT)


def _log_tail_cdf(x, alpha, scale):
    """Exact CDF of the log_tail law: P(|X| > scale y) = y^-alpha/(1 + ln y)^2, y >= 1, symmetric."""
    y = np.maximum(np.abs(np.asarray(x, dtype=float)) / scale, 1.0)
    half_tail = 0.5 * y ** (-alpha) / (1.0 + np.log(y)) ** 2
    return np.where(x < 0, half_tail, 1.0 - half_tail)


@pytest.mark.parametrize("alpha,scale", [(1.05, 1.0), (1.5, 2.0), (2.0, 0.3)])
def test_log_tail_against_exact_cdf(alpha, scale):
    x = sample_noise("log_tail", N_KS, seed=61, alpha=alpha, scale=scale)
    assert np.all(np.abs(x) >= scale)  # no mass inside (-scale, scale)
    assert _ks_pvalue(x, lambda v: _log_tail_cdf(v, alpha, scale)) > KS_LEVEL


def test_log_tail_inversion_accuracy():
    """The Newton inversion is accurate to 1e-12 relative over the whole range of our uniforms."""
    mp.mp.dps = 40
    vs = np.concatenate([[1.0 - 2.0**-53, 0.5, 2.0**-54], 10.0 ** -np.linspace(0.0, 16.2, 40)[1:]])
    worst = 0.0
    for alpha in (1.0 + 1e-9, 1.3, 1.5, 2.0):
        for v in vs:
            y = log_tail_log_radius(v, alpha)
            big_l = -mp.log(mp.mpf(v))
            root = mp.findroot(lambda t: alpha * t + 2 * mp.log1p(t) - big_l, big_l / (alpha + 2))
            worst = max(worst, abs(float(mp.exp(mp.mpf(y) - root) - 1)))
    assert worst < 1e-12, worst


@pytest.mark.parametrize("dim,radius", [(1, 2.0), (2, 1.0), (5, 0.5)])
def test_bounded_is_uniform_in_ball(dim, radius):
    n = sample_size(20_000, N_KS)
    x = sample_noise("bounded", n, seed=71, dim=dim, radius=radius)
    norms = np.linalg.norm(x, axis=1)
    assert norms.max() <= radius  # almost-sure bound of ICLR20 Thm 7
    assert _ks_pvalue(norms, lambda r: np.clip(r / radius, 0.0, 1.0) ** dim) > KS_LEVEL
    # Hoeffding per coordinate (|x_i| <= radius): false alarm 3e-8 each
    assert np.all(np.abs(x.mean(axis=0)) <= HOEFFDING_C * radius / math.sqrt(n))


def test_bounded_direction_is_uniform():
    """In R^3 a coordinate of the uniform unit ball has density (3/4)(1 - x^2) on [-1, 1]."""
    x = sample_noise("bounded", N_KS, seed=72, dim=3, radius=1.0)
    v = x @ _unit(3, 3)
    assert _ks_pvalue(v, lambda s: 0.5 + 0.75 * s - 0.25 * s**3) > KS_LEVEL


def test_shapes():
    assert sample_noise("stable", 4, seed=1).shape == (4,)
    assert sample_noise("stable", 4, seed=1, dim=3).shape == (4, 3)
    for law in ("stable_isotropic", "bounded"):
        assert LAWS[law].isotropic
        assert sample_noise(law, 4, seed=1).shape == (4, 1)  # vector laws keep the vector axis
        assert sample_noise(law, 4, seed=1, dim=3).shape == (4, 3)
    assert np.all(sample_noise("none", 3, seed=1, dim=2) == 0.0)


# ----------------------------------------------------------------------------- Monte Carlo moments

# (law, params, p, dim, exact moment function of p)
MOMENT_CASES = [
    ("stable", dict(alpha=1.5, beta=0.0, scale=1.0), 1, lambda p: ts.stable_abs_moment(p, 1.5, 1.0, 0.0)),
    ("stable", dict(alpha=1.2, beta=0.8, scale=2.0), 1, lambda p: ts.stable_abs_moment(p, 1.2, 2.0, 0.8)),
    ("stable", dict(alpha=1.0, beta=-0.5, scale=1.5), 1, lambda p: ts.stable_abs_moment(p, 1.0, 1.5, -0.5)),
    ("stable", dict(alpha=0.6, beta=0.3, scale=1.0), 1, lambda p: ts.stable_abs_moment(p, 0.6, 1.0, 0.3)),
    ("stable", dict(alpha=2.0, beta=0.0, scale=0.7), 1, lambda p: ts.stable_abs_moment(p, 2.0, 0.7)),
    ("stable_isotropic", dict(alpha=1.5, scale=1.0), 1, lambda p: ts.isotropic_stable_norm_moment(p, 1.5, 1.0, 1)),
    ("stable_isotropic", dict(alpha=1.5, scale=1.0), 3, lambda p: ts.isotropic_stable_norm_moment(p, 1.5, 1.0, 3)),
    ("stable_isotropic", dict(alpha=1.1, scale=0.5), 10, lambda p: ts.isotropic_stable_norm_moment(p, 1.1, 0.5, 10)),
    ("gaussian", dict(scale=0.7), 1, lambda p: ts.gaussian_norm_moment(p, 0.7, 1)),
    ("student_t", dict(df=3.0, scale=1.5), 1, lambda p: ts.student_t_abs_moment(p, 3.0, 1.5)),
    ("pareto", dict(alpha=1.5, scale=1.0), 1, lambda p: ts.pareto_abs_moment(p, 1.5, 1.0)),
    ("log_tail", dict(alpha=1.5, scale=2.0), 1, lambda p: ts.log_tail_abs_moment(p, 1.5, 2.0)),
    ("bounded", dict(radius=2.0), 3, lambda p: ts.ball_norm_moment(p, 2.0, 3)),
]
_INDEX = {"stable": "alpha", "stable_isotropic": "alpha", "student_t": "df", "pareto": "alpha", "log_tail": "alpha"}


@compiled_only("2e5 draws per case")
@pytest.mark.parametrize("law,params,dim,exact", MOMENT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(MOMENT_CASES)])
def test_fractional_moments_match_closed_forms(law, params, dim, exact):
    index = params.get(_INDEX.get(law, ""), 2.0)
    if law == "stable" and index == 2.0 or law in ("gaussian", "bounded"):
        p = 1.0  # all moments finite
    else:
        p = index / 3.5  # third moment of |X|^p finite
    x = sample_noise(law, N_MOMENT, seed=81, dim=dim, **params)
    y = np.linalg.norm(x, axis=1) ** p
    mean, second = exact(p), exact(2.0 * p)
    se = math.sqrt((second - mean**2) / y.size)
    assert abs(y.mean() - mean) <= N_SIGMA * se, (y.mean(), mean, se)


# ----------------------------------------------------------------------------- theory vs integration


def _moment_by_pdf(pdf, p, lo, hi, breaks):
    """E|X|^p = int |x|^p pdf(x) dx on [lo, hi], split at the given break points."""
    edges = [lo, *breaks, hi]
    return sum(
        integrate.quad(lambda x: abs(x) ** p * pdf(x), a, b, limit=200, epsrel=1e-9)[0] for a, b in zip(edges[:-1], edges[1:])
    )


@pytest.mark.parametrize("p,alpha,beta,scale", [(0.5, 1.5, 0.7, 2.0), (0.3, 0.8, -0.5, 1.3)])
def test_stable_moment_vs_quadrature_of_scipy_pdf(p, alpha, beta, scale):
    pdf = stats.levy_stable(alpha, beta, scale=scale).pdf
    numeric = _moment_by_pdf(lambda x: float(pdf(x)), p, -math.inf, math.inf, [-10 * scale, 0.0, 10 * scale])
    assert numeric == pytest.approx(ts.stable_abs_moment(p, alpha, scale, beta), rel=1e-7)


def test_characteristic_function_quadrature_on_cauchy():
    """The quadrature used for alpha = 1, beta != 0 reproduces Cauchy's E|X|^p = scale^p / cos(pi p/2).

    (scipy's levy_stable pdf and sf are inaccurate at alpha = 1, beta != 0 -- quadrature of its pdf
    is 2% off -- so that case is checked by Monte Carlo above and by this check of the machinery.)
    """
    scale, p = 1.7, 0.6
    value = ts._abs_moment_by_characteristic_function(
        p, lambda t: -math.expm1(-scale * t), lambda t: math.exp(-scale * t)
    )
    assert value == pytest.approx(scale**p / math.cos(math.pi * p / 2), rel=1e-9)


def test_stable_moment_beta_zero_is_theory_md_formula():
    """Samorodnitsky-Taqqu's form at beta = 0 equals the symmetric one of docs/mathematics.md#fractional-moments (randomized, 30 digits), also at p = 1."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        alpha = rng.uniform(0.2, 1.99)
        p = rng.uniform(0.01, 0.99) * alpha
        for pp in (p, 1.0 if alpha > 1 else p):
            st = ts.stable_abs_moment_expr(sp.Float(pp, 30), sp.Float(alpha, 30), 1, 0).evalf(30)
            md = ts.isotropic_stable_norm_moment_expr(sp.Float(pp, 30), sp.Float(alpha, 30), 1, 1).evalf(30)
            assert abs(st / md - 1) < 1e-25
    p, a, s = sp.symbols("p alpha sigma", positive=True)
    theory_md = (2 * s) ** p * sp.gamma((1 + p) / 2) * sp.gamma(1 - p / a) / (sp.sqrt(sp.pi) * sp.gamma(1 - p / 2))
    assert sp.simplify(ts.isotropic_stable_norm_moment_expr(p, a, s, 1) - theory_md) == 0


@pytest.mark.parametrize("p,alpha,scale,dim", [(0.5, 1.5, 1.0, 1), (1.0, 1.5, 0.7, 3), (0.3, 0.7, 2.0, 5)])
def test_isotropic_moment_vs_integration(p, alpha, scale, dim):
    """E||X||^p = E A^(p/2) E||G||^p, each factor integrated numerically.

    E A^q = (q/Gamma(1-q)) int_0^inf (1 - E exp(-lambda A)) lambda^(-q-1) d lambda with
    E exp(-lambda A) = exp(-lambda^(alpha/2)); E||G||^p from scipy's chi pdf.
    """
    q, a = p / 2, alpha / 2
    f = lambda lam: -math.expm1(-(lam**a)) * lam ** (-q - 1)  # noqa: E731
    ea = q / math.gamma(1 - q) * (integrate.quad(f, 0, 1, epsrel=1e-11)[0] + integrate.quad(f, 1, math.inf, epsrel=1e-11)[0])
    chi = stats.chi(dim, scale=math.sqrt(2) * scale)
    eg = integrate.quad(lambda r: r**p * chi.pdf(r), 0, math.inf, epsrel=1e-11)[0]
    assert ea * eg == pytest.approx(ts.isotropic_stable_norm_moment(p, alpha, scale, dim), rel=1e-8)
    if dim == 1:
        assert ts.isotropic_stable_norm_moment(p, alpha, scale, 1) == pytest.approx(ts.stable_abs_moment(p, alpha, scale), rel=1e-13)


@pytest.mark.parametrize("p,df,scale", [(0.5, 1.0, 1.0), (2.0, 3.0, 1.5), (1.3, 1.5, 0.5), (3.0, 30.0, 1.0)])
def test_student_t_moment_vs_quadrature(p, df, scale):
    pdf = stats.t(df, scale=scale).pdf
    numeric = _moment_by_pdf(pdf, p, -math.inf, math.inf, [0.0])
    assert numeric == pytest.approx(ts.student_t_abs_moment(p, df, scale), rel=1e-7)


@pytest.mark.parametrize("p,alpha,scale", [(0.5, 1.5, 1.0), (1.4, 1.5, 2.0), (2.0, 3.0, 1.0), (0.9, 1.05, 0.5), (0.3, 10.0, 1.0)])
def test_pareto_moment_vs_quadrature(p, alpha, scale):
    shift = scale / (alpha - 1.0)
    pdf = stats.lomax(alpha, scale=scale, loc=-shift).pdf
    numeric = _moment_by_pdf(pdf, p, -shift, math.inf, [0.0, scale])
    assert numeric == pytest.approx(ts.pareto_abs_moment(p, alpha, scale), rel=1e-7)
    if (p, alpha) == (2.0, 3.0):  # the variance of Lomax: scale^2 alpha / ((alpha-1)^2 (alpha-2))
        assert ts.pareto_abs_moment(p, alpha, scale) == pytest.approx(0.75, rel=1e-13)


@pytest.mark.parametrize("p,alpha,scale", [(0.5, 1.5, 1.3), (1.49, 1.5, 1.0), (1.5, 1.5, 2.0), (2.0, 2.0, 1.0), (0.1, 1.1, 0.5)])
def test_log_tail_moment_vs_quadrature(p, alpha, scale):
    """E|X/scale|^p = 1 + p int_1^inf x^(p-1) P(|X/scale| > x) dx, integrated in u = ln x.

    With x = e^u: x^(p-1) dx = e^(p u) du and P(|X/scale| > e^u) = e^(-alpha u)/(1 + u)^2.
    """
    tail = integrate.quad(lambda u: math.exp((p - alpha) * u) / (1 + u) ** 2, 0, math.inf, epsabs=0, epsrel=1e-11, limit=400)[0]
    assert scale**p * (1 + p * tail) == pytest.approx(ts.log_tail_abs_moment(p, alpha, scale), rel=1e-9)


def test_log_tail_alpha_moment_symbolically():
    """sympy: E|X/scale|^alpha = 1 + alpha int_1^inf alpha x^(alpha-1) S(x) dx / alpha = 1 + alpha, and the E_2 form."""
    x, u, a, b = sp.symbols("x u alpha b", positive=True)
    survival = x ** (-a) / (1 + sp.log(x)) ** 2
    # int_0^1 alpha x^(alpha-1) dx = 1 below the gap, then the tail
    tail = sp.integrate(sp.simplify(a * x ** (a - 1) * survival), (x, 1, sp.oo))
    assert sp.simplify(1 + tail - (1 + a)) == 0
    # every higher moment diverges: the integrand behaves like x^(delta-1)/ln(x)^2
    d = sp.Symbol("delta", positive=True)
    assert sp.limit(x ** (a + d - 1) * survival * x, x, sp.oo) == sp.oo
    # the general-p form used by theory/stable.py: int_0^inf e^(-b u) (1+u)^-2 du = e^b E_2(b)
    integral = sp.integrate(sp.exp(-b * u) / (1 + u) ** 2, (u, 0, sp.oo))
    for bv in (0.01, 0.5, 1.7):
        assert float(integral.subs(b, bv)) == pytest.approx(float((sp.exp(b) * sp.expint(2, b)).subs(b, bv)), rel=1e-12)
    assert ts.log_tail_abs_moment(1.5, 1.5, 2.0) == pytest.approx(2.0**1.5 * 2.5, rel=1e-14)


@pytest.mark.parametrize("p,radius,dim", [(1.0, 2.0, 1), (0.5, 1.0, 3), (1.7, 0.3, 10)])
def test_ball_moment_vs_quadrature(p, radius, dim):
    numeric = integrate.quad(lambda r: r**p * dim * r ** (dim - 1) / radius**dim, 0, radius, epsrel=1e-12)[0]
    assert numeric == pytest.approx(ts.ball_norm_moment(p, radius, dim), rel=1e-10)


def test_gaussian_norm_moment_vs_chi_and_large_dimension():
    for dim in (1, 4):
        chi = stats.chi(dim, scale=0.6)
        numeric = integrate.quad(lambda r: r**1.3 * chi.pdf(r), 0, math.inf, epsrel=1e-11)[0]
        assert numeric == pytest.approx(ts.gaussian_norm_moment(1.3, 0.6, dim), rel=1e-9)
    # no overflow for large d: E||G||^2 = d std^2 exactly
    assert ts.gaussian_norm_moment(2.0, 1.0, 100_000) == pytest.approx(100_000, rel=1e-9)


def test_sympy_expressions_agree_with_floats():
    mp.mp.dps = 30
    checks = [
        (ts.stable_abs_moment_expr(0.7, 1.6, 1.3, -0.4), ts.stable_abs_moment(0.7, 1.6, 1.3, -0.4)),
        (ts.isotropic_stable_norm_moment_expr(0.7, 1.6, 1.3, 7), ts.isotropic_stable_norm_moment(0.7, 1.6, 1.3, 7)),
        (ts.gaussian_norm_moment_expr(1.5, 0.4, 3), ts.gaussian_norm_moment(1.5, 0.4, 3)),
        (ts.student_t_abs_moment_expr(1.1, 2.5, 0.9), ts.student_t_abs_moment(1.1, 2.5, 0.9)),
        (ts.pareto_abs_moment_expr(1.1, 1.7, 0.9), ts.pareto_abs_moment(1.1, 1.7, 0.9)),
        (ts.log_tail_abs_moment_expr(1.1, 1.7, 0.9), ts.log_tail_abs_moment(1.1, 1.7, 0.9)),
        (ts.log_tail_abs_moment_expr(1.7, 1.7, 0.9), ts.log_tail_abs_moment(1.7, 1.7, 0.9)),
        (ts.ball_norm_moment_expr(1.1, 1.7, 4), ts.ball_norm_moment(1.1, 1.7, 4)),
    ]
    for expr, value in checks:
        assert float(expr.evalf(30)) == pytest.approx(value, rel=1e-12), (expr, value)


def test_infinite_moments():
    assert ts.stable_abs_moment(1.5, 1.5) == math.inf
    assert ts.stable_abs_moment(1.6, 1.5, 2.0, 0.9) == math.inf
    assert ts.stable_abs_moment(1.0, 1.0, 1.0, 0.5) == math.inf
    assert ts.stable_abs_moment(3.0, 2.0, 1.0) == pytest.approx(ts.gaussian_norm_moment(3.0, math.sqrt(2.0), 1))
    assert ts.isotropic_stable_norm_moment(1.2, 1.2, 1.0, 5) == math.inf
    assert math.isfinite(ts.isotropic_stable_norm_moment(4.0, 2.0, 1.0, 5))
    assert ts.student_t_abs_moment(3.0, 3.0) == math.inf
    assert ts.pareto_abs_moment(1.5, 1.5) == math.inf
    assert ts.log_tail_abs_moment(1.5 + 1e-9, 1.5) == math.inf
    assert math.isfinite(ts.log_tail_abs_moment(1.5, 1.5))


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: ts.stable_abs_moment(0.0, 1.5), "'p'"),
        (lambda: ts.stable_abs_moment(0.5, 2.5), "'alpha'"),
        (lambda: ts.stable_abs_moment(0.5, 1.5, -1.0), "'scale'"),
        (lambda: ts.stable_abs_moment(0.5, 1.5, 1.0, 1.5), "'beta'"),
        (lambda: ts.student_t_abs_moment(0.5, 0.0), "'df'"),
        (lambda: ts.pareto_abs_moment(0.5, 1.0), "'alpha'"),
        (lambda: ts.log_tail_abs_moment(0.5, 2.5), "'alpha'"),
        (lambda: ts.ball_norm_moment(0.5, 1.0, 0), "'dim'"),
        (lambda: ts.isotropic_stable_norm_moment(0.5, 1.5, 1.0, 2.5), "'dim'"),
        (lambda: ts.alpha_moment_scale("stable", 1.5, dict(alpha=1.8, beta=0.0)), "scale"),
        (lambda: ts.alpha_moment_scale("stable", 1.5, dict(alpha=1.8, beta=0.0, scale=1.0, df=3)), "df"),
        (lambda: ts.alpha_moment_scale("stable", 1.5, dict(alpha=2.8, beta=0.0, scale=1.0)), "'alpha'"),
        (lambda: ts.alpha_moment_scale("bounded", -1.0, dict(radius=1.0)), "'alpha'"),
        (lambda: ts.alpha_moment_scale("cauchy", 1.5, {}), "stable_isotropic"),
    ],
)
def test_theory_invalid_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# ----------------------------------------------------------------------------- alpha_moment_scale


def test_every_law_is_supported_by_the_moment_formulas():
    for name, law in LAWS.items():
        # every registered law with its default parameters is supported
        got = ts.alpha_moment_scale(name, 1.0, law.resolve({}), dim=3)
        assert got.moment == pytest.approx(got.value**1.0)


def test_alpha_moment_scale_exact_cases():
    got = ts.alpha_moment_scale("stable_isotropic", 1.5, dict(alpha=1.8, scale=2.0), dim=7)
    assert got.exact and got.value == pytest.approx(ts.isotropic_stable_norm_moment(1.5, 1.8, 2.0, 7) ** (1 / 1.5), rel=1e-14)
    got = ts.alpha_moment_scale("bounded", 2.0, dict(radius=3.0), dim=4)
    assert got.exact and got.moment == pytest.approx(9.0 * 4 / 6)
    got = ts.alpha_moment_scale("log_tail", 1.5, dict(alpha=1.5, scale=2.0))
    assert got.exact and got.moment == pytest.approx(2.0**1.5 * 2.5)
    got = ts.alpha_moment_scale("stable", 1.5, dict(alpha=1.5, beta=0.3, scale=1.0), dim=4)
    assert got.exact and got.value == math.inf
    got = ts.alpha_moment_scale("none", 1.5, {}, dim=4)
    assert got.exact and got.value == 0.0
    # i.i.d. Gaussian coordinates are isotropic: E||xi||^2 = d * (2 scale^2) at stable index 2
    got = ts.alpha_moment_scale("stable", 2.0, dict(alpha=2.0, beta=0.0, scale=0.5), dim=6)
    assert got.exact and got.moment == pytest.approx(6 * 2 * 0.25)
    got = ts.alpha_moment_scale("gaussian", 2.0, dict(scale=0.5), dim=6)
    assert got.exact and got.moment == pytest.approx(6 * 0.25)


def test_iid_norm_bound_inequality_randomized():
    """Derived here: ||x||_2^alpha <= d^max(0, alpha/2 - 1) sum |x_i|^alpha, for any x and alpha > 0."""
    rng = np.random.default_rng(9)
    for _ in range(2000):
        d = int(rng.integers(1, 40))
        alpha = rng.uniform(0.1, 4.0)
        x = rng.standard_cauchy(d) * rng.uniform(0, 1, d) ** rng.integers(0, 4)
        lhs = np.linalg.norm(x) ** alpha
        rhs = d ** max(0.0, alpha / 2 - 1) * np.sum(np.abs(x) ** alpha)
        assert lhs <= rhs * (1 + 1e-12)
    # and it is attained: on an axis for alpha <= 2, on the diagonal for alpha >= 2
    assert np.linalg.norm([3.0, 0, 0]) ** 1.5 == pytest.approx(3.0**1.5)
    assert np.linalg.norm([1.0] * 4) ** 3 == pytest.approx(4 ** (3 / 2 - 1) * 4)


@compiled_only("5e4 draws in dimension 4 per case")
@pytest.mark.parametrize(
    "law,params", [("student_t", dict(df=5.0, scale=1.0)), ("stable", dict(alpha=1.9, beta=0.5, scale=1.0)), ("log_tail", dict(alpha=2.0, scale=0.5))]
)
def test_alpha_moment_scale_bound_holds_for_iid_coordinates(law, params):
    """The d > 1 bound for i.i.d. coordinates is >= a Monte Carlo estimate of E||xi||^alpha."""
    alpha, dim = 0.6, 4  # 2 alpha below every index: the estimate has finite variance
    got = ts.alpha_moment_scale(law, alpha, params, dim=dim)
    assert not got.exact
    y = np.linalg.norm(sample_noise(law, 50_000, seed=91, dim=dim, **params), axis=1) ** alpha
    assert y.mean() <= got.moment + N_SIGMA * y.std() / math.sqrt(y.size)
    one = ts.alpha_moment_scale(law, alpha, params, dim=1)
    assert one.exact and got.moment == pytest.approx(dim * one.moment)


# ----------------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("law", sorted(LAWS))
def test_reproducibility_and_streams(law):
    a = sample_noise(law, 50, seed=123, dim=3)
    assert np.array_equal(a, sample_noise(law, 50, seed=123, dim=3))
    if law == "none":
        return
    b = sample_noise(law, 50, seed=123, dim=3, replicate=1)
    assert np.array_equal(b, sample_noise(law, 50, seed=123, dim=3, replicate=1))
    assert not np.any(a == b)  # a different stream, value by value
    assert not np.any(a == sample_noise(law, 50, seed=124, dim=3))
    # a shorter run is a prefix (counter-based: no state carried between steps)
    assert np.array_equal(a[:7], sample_noise(law, 7, seed=123, dim=3))


def test_iid_coordinates_do_not_depend_on_dimension():
    for law in ("gaussian", "stable", "student_t", "pareto", "log_tail"):
        assert np.array_equal(sample_noise(law, 20, seed=5, dim=4)[:, 0], sample_noise(law, 20, seed=5))


def test_sample_noise_is_what_the_engine_sees():
    """Row k of sample_noise is fill_noise at step k, the call the engine makes for replicate r."""
    law = LAWS["stable_isotropic"]
    p = law.pack(law.resolve(dict(alpha=1.3, scale=0.5)))
    rows = sample_noise("stable_isotropic", 6, seed=77, dim=3, replicate=4, alpha=1.3, scale=0.5)
    out = np.empty(3)
    for k in range(6):
        fill_noise(law, p, np.uint64(77), 4, k, out)
        assert np.array_equal(out, rows[k])


# ----------------------------------------------------------------------------- bad input


@pytest.fixture
def no_sampling(monkeypatch):
    """Make any call of the compiled sampler fail: validation must come first."""

    def forbidden(*args):
        raise AssertionError("the compiled sampler was called before validation")

    monkeypatch.setattr(noise, "_sample_block", forbidden)


@pytest.mark.parametrize(
    "law,kwargs,name",
    [
        ("stable", dict(alpha=0.0), "alpha"),
        ("stable", dict(alpha=2.01), "alpha"),
        ("stable", dict(alpha=float("nan")), "alpha"),
        ("stable", dict(beta=1.5), "beta"),
        ("stable", dict(beta=-1.01), "beta"),
        ("stable", dict(scale=0.0), "scale"),
        ("stable_isotropic", dict(alpha=-1.0), "alpha"),
        ("stable_isotropic", dict(scale=-2.0), "scale"),
        ("gaussian", dict(scale=0.0), "scale"),
        ("gaussian", dict(alpha=1.5), "alpha"),
        ("student_t", dict(df=0.0), "df"),
        ("student_t", dict(df=-3.0), "df"),
        ("pareto", dict(alpha=1.0), "alpha"),
        ("log_tail", dict(alpha=2.5), "alpha"),
        ("log_tail", dict(alpha=1.0), "alpha"),
        ("bounded", dict(radius=0.0), "radius"),
        ("stable", dict(n=0), "n"),
        ("stable", dict(n=2.5), "n"),
        ("stable", dict(dim=0), "dim"),
        ("stable", dict(seed=-1), "seed"),
        ("stable", dict(replicate=-1), "replicate"),
    ],
)
def test_invalid_input_raises_before_sampling(no_sampling, law, kwargs, name):
    args = dict(n=10, seed=1)
    args.update(kwargs)
    n = args.pop("n")
    with pytest.raises(InvalidParameter, match=name):
        sample_noise(law, n, **args)


def test_unknown_law_lists_valid_names(no_sampling):
    with pytest.raises(InvalidParameter) as info:
        sample_noise("cauchy", 10, seed=1)
    for name in LAWS:
        assert name in str(info.value)
