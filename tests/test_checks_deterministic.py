"""Tests of checks/cases/deterministic.py: the deterministic theorems' checks.

* the helpers against independent references: the sublevel-set supremum M against
  sampling and an independently located maximiser (sympy-lambdified objectives), the
  measured T_eps against the plain-Python reference simulator ``tests/naive.py``,
  Delta and ||grad f(x0)|| against the engine;
* every check on a tiny profile: non-control rows comply, controls violate, the headline
  (GD's best fixed step grows like M/log M, clipped GD's count does not);
* Hypothesis property tests (derandomized): random admissible constants, starting points,
  dimensions and eps, asserting the upper bounds exactly (T_eps <= bound) and the Thm 4 lower
  bound exactly (T_eps >= predicted).  Examples whose bound exceeds PROPERTY_CAP iterations are
  skipped with ``assume`` (the run would be too long for a unit test); the falsifying example
  Hypothesis prints, together with the noted row configuration, reproduces a failure.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from scipy import optimize

import sims
from checks.core import Profile, all_checks
from checks.cases import deterministic as det
from sims.objectives import exp_wall_start, huber_start
from sims.params import InvalidParameter
from theory.catalog import get

import naive

TINY = Profile("tiny", replicates=1, horizons=(10,), alphas=(1.5,), n_boot=1, deterministic_points=2)
#: Largest bound (iterations) a property-test example may have; larger ones are skipped.
PROPERTY_CAP = 2 * 10**5


# ----------------------------------------------------------------------------- sublevel supremum M
def _lambdified(objective: str, params: dict):
    comp = sims.OBJECTIVES.get_component(objective)
    values = comp.resolve(params)
    expr, xs = comp.expression(values)
    f_star = comp.f_star(comp.dimension(values), values)
    value = sp.lambdify(xs, expr - f_star, "numpy")
    grads = [sp.lambdify(xs, sp.diff(expr, x), "numpy") for x in xs]

    def gap(X):
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(value(*X.T), dtype=float), X.shape[:1])

    def grad_norm(X):
        with np.errstate(all="ignore"):
            cols = [np.broadcast_to(np.asarray(g(*X.T), dtype=float), X.shape[:1]) for g in grads]
            return np.sqrt(sum(c * c for c in cols))

    return values, gap, grad_norm


SUBLEVEL_CASES = [
    # objective, params, x0 (defines Delta), a minimiser, the coordinate scale a_1 of the vertex direction
    ("exp_wall", {"dim": 1, "L0": 2.0, "L1": 0.5}, (3.0,), (0.0,)),
    ("exp_wall", {"dim": 3, "L0": 1.0, "L1": 1.0}, (2.398,) * 3, (0.0,) * 3),
    ("quartic", {"dim": 2, "a": 0.5}, (1.0, -2.0), (0.0, 0.0)),
    ("cosh", {"dim": 3}, (3.0, -1.0, 0.5), (0.0,) * 3),
    ("double_well", {"dim": 1}, (2.0,), (1.0,)),
    ("double_well", {"dim": 2}, (2.0, 0.1), (1.0, 1.0)),
    ("double_well", {"dim": 2}, (0.8, 1.1), (1.0, -1.0)),  # gap < 1/4: the sublevel set is four islands
    ("norm_quartic", {"dim": 3, "cond": 10.0}, (1.0, 1.0, 1.0), (0.0,) * 3),
    ("huber", {"dim": 1, "slope": 2.0, "L": 1.0}, (5.0,), (0.0,)),
    ("huber", {"dim": 1, "slope": 2.0, "L": 1.0}, (0.5,), (0.0,)),  # gap inside the quadratic core
]


@pytest.mark.parametrize("objective,params,x0,minimiser", SUBLEVEL_CASES)
def test_sublevel_grad_sup_is_the_supremum(objective, params, x0, minimiser):
    """M bounds ||grad f|| at sampled points of {f - f* <= Delta} and is attained at the vertex point.

    Sampling: boundary points along 1000 random rays from every minimiser (first crossing,
    located by bisection) and 20000 uniform points of a box around the set.  The vertex point
    (the whole gap on the first coordinate, the others at the minimiser) is located by root
    finding on the objective itself, not by the formula under test.
    """
    values, gap, grad_norm = _lambdified(objective, params)
    delta = float(gap(np.array([x0]))[0])
    M = det.sublevel_grad_sup(objective, values, delta)
    d = len(x0)
    rng = np.random.default_rng(0)

    # vertex: root of t -> gap(m + t e_1) - Delta on t > 0
    m = np.array(minimiser, dtype=float)
    e1 = np.eye(d)[0]
    t_star = optimize.brentq(lambda t: gap(np.array([m + t * e1]))[0] - delta, 0.0, 100.0, xtol=1e-14, rtol=1e-15)
    vertex = m + t_star * e1
    assert grad_norm(np.array([vertex]))[0] == pytest.approx(M, rel=1e-9)

    # boundary points along rays from every sign pattern of the minimiser
    found = []
    centres = {tuple(np.abs(m) * s) for s in np.array(np.meshgrid(*[[-1, 1]] * d)).T.reshape(-1, d)}
    radii = np.concatenate([[0.0], np.geomspace(1e-6, 1e3, 300)])
    for c in centres:
        u = rng.normal(size=(1000, d))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        pts = np.asarray(c)[None, None, :] + radii[None, :, None] * u[:, None, :]
        inside = gap(pts.reshape(-1, d)).reshape(len(u), len(radii)) <= delta
        first_out = np.argmax(~inside, axis=1)  # inside at r = 0 (a minimiser)
        lo, hi = radii[first_out - 1], radii[first_out]
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            ok = gap(np.asarray(c)[None, :] + mid[:, None] * u) <= delta
            lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
        found.append(grad_norm(np.asarray(c)[None, :] + lo[:, None] * u))
    extent = np.abs(vertex).max() * 1.01
    box = rng.uniform(-extent, extent, size=(20000, d))
    found.append(grad_norm(box[gap(box) <= delta]))
    sampled = np.concatenate(found)
    assert sampled.max() <= M * (1 + 1e-9)
    assert sampled.max() >= 0.5 * M  # the sampling reaches the region where the supremum lives
    if objective == "exp_wall" and d == 3:
        # M exceeds ||grad f(x0)||: putting the whole gap on one coordinate is steeper
        assert M > 1.5 * float(grad_norm(np.array([x0]))[0])


def test_sublevel_grad_sup_in_one_dimension_is_the_starting_slope():
    """For an even convex 1-D function from x0 (or the double well outside its wells), M = |f'(x0)|."""
    for objective, params, x0 in [
        ("exp_wall", {"dim": 1, "L0": 3.0, "L1": 0.7}, exp_wall_start(250.0, 3.0, 0.7)),
        ("quartic", {"dim": 1, "a": 2.0}, -1.3),
        ("cosh", {"dim": 1}, 2.5),
        ("double_well", {"dim": 1}, 1.7),
    ]:
        inst = det.make_instance(objective, params, x0, 1.0, "")
        c = det.instance_constants(inst)
        assert c["M"] == pytest.approx(c["g0"], rel=1e-12), objective
    wall = det.make_instance("exp_wall", {"dim": 1, "L0": 3.0, "L1": 0.7}, exp_wall_start(250.0, 3.0, 0.7), 0.7, "")
    assert det.instance_constants(wall)["M"] == pytest.approx(250.0, rel=1e-12)


