"""The project's one cache and output module (:mod:`sandbox.cache`) and the caches built on it.

* keys cover every source file a result depends on, recursively, by content: the tests point the
  digest at a temporary copy of the tree (``SOURCE_ROOT``) and edit the copy, never the real files;
* entries are served only when their checksum and their key match (tampered, emptied, or copied
  over another entry: recomputed);
* an unusable cache warns once and the run continues uncached with correct results;
* bad output paths are refused, naming the option, before any work, and nothing leaves a ``.tmp``.
"""

import dataclasses
import json
import math
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import sandbox.cache as cache_mod
from checks.core import Check, Profile, Row, run_checks
from plots.core import SweepCache
from sandbox.cache import (
    CHECK_SOURCES,
    KERNEL_SOURCES,
    SWEEP_SOURCES,
    CacheUnavailable,
    ResultCache,
    cache_root,
    check_output_path,
    dumps_json,
    numba_cache_base,
    numba_cache_enabled,
    source_digest,
    write_bytes_atomic,
    write_json_atomic,
)
from sandbox.errors import InvalidParameter
from sims._numba import _defines_compiled_code

PROFILE = Profile("tiny", replicates=2, horizons=(10, 20), alphas=(1.5,), n_boot=10, deterministic_points=1)
PACKAGES = ("sims", "theory", "checks", "plots", "sandbox")


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A copy of the project's packages that the digest reads instead of the real tree."""
    root = tmp_path / "tree"
    for pkg in PACKAGES:
        shutil.copytree(cache_mod.SOURCE_ROOT / pkg, root / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache_mod, "SOURCE_ROOT", root)
    return root


def touch(path: Path) -> None:
    """Change a file's content (not only its time stamp)."""
    path.write_bytes(path.read_bytes() + b"\n# edited\n")


@pytest.fixture
def unwritable(tmp_path):
    """A directory in which no file can be created (``/sys`` when running as root)."""
    if os.geteuid() != 0:
        d = tmp_path / "read-only"
        d.mkdir()
        d.chmod(0o555)
        yield d
        d.chmod(0o755)
        return
    probe = Path("/sys") / ".sandbox-probe"
    try:
        probe.mkdir()
    except OSError:
        yield Path("/sys")
        return
    probe.rmdir()  # pragma: no cover
    pytest.skip("no unwritable directory available as root")  # pragma: no cover


def counting_check(name="t/c", verdict="complies", measured=1.0):
    calls = []

    def run(profile, seed):
        calls.append(seed)
        return [Row(check=name, theorem="t", instance="i", parameter="p", measured=measured, predicted=2.0, verdict=verdict,
                    reason="r", measured_ci=(0.5, 1.5), worst_ratio=math.inf)]

    return Check(name=name, theorem="t", run=run, description="d"), calls


def counting_compute(value=5.0):
    calls = []

    def compute():
        calls.append(1)
        return {"x": np.arange(value), "y": np.float64(value)}

    return compute, calls


# ----------------------------------------------------------------------------- locations and JSON


