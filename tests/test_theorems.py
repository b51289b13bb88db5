"""Tests of theory/: the theorem objects, their derivations, schedules, evaluation and the CLI.

Published exponents are asserted exactly; every derived step is checked (symbolically or on
random inputs with edge values) and the checker itself is shown to reject false steps; deterministic
theorems are compared with plain-Python runs of the methods (PEPit-style pairs).
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import cli
from theory.catalog import THEOREMS, UnknownTheorem, get
from sandbox.schedules import PowerSchedule
from theory.theorem import (
    C_UNKNOWN, QUANTITIES, Constant, DerivationError, InvalidConstant, OrderOnly, Step, Theorem,
    alpha, eq, le, numeric,
)  # fmt: skip
from theory import theorems_followups as fu
from theory import theorems_iclr20 as iclr

a = alpha


def same(x, y) -> bool:
    return sp.simplify(sp.sympify(x) - sp.sympify(y)) == 0


# ----------------------------------------------------------------------------- catalog
def test_catalog_ids_and_fields():
    assert len(THEOREMS) >= 16
    for tid, thm in THEOREMS.items():
        assert tid == thm.id == tid.lower()
        assert thm.constants in ("published", "derived")
        if thm.constants == "derived":
            assert thm.derivation and thm.consistent_with
        assert thm.order_only == (C_UNKNOWN in thm.bound.free_symbols)


def test_unknown_id_is_a_clear_error():
    with pytest.raises(UnknownTheorem, match="unknown theorem 'nope'.*iclr20_thm3_clipped_gd"):
        get("nope")


def test_theorem_declaration_is_validated():
    base = dict(
        id="x", source="s", statement="s", function_class="f", noise="n", symbols=(), method="sgd",
        quantity="grad_norm", bound=sp.Integer(1), kind="upper", constants="published",
    )  # fmt: skip
    Theorem(**base)  # valid
    for bad in (
        {"kind": "sideways"},
        {"quantity": "loss"},
        {"method": "sdg"},
        {"constants": "guessed"},
        {"constants": "derived"},  # no derivation
        {"id": "Upper Case"},
        {"bound": alpha},  # undeclared symbol
        {"bound": C_UNKNOWN},  # order-only bound without order_only=True
    ):
        with pytest.raises(ValueError):
            Theorem(**{**base, **bad})


# ----------------------------------------------------------------------------- exponents
def test_published_exponents_exact():
    nc, sc = get("neurips20_gclip_nonconvex"), get("neurips20_gclip_strongly_convex")
    assert same(nc.rate_exponent(), -2 * (a - 1) / (3 * a - 2))
    assert same(nc.complexity().exponent, -(3 * a - 2) / (a - 1))
    assert same(sc.rate_exponent(), -2 * (a - 1) / a)
    assert same(sc.complexity().exponent, -a / (2 * (a - 1)))
    assert same(get("neurips20_lower_nonconvex").rate_exponent(), -(a - 1) / (3 * a - 2))
    assert same(get("neurips20_lower_strongly_convex").rate_exponent(), -2 * (a - 1) / a)
    assert same(get("liu_zhou25_nsgd_momentum").rate_exponent(), (1 - a) / (3 * a - 2))


def test_alpha_two_recovers_the_classical_rates():
    at2 = lambda tid, what="rate": sp.simplify(  # noqa: E731
        (get(tid).rate_exponent() if what == "rate" else get(tid).complexity().exponent).subs(alpha, 2)
    )
    assert at2("neurips20_gclip_nonconvex") == sp.Rational(-1, 2)  # E||grad f||^2 ~ K^{-1/2} (SGD, L-smooth)
    assert at2("neurips20_gclip_nonconvex", "complexity") == -4  # eps^{-4} for ||grad f|| <= eps
    assert at2("neurips20_gclip_strongly_convex") == -1  # E f - f* ~ 1/K
    assert at2("neurips20_gclip_strongly_convex", "complexity") == -1  # 1/eps
    assert at2("neurips20_lower_nonconvex") == sp.Rational(-1, 4)
    assert at2("liu_zhou25_nsgd_momentum") == sp.Rational(-1, 4)
    # and clipping is needed as alpha -> 1: the rates degenerate to K^0
    assert sp.limit(get("neurips20_gclip_nonconvex").rate_exponent(), alpha, 1, "+") == 0


def test_lower_bounds_match_the_upper_bounds():
    # same eps-complexity although the non-convex quantities have different units (||g||^2 vs ||g||)
    assert same(get("neurips20_lower_nonconvex").complexity().exponent, get("neurips20_gclip_nonconvex").complexity().exponent)
    assert same(get("neurips20_lower_strongly_convex").rate_exponent(), get("neurips20_gclip_strongly_convex").rate_exponent())
    assert same(get("liu_zhou25_nsgd_momentum").complexity().exponent, get("neurips20_lower_nonconvex").complexity().exponent)


def test_iclr20_and_vankov_complexities():
    for tid in ("iclr20_thm3_clipped_gd", "iclr20_thm3_normalized_gd", "iclr20_thm4_gd_lower", "iclr20_thm6_gd_upper",
                "vankov24_l0l1_step", "vankov24_clipped_step"):  # fmt: skip
        assert get(tid).complexity().exponent == -2, tid
        assert get(tid).rate_exponent() == sp.Rational(-1, 2), tid
    for tid in ("iclr20_thm7_clipped_sgd", "iclr20_thm8_sgd"):
        assert get(tid).rate_exponent() == sp.Rational(-1, 2), tid
        assert get(tid).complexity().exponent == -4, tid  # quantities in squared units


def test_dimension_dependence_cclip_vs_gclip():
    from theory import theorems_neurips20 as n20

    cclip, gclip = get("neurips20_cclip_dimension_free"), get("neurips20_gclip_coordinate_noise")
    assert cclip.dimension_exponent() == 0
    assert sp.simplify(gclip.dimension_exponent() - (2 / alpha - 1)) == 0  # the gap d^(2/alpha - 1), not d
    # CClip's bound is GClip's strongly convex bound with G -> B = ||(B_i)||_2; GClip's uses G = d^(1/alpha-1/2) B
    sc = get("neurips20_gclip_strongly_convex")
    for a, dim in ((1.5, 64), (1.2, 10), (2.0, 7)):
        c = dict(mu=2.0, B=3.0, d=dim, alpha=a, K=99)
        assert cclip.evaluate(**c) == pytest.approx(sc.evaluate(mu=2.0, G=3.0, alpha=a, K=99), rel=1e-12)
        assert gclip.evaluate(**c) == pytest.approx(sc.evaluate(mu=2.0, G=dim ** (1 / a - 0.5) * 3.0, alpha=a, K=99), rel=1e-12)
        assert gclip.evaluate(**c) / cclip.evaluate(**c) == pytest.approx(dim ** (2 / a - 1), rel=1e-12)
    # in the alpha-norm reading the GClip bound is d-free: E||g||_2^alpha <= sum_i B_i^alpha, with the
    # equality case (noise on one axis per draw) and i.i.d. coordinates (strict) sampled here
    rng = np.random.default_rng(0)
    for dim in (1, 8, 64):
        g = rng.standard_t(2.5, size=(20000, dim))
        for a in (1.2, 1.5, 2.0):
            assert np.mean(np.linalg.norm(g, axis=1) ** a) <= np.sum(np.mean(np.abs(g) ** a, axis=0)) * (1 + 1e-12)
        axis = g * np.eye(dim)[rng.integers(dim, size=20000)]
        assert np.mean(np.linalg.norm(axis, axis=1) ** 1.5) == pytest.approx(np.sum(np.mean(np.abs(axis) ** 1.5, axis=0)), rel=1e-12)
    assert sp.simplify(gclip.bound / cclip.bound - n20.DIMENSION_GAP) == 0


def test_sgd_failure_has_no_rate():
    thm = get("neurips20_remark1_sgd_failure")
    assert thm.bound == sp.oo and thm.rate_exponent() == sp.oo and thm.complexity().exponent == sp.oo
    assert thm.statistic == "second_moment" and thm.kind == "lower"


def test_complexity_consistent_with_rate():
    for thm in THEOREMS.values():
        r, c = thm.rate_exponent(), thm.complexity().exponent
        if thm.bound == sp.oo:
            continue
        if thm.quantity == "iterations_to_eps":
            assert same(r * c, 1), thm.id
        else:
            assert same(c * r, QUANTITIES[thm.quantity][1]), thm.id


def _numeric_constants(thm, K=None, eps=None, alpha_value=1.5):
    """Concrete constants satisfying the theorem's ranges and conditions."""
    values = {}
    for c in thm.symbols:
        values[c.name] = {"alpha": alpha_value, "K": K, "eps": eps, "h": 0.01, "d": 10}.get(c.name, 1.0)
    if thm.id == "iclr20_thm4_gd_lower":
        values.update(M=4.0 * values["eps"] if values["eps"] else 1.0, Delta=10.0)
    if thm.id == "iclr20_thm8_sgd":
        values.update(M=1.0)
    return {k: v for k, v in values.items() if v is not None}