def test_sublevel_grad_sup_rejects_what_it_cannot_do():
    with pytest.raises(InvalidParameter, match="no derivation"):
        det.sublevel_grad_sup("rosenbrock", {"b": 100.0}, 1.0)
    with pytest.raises(InvalidParameter, match="dimension 1 only"):
        det.sublevel_grad_sup("huber", {"dim": 2.0, "slope": 1.0, "L": 1.0}, 1.0)
    with pytest.raises(InvalidParameter, match="delta"):
        det.sublevel_grad_sup("cosh", {"dim": 1.0}, -1.0)
    assert det.sublevel_grad_sup("exp_wall", {"dim": 1.0, "L0": 1.0, "L1": 1.0}, 0.0) == 0.0
    # tiny gaps: the series branch of u - ln(1 + u) (M ~ sqrt(2 L0 delta) as delta -> 0)
    assert det.sublevel_grad_sup("exp_wall", {"dim": 1.0, "L0": 2.0, "L1": 1.0}, 1e-20) == pytest.approx(math.sqrt(4e-20), rel=1e-9)


# ----------------------------------------------------------------------------- instances and constants
def test_declared_l0_uses_the_registry_pairs():
    quartic = sims.OBJECTIVES["quartic"].resolve({"dim": 2, "a": 0.5})
    assert det.declared_l0("quartic", quartic, 2.0) == pytest.approx(16 * 0.5 / 4)
    assert det.declared_l0("quartic", quartic, 3.0) == pytest.approx(16 * 0.5 / 4)  # (a, 2) implies (a, 3)
    huber = sims.OBJECTIVES["huber"].resolve({"slope": 1.0, "L": 3.0})
    assert det.declared_l0("huber", huber, 0.1) == 3.0  # (L, 0) implies (L, L1)
    with pytest.raises(InvalidParameter, match="no .L0, L1. pair"):
        det.declared_l0("double_well", sims.OBJECTIVES["double_well"].resolve({}), 0.1)
    with pytest.raises(InvalidParameter, match="no .L0, L1. pair"):
        det.declared_l0("rosenbrock", sims.OBJECTIVES["rosenbrock"].resolve({}), 1.0)