def test_cache_root_and_numba_locations(monkeypatch, tmp_path):
    for var in ("SANDBOX_CACHE_DIR", "XDG_CACHE_HOME", "SANDBOX_NUMBA_CACHE_DIR", "SANDBOX_NUMBA_CACHE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "clipping-sandbox"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "clipping-sandbox"
    monkeypatch.setenv("SANDBOX_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_root() == tmp_path / "explicit"
    assert numba_cache_base() == tmp_path / "explicit" / "numba"  # the kernels live under the one root
    assert SweepCache.default().directory == tmp_path / "explicit" / "sweeps"
    monkeypatch.setenv("SANDBOX_NUMBA_CACHE_DIR", str(tmp_path / "kernels"))
    assert numba_cache_base() == tmp_path / "kernels"
    assert numba_cache_enabled()
    monkeypatch.setenv("SANDBOX_NUMBA_CACHE", "0")
    assert not numba_cache_enabled()


def test_importing_the_cache_module_imports_nothing_heavy():
    code = "import sys, sandbox.cache; heavy = {'numpy', 'numba', 'scipy', 'sympy'} & set(sys.modules); print(sorted(heavy))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cache_mod.SOURCE_ROOT)
    assert out.stdout.strip() == "[]"


def test_json_encoder_is_one_convention():
    @dataclasses.dataclass
    class D:
        a: float
        b: tuple

    payload = {"f32": np.float32(1.5), "i": np.int64(3), "arr": np.arange(3.0), "dc": D(math.inf, (1, 2)),
               "nan": math.nan, "ninf": -math.inf, "set": {2, 1}, "path": Path("a/b")}
    back = json.loads(dumps_json(payload))
    assert back["f32"] == 1.5 and back["i"] == 3 and back["arr"] == [0.0, 1.0, 2.0]
    assert back["dc"] == {"a": math.inf, "b": [1, 2]} and math.isnan(back["nan"]) and back["ninf"] == -math.inf
    assert back["set"] == [1, 2] and back["path"] == "a/b"
    with pytest.raises(TypeError, match="object"):
        dumps_json({"x": object()})  # never a repr that changes from run to run


# ----------------------------------------------------------------------------- atomic writes


def test_atomic_writer_leaves_no_tmp_on_interrupt(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    write_json_atomic(target, {"v": 1})

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_mod.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_json_atomic(target, {"v": 2})
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"v": 1}  # the old file is whole
    assert not list(tmp_path.rglob("*.tmp"))
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(OSError):
        write_bytes_atomic(tmp_path / "dir.json", b"x")
    assert not list(tmp_path.rglob("*.tmp"))


# ----------------------------------------------------------------------------- source digest


def test_unchanged_tree_gives_the_same_digest(tree):
    assert source_digest(CHECK_SOURCES) == source_digest(CHECK_SOURCES)
    assert source_digest(SWEEP_SOURCES) != source_digest(CHECK_SOURCES)
    # byte code and hidden files are not sources
    (tree / "checks" / "cases" / "__pycache__").mkdir()
    before = source_digest(CHECK_SOURCES)
    (tree / "checks" / "cases" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (tree / "sims" / ".x.swp").write_bytes(b"\0")
    assert source_digest(CHECK_SOURCES) == before


@pytest.mark.parametrize(
    "edited, checks_change, sweeps_change",
    [
        ("checks/cases/heavy_tail.py", True, True),  # the bug: checks/cases was outside the key
        ("checks/cases/__init__.py", True, True),
        ("checks/core.py", True, True),
        ("sims/engine.py", True, True),
        ("sims/noise.py", True, True),
        ("sims/objectives.py", True, True),
        ("theory/catalog.py", True, True),
        ("sandbox/cache.py", True, True),
        ("plots/noise_tails.py", False, True),
        ("plots/core.py", False, True),
    ],
)
def test_editing_a_source_changes_the_keys_that_depend_on_it(tree, edited, checks_change, sweeps_change):
    checks_before, sweeps_before = source_digest(CHECK_SOURCES), source_digest(SWEEP_SOURCES)
    touch(tree / edited)
    assert (source_digest(CHECK_SOURCES) != checks_before) is checks_change
    assert (source_digest(SWEEP_SOURCES) != sweeps_before) is sweeps_change


def test_adding_or_renaming_a_check_file_changes_the_digest(tree):
    before = source_digest(CHECK_SOURCES)
    new = tree / "checks" / "cases" / "new_case.py"
    new.write_text("X = 1\n")
    added = source_digest(CHECK_SOURCES)
    assert added != before
    new.rename(tree / "checks" / "cases" / "renamed_case.py")
    assert source_digest(CHECK_SOURCES) not in (before, added)


def test_kernel_cache_key_covers_every_kernel_file_and_only_those(tree):
    def digest():
        return source_digest(KERNEL_SOURCES, select=_defines_compiled_code)

    before = digest()
    for name in ("engine.py", "methods.py", "noise.py", "objectives.py", "rng.py", "vecmath.py", "_numba.py"):
        touch(tree / "sims" / name)
        assert digest() != before, name
        before = digest()
    for name in ("cli.py", "bench.py"):  # editing the command line keeps the compiled kernels
        touch(tree / "sims" / name)
        assert digest() == before, name


def test_digest_includes_the_numerical_stack(tree, monkeypatch):
    before = source_digest(CHECK_SOURCES)
    monkeypatch.setattr(cache_mod, "_version", lambda dist: "0.0" if dist == "llvmlite" else "x")
    assert source_digest(CHECK_SOURCES) != before
    with pytest.raises(InvalidParameter, match="nowhere"):
        source_digest(["nowhere"])


# ----------------------------------------------------------------------------- checks cache


def test_check_runner_resumes_from_cache_and_ignores_corrupt_entries(tmp_path):
    check, calls = counting_check()
    first = run_checks([check], PROFILE, seed=3, cache_dir=tmp_path)
    again = run_checks([check], PROFILE, seed=3, cache_dir=tmp_path)
    assert calls == [3] and first == again  # inf and tuples round-trip exactly
    (entry,) = tmp_path.glob("*.json")
    entry.write_text("{not json")
    run_checks([check], PROFILE, seed=3, cache_dir=tmp_path)
    assert calls == [3, 3]
    run_checks([check], PROFILE, seed=4, cache_dir=tmp_path)  # another seed is another entry
    assert calls == [3, 3, 4]


@pytest.mark.parametrize("edited, recomputed", [
    ("checks/cases/controls.py", True),
    ("checks/stats.py", True),
    ("sims/engine.py", True),
    ("sims/rng.py", True),
    ("theory/theorem.py", True),
    ("plots/rate_vs_alpha.py", False),
])
def test_check_entries_are_invalidated_by_the_sources_they_depend_on(tree, tmp_path, edited, recomputed):
    check, calls = counting_check()
    run_checks([check], PROFILE, seed=0, cache_dir=tmp_path / "c")
    run_checks([check], PROFILE, seed=0, cache_dir=tmp_path / "c")
    assert calls == [0]  # an unchanged tree hits
    touch(tree / edited)
    run_checks([check], PROFILE, seed=0, cache_dir=tmp_path / "c")
    assert len(calls) == (2 if recomputed else 1)


def _edit_entry(path: Path, edit) -> None:
    entry = json.loads(path.read_text())
    edit(entry)
    path.write_text(json.dumps(entry))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: e["payload"]["rows"][0].update(verdict="violates"),
        lambda e: e["payload"]["rows"][0].update(measured=1.0000001),
        lambda e: e["payload"].update(rows=[]),
        lambda e: e.clear() or e.update(rows=[]),  # the whole file is {"rows": []}
        lambda e: e.pop("checksum"),
    ],
    ids=["verdict", "number", "rows-emptied", "file-is-rows-only", "no-checksum"],
)
def test_tampered_check_entries_are_recomputed(tmp_path, tamper):
    check, calls = counting_check()
    expected = run_checks([check], PROFILE, seed=0, cache_dir=tmp_path)
    (entry,) = tmp_path.glob("*.json")
    _edit_entry(entry, tamper)
    assert run_checks([check], PROFILE, seed=0, cache_dir=tmp_path) == expected
    assert calls == [0, 0]
    assert run_checks([check], PROFILE, seed=0, cache_dir=tmp_path) == expected  # rewritten: served again
    assert calls == [0, 0]


def test_check_entry_copied_over_another_is_recomputed(tmp_path):
    a, calls_a = counting_check("t/a", verdict="complies")
    b, calls_b = counting_check("t/b", verdict="violates")
    run_checks([a, b], PROFILE, seed=0, cache_dir=tmp_path)
    entry_a, entry_b = sorted(tmp_path.glob("*.json"))
    shutil.copyfile(entry_a, entry_b)  # a valid entry, but of another check
    (row,) = run_checks([b], PROFILE, seed=0, cache_dir=tmp_path)
    assert row.check == "t/b" and row.verdict == "violates" and calls_b == [0, 0]


# ----------------------------------------------------------------------------- sweep cache


def test_sweep_cache_reuses_and_recomputes_corrupt_entries(tmp_path):
    cache = SweepCache(tmp_path)
    compute, calls = counting_compute()
    cfg = {"figure": "t", "n": 5}
    np.testing.assert_array_equal(cache.get(cfg, compute)["x"], np.arange(5.0))
    np.testing.assert_array_equal(cache.get(cfg, compute)["x"], np.arange(5.0))
    assert len(calls) == 1  # the second call was served from disk
    (path,) = tmp_path.glob("*.npz")
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


@pytest.mark.parametrize("edited, recomputed", [
    ("sims/engine.py", True),
    ("sims/noise.py", True),
    ("sims/objectives.py", True),
    ("plots/sgd_vs_clipping.py", True),
    ("checks/cases/heavy_tail.py", True),
    ("theory/stable.py", True),
])
def test_sweep_entries_are_invalidated_by_source_edits(tree, tmp_path, edited, recomputed):
    compute, calls = counting_compute()
    cfg = {"figure": "t", "n": 5}
    SweepCache(tmp_path / "s").get(cfg, compute)
    SweepCache(tmp_path / "s").get(cfg, compute)
    assert len(calls) == 1  # an unchanged tree hits
    touch(tree / edited)
    SweepCache(tmp_path / "s").get(cfg, compute)
    assert len(calls) == (2 if recomputed else 1)


def test_sweep_entry_copied_over_another_is_recomputed(tmp_path):
    cache = SweepCache(tmp_path)
    compute_a, _ = counting_compute(3.0)
    compute_b, calls_b = counting_compute(7.0)
    cache.get({"figure": "a"}, compute_a)
    cache.get({"figure": "b"}, compute_b)
    path_a = tmp_path / f"{cache.key({'figure': 'a'})[:32]}.npz"
    path_b = tmp_path / f"{cache.key({'figure': 'b'})[:32]}.npz"
    shutil.copyfile(path_a, path_b)  # passes its own checksum, but is not b's entry
    got = cache.get({"figure": "b"}, compute_b)
    np.testing.assert_array_equal(got["x"], np.arange(7.0))
    assert float(got["y"]) == 7.0 and len(calls_b) == 2


# ----------------------------------------------------------------------------- unusable caches


def _cache_warnings(record):
    return [w for w in record if issubclass(w.category, CacheUnavailable)]


def test_check_entry_replaced_by_a_directory_warns_once_and_runs_uncached(tmp_path):
    a, calls_a = counting_check("t/a")
    b, calls_b = counting_check("t/b")
    expected = run_checks([a, b], PROFILE, seed=0, cache_dir=tmp_path)
    for entry in tmp_path.glob("*.json"):
        entry.unlink()
        entry.mkdir()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        rows = run_checks([a, b], PROFILE, seed=0, cache_dir=tmp_path)
    assert rows == expected and calls_a == [0, 0] and calls_b == [0, 0]
    assert len(_cache_warnings(record)) == 1


@pytest.mark.parametrize("where", ["read-only", "under-a-file"])
def test_unusable_check_cache_dir_warns_once_and_keeps_results(tmp_path, unwritable, where):
    directory = unwritable / "sandbox-cache" if where == "read-only" else tmp_path / "file" / "cache"
    (tmp_path / "file").write_text("x")
    a, calls_a = counting_check("t/a")
    b, calls_b = counting_check("t/b", verdict="violates")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        rows = run_checks([a, b], PROFILE, seed=0, cache_dir=directory)
    assert [r.verdict for r in rows] == ["complies", "violates"] and calls_a == calls_b == [0]
    (w,) = _cache_warnings(record)
    assert str(directory) in str(w.message)


@pytest.mark.parametrize("where", ["read-only", "entry-is-a-directory"])
def test_unusable_sweep_cache_warns_once_and_keeps_results(tmp_path, unwritable, where):
    directory = unwritable / "sweeps" if where == "read-only" else tmp_path / "sweeps"
    cache = SweepCache(directory)
    if where == "entry-is-a-directory":
        (directory / f"{cache.key({'figure': 'a'})[:32]}.npz").mkdir(parents=True)
    compute, calls = counting_compute()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(2):
            got = cache.get({"figure": "a"}, compute)
            np.testing.assert_array_equal(got["x"], np.arange(5.0))
    assert len(calls) == 2 and len(_cache_warnings(record)) == 1


def test_result_cache_full_disk_warns_once(tmp_path, monkeypatch):
    store = ResultCache(tmp_path)

    def full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_mod, "write_bytes_atomic", full)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert store.save_json("a", "k", {"v": 1}) is False
        assert store.save_arrays("b", "k", {"v": np.zeros(2)}) is False
    (w,) = _cache_warnings(record)
    assert "No space left" in str(w.message)