@pytest.mark.parametrize("tid", [t.id for t in THEOREMS.values() if not t.order_only and t.bound != sp.oo])
def test_exponent_matches_numeric_slope(tid):
    # independent of the symbolic exponent algorithm: slope of log(bound) at large K or small eps
    thm = get(tid)
    if thm.quantity == "iterations_to_eps":
        x1, x2, var = 1e-6, 1e-7, "eps"
        expected = float(thm.complexity().exponent)
    else:
        x1, x2, var = 1e14, 1e16, "K"
        expected = float(thm.rate_exponent().subs(alpha, 1.5))
    values = _numeric_constants(thm, K=1, eps=1e-3)
    b1 = thm.evaluate(**{**values, var: x1})
    b2 = thm.evaluate(**{**values, var: x2})
    slope = math.log(b2 / b1) / math.log(x2 / x1)
    assert slope == pytest.approx(expected, abs=0.02)


def test_complexity_expression_inverts_the_bound():
    thm = get("neurips20_gclip_nonconvex")
    expr = thm.complexity().expression
    assert expr is not None
    values = {sp.Symbol(n, positive=True): v for n, v in {"L": 2.0, "Delta": 3.0, "sigma": 0.5}.items()}
    e = 1e-6
    k_needed = float(expr.subs({**{s: v for s, v in values.items()}, alpha: 1.5, sp.Symbol("eps", positive=True): e}))
    bound = thm.evaluate(L=2.0, Delta=3.0, sigma=0.5, alpha=1.5, K=round(k_needed))
    # the expression inverts the leading term; at this K the lower-order factor min{1, tau/2} is 1
    assert bound == pytest.approx(e**2, rel=1e-6)