def test_instance_constants_match_the_engine():
    """Delta and ||grad f(x0)|| from the defining expression agree with the compiled objective."""
    for inst in det.smooth_instances() + (det.near_tight_instance(0.3),):
        c = det.instance_constants(inst)
        res = sims.simulate(inst.objective, "sgd", "none", K=1, R=1, seed=0, x0=np.array(inst.x0), record="all",
                            objective_params=dict(inst.params), method_params={"lr": 1e-12})  # fmt: skip
        assert res.records["f_gap"][0, 0] == pytest.approx(c["Delta"], rel=1e-12), inst.label
        assert res.records["grad_norm"][0, 0] == pytest.approx(c["g0"], rel=1e-12), inst.label
        assert c["M"] >= c["g0"] * (1 - 1e-12)


def test_make_instance_validates():
    with pytest.raises(InvalidParameter):
        det.make_instance("cosh", {"dim": 2}, (1.0, math.nan), 1.0, "")
    with pytest.raises(InvalidParameter, match="L1"):
        det.make_instance("cosh", {"dim": 2}, 1.0, 0.0, "")
    with pytest.raises(InvalidParameter, match="eps"):
        det.near_tight_instance(2.0)


def test_thm4_hard_instances_start_where_the_objectives_say():
    """The theorem's x0 formulas agree with sims' own start functions (one geometry, two encodings)."""
    thm = get(det.LOWER_THEOREM)
    c = dict(det.THM4_CONSTANTS, M=300.0)
    threshold = det.divergence_threshold(c)
    wall = thm.hard_instance(h=2 * threshold, **c)
    slow = thm.hard_instance(h=threshold / 2, **c)
    assert wall["objective"] == "exp_wall" and slow["objective"] == "huber"
    assert wall["x0"] == pytest.approx(exp_wall_start(c["M"], c["L0"], c["L1"]), rel=1e-12)
    assert slow["x0"] == pytest.approx(huber_start(c["Delta"], slow["params"]["slope"], slow["params"]["L"]), rel=1e-12)


def test_step_factors_straddle_the_threshold():
    for n in range(1, 17):
        f = det.step_factors(n)
        assert len(f) == n and np.all(f != 1.0)
        assert (f < 1).sum() == (n + 1) // 2 and (f > 1).sum() == n // 2


def test_eps_grid_keeps_every_bound_within_k_max():
    for inst in det.smooth_instances():
        c = det.instance_constants(inst)
        grid = det.eps_grid(det.UPPER_THEOREMS, c, c["g0"], 5)
        assert grid[0] == pytest.approx(det.EPS_TOP * c["g0"]) and np.all(np.diff(grid) < 0)
        worst = max(get(t).predicted(**det.theorem_constants(t, c), eps=grid[-1]) for t in det.UPPER_THEOREMS)
        assert worst <= det.K_MAX * (1 + 1e-6)


# ----------------------------------------------------------------------------- T_eps against the reference
@pytest.mark.parametrize(
    "theorem_id,objective,params,x0,L1",
    [
        ("iclr20_thm3_clipped_gd", "cosh", {"dim": 2}, (2.0, -1.0), 1.0),
        ("iclr20_thm3_normalized_gd", "exp_wall", {"dim": 1, "L0": 1.0, "L1": 1.0}, (3.0,), 1.0),
        ("iclr20_thm6_gd_upper", "quartic", {"dim": 1, "a": 1.0}, (1.5,), 1.0),
        ("vankov24_l0l1_step", "double_well", {"dim": 1}, (2.0,), 1.0),
        ("vankov24_clipped_step", "norm_quartic", {"dim": 2, "cond": 3.0}, (1.0, 1.0), 2.0),
    ],
)
def test_first_hits_match_the_reference_simulator(theorem_id, objective, params, x0, L1):
    """T_eps from the growing-horizon runs equals the first step of a plain-Python run with |grad| <= eps."""
    inst = det.make_instance(objective, params, x0, L1, "")
    c = det.instance_constants(inst)
    thm = get(theorem_id)
    method_params = thm.method_params(**det.theorem_constants(theorem_id, c))
    eps = c["g0"] * np.array([0.5, 0.05, 1e-3])
    K = 300
    hits = det.first_hits(objective, params, x0, thm.method, method_params, eps, K, seed=0, K_first=5)  # several horizons
    ref = naive.run(objective, thm.method, "none", K, 0, x0=np.array(x0), objective_params=params, method_params=method_params)
    g = ref.records["grad_norm"]
    expected = [float(np.argmax(g <= e)) if np.any(g <= e) else math.inf for e in eps]
    assert hits.T.tolist() == expected
    assert np.isfinite(hits.T).sum() >= 2  # not a vacuous comparison of infinities


