"""Bad input and faults: every invalid request ends in one clear error before any work starts.

Covers the memory estimate and its check (against the bytes actually allocated), components the
kernels cannot run, numbers beyond the float range, non-names where names are expected, the
averaged iterate at large averaging powers (against exact rational arithmetic), the alpha range of
the stable samplers, the command lines' small traps, and a bounded hypothesis fuzz of the public
API showing that no exception other than ``InvalidParameter`` escapes.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tracemalloc
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import sims
from sandbox.cli import main
from sims import LAWS, METHODS, OBJECTIVES, InvalidParameter, PowerSchedule
from sims.cli import route_settings
from sims.engine import _record_count, simulation_memory
from sims.memory import ENV_VAR, InsufficientMemory, parse_size
from sims.noise import STABLE_ALPHA_MIN, sample_memory

from jit_mode import compiled_only

# ----------------------------------------------------------------------------- memory


@pytest.fixture(autouse=True)
def _no_memory_limit_from_environment(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def _traced_peak(fn):
    fn()  # compile and warm the kernels outside the measurement
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "method, noise, R, d, K, record_x, threads, x0",
    [
        ("sgd", "gaussian", 1000, 50, 200, False, 2, None),  # many replicates, records dominate
        ("adam", "stable", 300, 500, 50, True, 2, None),  # two state vectors, recorded iterates
        ("clipped_sgd", "none", 20000, 3, 3000, False, 1, None),
        ("sgd", "gaussian", 64, 1000, 20, False, 2, [[1.0] * 1000] * 64),  # x0 given per replicate
        ("sgd", "gaussian", 2, 100_000, 3, False, 2, None),  # large d: the kernels' scratch dominates
    ],
)
def test_memory_estimate_matches_the_bytes_simulate_allocates(method, noise, R, d, K, record_x, threads, x0):
    # tracemalloc sees NumPy's arrays and the compiled kernels' arrays (numba allocates through Python)
    def run():
        return sims.simulate("quadratic", method, noise, K=K, R=R, seed=0, x0=x0, objective_params={"dim": d},
                             record_x=record_x, threads=threads)  # fmt: skip

    res, peak = _traced_peak(run)
    m = METHODS[method]
    est = simulation_memory(R, d, len(res.steps), state_vectors=m.state_vectors, n_params=len(m.params),
                            record_x=record_x, threads=threads, x0_shape=np.shape(x0) if x0 is not None else ())  # fmt: skip
    assert est["total"] == pytest.approx(peak, rel=0.02, abs=64 * 1024), est
    # what simulate checks uses an upper bound on the number of recorded steps
    assert _record_count(K, "geometric") >= len(res.steps)


def test_memory_estimate_matches_the_bytes_sample_noise_allocates():
    for law, dim in (("stable", None), ("stable_isotropic", 300), ("student_t", 5000)):
        out, peak = _traced_peak(lambda: sims.sample_noise(law, 2000, seed=1, dim=dim))
        assert sample_memory(2000, 1 if dim is None else dim) == pytest.approx(peak, rel=0.02, abs=16 * 1024)


def test_insufficient_memory_is_public():
    """Callers catch it from the package, as they catch InvalidParameter (of which it is a kind)."""
    assert sims.InsufficientMemory is InsufficientMemory and "InsufficientMemory" in sims.__all__
    assert issubclass(sims.InsufficientMemory, sims.InvalidParameter)


def test_huge_requests_are_refused_before_any_allocation(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "16G")  # the same outcome on machines with more memory available
    tracemalloc.start()
    try:
        with pytest.raises(InsufficientMemory, match=r"R = 4294967295.*needs about .* TiB.*max_memory"):
            sims.simulate("quadratic", "sgd", "gaussian", K=10, R=2**32 - 1, seed=0)
        with pytest.raises(InsufficientMemory, match="R = 3000, d = 1000000"):
            sims.simulate("quadratic", "sgd", "gaussian", K=10, R=3000, seed=0, objective_params={"dim": 10**6})
        with pytest.raises(InsufficientMemory, match=r"sample_noise with n = 10, dim = 1000000000"):
            sims.sample_noise("gaussian", 10, seed=0, dim=10**9)
        with pytest.raises(InsufficientMemory, match="K = 4294967294"):  # every step recorded: the steps alone are 32 GiB
            sims.simulate("quadratic", "sgd", "none", K=2**32 - 2, R=1, seed=0, record="all")
        with pytest.raises(InsufficientMemory, match="record_grid with K = 4294967294"):
            sims.record_grid(2**32 - 2, "all")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_memory_limit_from_keyword_and_environment(monkeypatch):
    small = dict(K=5, R=4, seed=0)
    with pytest.raises(InsufficientMemory, match=r"more than the 1\.0 KiB limit max_memory"):
        sims.simulate("quadratic", "sgd", "gaussian", **small, max_memory="1K")
    monkeypatch.setenv(ENV_VAR, "1K")
    with pytest.raises(InsufficientMemory, match=f"limit {ENV_VAR}"):
        sims.simulate("quadratic", "sgd", "gaussian", **small)
    with pytest.raises(InsufficientMemory, match=f"limit {ENV_VAR}"):
        sims.sample_noise("gaussian", 10, seed=0)
    # the keyword overrides the environment; 'inf' disables the check
    assert sims.simulate("quadratic", "sgd", "gaussian", **small, max_memory="1G").R == 4
    assert sims.sample_noise("gaussian", 10, seed=0, max_memory="inf").shape == (10,)
    monkeypatch.setenv(ENV_VAR, "lots")
    with pytest.raises(InvalidParameter, match=f"{ENV_VAR} must be a size in bytes"):
        sims.simulate("quadratic", "sgd", "gaussian", **small)


def test_default_limit_is_the_available_memory(monkeypatch):
    import sims.memory

    monkeypatch.setattr(sims.memory, "available_memory", lambda: 100 * 2**20)
    kw = dict(K=5, R=3000, seed=0, objective_params={"dim": 3000})
    assert simulation_memory(3000, 3000, 10)["total"] > 100 * 2**20
    with pytest.raises(InsufficientMemory, match=r"more than the 100\.0 MiB memory available on this machine"):
        sims.simulate("quadratic", "sgd", "gaussian", **kw)
    with pytest.raises(InsufficientMemory, match="memory available on this machine"):
        sims.sample_noise("gaussian", 10**7, seed=0, dim=2)
    # small requests do not read the available memory at all
    monkeypatch.setattr(sims.memory, "available_memory", lambda: 0)
    assert sims.simulate("quadratic", "sgd", "gaussian", K=5, R=4, seed=0).R == 4


def test_parse_size():
    assert parse_size("16G") == 16 * 2**30 and parse_size("512m") == 512 * 2**20 and parse_size("1.5e9") == 1.5e9
    assert parse_size("2GiB") == 2 * 2**30 and parse_size(4096) == 4096 and parse_size("inf") == math.inf
    for bad in ("0", "-1G", "abc", "", None, True, float("nan"), [1]):
        with pytest.raises(InvalidParameter, match="max_memory must be a size"):
            parse_size(bad)


def test_cli_refuses_huge_runs_and_takes_max_memory(capsys, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "16G")
    assert main(["simulate", "--set", "dim=1000000", "--R", "3000", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "needs about" in err and "--max-memory" in err and err.count("\n") == 1
    assert main(["simulate", "--R", "4294967295", "--quiet"]) == 2
    assert "TiB" in capsys.readouterr().err
    assert main(["simulate", "--K", "5", "--R", "4", "--quiet", "--max-memory", "1K"]) == 2
    assert "1.0 KiB limit max_memory" in capsys.readouterr().err
    assert main(["simulate", "--K", "5", "--R", "4", "--quiet", "--max-memory", "inf"]) == 0


# ----------------------------------------------------------------------------- components and names


def test_unregistered_components_are_rejected_before_work():
    quadratic = OBJECTIVES["quadratic"]
    by_hand = dataclasses.replace(quadratic, name="my_objective")
    with pytest.raises(InvalidParameter, match="'my_objective' .* is not a registered objective"):
        sims.simulate(by_hand, "sgd", "none", K=5, R=2, seed=0)
    # the registered name reused for an object the kernels would run differently
    impostor = dataclasses.replace(quadratic, kernel=OBJECTIVES["quartic"].kernel)
    with pytest.raises(InvalidParameter, match="not a registered objective"):
        sims.simulate(impostor, "sgd", "none", K=5, R=2, seed=0)
    with pytest.raises(InvalidParameter, match="not a registered noise law"):
        sims.sample_noise(dataclasses.replace(LAWS["stable"], transform=LAWS["gaussian"].transform), 5, seed=0)
    with pytest.raises(InvalidParameter, match="not a registered objective"):
        sims.simulate(METHODS["sgd"], "sgd", "none", K=5, R=2, seed=0)  # a method where an objective goes
    # the registry's own objects are accepted, and give the same numbers as their names
    a = sims.simulate(quadratic, METHODS["sgd"], LAWS["gaussian"], K=5, R=2, seed=0)
    b = sims.simulate("quadratic", "sgd", "gaussian", K=5, R=2, seed=0)
    assert np.array_equal(a.records["f_gap"], b.records["f_gap"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(objective=["quadratic"]), r"objective must be a name \(str\), got list"),
        (dict(method={"sgd": 1}), r"method must be a name \(str\), got dict"),
        (dict(noise=None), r"noise law must be a name \(str\), got NoneType"),
        (dict(objective_params={"dim": 10**400}), r"'dim' must be in integer in \[1, 1e\+06\], got a number too large"),
        (dict(noise_params={"scale": -(10**400)}), "'scale' must be in .* too large for a float"),
        (dict(method_params={"lr": 10**400}), "'lr' must be in .* too large"),
        (dict(method_params={"lr": [10**400] * 5}), "'lr' must be a number in .*, a PowerSchedule, an array of K"),
        (dict(method_params={"lr": ["a"] * 5}), "'lr' must be a number in"),
        (dict(method_params=[("lr", 0.1)]), "parameters must be a dict"),
        (dict(objective_params={1: 2}), "parameter names must be strings"),
        (dict(avg_power=10**400), r"avg_power must be a finite number, i.e. in \(-inf, inf\)"),
        (dict(x0=10**400), "x0 must be a number or an array of finite numbers"),
        (dict(x0=[[1.0], [1.0, 2.0]]), "x0 must be a number or an array"),
        (dict(K=10**400), r"K must be an integer \[1, 4294967294\]"),
    ],
)
def test_bad_values_raise_invalid_parameter(kwargs, message):
    args = dict(objective="quadratic", method="sgd", noise="gaussian", K=5, R=5, seed=0) | kwargs
    with pytest.raises(InvalidParameter, match=message):
        sims.simulate(**args)


def test_power_schedule_names_the_field_and_its_range():
    with pytest.raises(ValueError, match=r"offset must be in \(0, inf\) when power != 0, got 0"):
        PowerSchedule(1.0, -1.0, 0.0)
    with pytest.raises(ValueError, match=r"coef must be a finite number, i.e. in \(-inf, inf\), got 1000"):
        PowerSchedule(10**400, 1.0)


# ----------------------------------------------------------------------------- averaged iterate


@pytest.mark.parametrize("avg_power", [0.0, 3.0, 150.0, 250.0, 1000.0, -400.0])
def test_averaged_iterate_against_exact_rational_weights(avg_power):
    """f(xbar_k) with xbar_k = sum_j (j+1)^p x_j / sum_j (j+1)^p, computed exactly from the recorded x_j.

    Before the weights were scaled, (k+1)^p overflowed for p >= ~200 (k >= 30) and every replicate's
    f_gap_avg_iterate became nan without diverging.
    """
    K, R = 120, 3
    res = sims.simulate("quadratic", "sgd", "gaussian", K=K, R=R, seed=4, objective_params={"dim": 2},
                        method_params={"lr": 0.05}, avg_power=avg_power, record="all", record_x=True)  # fmt: skip
    assert not res.diverged.any()
    obj = OBJECTIVES["quadratic"]
    vals = obj.resolve({"dim": 2})
    f, xs = obj.expression(vals)
    p = Fraction(avg_power)
    assert p.denominator == 1
    weights = [Fraction(j + 1) ** int(p) for j in range(K + 1)]
    for k in (0, 1, 7, 30, 60, K):
        total = sum(weights[: k + 1])
        for r in range(R):
            xbar = [sum(weights[j] * Fraction(float(res.x[j, r, i])) for j in range(k + 1)) / total for i in range(2)]
            exact = float(f.subs(dict(zip(xs, map(sp.Rational, xbar))))) - obj.f_star(2, vals)
            got = res.records["f_gap_avg_iterate"][k, r]
            assert got == pytest.approx(exact, rel=1e-9, abs=1e-300), (k, r)


def test_averaged_iterate_does_not_depend_on_step_blocks_when_weights_are_scaled():
    # progress=True runs the kernel in blocks of steps: the scaling must carry over from block to block
    kw = dict(K=400, R=3, seed=2, objective_params={"dim": 3}, avg_power=500.0, record="all")
    a = sims.simulate("quadratic", "sgd", "gaussian", **kw)
    b = sims.simulate("quadratic", "sgd", "gaussian", **kw, progress=True)
    assert np.isfinite(a.records["f_gap_avg_iterate"]).all()
    assert np.array_equal(a.records["f_gap_avg_iterate"], b.records["f_gap_avg_iterate"])


# ----------------------------------------------------------------------------- stable samplers' alpha range


def test_stable_alpha_range_is_enforced():
    for law in ("stable", "stable_isotropic"):
        with pytest.raises(InvalidParameter, match=r"'alpha' must be in \[0.2, 2\], got 0.19"):
            sims.sample_noise(law, 5, seed=0, alpha=0.19)


def _overflow_probability(alpha: float, skew_factor: float = 2.0) -> float:
    """P(|X| > largest double) ~ skew_factor C_alpha x^-alpha, C_alpha = Gamma(alpha) sin(pi alpha/2)/pi
    (the stable tail; skew_factor 2 for beta = 0 or a one-sided beta = 1 tail)."""
    import mpmath as mp

    c = mp.gamma(alpha) * mp.sin(mp.pi * alpha / 2) / mp.pi
    return float(skew_factor * c * mp.mpf(np.finfo(np.float64).max) ** (-alpha))


@compiled_only("4e5 stable draws (the binomial check needs ~300 infinite ones)")
def test_the_overflow_probability_behind_the_alpha_range():
    """The derivation of STABLE_ALPHA_MIN: below 1e-30 per draw at alpha = 0.2 (stable) and at the
    isotropic law's mixing index alpha/2 = 0.1; and the tail formula predicts the fraction of infinite
    draws the stable transform gives at alpha = 0.01 (binomial, 6 standard errors)."""
    assert _overflow_probability(STABLE_ALPHA_MIN) < 1e-30
    assert _overflow_probability(STABLE_ALPHA_MIN / 2) < 1e-30
    from sims.vecmath import stable_block

    n = 400_000
    rng = np.random.default_rng(0)
    u1, u2 = rng.random(n), rng.random(n)
    out = np.empty(n)
    stable_block(u1, u2, 0.01, 0.0, 1.0, out)
    p = _overflow_probability(0.01)
    assert p == pytest.approx(8.2e-4, rel=0.01)
    assert abs(np.isinf(out).sum() - n * p) < 6 * math.sqrt(n * p)


@pytest.mark.parametrize("law, dim, beta", [("stable", None, 0.0), ("stable", None, 1.0), ("stable", None, -0.5), ("stable_isotropic", 2, None)])
def test_stable_samplers_at_the_smallest_alpha_are_finite_and_accurate(law, dim, beta):
    """At alpha = 0.2 a draw overflows with probability < 1e-30: none in 10^6 draws; and KS against scipy
    (p > 1e-6: a false alarm rate of 1e-6).  Before the range was enforced, alpha = 0.01 gave inf in
    0.08 % of the stable draws and nan in 1.6 % of the isotropic ones."""
    params = {"alpha": STABLE_ALPHA_MIN} | ({} if beta is None else {"beta": beta})
    x = sims.sample_noise(law, 10**6 // (dim or 1), seed=5, dim=dim, **params)
    assert np.isfinite(x).all()
    first = x[:2000] if dim is None else x[:2000, 0]
    ref = stats.levy_stable(STABLE_ALPHA_MIN, 0.0 if beta is None else beta)
    assert stats.kstest(first, ref.cdf).pvalue > 1e-6


# ----------------------------------------------------------------------------- command lines


def _components(obj="quadratic", meth="clipped_sgd", noise="stable"):
    return {"objective": OBJECTIVES[obj], "method": METHODS[meth], "noise": LAWS[noise]}


def test_repeated_set_is_an_error_naming_the_key():
    with pytest.raises(InvalidParameter, match=r"--set lr: given twice \('lr=0.1' and 'lr=0.2'\)"):
        route_settings(["lr=0.1", "lr=0.2"], _components())
    with pytest.raises(InvalidParameter, match="--set noise.alpha: given twice"):
        route_settings(["alpha=1.5", "noise.alpha=1.2"], _components())


def test_schedule_with_a_bad_offset_blames_the_offset():
    with pytest.raises(InvalidParameter, match=r"--set lr=pow:1,-1,0: PowerSchedule offset must be in \(0, inf\)"):
        route_settings(["lr=pow:1,-1,0"], _components())
    with pytest.raises(InvalidParameter, match="neither a number nor pow"):
        route_settings(["lr=pow:1,x"], _components())


@pytest.mark.parametrize(
    "argv, message",
    [
        (["theorems", "iclr20_thm3_clipped_gd", "--latex", "--json"], "--latex and --json exclude each other"),
        (["theorems", "vankov24_l0l1_step", "--set", "L0=1", "--set", "L1=1", "--set", "Delta=1", "--set", "eps=1e-200"],
         "the bound cannot be evaluated in double precision .* the most extreme constant is eps=1e-200"),
        (["theorems", "neurips20_gclip_strongly_convex", "--set", "mu=5e-324", "--set", "G=1", "--set", "alpha=1.5", "--set", "K=10"],
         "parameter 'lr' cannot be evaluated in double precision .* mu=5e-324"),
        (["theorems", "iclr20_thm3_clipped_gd", "--set", "L0=1", "--set", "L1=1", "--set", "Delta=1", "--set", "eps=1e300"],
         "cannot be evaluated in double precision .* eps=1e300"),
        (["theorems", "iclr20_thm3_clipped_gd", "--set", "eps=1", "--set", "eps=2"], "--set eps: given twice"),
        (["demo", "³"], "unknown demo '³'"),
        (["simulate", "--set", "lr=0.1", "--set", "lr=0.2", "--quiet"], "--set lr: given twice"),
        (["simulate", "--set", "lr=pow:1,-1,0", "--quiet"], "offset must be in (0, inf)"),
    ],
)  # fmt: skip
def test_cli_traps_end_in_one_clear_error(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err or re.search(message, err), err


# ----------------------------------------------------------------------------- fuzz

_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.lists(st.floats(-2, 2), max_size=3),
    st.just([10**400]),
    st.just({"a": 1}),
    st.just(1j),
)
_SMALL = st.one_of(st.floats(-3, 3), st.integers(-2, 6), st.sampled_from([0.2, 0.5, 1.0, 1.5, 2.0, 1e-300, 1e300]))
_VALUE = st.one_of(_SMALL, _JUNK, st.builds(PowerSchedule, st.floats(0.01, 2), st.floats(-1, 1), st.floats(0.5, 3)))


@st.composite
def _simulate_calls(draw):
    """Arguments of one simulate call: valid ones, with at most two replaced by junk (so that most calls
    get past the first checks), and component parameters drawn from the components' own names."""
    names = [draw(st.sampled_from(sorted(reg))) for reg in (OBJECTIVES, METHODS, LAWS)]
    comps = [reg[n] for reg, n in zip((OBJECTIVES, METHODS, LAWS), names)]
    args = {
        "objective": draw(st.sampled_from([names[0], comps[0]])), "method": names[1], "noise": draw(st.sampled_from([names[2], comps[2]])),
        "K": draw(st.integers(1, 25)), "R": draw(st.integers(1, 5)), "seed": draw(st.integers(0, 3)),
        "x0": draw(st.one_of(st.none(), _SMALL)), "record": draw(st.sampled_from(["geometric", "all", 3, [1, 2]])),
        "avg_power": draw(_SMALL), "threads": draw(st.sampled_from([None, 1, 2])),
    }  # fmt: skip
    for key, comp in zip(("objective_params", "method_params", "noise_params"), comps):
        keys = st.sampled_from([p.name for p in comp.params] + ["nope"])
        args[key] = draw(st.dictionaries(keys, _VALUE, max_size=len(comp.params)))
    for key in draw(st.lists(st.sampled_from(sorted(args)), max_size=2)):
        args[key] = draw(_JUNK)
    return args