# ----------------------------------------------------------------------------- derivations
def _unique_steps():
    seen, out = set(), []
    for thm in THEOREMS.values():
        for i, step in enumerate(thm.derivation):
            if id(step) not in seen:
                seen.add(id(step))
                out.append(pytest.param(step, id=f"{thm.id}-{i}"))
    return out


@pytest.mark.parametrize("step", _unique_steps())
def test_derivation_step(step):
    how = step.verify(np.random.default_rng(20240601), n=3000)
    assert how in ("symbolic", "numeric", "witness")


def test_every_derived_theorem_is_checked_end_to_end():
    assert all(t.verify_derivation(seed=3, n=500) for t in THEOREMS.values() if t.constants == "derived")


def test_checker_rejects_false_steps():
    x = sp.Symbol("x", positive=True)
    X = Constant(x, 0.0, lo_open=True)
    with pytest.raises(DerivationError, match="fails"):
        Step("false", claim=le(x, x / 2), where=(X,)).verify(np.random.default_rng(0))
    with pytest.raises(DerivationError):
        Step("false identity", claim=eq(sp.log(1 + x), x), where=(X,)).verify(np.random.default_rng(0))
    with pytest.raises(ValueError, match="no range declared"):
        Step("undeclared", claim=le(x, x + alpha), where=(X,))


def test_checker_finds_near_tight_counterexamples():
    # Vankov hard-clip step: the true worst-case ratio is 3/4, so a claimed 0.76 must fail
    tight = Step(
        "too strong",
        claim=sp.Ge(fu.MODEL_DECREASE.subs(fu._eta, fu.H_HARD), sp.Float(0.76) * fu.PER_STEP, evaluate=False),
        where=(iclr.C_L0, iclr.C_L1, fu.A_G),
    )
    with pytest.raises(DerivationError):
        tight.verify(np.random.default_rng(1), n=20000)
    # the descent model is tight on the wall: 90 % of its second-order term is not enough
    wall = iclr.DESCENT_MODEL_WALL.claim
    weakened = sp.Le(wall.lhs, wall.rhs - sp.Rational(1, 10) * iclr.model_increase(
        iclr.L0 / iclr.L1 * iclr.expm1(sp.Abs(iclr.z)), sp.Abs(iclr.w - iclr.z) / iclr.L1), evaluate=False)
    with pytest.raises(DerivationError):
        Step("weakened model", claim=weakened, where=iclr.DESCENT_MODEL_WALL.where).verify(np.random.default_rng(2))
    # Theorem 7's large-gradient descent factor: doubling it is false
    step = iclr.THM7_STEPS[6]
    doubled = sp.Le(step.claim.lhs, 2 * step.claim.rhs, evaluate=False)
    with pytest.raises(DerivationError):
        Step("doubled", claim=doubled, given=step.given, where=step.where).verify(np.random.default_rng(3))


def _hard_clip_ratio(g, l0=1.0, l1=1.0):
    """Model decrease of the hard-clip step over g^2/(2 L0 + 3 L1 g), in plain floats (phi via expm1)."""
    h = min(1 / (2 * l0), 1 / (3 * l1 * g))
    s = l1 * h * g
    phi_s = s * s / 2 * (1 + s / 3 * (1 + s / 4 * (1 + s / 5))) if s < 1e-3 else math.expm1(s) - s
    return (h * g * g - (l0 + l1 * g) / l1**2 * phi_s) / (g * g / (2 * l0 + 3 * l1 * g))