def test_first_hits_stop_at_the_full_horizon_and_validate():
    # GD with a tiny step cannot reach a small eps: T = inf after the full horizon
    hits = det.first_hits("cosh", {"dim": 1}, [3.0], "sgd", {"lr": 1e-6}, [1e-3], 50, seed=0, K_first=7)
    assert hits.K == 50 and math.isinf(hits.T[0]) and hits.diverged_step == -1
    with pytest.raises(InvalidParameter, match="K_full"):
        det.first_hits("cosh", {"dim": 1}, [3.0], "sgd", {"lr": 0.1}, [1.0], 0, seed=0)
    with pytest.raises(InvalidParameter, match="eps"):
        det.first_hits("cosh", {"dim": 1}, [3.0], "sgd", {"lr": 0.1}, [0.0], 10, seed=0)


# ----------------------------------------------------------------------------- the checks, end to end
def _my_checks():
    return {name: c for name, c in all_checks().items() if c.run.__module__ == det.__name__}


def test_every_theorem_of_the_group_has_a_check_and_a_control_exists():
    checks = _my_checks()
    assert {c.theorem for c in checks.values()} == set(det.UPPER_THEOREMS) | {det.LOWER_THEOREM}
    controls = [c for c in checks.values() if c.control]
    assert {c.theorem for c in controls} == {det.CLIPPED_GD_THEOREM, det.LOWER_THEOREM}


def test_checks_on_a_tiny_profile_comply_and_controls_violate():
    rows = [r for c in _my_checks().values() for r in c.run(TINY, 0)]
    assert rows
    for r in rows:
        if r.control:
            assert r.verdict == "violates", (r.check, r.reason)
        else:
            assert r.verdict == "complies", (r.check, r.instance, r.parameter, r.reason)
        assert not r.failed or r.control is False
        assert r.config, r.check
    upper = [r for r in rows if r.theorem in det.UPPER_THEOREMS and not r.control]
    assert all(r.measured <= r.predicted and r.worst_ratio <= 1 for r in upper)
    # the near-tight instance comes within a constant factor of every upper bound
    for tid in det.UPPER_THEOREMS:
        tight = [r.worst_ratio for r in upper if r.theorem == tid and r.instance.startswith("huber")]
        assert tight and max(tight) > 0.3, tid


def test_the_headline_gd_grows_like_m_over_log_m_and_clipped_gd_does_not():
    rows = det.run_lower(TINY, 0)
    head = [r for r in rows if r.parameter.startswith("M=") and "headline" in r.instance]
    assert len(head) == 2
    lo, hi = head
    M_lo, M_hi = lo.config["constants"]["M"], hi.config["constants"]["M"]
    growth = hi.measured / lo.measured
    assert growth == pytest.approx(hi.config["M_over_log1p_M"] / lo.config["M_over_log1p_M"], rel=0.02)
    assert growth > 0.5 * M_hi / M_lo / math.log1p(M_hi)  # far more than clipped GD's change:
    assert hi.config["clipped_gd_worst_T"] == pytest.approx(lo.config["clipped_gd_worst_T"], rel=0.05)
    assert hi.measured > hi.config["clipped_gd_worst_T"] > lo.measured  # clipped GD wins only for large M


def test_a_wrong_bound_is_detected_on_a_smooth_instance_too():
    """Not only the registered control: shrinking any bound below the measured count flips the verdict."""
    inst = det.smooth_instances()[3]
    c = det.instance_constants(inst)
    rows = det.upper_rows("vankov24_l0l1_step", inst, [0.01 * c["g0"]], 0, "test", bound_factor=1e-4)
    assert rows[0].verdict == "violates" and rows[0].worst_ratio > 1