_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@_FUZZ
@given(args=_simulate_calls())
def test_fuzz_simulate_raises_only_invalid_parameter(args):
    try:
        res = sims.simulate(**args)
    except InvalidParameter:
        return
    assert res.records["grad_norm"].shape[1] == args["R"]


@_FUZZ
@given(
    law=st.one_of(st.sampled_from(sorted(LAWS)), st.sampled_from(list(LAWS.values())), _JUNK), n=st.one_of(st.integers(-1, 50), _JUNK), seed=st.one_of(st.integers(-1, 3), _JUNK),
    dim=st.one_of(st.none(), st.integers(-1, 5), _JUNK), replicate=st.one_of(st.integers(-1, 3), _JUNK),
    params=st.dictionaries(st.sampled_from(["alpha", "beta", "scale", "df", "radius", "nope"]), _VALUE, max_size=3),
)  # fmt: skip
def test_fuzz_sample_noise_raises_only_invalid_parameter(law, n, seed, dim, replicate, params):
    try:
        x = sims.sample_noise(law, n, seed=seed, dim=dim, replicate=replicate, **params)
    except InvalidParameter:
        return
    assert x.shape[0] == n


_RESULT = None


@_FUZZ
@given(
    metric=st.one_of(st.sampled_from(sims.METRICS), _JUNK), step=st.one_of(st.none(), st.integers(-1, 12), _JUNK),
    q=st.one_of(st.lists(st.floats(-0.5, 1.5), min_size=1, max_size=3), _JUNK), diverged_as=st.one_of(_SMALL, _JUNK),
    K=st.one_of(st.integers(-1, 40), _JUNK), record=st.one_of(st.sampled_from(["all", "geometric", 2, 5, [3, 4]]), _JUNK),
)  # fmt: skip
def test_fuzz_results_and_record_grid_raise_only_invalid_parameter(metric, step, q, diverged_as, K, record):
    global _RESULT
    if _RESULT is None:
        _RESULT = sims.simulate("quadratic", "sgd", "stable", K=10, R=4, seed=0, record="all")
    for call in (
        lambda: _RESULT.values(metric, step, diverged_as=diverged_as),
        lambda: _RESULT.quantiles(metric, q, step),
        lambda: _RESULT.mean(metric, step),
        lambda: sims.record_grid(K, record),
    ):
        try:
            call()
        except InvalidParameter:
            pass


@_FUZZ
@given(settings_=st.lists(st.text(max_size=12), max_size=4))
def test_fuzz_set_routing_raises_only_invalid_parameter(settings_):
    try:
        route_settings(settings_, _components())
    except InvalidParameter:
        pass


_CONSTANT_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-400, 400).map(lambda e: f"1e{e}"),
    st.sampled_from(["10**400", "5e-324", "abc", "", "1/3", "0", "-1"]),
)


# capsys is read (and so emptied) after every example
@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_theorem_constants_end_in_a_result_or_one_error(data, capsys):
    from theory.catalog import THEOREMS

    thm = THEOREMS[data.draw(st.sampled_from(sorted(THEOREMS)))]
    names = [c.name for c in thm.symbols]
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True, min_size=len(names) - 1, max_size=len(names)))
    argv = ["theorems", thm.id, "--json"]
    for name in chosen:
        argv += ["--set", f"{name}={data.draw(_CONSTANT_TEXT)}"]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 0 or (rc == 2 and err.count("\n") == 1), err