def test_vankov_hard_clip_ratio_infimum_on_a_grid():
    # The ratio is 1.066 at the switch point g = 2 L0/(3 L1), not 3/4: the old documentation's claim.
    assert _hard_clip_ratio(2 / 3) == pytest.approx(1.0658136, abs=1e-6)
    # Its infimum 3/4 is approached as g -> 0: grid minima over g >= lo decrease towards 3/4 from above.
    minima = []
    for lo in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
        grid = np.geomspace(lo, 1e8, 4001)
        minima.append(min(_hard_clip_ratio(float(x)) for x in grid))
        assert grid[int(np.argmin([_hard_clip_ratio(float(x)) for x in grid]))] == lo  # at the smallest g (below 0.1)
    assert all(m >= 0.75 for m in minima)
    assert all(a > b for a, b in zip(minima, minima[1:]))
    assert minima[-1] - 0.75 < 1e-5
    # the large-gradient branch stays above its own limit 5 - 3 e^{1/3} = 0.813
    assert min(_hard_clip_ratio(float(x)) for x in np.geomspace(2 / 3, 1e9, 2001)) >= 5 - 3 * math.exp(1 / 3)
    # ratio is scale-free: only L1 g/L0 matters
    assert _hard_clip_ratio(0.3, l0=2.0, l1=5.0) == pytest.approx(_hard_clip_ratio(0.3 * 5.0 / 2.0))
    assert get("vankov24_clipped_step").derivation[-1].claim.rhs.has(fu.A_HARD) and fu.A_HARD == sp.Rational(3, 4)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    l0=st.floats(1e-2, 1e2), l1=st.floats(1e-2, 1e2),
    x=st.floats(-3, 3), y=st.floats(-3, 3),
)  # fmt: skip
def test_descent_model_on_cosh(l0, l1, x, y):
    # f = c cosh(x) has |f''| = c cosh <= c + |f'| ... so it is (c, 1)-smooth; scale to (l0, l1):
    # f(x) = (l0/l1^2) cosh(l1 x) has f'' = l0 cosh(l1 x) <= l0 + l1 |f'(x)|
    f = lambda u: l0 / l1**2 * math.cosh(l1 * u)  # noqa: E731
    df = l0 / l1 * math.sinh(l1 * x)
    gs, ms = sp.symbols("gs ms", nonnegative=True)
    model = numeric(iclr.model_increase(gs, ms), {iclr.L0: l0, iclr.L1: l1, gs: abs(df), ms: abs(y - x)})
    assert f(y) <= (f(x) + df * (y - x) + model) * (1 + 1e-12) + 1e-300


# ----------------------------------------------------------------------------- schedules
def test_schedule_values_iclr20():
    t3 = get("iclr20_thm3_clipped_gd")
    assert t3.schedule("lr", L0=2.0) == pytest.approx(1 / 20)
    assert t3.schedule("threshold", L0=2.0, L1=0.05) == pytest.approx(20.0)  # min{10 L0, L0/L1}
    assert t3.schedule("threshold", L0=2.0, L1=4.0) == pytest.approx(0.5)
    t7 = get("iclr20_thm7_clipped_sgd")
    p = t7.method_params(L0=1.0, L1=1.0, tau=0.1, K=10_000)
    assert p == pytest.approx({"lr": 0.01, "threshold": 6.25, "clip_offset": 0.1})
    assert get("iclr20_thm6_gd_upper").schedule("lr", M=3.0, L1=2.0, L0=1.0) == pytest.approx(1 / 14)
    assert get("iclr20_thm8_sgd").schedule("lr", K=100, L1=1.0, M=1.0, tau=1.0) == pytest.approx(0.1)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(l0=st.floats(1e-2, 1e2), l1=st.floats(1e-2, 1e2), tau=st.floats(1e-3, 1e2), K=st.integers(1, 10**9), g=st.floats(0, 1e6))
def test_thm7_simulator_mapping_realizes_the_paper_step(l0, l1, tau, K, g):
    # clipped_sgd: lr min{1, threshold/(|g| + clip_offset)} must be min{eta, 1/(16 L1 (|g| + tau))}
    p = get("iclr20_thm7_clipped_sgd").method_params(L0=l0, L1=l1, tau=tau, K=K)
    eta = min(1 / (20 * l0), 1 / (128 * l1 * tau), 1 / math.sqrt(K))
    simulator_step = p["lr"] * min(1.0, p["threshold"] / (g + p["clip_offset"]))
    assert simulator_step == pytest.approx(min(eta, 1 / (16 * l1 * (g + tau))), rel=1e-12)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(l0=st.floats(1e-2, 1e2), l1=st.floats(1e-2, 1e2), g=st.floats(1e-6, 1e6))
