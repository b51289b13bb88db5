"""Figure files: byte-reproducible, and PNG, PDF and sidecar written together or marked incomplete."""

import json

import numba
import pytest

from plots import core
from plots.core import figure_complete, save_figure, style
from sandbox.cache import SWEEP_SOURCES, source_digest
from sandbox.cli import main

FILES = ("png", "pdf", "json")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("SANDBOX_CACHE_DIR", str(d))
    return d


def test_regenerating_gives_the_same_bytes_whatever_the_threads(cache_dir, tmp_path):
    # sgd-vs-clipping runs the engine (threads over blocks of replicates): computed with the
    # default threads, then recomputed (--force) on one thread, the three files must not change
    assert main(["figures", "sgd-vs-clipping", "--quick", "--out", str(tmp_path / "a")]) == 0
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        assert main(["figures", "sgd-vs-clipping", "--quick", "--force", "--out", str(tmp_path / "b")]) == 0
    finally:
        numba.set_num_threads(threads)
    # and re-plotted from the cache
    assert main(["figures", "sgd-vs-clipping", "--quick", "--out", str(tmp_path / "c")]) == 0
    for ext in FILES:
        a = (tmp_path / "a" / f"sgd-vs-clipping.{ext}").read_bytes()
        assert a == (tmp_path / "b" / f"sgd-vs-clipping.{ext}").read_bytes(), ext
        assert a == (tmp_path / "c" / f"sgd-vs-clipping.{ext}").read_bytes(), ext
    side = json.loads((tmp_path / "a" / "sgd-vs-clipping.json").read_text())
    assert "git_revision" not in side and side["source_digest"] == source_digest(SWEEP_SOURCES)
    assert figure_complete(tmp_path / "a", "sgd-vs-clipping")


def _figure(value):
    import matplotlib.pyplot as plt

    style()
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, value])
    return fig


@pytest.mark.parametrize("stop_at", [1, 2, 3])
def test_an_interrupted_save_never_leaves_a_sidecar_next_to_other_images(tmp_path, monkeypatch, stop_at):
    import matplotlib.pyplot as plt

    old, new = _figure(1.0), _figure(2.0)
    save_figure(old, "f", tmp_path, {"seed": 0})
    assert figure_complete(tmp_path, "f")
    before = {ext: (tmp_path / f"f.{ext}").read_bytes() for ext in FILES}

    real, calls = core.write_bytes_atomic, []

    def killed(path, data):  # a kill while writing the stop_at-th file: that file is not replaced
        calls.append(path)
        if len(calls) == stop_at:
            raise KeyboardInterrupt
        return real(path, data)

    monkeypatch.setattr(core, "write_bytes_atomic", killed)
    with pytest.raises(KeyboardInterrupt):
        save_figure(new, "f", tmp_path, {"seed": 0})
    monkeypatch.undo()
    assert not (tmp_path / "f.json").exists() and not figure_complete(tmp_path, "f")
    assert not list(tmp_path.glob(".*.tmp"))
    # images written before the kill are new, the others old: a mix that no sidecar vouches for
    for i, ext in enumerate(("png", "pdf")):
        assert ((tmp_path / f"f.{ext}").read_bytes() == before[ext]) == (i + 1 >= stop_at)

    save_figure(new, "f", tmp_path, {"seed": 0})  # the next run regenerates it whole
    assert figure_complete(tmp_path, "f")
    assert (tmp_path / "f.png").read_bytes() != before["png"]
    plt.close("all")


def test_figure_complete_rejects_images_the_sidecar_does_not_describe(tmp_path):
    save_figure(_figure(1.0), "f", tmp_path, {"seed": 0})
    assert figure_complete(tmp_path, "f")
    (tmp_path / "f.pdf").write_bytes(b"%PDF-1.4 not this one")
    assert not figure_complete(tmp_path, "f")
    (tmp_path / "f.pdf").unlink()
    assert not figure_complete(tmp_path, "f")
    assert not figure_complete(tmp_path, "missing")


def test_figures_warns_about_incomplete_figures_it_was_not_asked_for(cache_dir, tmp_path, capsys):
    out = tmp_path / "out"
    save_figure(_figure(1.0), "noise-tails", out, {"seed": 0})
    (out / "noise-tails.json").unlink()  # as a kill between the images and the sidecar leaves it
    assert main(["figures", "sgd-vs-clipping", "--quick", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: noise-tails" in err and "sandbox figures noise-tails" in err
    assert main(["figures", "noise-tails", "--quick", "--out", str(out)]) == 0
    assert figure_complete(out, "noise-tails") and "warning" not in capsys.readouterr().err


def test_iterations_vs_m_crossover_is_the_log_log_interpolation():
    import numpy as np

    from plots.iterations_vs_m import _crossover

    Ms = np.array([10.0, 1000.0])
    assert _crossover(Ms, Ms, np.full(2, 100.0)) == pytest.approx(100.0)  # M overtakes 100 at M = 100
    assert _crossover(Ms, Ms**2, np.full(2, 1e4)) == pytest.approx(100.0)
    assert _crossover(Ms, np.full(2, 1.0), np.full(2, 2.0)) is None  # never overtakes
    # the first crossing: log(1/2) -> log(3/2) between M = 10 and 100
    assert _crossover(np.geomspace(10, 1000, 3), [1.0, 3.0, 1.0], [2.0, 2.0, 2.0]) == pytest.approx(10 ** (1 + np.log(2) / np.log(3)))
