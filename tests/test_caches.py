"""The on-disk caches: reuse, and corrupt entries recomputed rather than trusted."""

import numpy as np

from checks.core import Check, Profile, Row, run_checks
from plots.core import SweepCache


def test_sweep_cache_reuses_and_recomputes_corrupt_entries(tmp_path):
    cache = SweepCache(tmp_path)
    calls = []

    def compute():
        calls.append(1)
        return {"x": np.arange(5.0)}

    cfg = {"figure": "t", "n": 5}
    np.testing.assert_array_equal(cache.get(cfg, compute)["x"], np.arange(5.0))
    np.testing.assert_array_equal(cache.get(cfg, compute)["x"], np.arange(5.0))
    assert len(calls) == 1  # the second call was served from disk
    path = tmp_path / f"{SweepCache.key(cfg)}.npz"
    # flip bytes inside the stored array: the checksum no longer matches
    data = bytearray(path.read_bytes())
    data[-200] ^= 0xFF
    path.write_bytes(bytes(data))
    np.testing.assert_array_equal(cache.get(cfg, compute)["x"], np.arange(5.0))
    assert len(calls) == 2
    # a truncated file is recomputed too
    path.write_bytes(path.read_bytes()[:50])
    cache.get(cfg, compute)
    assert len(calls) == 3


def test_check_runner_resumes_from_cache_and_ignores_corrupt_entries(tmp_path):
    calls = []

    def run(profile, seed):
        calls.append(seed)
        return [Row(check="t/c", theorem="t", instance="i", parameter="p", measured=1.0, predicted=2.0, verdict="complies", reason="r")]

    check = Check(name="t/c", theorem="t", run=run, description="d")
    profile = Profile("tiny", replicates=2, horizons=(10, 20), alphas=(1.5,), n_boot=10, deterministic_points=1)
    first = run_checks([check], profile, seed=3, cache_dir=tmp_path)
    again = run_checks([check], profile, seed=3, cache_dir=tmp_path)
    assert calls == [3] and first == again
    (entry,) = tmp_path.glob("*.json")
    entry.write_text("{not json")
    run_checks([check], profile, seed=3, cache_dir=tmp_path)
    assert calls == [3, 3]
    run_checks([check], profile, seed=4, cache_dir=tmp_path)  # another seed is another entry
    assert calls == [3, 3, 4]