def test_vankov_clip_mapping(l0, l1, g):
    p = get("vankov24_clipped_step").method_params(L0=l0, L1=l1)
    step = p["lr"] * min(1.0, p["threshold"] / (g + p["clip_offset"]))
    assert step == pytest.approx(min(1 / (2 * l0), 1 / (3 * l1 * g)), rel=1e-12)


def test_power_schedules_strongly_convex():
    thm = get("neurips20_gclip_strongly_convex")
    lr = thm.schedule("lr", mu=0.5)
    thr = thm.schedule("threshold", G=2.0, alpha=1.5)
    assert isinstance(lr, PowerSchedule) and isinstance(thr, PowerSchedule)
    k = np.arange(6)
    np.testing.assert_allclose(lr(k), 4 / (0.5 * (k + 2)), rtol=1e-14)
    np.testing.assert_allclose(thr(k), 2.0 * (k + 1) ** (1 / 1.5), rtol=1e-14)
    assert thm.avg_power == 1.0


def test_power_schedules_nonconvex_and_momentum():
    nc = get("neurips20_gclip_nonconvex")
    p = nc.method_params(L=2.0, sigma=0.5, alpha=1.5, K=1000)
    assert p["lr"] == pytest.approx(1000 ** (-1.5 / 2.5) / 32)
    assert p["threshold"] == pytest.approx(4 * (32 / 3) ** (1 / 1.5) * 0.5 * 1000 ** (1 / 2.5))
    lz = get("liu_zhou25_nsgd_momentum").method_params(L=1.0, Delta=4.0, sigma=1.0, alpha=2.0, K=10_000)
    assert lz["momentum"] == pytest.approx(1 - 10_000 ** -0.5)
    assert lz["lr"] == pytest.approx(2.0 * 10_000 ** -0.75)


def test_schedule_errors():
    with pytest.raises(InvalidConstant, match="no prescribed parameter 'momentum'"):
        get("iclr20_thm3_clipped_gd").schedule("momentum", L0=1.0, L1=1.0)
    with pytest.raises(InvalidConstant, match="missing constant.*K"):
        get("iclr20_thm7_clipped_sgd").schedule("lr", L0=1.0, L1=1.0, tau=1.0)


# ----------------------------------------------------------------------------- evaluation
def test_evaluate_known_values():
    assert get("vankov24_l0l1_step").evaluate(L0=1.0, L1=1.0, Delta=1.0, eps=0.1) == pytest.approx(230.0)
    # a = 3/4 (the infimum of the hard-clip decrease ratio): 230 / (3/4)
    assert get("vankov24_clipped_step").evaluate(L0=1.0, L1=1.0, Delta=1.0, eps=0.1) == pytest.approx(920.0 / 3)
    c2 = 1 - math.exp(0.5) / 4
    assert get("iclr20_thm6_gd_upper").evaluate(L0=1.0, L1=2.0, M=3.0, Delta=5.0, eps=0.1) == pytest.approx(2 * 7 * 5 / (c2 * 0.01))
    assert get("neurips20_gclip_strongly_convex").evaluate(mu=2.0, G=3.0, alpha=1.5, K=99) == pytest.approx(
        3 * 1.5 * 9 * 100 ** (2 / 1.5 - 1) / (2 * 99)
    )
    assert get("iclr20_thm4_gd_lower").evaluate(L0=1.0, L1=2.0, M=8.0, Delta=10.0, eps=0.5, h=0.1) == pytest.approx(
        2 * 8 * 10 / (16 * 0.25 * math.log1p(16))
    )
    c1 = 1 - math.exp(0.1) / 10
    assert get("iclr20_thm3_clipped_gd").evaluate(L0=1.0, L1=2.0, Delta=1.0, eps=0.1) == pytest.approx(10 / c1 * (100 + 4))


