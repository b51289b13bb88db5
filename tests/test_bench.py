"""Tests of the benchmark module: its NumPy baselines compute what the engine computes,
and ``run_bench`` produces the documented JSON.  Nothing here is timed."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from scipy import stats

import sims
from sims.bench import (
    BATCHES,
    TARGETS,
    THREADS,
    NumpyStableSampler,
    _ks_critical,
    _start_times,
    numpy_clipped_sgd_quartic,
    numpy_stable_sample,
    run_bench,
)
from sims.params import InvalidParameter

DEFAULT = dict(lr=0.01, threshold=1.0, clip_offset=0.0, a=1.0, scale=1.0)
# larger steps, an offset, a != 1 and scale != 1: exercises every branch,
# including unclipped steps (threshold above most stochastic gradients near 0)
GENERAL = dict(lr=0.05, threshold=2.0, clip_offset=0.5, a=0.5, scale=0.3)


def _engine_noise(K, R, d, seed, scale):
    """The engine's noise realisation as an array (K, R, d): replicate r's stream is sample_noise(replicate=r)."""
    per_rep = [sims.sample_noise("stable", K, seed=seed, dim=d, replicate=r, alpha=1.5, scale=scale) for r in range(R)]
    return np.stack(per_rep, axis=1)


def _engine_run(K, R, d, seed, p):
    return sims.simulate(
        "quartic", "clipped_sgd", "stable", K=K, R=R, seed=seed,
        objective_params={"dim": d, "a": p["a"]},
        method_params={"lr": p["lr"], "threshold": p["threshold"], "clip_offset": p["clip_offset"]},
        noise_params={"alpha": 1.5, "scale": p["scale"]}, threads=1,
    )  # fmt: skip


@pytest.mark.parametrize("params", [DEFAULT, GENERAL], ids=["default", "general"])
@pytest.mark.parametrize("d", [1, 3, 16])
def test_numpy_baseline_matches_engine_on_the_same_noise(params, d):
    """Fed the engine's noise, the NumPy baseline reproduces every recorded metric.

    The only differences are reassociated sums (NumPy sums rows pairwise, the
    kernel sequentially; d = 16 triggers this), ~1e-16 relative per step on a
    contracting trajectory, so 1e-9 relative is far above rounding and far
    below any algorithmic discrepancy.
    """
    K, R, seed = 300, 5, 11
    res = _engine_run(K, R, d, seed, params)
    out = numpy_clipped_sgd_quartic(
        K, R, d, seed=0, alpha=1.5, noise=_engine_noise(K, R, d, seed, params["scale"]), **params
    )
    np.testing.assert_array_equal(out["steps"], res.steps)
    np.testing.assert_array_equal(out["diverged_step"], res.diverged_step)
    for metric in sims.METRICS:
        np.testing.assert_allclose(out["records"][metric], res.records[metric], rtol=1e-9, atol=0, err_msg=metric)
    # the comparison covered both branches of the clipping rule (for GENERAL) and non-trivial values
    clip = res.records["clip_fraction"][-1]
    assert np.all(clip > 0)
    if params is GENERAL:
        assert np.all(clip < 1)
    assert np.all(np.isfinite(res.records["local_smoothness"][:-1]))


def test_numpy_baseline_divergence_rule():
    """An infinite noise value at step k0 makes x_{k0+1} nan: that replicate diverges at k0 + 1.

    Its records stay as they were before k0 and are nan from k0 + 1 on; the
    other replicates are untouched (the engine's documented rule).
    """
    K, R, d, k0, r0 = 40, 4, 2, 10, 2
    noise = _engine_noise(K, R, d, 3, 1.0)
    base = numpy_clipped_sgd_quartic(K, R, d, seed=0, noise=noise)
    noise[k0, r0, 0] = np.inf
    out = numpy_clipped_sgd_quartic(K, R, d, seed=0, noise=noise)
    expected_div = np.full(R, -1)
    expected_div[r0] = k0 + 1
    np.testing.assert_array_equal(out["diverged_step"], expected_div)
    steps = out["steps"]
    others = np.arange(R) != r0
    for metric in sims.METRICS:
        new, old = out["records"][metric], base["records"][metric]
        np.testing.assert_array_equal(new[:, others], old[:, others])
        np.testing.assert_array_equal(new[steps < k0, r0], old[steps < k0, r0])
        assert np.all(np.isnan(new[steps > k0, r0])), metric
    assert base["diverged_step"].max() == -1


@pytest.mark.parametrize("alpha", [1.5, 1.0, 2.0])
def test_numpy_stable_sampler_matches_the_law(alpha):
    """Empirical cdf of the chunked NumPy CMS sampler against scipy's S1 cdf (Cauchy / normal at 1 and 2).

    Each of the 9 points is off by more than 6 binomial standard errors with
    probability ~2e-9 (normal approximation; n = 40000), ~5e-8 over the test.
    """
    n, scale = 40_000, 2.0
    # chunk 3000: 13 full chunks and a partial one
    x = numpy_stable_sample(n, alpha=alpha, seed=5, scale=scale, chunk=3000)
    assert x.shape == (n,) and np.all(np.isfinite(x))
    points = scale * np.array([-5.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 5.0])
    if alpha == 1.0:
        cdf = stats.cauchy.cdf(points, scale=scale)
    elif alpha == 2.0:
        cdf = stats.norm.cdf(points, scale=math.sqrt(2.0) * scale)
    else:
        cdf = stats.levy_stable.cdf(points, alpha, 0.0, scale=scale)
    empirical = (x[:, None] <= points).mean(axis=0)
    se = np.sqrt(cdf * (1 - cdf) / n)
    assert np.all(np.abs(empirical - cdf) <= 6 * se), (empirical, cdf)


def test_numpy_stable_sampler_fill_shapes_and_validation():
    sampler = NumpyStableSampler(1.5, 1.0, 12, seed=1)
    out = np.full((3, 4), np.nan)
    sampler.fill(out)
    assert np.all(np.isfinite(out))
    part = np.full(5, np.nan)
    sampler.fill(part)  # fewer values than the buffers hold
    assert np.all(np.isfinite(part))
    with pytest.raises(InvalidParameter, match="size"):
        sampler.fill(np.empty(13))
    with pytest.raises(InvalidParameter, match="contiguous"):
        sampler.fill(np.empty((4, 4))[:, :2])
    with pytest.raises(InvalidParameter, match="alpha"):
        NumpyStableSampler(2.5, 1.0, 4, seed=1)
    with pytest.raises(InvalidParameter, match="scale"):
        numpy_stable_sample(10, alpha=1.5, seed=1, scale=0.0)
    with pytest.raises(InvalidParameter, match="n must"):
        numpy_stable_sample(0, alpha=1.5, seed=1)


def test_numpy_baseline_validation():
    with pytest.raises(InvalidParameter, match="K must"):
        numpy_clipped_sgd_quartic(0, 2, 2, seed=0)
    with pytest.raises(InvalidParameter, match="lr"):
        numpy_clipped_sgd_quartic(5, 2, 2, seed=0, lr=-1.0)
    with pytest.raises(InvalidParameter, match="'a'"):
        numpy_clipped_sgd_quartic(5, 2, 2, seed=0, a=0.0)
    with pytest.raises(InvalidParameter, match="noise must have shape"):
        numpy_clipped_sgd_quartic(5, 2, 2, seed=0, noise=np.zeros((5, 2, 3)))
    with pytest.raises(InvalidParameter, match="seed"):
        numpy_clipped_sgd_quartic(5, 2, 2, seed=-1)


def test_ks_critical_value_has_the_stated_false_alarm():
    """sqrt(nm/(n+m)) * critical is the (1 - p) quantile of Kolmogorov's limit law."""
    n, m, p = 1000, 3000, 1e-6
    c = _ks_critical(n, m, p) * math.sqrt(n * m / (n + m))
    assert stats.kstwobign.sf(c) == pytest.approx(p, rel=1e-6)


def test_run_bench_validates_its_arguments():
    with pytest.raises(InvalidParameter, match="quick"):
        run_bench(quick="yes")
    with pytest.raises(InvalidParameter, match="json_path"):
        run_bench(json_path=3, quick=True)


def test_run_bench_quick_writes_the_documented_json(tmp_path):
    """Smoke test at tiny sizes: structure and internal consistency, not speed."""
    path = tmp_path / "bench.json"
    text = io.StringIO()
    result = run_bench(json_path=path, quick=True, stream=text)
    saved = json.loads(path.read_text())
    assert saved == json.loads(json.dumps(result))  # the file is the returned dict
    assert saved["quick"] is True

    s = saved["sampler"]
    for key in ("samples_per_s_per_core", "numpy_samples_per_s", "scipy_samples_per_s"):
        assert s[key] > 0 and math.isfinite(s[key])
    assert s["vs_scipy"] == pytest.approx(s["samples_per_s_per_core"] / s["scipy_samples_per_s"])
    assert s["vs_numpy"] == pytest.approx(s["samples_per_s_per_core"] / s["numpy_samples_per_s"])
    # three samplers of one law: false alarm <= 3e-6 (KS_FALSE_ALARM per pair); seeds are fixed
    assert s["agreement"]["agree"]
    assert set(s["agreement"]["quantiles"]) == {"sims", "numpy", "scipy"}

    numpy_rate = {row["batch"]: row["coord_steps_per_s"] for row in saved["numpy_baseline"]}
    assert sorted(numpy_rate) == sorted(R * d for R, d in BATCHES) == [64, 4096]
    rows = saved["engine"]
    assert sorted((r["batch"], r["threads"]) for r in rows) == sorted((b, t) for b in numpy_rate for t in THREADS)
    for r in rows:
        assert r["batch"] == r["R"] * r["d"] and r["K"] >= 1
        assert r["coord_steps_per_s"] > 0 and r["kernel_coord_steps_per_s"] >= r["coord_steps_per_s"]
        assert r["ratio_vs_numpy"] == pytest.approx(r["coord_steps_per_s"] / numpy_rate[r["batch"]])
        # the ratio target compares equal numbers of cores: one thread against NumPy's one core
        if r["threads"] == 1:
            assert r["target_ratio"] == TARGETS["engine_vs_numpy"][r["batch"]]
            assert r["meets_target"] == (r["ratio_vs_numpy"] >= r["target_ratio"])
        else:
            assert r["target_ratio"] is None and r["meets_target"] is None
        assert r["n_diverged"] == 0
    for r in saved["engine_without_noise"]:
        assert r["noise_free_coord_steps_per_s"] > 0 and 0.0 <= r["noise_time_fraction"] < 1.0
    rate = {(r["batch"], r["threads"]): r["coord_steps_per_s"] for r in rows}
    assert [r["batch"] for r in saved["scaling"]] == [64, 4096]
    for r in saved["scaling"]:
        assert r["speedup"] == pytest.approx(rate[r["batch"], 2] / rate[r["batch"], 1])
        assert r["target"] == TARGETS["engine_scaling_2_threads"]
        assert r["met"] == (r["speedup"] >= r["target"])
        factors = (r["split_efficiency"], r["machine_two_core_speedup"], r["threading_efficiency"])
        assert all(f > 0 for f in factors)
        assert math.prod(factors) == pytest.approx(r["speedup"])

    # quick mode does not pay for a cold compilation in a fresh process
    assert saved["start_times"] is None and saved["compile_s"] is None and saved["warm_start_s"] is None
    n_engine_targets = sum(r["target_ratio"] is not None for r in rows)
    assert n_engine_targets == len(BATCHES)
    assert len(saved["targets"]) == 2 + n_engine_targets + len(saved["scaling"])
    assert all(t["met"] == (t["value"] >= t["target"]) for t in saved["targets"])

    m = saved["machine"]
    assert m["cpu_count"] >= 1 and m["numpy"] == np.__version__ and m["numba"]
    printed = text.getvalue()
    for needle in ("QUICK MODE", "sims.sample_noise", "scipy.stats.levy_stable.rvs", "NumPy (vectorised)", "JIT", "threading"):
        assert needle in printed


# A stand-in for the start-up script: no compilation, fixed timings, and the cache directory it was given.
_FAKE_START = """
import json, os, sys
kw = json.loads(sys.argv[1])
assert kw["noise_params"]["alpha"] == 1.5
cache = os.environ["SANDBOX_NUMBA_CACHE_DIR"]
first = not os.path.exists(os.path.join(cache, "seen"))
open(os.path.join(cache, "seen"), "w").close()
print("noise before the result line")
print(json.dumps({"import_s": 0.5, "first_simulate_s": 9.0 if first else 0.25, "first_sample_noise_s": 0.125,
                  "cache_key": "k"}))
"""


def test_start_times_runs_a_cold_then_a_warm_process_on_one_fresh_cache():
    """The start-up timing's plumbing (the real script compiles everything: only the real bench runs it)."""
    times = _start_times(_FAKE_START)
    assert times["cold"]["first_simulate_s"] == 9.0  # the cache directory started empty
    assert times["warm"]["first_simulate_s"] == 0.25  # and the second process saw what the first left
    assert times["cold"]["cache_key"] == times["warm"]["cache_key"]