# ----------------------------------------------------------------------------- output paths


def _bad_paths(tmp_path, unwritable):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-dir").mkdir()
    return {
        "empty": ("", "empty"),
        "directory": (str(tmp_path / "a-dir"), "is a directory"),
        "under-a-file": (str(tmp_path / "a-file" / "x.json"), "not a directory"),
        "read-only": (str(unwritable / "sub" / "x.json"), "cannot write"),
    }


def test_check_output_path_accepts_new_files_and_directories(tmp_path):
    assert check_output_path(tmp_path / "new" / "deeper" / "x.json") == tmp_path / "new" / "deeper" / "x.json"
    assert check_output_path(tmp_path / "figs", "--out", directory=True) == tmp_path / "figs"
    assert not (tmp_path / "new").exists() and not (tmp_path / "figs").exists()  # nothing created
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(InvalidParameter, match="--out .* is a file"):
        check_output_path(tmp_path / "a-file", "--out", directory=True)
    with pytest.raises(InvalidParameter, match="json_path must be a path"):
        check_output_path(3, "json_path")


def _no_work(monkeypatch, target, attribute):
    calls = []
    monkeypatch.setattr(target, attribute, lambda *a, **k: calls.append(1) or pytest.fail(f"{attribute} ran"))
    return calls


COMMANDS = {
    "simulate": (["simulate", "--K", "10", "--R", "2", "--quiet", "--json"], "sims.engine", "simulate", "--json"),
    "bench": (["bench", "--quick", "--json"], "sims.bench", "run_bench", "--json"),
    "check": (["check", "--quick", "--json"], "checks.cli", "run_checks", "--json"),
    "figures": (["figures", "--quick", "--out"], "plots.cli", "style", "--out"),
    "demo": (["demo", "1", "--out"], "demos.cli", "run_demo", "--out"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("bad", ["empty", "directory", "under-a-file", "read-only"])
def test_bad_output_paths_fail_before_any_work(tmp_path, unwritable, monkeypatch, capsys, command, bad):
    import importlib

    from sandbox.cli import main

    argv, module, attribute, option = COMMANDS[command]
    path, reason = _bad_paths(tmp_path, unwritable)[bad]
    if command in ("figures", "demo"):
        if bad == "directory":
            path, reason = str(tmp_path / "a-file"), "is a file"  # for a directory option, a file is the wrong kind
        elif bad == "under-a-file":
            path = str(tmp_path / "a-file" / "figs")
        elif bad == "read-only":
            path = str(unwritable / "figs")
    _no_work(monkeypatch, importlib.import_module(module), attribute)
    rc = main([*argv, path])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert option in err and reason in err
    assert not list(tmp_path.rglob("*.tmp"))


def test_run_bench_refuses_a_bad_json_path_before_measuring(tmp_path, monkeypatch):
    import sims.bench

    _no_work(monkeypatch, sims.bench, "machine_info")
    with pytest.raises(InvalidParameter, match="json_path .* is a directory"):
        sims.bench.run_bench(json_path=tmp_path, quick=True)


def test_refresh_recomputes_and_stores(tmp_path):
    """``sandbox check --no-cache`` and ``sandbox figures --force``: recompute, and leave the cache up to date."""
    check, calls = counting_check()
    run_checks([check], PROFILE, seed=0, cache_dir=tmp_path)
    run_checks([check], PROFILE, seed=0, cache_dir=tmp_path, refresh=True)
    run_checks([check], PROFILE, seed=0, cache_dir=tmp_path)
    assert calls == [0, 0]
    compute, calls = counting_compute()
    for refresh in (False, True, False):
        SweepCache(tmp_path / "s", refresh=refresh).get({"figure": "a"}, compute)
    assert len(calls) == 2


def test_cli_reports_an_unusable_cache_in_one_line_and_keeps_the_rows(tmp_path, monkeypatch, capsys):
    import checks.cli
    from sandbox.cli import main

    (tmp_path / "a-file").write_text("x")
    monkeypatch.setenv("SANDBOX_CACHE_DIR", str(tmp_path / "a-file" / "cache"))
    a, calls_a = counting_check("t/a")
    b, calls_b = counting_check("t/b")
    monkeypatch.setattr(checks.cli, "select_checks", lambda theorems: [a, b])
    out = tmp_path / "rows.json"
    assert main(["check", "--quick", "--json", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("sandbox: warning: cache") == 1 and "Traceback" not in err
    assert [r["check"] for r in json.loads(out.read_text())["rows"]] == ["t/a", "t/b"]
    assert calls_a == calls_b == [0]


def test_kernel_cache_follows_the_environment(tmp_path):
    code = "import sims._numba as n; print(n.CACHE, n.CACHE_DIR)"

    def run(**env):
        base = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             cwd=cache_mod.SOURCE_ROOT, env={**base, **env}).stdout.split()
        return out[0] == "True", Path(out[1])

    enabled, directory = run(SANDBOX_CACHE_DIR=str(tmp_path / "root"))
    assert enabled and directory.parent == tmp_path / "root" / "numba"  # under the one cache root
    assert run(SANDBOX_CACHE_DIR=str(tmp_path / "root"), SANDBOX_NUMBA_CACHE_DIR=str(tmp_path / "k"))[1].parent == tmp_path / "k"
    assert run(SANDBOX_NUMBA_CACHE="0")[0] is False


def _disk_full_at(monkeypatch, target):
    """Make the project's JSON writer fail with ENOSPC at ``target`` only (the rescue place still works)."""
    import errno

    real = cache_mod.write_json_atomic

    def writer(path, payload, indent=1):
        if Path(path) == target:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, payload, indent=indent)

    monkeypatch.setattr(cache_mod, "write_json_atomic", writer)
    return writer


@pytest.mark.parametrize("command", ["simulate", "check"])
def test_a_failed_final_json_write_keeps_the_results(tmp_path, monkeypatch, capsys, command):
    """Disk full after the work: one error line naming the rescue file, non-zero status, the payload in it."""
    import checks.cli
    from sandbox.cli import main

    monkeypatch.setenv("SANDBOX_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out.json"
    writer = _disk_full_at(monkeypatch, out)
    if command == "check":
        a, _ = counting_check("t/a")
        monkeypatch.setattr(checks.cli, "select_checks", lambda theorems: [a])
        monkeypatch.setattr(checks.cli, "write_json_atomic", writer)  # the progress writes fail too
        rc = main(["check", "--quick", "--json", str(out)])
    else:
        rc = main(["simulate", "--K", "10", "--R", "2", "--quiet", "--json", str(out)])
    err = capsys.readouterr().err
    assert rc != 0 and not out.exists()
    lines = [line for line in err.splitlines() if "error" in line]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert f"could not write {out}" in lines[0] and "No space left" in lines[0]
    saved = list((tmp_path / "cache" / "unsaved").glob("out-*.json"))
    assert len(saved) == 1 and str(saved[0]) in lines[0]
    payload = json.loads(saved[0].read_text())
    if command == "check":
        assert payload["complete"] and [r["check"] for r in payload["rows"]] == ["t/a"]
    else:
        assert payload["config"]["K"] == 10 and payload["summary"]["R"] == 2