@pytest.mark.parametrize(
    "tid, constants, message",
    [
        ("neurips20_gclip_nonconvex", dict(L=1, Delta=1, sigma=1, alpha=2.5, K=10), r"'alpha' must be in \(1, 2\]"),
        ("neurips20_gclip_nonconvex", dict(L=1, Delta=1, sigma=1, alpha=1.0, K=10), r"'alpha' must be in \(1, 2\]"),
        ("neurips20_gclip_nonconvex", dict(L=1, Delta=1, sigma=1, alpha=1.5, K=0), r"'K' must be in integer in \[1, inf\)"),
        ("neurips20_gclip_nonconvex", dict(L=1, Delta=1, sigma=1, alpha=1.5, K=2.5), r"'K'"),
        ("neurips20_gclip_nonconvex", dict(L=-1, Delta=1, sigma=1, alpha=1.5, K=10), r"'L' must be in \(0, inf\)"),
        ("neurips20_gclip_nonconvex", dict(L="x", Delta=1, sigma=1, alpha=1.5, K=10), r"'L' must be a number"),
        ("neurips20_gclip_nonconvex", dict(L=1, Delta=1, sigma=1, alpha=1.5, K=10, mu=1), r"unknown constant.*'mu'"),
        ("neurips20_gclip_nonconvex", dict(L=1, Delta=1, alpha=1.5, K=10), r"missing constant.*sigma in \(0, inf\)"),
        ("iclr20_thm4_gd_lower", dict(L0=1, L1=1, M=0.5, Delta=10, eps=0.5, h=0.1), r"condition.*Huber slope"),
        ("iclr20_thm8_sgd", dict(L0=1, L1=1, M=1, tau=1, Delta=1, K=10), r"condition.*horizon long enough"),
    ],
)
def test_evaluate_rejects_invalid_constants(tid, constants, message):
    with pytest.raises(InvalidConstant, match=message):
        get(tid).evaluate(**constants)


@pytest.mark.parametrize(
    "tid, name, constants, message",
    [
        ("vankov24_l0l1_step", None, dict(L0=1.0, L1=1.0, Delta=1.0, eps=1e-200),
         r"the bound cannot be evaluated in double precision .* most extreme constant is eps=1e-200"),
        ("iclr20_thm3_clipped_gd", None, dict(L0=1.0, L1=1.0, Delta=1.0, eps=1e300), r"the bound cannot .* eps=1e\+?300"),
        ("neurips20_gclip_strongly_convex", "lr", dict(mu=5e-324, G=1.0, alpha=1.5, K=10), r"parameter 'lr' cannot .* mu=5e-324"),
    ],
)  # fmt: skip
def test_extreme_valid_constants_give_the_clear_error(tid, name, constants, message):
    """The Python API, not only the CLI: no bare ZeroDivisionError or OverflowError."""
    thm = get(tid)
    with pytest.raises(InvalidConstant, match=message):
        thm.evaluate(**constants) if name is None else thm.schedule(name, **constants)


def test_order_only_theorems_have_no_numeric_bound():
    for thm in THEOREMS.values():
        if thm.order_only:
            with pytest.raises(OrderOnly, match="only the order"):
                thm.predicted(**_numeric_constants(thm, K=100))


def test_gd_lower_bound_instances_cover_every_step():
    thm = get("iclr20_thm4_gd_lower")
    syms = sp.symbols("L0 L1 M Delta eps h", positive=True)
    applies = [sp.lambdify(syms, inst.applies) for inst in thm.instances]
    predicted = [sp.lambdify(syms, inst.predicted) for inst in thm.instances]
    bound = sp.lambdify(syms, thm.bound)
    rng = np.random.default_rng(7)
    for _ in range(500):
        l0, l1 = (float(v) for v in np.exp(rng.uniform(-2, 2, 2)))
        e = float(np.exp(rng.uniform(-4, 0)))
        m = 2 * e * float(np.exp(rng.uniform(0, 5)))
        delta = max(m / l1, 4 * e**2 / l0) * float(np.exp(rng.uniform(0, 2)))
        h = float(np.exp(rng.uniform(-8, 3)))
        vals = (l0, l1, m, delta, e, h)
        chosen = [i for i, ok in enumerate(applies) if ok(*vals)]
        assert len(chosen) == 1  # exactly one instance is chosen for each h
        assert predicted[chosen[0]](*vals) >= bound(*vals) * (1 - 1e-12)
    # and the conditions are checked by evaluate
    thm.evaluate(L0=l0, L1=l1, M=m, Delta=delta, eps=e, h=h)


# ----------------------------------------------------------------------------- PEPit-style pairs
def _first_small_gradient(grad, step_of, x0, eps, max_iter):
    """Plain-Python deterministic method run: first k with |f'(x_k)| <= eps."""
    x = x0
    for it in range(max_iter):
        try:
            g = grad(x)
        except OverflowError:  # diverged: never reaches eps
            return max_iter
        if abs(g) <= eps:
            return it
        x -= step_of(abs(g)) * g
    return max_iter


def _wall_grad(l0, l1):
    return lambda x: math.copysign(l0 / l1 * math.expm1(l1 * abs(x)), x)


