"""The simulation engine: determinism, common random numbers, divergence, memory, record grids, input validation, results.

Numerical agreement of every method with the reference lives in
``test_methods.py``; here the reference (``tests/naive.py``) checks that the
engine wires every registered objective and noise law correctly.
"""

from __future__ import annotations

import math
import re
import tracemalloc
import warnings

import numpy as np
import pytest

import naive
import sims
import sims.engine
import sims.noise
from sims import InvalidParameter, PowerSchedule
from sims.engine import METRICS


def _assert_bitwise_equal(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, f"{what}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
    assert a.tobytes() == b.tobytes(), f"{what}: not bitwise identical"


def _assert_same_result(a, b):
    _assert_bitwise_equal(a.steps, b.steps, "steps")
    for m in METRICS:
        _assert_bitwise_equal(a.records[m], b.records[m], m)
    _assert_bitwise_equal(a.diverged_step, b.diverged_step, "diverged_step")
    _assert_bitwise_equal(a.diverged, b.diverged, "diverged")
    _assert_bitwise_equal(a.x, b.x, "x")
    _assert_bitwise_equal(a.final_x, b.final_x, "final_x")


def _valid_params(component) -> dict:
    """A valid value for every parameter: the default, else a point inside the declared range."""
    out = {}
    for p in component.params:
        if p.default is not None:
            continue
        if math.isfinite(p.lo) and math.isfinite(p.hi):
            out[p.name] = (p.lo + p.hi) / 2
        elif math.isfinite(p.lo):
            out[p.name] = p.lo + 1.0
        else:
            out[p.name] = min(p.hi - 1.0, 0.0)
    return out


def _objective_params(name: str) -> dict:
    params = _valid_params(sims.OBJECTIVES[name])
    if "dim" in sims.OBJECTIVES[name].param_names:
        params["dim"] = 3
    return params


@pytest.fixture
def run_block_calls(monkeypatch):
    """Record the (r0, r1, k0, k1) of every call of the compiled runner, still running it."""
    calls = []
    real = sims.specialize.runner

    def spied_runner(*components):
        run_block = real(*components)

        def spy(*args):
            r0, r1, k0, k1 = args[7:11]  # after the 7 static arguments
            if r1 > r0:  # not the empty call that only compiles
                calls.append((r0, r1, k0, k1))
            return run_block(*args)

        return spy

    monkeypatch.setattr(sims.specialize, "runner", spied_runner)
    return calls


@pytest.fixture
def no_work(monkeypatch):
    """Fail if a kernel is generated or called: validation must happen before any work."""

    def forbidden(*args, **kwargs):
        raise AssertionError("a kernel was called before the input was validated")

    monkeypatch.setattr(sims.specialize, "runner", forbidden)
    monkeypatch.setattr(sims.noise, "_sample_block", forbidden)


# ----------------------------------------------------------------------------- determinism

DETERMINISM_CASES = {
    # a method with two state vectors carried across step blocks
    "acclip": dict(objective="quartic", method="acclip", noise="stable", K=230, R=13, seed=5,
                   objective_params={"dim": 2}, noise_params={"alpha": 1.3, "beta": 0.3, "scale": 1.0},
                   method_params={"lr": PowerSchedule(0.1, -0.5, 1.0)}, avg_power=1.0),
    # some replicates diverge part-way, so blocks finish at different steps
    "sgd_diverging": dict(objective="quartic", method="sgd", noise="stable", K=230, R=13, seed=11,
                          objective_params={"dim": 2}, noise_params={"alpha": 1.2, "beta": 0.0, "scale": 1.0},
                          method_params={"lr": 0.05}),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(DETERMINISM_CASES))
def test_bitwise_identical_across_threads_and_step_blocks(case, run_block_calls):
    config = DETERMINISM_CASES[case]
    baseline = sims.simulate(**config, record_x=True, threads=1, progress=False)
    assert run_block_calls == [(0, config["R"], 0, config["K"])]  # one block: the plain reference run
    if case == "sgd_diverging":
        assert 0 < baseline.n_diverged < config["R"]
    for threads in (1, 2, 3):
        for progress in (False, True):
            run_block_calls.clear()
            result = sims.simulate(**config, record_x=True, threads=threads, progress=progress)
            _assert_same_result(result, baseline)
            # not vacuous: the run really was split into replicate blocks, and into step blocks with progress
            assert (len({c[:2] for c in run_block_calls}) > 1) == (threads > 1)
            assert (len({c[2:] for c in run_block_calls}) > 1) == progress


# ----------------------------------------------------------------------------- common random numbers


def test_common_random_numbers_across_methods():
    """The noise of (seed, replicate, step) is the same whatever the method: recover it from two methods' iterates.

    On f = |x|^2/2 (grad f = x), sgd gives xi_k = (x_k - x_{k+1})/lr - x_k, and
    normalized SGD with offset 1 gives ||g|| = ||s||/(lr - ||s||), g = -s(||g|| + 1)/lr
    for its step s.  The inversions amplify the rounding of the iterates by at
    most (1 + ||g||)^2/lr (measured <= 1e-13 relative here); a different noise
    stream would differ by O(1).
    """
    K, R, seed, lr = 200, 3, 99, 0.5
    common = dict(record="all", record_x=True, objective_params={"dim": 2, "L": 1.0, "cond": 1.0},
                  noise_params={"alpha": 1.5, "beta": 0.5, "scale": 0.3})  # fmt: skip
    a = sims.simulate("quadratic", "sgd", "stable", K, R, seed, method_params={"lr": lr}, **common)
    b = sims.simulate("quadratic", "normalized_sgd", "stable", K, R, seed, method_params={"lr": lr, "norm_offset": 1.0}, **common)
    xi_sgd = (a.x[:-1] - a.x[1:]) / lr - a.x[:-1]
    s = b.x[1:] - b.x[:-1]
    s_norm = np.linalg.norm(s, axis=2, keepdims=True)
    xi_normalized = -s * (s_norm / (lr - s_norm) + 1.0) / lr - b.x[:-1]
    assert not np.allclose(a.x, b.x)  # different methods, different paths
    for r in range(R):
        drawn = sims.sample_noise("stable", K, seed=seed, dim=2, replicate=r, **common["noise_params"])
        tol = 1e-10 * (1.0 + np.linalg.norm(drawn, axis=1, keepdims=True)) ** 2
        assert np.all(np.abs(xi_sgd[:, r] - drawn) <= tol)
        assert np.all(np.abs(xi_normalized[:, r] - drawn) <= tol)
    # and the replicates do get different streams
    assert not np.allclose(xi_sgd[:, 0], xi_sgd[:, 1])


def test_replicate_results_do_not_depend_on_the_other_replicates():
    """Replicate r's noise depends on (seed, r, k) only: not on R nor on the other replicates' starts."""
    config = dict(objective="quadratic", method="clipped_sgd", noise="stable", K=60, seed=3, record="all", record_x=True,
                  objective_params={"dim": 2}, method_params={"lr": 0.1})  # fmt: skip
    small = sims.simulate(**config, R=2, x0=np.array([[1.0, 2.0], [0.5, -1.0]]))
    large = sims.simulate(**config, R=4, x0=np.array([[1.0, 2.0], [0.5, -1.0], [9.0, 9.0], [-3.0, 0.0]]))
    for m in METRICS:
        _assert_bitwise_equal(large.records[m][:, :2], small.records[m], m)
    _assert_bitwise_equal(large.x[:, :2], small.x, "x")
    other_seed = sims.simulate(**{**config, "seed": 4}, R=2, x0=np.array([[1.0, 2.0], [0.5, -1.0]]))
    assert not np.allclose(other_seed.x, small.x)


@pytest.mark.parametrize("law", sorted(sims.LAWS))
def test_every_noise_law_reaches_the_engine_as_sampled(law):
    """For every registered law, the engine adds exactly ``sample_noise``'s stream of each replicate."""
    params = _valid_params(sims.LAWS[law])
    config = dict(objective_params={"dim": 3, "L": 1.0, "cond": 4.0}, method_params={"lr": 0.1, "threshold": 2.0},
                  noise_params=params)  # fmt: skip
    result = sims.simulate("quadratic", "clipped_sgd", law, 40, 3, 8, record="all", record_x=True, **config)
    reference = naive.run_replicates("quadratic", "clipped_sgd", law, 40, 3, 8, **config)
    naive.assert_matches(result, reference)


@pytest.mark.parametrize("method", ["sgd", "clipped_sgd"])
@pytest.mark.parametrize("objective", sorted(sims.OBJECTIVES))
def test_every_objective_matches_its_sympy_expression_in_the_engine(objective, method):
    """For every registered objective, the engine's trajectory and metrics match the reference built from sympy."""
    config = dict(objective_params=_objective_params(objective), method_params={"lr": 0.01}, noise_params={"scale": 0.1})
    result = sims.simulate(objective, method, "gaussian", 30, 2, 17, record="all", record_x=True, **config)
    reference = naive.run_replicates(objective, method, "gaussian", 30, 2, 17, **config)
    naive.assert_matches(result, reference)


# ----------------------------------------------------------------------------- divergence

DIVERGING = dict(objective="quartic", method="sgd", noise="none", K=30, R=3, seed=0, record="all", record_x=True,
                 x0=np.array([[0.5], [3.0], [0.8]]), method_params={"lr": 0.1})  # fmt: skip


def test_divergence_is_recorded_not_raised():
    """sgd with lr 0.1 on x^4 from x0 = 3 overflows (x_{k+1} = x_k - 0.4 x_k^3); from 0.5 and 0.8 it converges."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = sims.simulate(**DIVERGING)
    reference = naive.run_replicates("quartic", "sgd", "none", 30, 3, 0, DIVERGING["x0"], method_params={"lr": 0.1})
    naive.assert_matches(result, reference)
    k_div = int(result.diverged_step[1])
    assert result.diverged.tolist() == [False, True, False]
    assert result.diverged_step.tolist() == [-1, k_div, -1] and 0 < k_div < 30
    for m in METRICS:
        rec = result.records[m]
        assert np.all(np.isnan(rec[k_div:, 1])), m
        if m not in ("clip_fraction", "local_smoothness"):  # nan by definition at k = 0, resp. k = K
            assert np.all(np.isfinite(rec[:k_div, 1])), m
            assert np.all(np.isfinite(rec[:, [0, 2]])), m
    assert np.all(np.isnan(result.x[k_div:, 1]))

    grad = result.values("grad_norm")
    assert grad[1] == math.inf and np.all(np.isfinite(grad[[0, 2]]))
    before = result.values("grad_norm", step=k_div - 1)
    assert np.all(np.isfinite(before)) and before[1] == result.records["grad_norm"][k_div - 1, 1]
    assert result.values("grad_norm", step=k_div)[1] == math.inf
    assert result.values("f_gap", diverged_as=-1.0)[1] == -1.0
    assert result.mean("grad_norm") == math.inf
    assert math.isfinite(result.mean("grad_norm", step=k_div - 1))
    assert result.n_diverged == 1 and result.summary()["n_diverged"] == 1


def test_divergence_leaves_other_replicates_untouched():
    together = sims.simulate(**DIVERGING)
    for r in (0, 2):
        alone = sims.simulate(**{**DIVERGING, "R": 1, "x0": DIVERGING["x0"][r]})
        for m in METRICS:
            _assert_bitwise_equal(together.records[m][:, r], alone.records[m][:, 0], m)
        _assert_bitwise_equal(together.x[:, r], alone.x[:, 0], "x")


# ----------------------------------------------------------------------------- memory


def test_memory_does_not_grow_with_K():
    """Only the recorded grid is stored: K = 10^6 allocates O(log K) records, far below one double per step."""
    config = dict(objective="quadratic", method="sgd", noise="none", R=2, seed=1, record_x=True, threads=1,
                  method_params={"lr": 1e-6})  # fmt: skip
    sims.simulate(K=10, **config)  # compile outside the measurement
    K = 10**6
    tracemalloc.start()
    try:
        result = sims.simulate(K=K, **config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    n_rec = len(result.steps)
    assert n_rec <= 20 * math.log10(K + 1) + 2
    assert n_rec == len(sims.record_grid(K))
    assert all(v.shape == (n_rec, 2) for v in result.records.values())
    assert result.x.shape == (n_rec, 2, 1)
    assert result.steps[-1] == K and not result.diverged.any()
    # one double per step of one replicate would already be 8 MB
    assert peak < 1_000_000, f"peak traced allocation {peak} bytes"


# ----------------------------------------------------------------------------- record grid


@pytest.mark.parametrize("K", [1, 2, 19, 20, 21, 1000, 12345, 10**6])
@pytest.mark.parametrize("record", ["geometric", "all", 2, 5, 50])
def test_record_grid_contract(K, record):
    steps = sims.record_grid(K, record)
    assert steps.dtype == np.int64 and steps.ndim == 1
    assert steps[0] == 0 and steps[-1] == K
    assert np.all(np.diff(steps) > 0)  # sorted and unique
    if record == "all" or (record == "geometric" and K <= 20):
        np.testing.assert_array_equal(steps, np.arange(K + 1))
    if record == "geometric":
        assert len(steps) <= int(20 * max(1.0, math.log10(K + 1))) + 1
    if isinstance(record, int):
        if record >= K + 1:
            np.testing.assert_array_equal(steps, np.arange(K + 1))
        else:
            assert len(steps) <= record


def test_record_grid_geometric_has_about_twenty_steps_per_decade():
    steps = sims.record_grid(10**6)
    for lo in (10**2, 10**3, 10**4, 10**5):
        in_decade = np.sum((steps >= lo) & (steps < 10 * lo))
        assert 18 <= in_decade <= 22, (lo, in_decade)


def test_record_grid_arrays():
    np.testing.assert_array_equal(sims.record_grid(10, np.array([7, 3, 3, 9])), [0, 3, 7, 9, 10])
    np.testing.assert_array_equal(sims.record_grid(10, [0, 10]), [0, 10])
    np.testing.assert_array_equal(sims.record_grid(10, np.array([5], dtype=np.int32)), [0, 5, 10])
    assert sims.record_grid(10, 11).tolist() == list(range(11))


@pytest.mark.parametrize(
    "record, message",
    [
        ("every", "record must be"),
        (1, ">= 2"),
        (0, ">= 2"),
        (True, "1-D array"),
        (np.array([1.5, 2.0]), "integer steps"),
        (np.array([[1, 2]]), "1-D"),
        (np.array([], dtype=np.int64), "1-D"),
        (np.array([-1, 3]), r"\[0, K\]"),
        (np.array([3, 11]), r"\[0, K\]"),
    ],
)
def test_record_grid_rejects_bad_values(record, message, no_work):
    with pytest.raises(InvalidParameter, match=message):
        sims.record_grid(10, record)
    with pytest.raises(InvalidParameter, match=message):
        sims.simulate("quadratic", "sgd", "none", 10, 1, 0, record=record)


# ----------------------------------------------------------------------------- bad input

GOOD = dict(objective="quadratic", method="clipped_sgd", noise="stable", K=10, R=2, seed=0)

# (overrides of GOOD, regular expression the message must match)
BAD_INPUTS = [
    ({"noise_params": {"alpha": 0.0}}, r"'alpha'.*\[0.2, 2\]"),
    ({"noise_params": {"alpha": 2.5}}, r"'alpha'.*\[0.2, 2\]"),
    ({"noise_params": {"alpha": math.nan}}, r"'alpha'.*\[0.2, 2\]"),
    ({"noise_params": {"beta": -1.5}}, r"'beta'.*\[-1, 1\]"),
    ({"noise_params": {"beta": 1.01}}, r"'beta'.*\[-1, 1\]"),
    ({"noise_params": {"scale": 0.0}}, r"'scale'.*\(0, inf\)"),
    ({"noise": "gaussian", "noise_params": {"scale": -1.0}}, r"'scale'.*\(0, inf\)"),
    ({"noise_params": {"alpha": "big"}}, r"'alpha'.*\[0.2, 2\]"),
    ({"method": "l0l1_gd", "method_params": {"L0": -0.1}}, r"'L0'.*\[0, inf\)"),
    ({"method": "l0l1_gd", "method_params": {"L1": 0.0}}, r"'L1'.*\(0, inf\)"),
    ({"method_params": {"lr": 0.0}}, r"'lr'.*\(0, inf\)"),
    ({"method_params": {"threshold": -2.0}}, r"'threshold'.*\(0, inf\)"),
    ({"method_params": {"lr": math.inf}}, r"'lr'.*\(0, inf\)"),
    ({"method_params": {"lr": None}}, r"'lr'"),
    ({"method": "acclip", "method_params": {"momentum": 1.0}}, r"'momentum'.*\[0, 1\)"),
    ({"method": "acclip", "method_params": {"moment_order": 0.0}}, r"'moment_order'.*\(0, 2\]"),
    ({"objective_params": {"dim": 0}}, r"'dim'.*integer in \[1, "),
    ({"objective_params": {"dim": 2.5}}, r"'dim'.*integer"),
    ({"objective_params": {"L": -1.0}}, r"'L'.*\(0, inf\)"),
    ({"objective_params": {"cond": 0.5}}, r"'cond'.*\[1, inf\)"),
    ({"objective": "quartic", "objective_params": {"a": 0.0}}, r"'a'.*\(0, inf\)"),
    ({"K": 0}, r"K must be an integer"),
    ({"K": -3}, r"K must be an integer"),
    ({"K": 10.0}, r"K must be an integer"),
    ({"K": True}, r"K must be an integer"),
    ({"R": 0}, r"R must be an integer"),
    ({"R": 1.5}, r"R must be an integer"),
    ({"threads": 0}, r"threads must be an integer"),
    ({"seed": -1}, r"seed.*\[0, 2\*\*64\)"),
    ({"seed": 2**64}, r"seed.*\[0, 2\*\*64\)"),
    ({"seed": 1.0}, r"seed.*\[0, 2\*\*64\)"),
    ({"seed": "1"}, r"seed.*\[0, 2\*\*64\)"),
    ({"seed": True}, r"seed.*\[0, 2\*\*64\)"),
    ({"x0": math.nan}, r"x0 must be finite"),
    ({"x0": np.array([[1.0], [math.inf]])}, r"x0 must be finite"),
    ({"x0": np.ones(2), "objective_params": {"dim": 3}}, r"x0 must have shape \(3,\) or \(2, 3\)"),
    ({"x0": np.ones((3, 1))}, r"x0 must have shape \(1,\) or \(2, 1\)"),
    ({"x0": "origin"}, r"x0 must be a number"),
    ({"avg_power": math.nan}, r"avg_power"),
    ({"objective_params": {"lr": 0.1}}, r"unknown parameter.*'lr'.*valid: dim, L, cond"),
    ({"method_params": {"learning_rate": 0.1}}, r"unknown parameter.*'learning_rate'.*valid: lr, threshold, clip_offset"),
    ({"noise": "none", "noise_params": {"scale": 1.0}}, r"unknown parameter.*'scale'.*valid: none"),
    # schedules leaving their range
    ({"method_params": {"lr": PowerSchedule(-0.1, -0.5, 1.0)}}, r"'lr'.*-0\.1.*\(0, inf\)"),
    ({"method": "acclip", "method_params": {"momentum": PowerSchedule(0.5, 0.5, 1.0)}}, r"'momentum'.*\[0, 1\)"),
    ({"method_params": {"lr": np.array([0.1] * 9 + [-0.1])}}, r"'lr'.*-0\.1.*\(0, inf\)"),
    ({"method_params": {"lr": np.array([0.1] * 9 + [math.nan])}}, r"'lr'.*\(0, inf\)"),
    ({"method_params": {"lr": np.full(9, 0.1)}}, r"'lr'.*length K = 10, got 9"),
    ({"method_params": {"lr": np.full(11, 0.1)}}, r"'lr'.*length K = 10, got 11"),
    ({"method_params": {"lr": lambda K: np.full(K + 1, 0.1)}}, r"'lr'.*length K = 10"),
    ({"method_params": {"threshold": lambda K: -1.0}}, r"'threshold'.*\(0, inf\)"),
    ({"method_params": {"lr": np.full((10, 1), 0.1)}}, r"'lr'"),
]


def _with(overrides):
    config = {**GOOD, **overrides}
    return {k: v for k, v in config.items() if k not in ("objective", "method", "noise", "K", "R", "seed")}, (
        config["objective"], config["method"], config["noise"], config["K"], config["R"], config["seed"])  # fmt: skip


def _case_id(overrides) -> str:
    # no memory addresses (of the lambdas) in test ids: ids must be the same in every process
    return re.sub(r" at 0x[0-9a-f]+", "", ",".join(f"{k}={v!r}" for k, v in overrides.items()))[:60]


@pytest.mark.parametrize("overrides, message", BAD_INPUTS, ids=[_case_id(o) for o, _ in BAD_INPUTS])
def test_simulate_rejects_bad_input_before_any_work(overrides, message, no_work):
    kwargs, args = _with(overrides)
    with pytest.raises(InvalidParameter, match=message):
        sims.simulate(*args, **kwargs)


@pytest.mark.parametrize("kind, registry", [("objective", sims.OBJECTIVES), ("method", sims.METHODS), ("noise", sims.LAWS)])
def test_unknown_names_list_the_valid_ones(kind, registry, no_work):
    kwargs, args = _with({kind: "no_such_thing"})
    with pytest.raises(InvalidParameter, match="unknown.*'no_such_thing'") as info:
        sims.simulate(*args, **kwargs)
    assert all(name in str(info.value) for name in registry)


def test_valid_edge_values_are_accepted():
    """The closed ends of the declared ranges are valid (alpha = 2, beta = +-1, L0 = 0, seed = 2**64 - 1)."""
    for overrides in ({"noise_params": {"alpha": 2.0, "beta": 1.0}}, {"noise_params": {"beta": -1.0}},
                      {"method": "l0l1_gd", "method_params": {"L0": 0.0}}, {"seed": 2**64 - 1},
                      {"seed": np.uint64(2**64 - 1)}, {"x0": np.ones((2, 1))}, {"K": 1, "R": 1}):  # fmt: skip
        kwargs, args = _with(overrides)
        result = sims.simulate(*args, **kwargs)
        assert not result.diverged.any()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(law="stable", n=5, seed=0, alpha=2.5), r"'alpha'.*\[0.2, 2\]"),
        (dict(law="stable", n=5, seed=0, beta=-2.0), r"'beta'.*\[-1, 1\]"),
        (dict(law="gaussian", n=5, seed=0, scale=0.0), r"'scale'.*\(0, inf\)"),
        (dict(law="gaussian", n=5, seed=0, width=1.0), r"unknown parameter.*'width'.*valid: scale"),
        (dict(law="cauchy_like", n=5, seed=0), r"unknown noise law 'cauchy_like'; valid: .*gaussian.*stable"),
        (dict(law="stable", n=0, seed=0), r"n must be an integer >= 1"),
        (dict(law="stable", n=2.0, seed=0), r"n must be an integer >= 1"),
        (dict(law="stable", n=5, seed=-1), r"seed.*\[0, 2\*\*64\)"),
        (dict(law="stable", n=5, seed=0, dim=0), r"dim must be an integer >= 1"),
        (dict(law="stable", n=5, seed=0, replicate=-1), r"replicate.*\[0, 2\*\*32\)"),
        (dict(law="stable", n=5, seed=0, replicate=2**32), r"replicate.*\[0, 2\*\*32\)"),
    ],
)
def test_sample_noise_rejects_bad_input_before_any_work(kwargs, message, no_work):
    law = kwargs.pop("law")
    n = kwargs.pop("n")
    with pytest.raises(InvalidParameter, match=message):
        sims.sample_noise(law, n, **kwargs)


# ----------------------------------------------------------------------------- result object


@pytest.fixture(scope="module")
def plain_result():
    return sims.simulate("quadratic", "clipped_sgd", "stable", 100, 9, 4, objective_params={"dim": 2},
                         method_params={"lr": 0.1})  # fmt: skip


def test_result_values_mean_quantiles(plain_result):
    res = plain_result
    assert res.R == 9 and res.n_diverged == 0
    last = res.records["grad_norm"][-1]
    np.testing.assert_array_equal(res.values("grad_norm"), last)
    k = int(res.steps[3])
    np.testing.assert_array_equal(res.values("f_gap", step=k), res.records["f_gap"][3])
    assert res.mean("grad_norm") == pytest.approx(np.mean(last), rel=1e-15)
    assert res.mean("f_gap", step=k) == pytest.approx(np.mean(res.records["f_gap"][3]), rel=1e-15)
    q = res.quantiles("grad_norm", q=(0.1, 0.5, 0.9))
    np.testing.assert_allclose(q, [naive.quantile_with_inf(last, p) for p in (0.1, 0.5, 0.9)], rtol=1e-14)
    assert res.quantiles("avg_grad_norm", q=0.5, step=k) == pytest.approx(np.median(res.records["avg_grad_norm"][3]))
    # values() returns a copy
    res.values("grad_norm")[:] = -1.0
    np.testing.assert_array_equal(res.records["grad_norm"][-1], last)


def test_result_rejects_unknown_metric_and_unrecorded_step(plain_result):
    with pytest.raises(InvalidParameter, match="unknown metric 'loss'; valid: grad_norm"):
        plain_result.values("loss")
    unrecorded = int(np.setdiff1d(np.arange(101), plain_result.steps)[0])
    with pytest.raises(InvalidParameter, match=f"step {unrecorded} was not recorded"):
        plain_result.values("grad_norm", step=unrecorded)
    with pytest.raises(InvalidParameter, match="step 101 was not recorded"):
        plain_result.mean("grad_norm", step=101)


def test_summary_keys_and_values(plain_result):
    s = plain_result.summary()
    assert set(s) == {"K", "R", "final_grad_norm_quantiles", "final_f_gap_quantiles", "n_diverged", "wall_time_s"}
    assert s["K"] == 100 and s["R"] == 9 and s["n_diverged"] == 0 and s["wall_time_s"] >= 0.0
    for key, metric in (("final_grad_norm_quantiles", "grad_norm"), ("final_f_gap_quantiles", "f_gap")):
        assert set(s[key]) == {"q10", "q50", "q90"}
        expected = [naive.quantile_with_inf(plain_result.values(metric), q) for q in (0.1, 0.5, 0.9)]
        np.testing.assert_allclose([s[key]["q10"], s[key]["q50"], s[key]["q90"]], expected, rtol=1e-14)


def test_quantiles_count_diverged_replicates_as_inf():
    """With a diverged replicate the values are (a, inf, c): quantiles must treat +inf as the largest value.

    The median of {a, c, +inf} is max(a, c); q = 0.1 interpolates between the
    two finite values; q = 0.9 puts weight on +inf, so it is +inf.
    """
    result = sims.simulate(**DIVERGING)
    vals = result.values("grad_norm")
    for q in (0.1, 0.5, 0.9):
        assert result.quantiles("grad_norm", q=q) == pytest.approx(naive.quantile_with_inf(vals, q), rel=1e-14), q
    summary = result.summary()["final_grad_norm_quantiles"]
    assert summary["q50"] == pytest.approx(naive.quantile_with_inf(vals, 0.5), rel=1e-14)
    assert summary["q90"] == math.inf


def test_config_records_the_resolved_run(plain_result):
    c = plain_result.config
    assert (c["objective"], c["method"], c["noise"], c["K"], c["R"], c["seed"], c["dim"]) == (
        "quadratic", "clipped_sgd", "stable", 100, 9, 4, 2)  # fmt: skip
    assert c["method_params"]["lr"] == 0.1 and c["noise_params"] == sims.LAWS["stable"].resolve({})
    rerun = sims.simulate(c["objective"], c["method"], c["noise"], c["K"], c["R"], c["seed"], np.array(c["x0"]),
                          objective_params=c["objective_params"], method_params=c["method_params"],
                          noise_params=c["noise_params"], avg_power=c["avg_power"])  # fmt: skip
    _assert_bitwise_equal(rerun.records["grad_norm"], plain_result.records["grad_norm"], "rerun")


# ----------------------------------------------------------------------------- block engine invariants
# sims.engine._run_block advances blocks of replicates together; a replicate that diverges stays in
# its block, keeps being computed, and is restored at the end of each chunk.


@pytest.mark.parametrize("threads", [1, 2])
def test_diverged_replicate_keeps_its_divergence_point_and_spares_its_block(threads):
    """final_x of a diverged replicate is the iterate at which it diverged; the others are untouched.

    sgd with lr 0.1 on x^4 from x0 = 3 overflows (x <- x - 0.4 x^3); the other starts converge.  A
    run with horizon K = k_div ends exactly at the diverging iterate; a run without the diverging
    replicate gives the others' values.  Many steps after the divergence (several chunks of the
    engine) make the restore at every chunk boundary matter.
    """
    starts = np.array([[0.5], [3.0], [0.8], [0.2], [0.6]])
    common = dict(objective="quartic", method="sgd", noise="none", seed=0, record="all", threads=threads,
                  method_params={"lr": 0.1})  # fmt: skip
    res = sims.simulate(**common, K=3000, R=5, x0=starts)
    assert list(res.diverged) == [False, True, False, False, False]
    k_div = int(res.diverged_step[1])
    assert 0 < k_div < 20
    at_divergence = sims.simulate(**common, K=k_div, R=1, x0=starts[1:2])
    assert at_divergence.diverged_step[0] == k_div
    np.testing.assert_array_equal(res.final_x[1], at_divergence.final_x[0])
    others = sims.simulate(**common, K=3000, R=4, x0=starts[[0, 2, 3, 4]])
    np.testing.assert_array_equal(res.final_x[[0, 2, 3, 4]], others.final_x)
    for metric in sims.METRICS:
        np.testing.assert_array_equal(res.records[metric][:, [0, 2, 3, 4]], others.records[metric], err_msg=metric)
        assert np.all(np.isnan(res.records[metric][k_div:, 1])), metric
