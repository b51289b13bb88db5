"""Tests of the heavy-tailed-noise checks (checks/cases/heavy_tail.py).

Small custom profiles and fixed seeds throughout.  Statistical verdicts are
asserted only on clear cases: the rows' own tests state their false-alarm
probabilities (Markov rows 1e-3, slope intervals about 0.005 one-sided).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.cases import heavy_tail as ht
from checks.core import Profile, all_checks
from sims.params import InvalidParameter
from theory.catalog import get
from theory.theorem import Theorem

SEED = 20240611


def _profile(horizons, replicates, alphas) -> Profile:
    return Profile("test", replicates=replicates, horizons=tuple(horizons), alphas=tuple(alphas), n_boot=400, deterministic_points=2)


def _run(name: str, profile: Profile):
    check = all_checks()[name]
    rows = check.run(profile, SEED)
    for r in rows:
        r.control = r.control or check.control
    return rows


# ----------------------------------------------------------------------------- exponents (exact)
@pytest.mark.parametrize("alpha", [1.05, 1.3, 1.5, 1.77, 2.0])
def test_instance_exponents_equal_the_theorems_at_a_equal_alpha(alpha):
    # the derived instance exponent must reproduce the theorem's own exponent on the tight shape
    assert ht.nonconvex_instance_exponent(alpha, alpha) == pytest.approx(ht.theorem_exponent(ht.NONCONVEX, alpha), abs=1e-12)
    assert ht.strongly_convex_instance_exponent(alpha, alpha) == pytest.approx(ht.theorem_exponent(ht.STRONGLY_CONVEX, alpha), abs=1e-12)


@pytest.mark.parametrize("alpha", [1.2, 1.5, 1.9])
def test_instance_exponents_closed_forms_for_lighter_noise(alpha):
    # closed forms -(alpha + a - 2)/(3 alpha - 2) and -(alpha + a - 2)/alpha (module docstring), a > alpha: faster
    for a in np.linspace(alpha, 2.0, 5):
        nc, sc = ht.nonconvex_instance_exponent(alpha, a), ht.strongly_convex_instance_exponent(alpha, a)
        assert nc == pytest.approx(-(alpha + a - 2) / (3 * alpha - 2), abs=1e-12)
        assert sc == pytest.approx(-(alpha + a - 2) / alpha, abs=1e-12)
        assert nc <= ht.theorem_exponent(ht.NONCONVEX, alpha) + 1e-12
        assert sc <= ht.theorem_exponent(ht.STRONGLY_CONVEX, alpha) + 1e-12


def test_instance_exponent_takes_the_slower_term():
    # a slowly growing threshold: the squared bias tau^(2(1-a)) = K^-0.1 decays slower than eta tau^(2-a) = K^-0.95
    assert ht.instance_exponent(-1.0, 0.1, 1.5) == pytest.approx(-0.1)
    # a fast-growing threshold: the variance K^(-1 + 0.2 * 0.8) = K^-0.84 beats the bias K^-1.28
    assert ht.instance_exponent(-1.0, 0.8, 1.8) == pytest.approx(-0.84)


def test_inputs_are_validated():
    for bad in (1.0, 2.5, "1.5", math.nan):
        with pytest.raises(InvalidParameter, match="alpha"):
            ht.compliant_index(bad)
    with pytest.raises(InvalidParameter, match="stable index"):
        ht.instance_exponent(-1.0, 0.5, 2.1)
    inst = ht._instance("quadratic", "log_tail", 1.0, alpha=1.5, scale=1.0)
    with pytest.raises(InvalidParameter, match="horizons"):
        ht.nonconvex_value_row(inst, 1.5, (100,), 10, 0)
    with pytest.raises(InvalidParameter, match="replicates"):
        ht.nonconvex_value_row(inst, 1.5, (10, 20), 1, 0)
    with pytest.raises(InvalidParameter, match="g_factor"):
        ht.strongly_convex_value_row(inst, 1.5, (10, 20), 10, 0, g_factor=1.0)
    assert 1.5 < ht.compliant_index(1.5) <= 2.0


def test_horizon_summaries_flag_infinite_means():
    s = ht.horizon_summaries([10, 20], [np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, math.inf])])
    assert s[0]["median"] == pytest.approx(2.5) and s[0]["finite_mean_plausible"]
    assert s[1]["n_nonfinite"] == 1 and not s[1]["finite_mean_plausible"] and s[1]["mean"] == math.inf
    assert "may be infinite at K = 20" in ht._robust_text(s)


def test_registered_checks():
    ours = {ht.NONCONVEX.id, ht.STRONGLY_CONVEX.id, ht.LOWER_NONCONVEX.id, ht.LOWER_STRONGLY_CONVEX.id, ht.LIU_ZHOU.id}
    checks = {n: c for n, c in all_checks().items() if c.run.__module__ == ht.__name__}
    assert {c.theorem for c in checks.values()} == ours
    assert all(n.split("/")[0] == c.theorem and c.control == n.endswith("/controls") for n, c in checks.items())


# ----------------------------------------------------------------------------- clear cases
def test_value_rows_comply_and_report_medians():
    inst = ht._instance("quadratic", "stable", 1.0, alpha=1.75, beta=1.0, scale=1.0)
    row = ht.nonconvex_value_row(inst, 1.5, (30, 100), 100, SEED)
    assert row.verdict == "complies" and row.worst_ratio < 1
    assert "Medians" in row.reason and len(row.config["per_horizon"]) == 2
    sc = ht.strongly_convex_value_row(ht._instance("quadratic", "log_tail", 0.0, alpha=1.5, scale=1.0), 1.5, (30, 100), 100, SEED)
    assert sc.verdict == "complies" and sc.config["noncentral_moment_check"]["holds"]


def test_value_rows_not_applicable_when_the_assumption_fails():
    # stable noise of index a = alpha: infinite alpha-moment (docs/mathematics.md#bounded-moment-at-its-own-index)
    inst = ht._instance("quadratic", "stable", 1.0, alpha=1.5, beta=0.0, scale=1.0)
    assert ht.nonconvex_value_row(inst, 1.5, (30, 100), 20, SEED).verdict == "not_applicable"
    # G barely above sigma_alpha cannot bound E||grad f(x_1) + xi||^alpha: the confirmation must fail
    lt = ht._instance("quadratic", "log_tail", 0.0, alpha=1.5, scale=1.0)
    row = ht.strongly_convex_value_row(lt, 1.5, (30, 100), 100, SEED, g_factor=1.2)
    assert row.verdict == "not_applicable" and not row.config["noncentral_moment_check"]["holds"]


def test_strongly_convex_tight_instances_and_controls():
    profile = _profile((100, 300, 1000), 150, (1.3,))
    rates = _run("neurips20_gclip_strongly_convex/rates", profile)
    tight = [r for r in rates if r.verdict == "tight"]
    assert len(tight) == 3 and all(not r.failed for r in rates)
    fixed_sym = next(r for r in rates if "FIXED" in r.instance)
    assert fixed_sym.verdict == "complies" and fixed_sym.measured_ci[1] < fixed_sym.predicted  # faster than the bound
    controls = _run("neurips20_gclip_strongly_convex/controls", profile)
    assert len(controls) == 3 and all(r.control and r.verdict == "violates" for r in controls)


def test_nonconvex_and_liu_zhou_controls_fail():
    nc = _run("neurips20_gclip_nonconvex/controls", _profile((100, 300, 1000), 150, (1.6,)))
    lz = _run("liu_zhou25_nsgd_momentum/controls", _profile((300, 1000, 3000), 64, (1.3,)))
    assert nc and lz and all(r.control and r.verdict == "violates" for r in nc + lz)


def test_lower_bounds_are_not_applicable_with_reasons():
    profile = _profile((10, 20), 2, (1.3, 1.8))
    for name in ("neurips20_lower_nonconvex/order", "neurips20_lower_strongly_convex/order"):
        rows = _run(name, profile)
        assert len(rows) == 2 and all(r.verdict == "not_applicable" and "minimax" in r.reason for r in rows)
        assert rows[0].predicted == pytest.approx(ht.theorem_exponent(get(rows[0].theorem), 1.3))


def test_liu_zhou_without_window_is_not_applicable():
    rows = _run("liu_zhou25_nsgd_momentum/rates", _profile((10, 20), 8, (1.9,)))
    assert rows and all(r.verdict == "not_applicable" for r in rows)


def test_value_checks_can_fail(monkeypatch):
    # the derived bounds are loose (mean/bound ~0.1 non-convex, ~0.005 strongly convex): a bound 10^4 times
    # smaller must be flagged by the same Markov machinery, or the value checks would check nothing
    evaluate = Theorem.evaluate
    monkeypatch.setattr(Theorem, "evaluate", lambda self, **constants: evaluate(self, **constants) / 1e4)
    inst = ht._instance("quadratic", "log_tail", 1.0, alpha=1.5, scale=1.0)
    assert ht.nonconvex_value_row(inst, 1.5, (30, 100), 64, SEED).verdict == "violates"
    inst = ht._instance("quadratic", "log_tail", 0.0, alpha=1.5, scale=1.0)
    assert ht.strongly_convex_value_row(inst, 1.5, (30, 100), 64, SEED).verdict == "violates"


# ----------------------------------------------------------------------------- property tests
_LAWS = st.sampled_from(["stable_sym", "stable_skew", "log_tail"])


def _law_instance(law: str, alpha: float, scale: float, x0: float, **objective):
    if law == "log_tail":
        return ht._instance("quadratic", "log_tail", x0, objective, alpha=alpha, scale=scale)
    return ht._instance("quadratic", "stable", x0, objective, alpha=ht.compliant_index(alpha), beta=1.0 if law == "stable_skew" else 0.0, scale=scale)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(
    alpha=st.floats(1.2, 2.0),
    law=_LAWS,
    scale=st.floats(0.1, 10.0),
    L=st.floats(0.1, 10.0),
    dim=st.integers(1, 3),
    x0=st.floats(0.1, 3.0),
)
def test_nonconvex_values_never_violate(alpha, law, scale, L, dim, x0):
    inst = _law_instance(law, alpha, scale, x0, L=L, dim=dim)
    row = ht.nonconvex_value_row(inst, alpha, (20, 60), 64, SEED)
    assert row.verdict == "complies", (row.reason, row.config["constants"])


@settings(max_examples=8, deadline=None, derandomize=True)
@given(alpha=st.floats(1.2, 2.0), law=_LAWS, scale=st.floats(0.1, 10.0), mu=st.floats(0.1, 10.0), dim=st.integers(1, 3))
def test_strongly_convex_values_never_violate(alpha, law, scale, mu, dim):
    inst = _law_instance(law, alpha, scale, 0.0, L=mu, dim=dim)
    row = ht.strongly_convex_value_row(inst, alpha, (20, 60), 64, SEED)
    assert row.verdict in ("complies", "not_applicable"), (row.reason, row.config)