@pytest.mark.parametrize("l0, l1, m", [(1.0, 1.0, 50.0), (0.5, 4.0, 200.0), (2.0, 0.1, 5.0)])
def test_measured_iterations_below_upper_bounds_on_the_wall(l0, l1, m):
    # (measured, predicted) pairs: iterations to eps of the prescribed methods on the exp wall
    eps, grad = 1e-2, _wall_grad(l0, l1)
    x0 = float(iclr.X0_WALL.subs({iclr.L0: l0, iclr.L1: l1, iclr.M: m}))
    delta = l0 / l1**2 * (math.expm1(l1 * x0) - l1 * x0)
    consts = dict(L0=l0, L1=l1, Delta=delta, eps=eps)
    for tid, step_of in [
        ("iclr20_thm3_clipped_gd", lambda p: lambda g: p["lr"] * min(1.0, p["threshold"] / g)),
        ("iclr20_thm3_normalized_gd", lambda p: lambda g: p["lr"] / (g + p["norm_offset"])),
        ("vankov24_l0l1_step", lambda p: lambda g: math.log1p(p["L1"] * g / (p["L0"] + p["L1"] * g)) / (p["L1"] * g)),
        ("vankov24_clipped_step", lambda p: lambda g: p["lr"] * min(1.0, p["threshold"] / g)),
    ]:
        thm = get(tid)
        predicted = thm.predicted(**consts)
        measured = _first_small_gradient(grad, step_of(thm.method_params(L0=l0, L1=l1)), x0, eps, int(predicted) + 2)
        assert measured <= predicted, tid
    gd = get("iclr20_thm6_gd_upper")
    lr = gd.schedule("lr", L0=l0, L1=l1, M=m)
    assert _first_small_gradient(grad, lambda g: lr, x0, eps, 10**6) <= gd.predicted(M=m, **consts)


def test_fixed_step_gd_meets_its_lower_bound_on_the_chosen_instance():
    thm = get("iclr20_thm4_gd_lower")
    consts = dict(L0=1.0, L1=1.0, M=20.0, Delta=40.0, eps=0.05)
    h_wall = 2 * math.log1p(20.0) / 20.0  # 2 x0/M on the wall with L0 = L1 = 1
    for h in (0.5 * h_wall, 1.01 * h_wall):
        bound = thm.predicted(h=h, **consts)
        inst = thm.hard_instance(h=h, **consts)
        assert inst["predicted"] >= bound
        if inst["objective"] == "exp_wall":
            assert inst["x0"] == pytest.approx(math.log1p(20.0)) and inst["predicted"] == math.inf
            measured = _first_small_gradient(_wall_grad(1.0, 1.0), lambda g: h, inst["x0"], 0.05, 200)
            assert measured == 200  # never reaches eps (diverges)
        else:
            s, curv = inst["params"]["slope"], inst["params"]["L"]
            assert (s, curv) == pytest.approx((0.1, 1.0))
            huber = lambda x: s * math.copysign(1.0, x) if abs(x) > s / curv else curv * x  # noqa: E731
            measured = _first_small_gradient(huber, lambda g: h, inst["x0"], 0.05, 10**6)
            assert measured >= inst["predicted"]
    with pytest.raises(InvalidConstant, match="no hard instances"):
        get("iclr20_thm6_gd_upper").hard_instance(L0=1.0)