# ----------------------------------------------------------------------------- property tests
def _admissible_instance(draw):
    objective = draw(st.sampled_from(["exp_wall", "quartic", "cosh", "double_well", "norm_quartic", "huber"]))
    dim = 1 if objective == "huber" else draw(st.integers(1, 3))
    coords = lambda lo, hi: tuple(draw(st.floats(lo, hi)) for _ in range(dim))  # noqa: E731
    if objective == "exp_wall":
        L0, L1 = draw(st.floats(0.1, 10.0)), draw(st.floats(0.1, 10.0))
        slope = draw(st.floats(0.5, 300.0)) * L0 / L1
        signs = [draw(st.sampled_from([-1.0, 1.0])) for _ in range(dim)]
        return det.make_instance(objective, {"dim": dim, "L0": L0, "L1": L1},
                                 tuple(s * exp_wall_start(slope, L0, L1) for s in signs), L1, "random")  # fmt: skip
    if objective == "quartic":
        return det.make_instance(objective, {"dim": dim, "a": draw(st.floats(0.1, 10.0))}, coords(-3, 3),
                                 draw(st.sampled_from([0.5, 1.0, 2.0, 4.0])), "random")  # fmt: skip
    if objective == "cosh":
        return det.make_instance(objective, {"dim": dim}, coords(-4, 4), draw(st.floats(1.0, 5.0)), "random")
    if objective == "double_well":
        return det.make_instance(objective, {"dim": dim}, coords(-2.5, 2.5), draw(st.sampled_from([0.5, 1.0, 3.0])), "random")
    if objective == "norm_quartic":
        return det.make_instance(objective, {"dim": dim, "cond": draw(st.floats(1.0, 20.0))}, coords(-2, 2),
                                 draw(st.sampled_from([0.5, 1.0, 2.0, 4.0])), "random")  # fmt: skip
    return det.make_instance(objective, {"dim": 1, "slope": draw(st.floats(0.1, 10.0)), "L": draw(st.floats(0.1, 10.0))},
                             coords(-50, 50), draw(st.floats(0.01, 10.0)), "random")  # fmt: skip


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data(), theorem_id=st.sampled_from(det.UPPER_THEOREMS), eps_fraction=st.floats(1e-3, 0.9))
def test_property_upper_bounds_hold_exactly(data, theorem_id, eps_fraction):
    """Random admissible (L0, L1, start, dimension, eps): T_eps <= bound, exactly."""
    inst = _admissible_instance(data.draw)
    c = det.instance_constants(inst)
    assume(c["g0"] > 1e-6)
    eps = eps_fraction * c["g0"]
    bound = get(theorem_id).predicted(**det.theorem_constants(theorem_id, c), eps=eps)
    assume(bound <= PROPERTY_CAP)  # longer runs are left to `sandbox check`
    (row,) = det.upper_rows(theorem_id, inst, [eps], 0, "property")
    note(f"row: {row}")
    assert row.verdict == "complies", row.reason
    assert row.measured <= bound


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    L0=st.floats(0.2, 5.0), L1=st.floats(0.2, 5.0), M_over_eps=st.floats(2.0, 500.0), eps=st.floats(0.05, 2.0),
    delta_stretch=st.floats(1.0, 4.0), step_factor=st.floats(1 / 16, 16.0).filter(lambda f: abs(f - 1.0) > 1e-9),
)  # fmt: skip
def test_property_fixed_step_gd_needs_at_least_the_lower_bound(L0, L1, M_over_eps, eps, delta_stretch, step_factor):
    """Random admissible (L0, L1, M, Delta, eps) and step h: T_eps on the instance chosen after h >= predicted.

    Steps within 1e-9 (relative) of the threshold 2 x0/M are excluded: there GD on the wall sits on
    the 2-cycle x0 -> -x0, which is unstable (|1 - h f''(x0)| > 1), so whether it diverges or
    converges is decided by rounding (the theorem's exact-arithmetic claim cannot be observed), and
    which side of the threshold a float h lies on differs between the theorem's sympy evaluation and
    the float h.  Delta is kept a relative 1e-12 above its condition's boundary for the same reason.
    """
    M = M_over_eps * eps
    delta = delta_stretch * max(M / L1, 4 * eps**2 / L0) * (1 + 1e-12)  # Thm 4's conditions
    constants = {"L0": L0, "L1": L1, "M": M, "Delta": delta, "eps": eps}
    h = step_factor * det.divergence_threshold(constants)
    predicted = get(det.LOWER_THEOREM).hard_instance(h=h, **constants)["predicted"]
    assume(math.isinf(predicted) or predicted <= PROPERTY_CAP)  # the wall (inf) runs THM4_WALL_STEPS steps
    inst, hits = det.fixed_step_hits(constants, h, seed=0)
    note(f"constants {constants}, h {h}, instance {inst}, T {hits.T[0]}, diverged at {hits.diverged_step}")
    assert hits.T[0] >= predicted
    if math.isinf(predicted) and step_factor > 1.5:
        assert hits.diverged_step >= 0  # clearly above the threshold GD blows up within the horizon