# ----------------------------------------------------------------------------- CLI
def test_cli_list(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    for tid in THEOREMS:
        assert tid in out
    assert "exponent" in out and "complexity" in out


def test_cli_json(capsys):
    assert cli.main(["--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == list(THEOREMS)
    for r in rows:
        assert {"id", "source", "kind", "quantity", "exponent", "constants"} <= set(r)
        assert r["constants"] in ("published", "derived")
        parsed = sp.sympify(r["exponent"], locals={"alpha": alpha})
        assert same(parsed, get(r["id"]).rate_exponent()) or parsed == sp.oo


def test_cli_detail_pretty_and_latex(capsys):
    assert cli.main(["neurips20_gclip_strongly_convex"]) == 0
    out = capsys.readouterr().out
    for section in ("assumptions:", "prescribed parameters", "bound:", "derivation status: derived here", "alpha in (1, 2]"):
        assert section in out
    assert cli.main(["neurips20_gclip_strongly_convex", "--latex"]) == 0
    assert "\\frac" in capsys.readouterr().out


def test_cli_evaluates_with_set(capsys):
    assert cli.main(["vankov24_l0l1_step", "--set", "L0=1", "--set", "L1=1", "--set", "Delta=1", "--set", "eps=0.1"]) == 0
    assert "bound = 230" in capsys.readouterr().out
    assert cli.main(["liu_zhou25_nsgd_momentum", "--json", "--set", "L=1", "--set", "Delta=1", "--set", "sigma=1",
                     "--set", "alpha=2", "--set", "K=100"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["evaluated"]["bound"] is None and out["evaluated"]["parameters"]["momentum"] == pytest.approx(0.9)


def test_cli_json_uses_the_project_encoder(capsys, monkeypatch):
    """A NumPy value (np.float32 is no float subclass) is written as a number, not a TypeError."""
    monkeypatch.setattr(Theorem, "evaluate", lambda self, **constants: np.float32(1.5))
    assert cli.main(["vankov24_l0l1_step", "--json", "--set", "L0=1", "--set", "L1=1", "--set", "Delta=1", "--set", "eps=0.1"]) == 0
    assert json.loads(capsys.readouterr().out)["evaluated"]["bound"] == 1.5


@pytest.mark.parametrize(
    "argv, message",
    [
        (["no_such_theorem"], "unknown theorem"),
        (["neurips20_gclip_nonconvex", "--set", "alpha=3", "--set", "L=1", "--set", "Delta=1", "--set", "sigma=1", "--set", "K=5"], "'alpha' must be in"),
        (["neurips20_gclip_nonconvex", "--set", "alpha"], "NAME=VALUE"),
        (["--set", "K=1"], "needs a theorem ID"),
    ],
)
def test_cli_errors_exit_2(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_register_in_a_parent_parser(capsys):
    parser = argparse.ArgumentParser(prog="sandbox")
    sub = parser.add_subparsers(dest="command")
    cli.register(sub)
    args = parser.parse_args(["theorems", "iclr20_thm4_gd_lower"])
    assert args.func(args) == 0
    assert "hard instance exp_wall" in capsys.readouterr().out


def test_liu_zhou_batch_size_is_the_one_theorem_3_2_takes():
    # Liu & Zhou analyse *Batched* NSGDM (g_t the mean of B stochastic gradients); their Theorem 3.2 takes B = 1 for
    # noise whose moment does not grow with ||grad f|| (the simulator's), so the catalogue's single-draw method is
    # the theorem's algorithm.  A catalogue entry that cited no theorem or no batch size would pass unnoticed.
    from theory.theorems_followups import LIU_ZHOU_BATCH

    thm = get("liu_zhou25_nsgd_momentum")
    assert LIU_ZHOU_BATCH == 1
    assert "Theorem 3.2" in thm.source and "batch size B = 1" in thm.source
    assert "B = 1" in thm.statement and "sigma_1 = 0" in thm.noise
    assert thm.method == "normalized_sgd_momentum" and set(thm.parameters) == {"lr", "momentum"}


# ----------------------------------------------------------------------------- hard instances vs the declared class
def _differentiability_order(objective: str, params: dict, span: float) -> int:
    """2 if the 1-D objective's f'' is continuous on [-span, span], else 1 (f'' has a jump).

    A jump of f'' shows as a largest difference between grid neighbours that does not shrink
    when the grid is refined; for a continuous f'' it shrinks with the spacing.
    """
    from sims.objectives import OBJECTIVES

    obj = OBJECTIVES.get_component(objective)
    f, (x,) = obj.expression(obj.resolve({**params, "dim": 1}))
    # the a.e. second derivative: Abs'' contributes DiracDelta terms, zero away from the kink
    second = sp.lambdify(x, sp.diff(f, x, 2).replace(sp.DiracDelta, lambda *args: sp.Integer(0)), "numpy")
    jumps = [float(np.max(np.abs(np.diff(np.broadcast_to(second(np.linspace(-span, span, n)), (n,)))))) for n in (4000, 16000)]  # even: no grid point at a kink
    return 2 if jumps[1] < 0.5 * jumps[0] else 1


def test_differentiability_detector():
    assert _differentiability_order("huber", {"slope": 1.0, "L": 2.0}, 3.0) == 1
    assert _differentiability_order("exp_wall", {"L0": 1.0, "L1": 2.0}, 3.0) == 2
    assert _differentiability_order("pseudo_huber", {"delta": 1.0}, 3.0) == 2


def test_hard_instances_match_the_declared_class():
    """A hard instance that is not twice differentiable needs the relaxation stated in the class."""
    constants = {iclr.L0: 1.0, iclr.L1: 1.0, iclr.M: 10.0, iclr.eps: 0.5, iclr.Delta: 20.0, iclr.h: 0.1}
    seen = 0
    for thm in THEOREMS.values():
        for inst in thm.instances:
            params = {k: float(sp.sympify(v).subs(constants)) for k, v in inst.params.items()}
            x0 = float(sp.sympify(inst.x0).subs(constants))
            order = _differentiability_order(inst.objective, params, 2 * abs(x0) + 1.0)
            seen += 1
            if "twice differentiable" in thm.function_class and order < 2:
                assert f"C^1 relaxation for the hard instance '{inst.objective}'" in thm.function_class, (thm.id, inst.objective)
                assert "C^1 relaxation stated" in thm.statement, thm.id
            if f"'{inst.objective}' is C^2" in thm.function_class:
                assert order == 2, (thm.id, inst.objective)
    assert seen >= 2
