"""End to end: ``sandbox check --quick`` (what CI runs) and ``sandbox figures --quick``.

Both share one temporary cache (``SANDBOX_CACHE_DIR``) for the session, so the
figures reuse the verification runs, as they do for a user.
"""

import json
import math

import pytest

from sandbox.cli import main


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    d = tmp_path_factory.mktemp("sandbox-cache")
    mp.setenv("SANDBOX_CACHE_DIR", str(d))
    yield d
    mp.undo()


@pytest.fixture(scope="module")
def check_report(cache_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("check") / "check.json"
    rc = main(["check", "--quick", "--json", str(out)])
    return rc, json.loads(out.read_text())


def test_quick_check_passes_and_every_control_fails(check_report):
    rc, report = check_report
    rows = report["rows"]
    assert report["complete"] and report["profile"]["name"] == "quick" and report["seed"] == 0
    assert rc == 0, [r["reason"] for r in rows if (r["verdict"] == "violates") != r["control"]]
    controls = [r for r in rows if r["control"]]
    assert len(controls) >= 10 and all(r["verdict"] == "violates" for r in controls)
    assert not [r for r in rows if not r["control"] and r["verdict"] == "violates"]
    for r in rows:
        assert {"theorem", "instance", "verdict", "control", "measured", "predicted", "config"} <= set(r)
        assert r["verdict"] in {"complies", "tight", "violates", "not_applicable"}
    # every theorem of the catalog has at least one row
    from theory.catalog import THEOREMS

    assert set(THEOREMS) <= {r["theorem"] for r in rows}


def test_headline_data_shows_what_the_theorems_say(check_report):
    _, report = check_report
    rows = report["rows"]
    for tid in ("neurips20_gclip_nonconvex", "neurips20_gclip_strongly_convex"):
        tight = [r for r in rows if r["theorem"] == tid and r["verdict"] == "tight" and not r["control"]]
        alphas = {r["parameter"].split("alpha=")[1].split(",")[0] for r in tight}
        assert len(alphas) == len(report["profile"]["alphas"]), (tid, alphas)
        for r in tight:  # a tight row's interval contains the theorem's exponent
            lo, hi = r["measured_ci"]
            if "instance exponent" not in r["instance"]:
                assert lo <= r["predicted"] <= hi
    # SGD: at alpha < 2 the gradient's tail index is below 2, so E|grad f|^2 is infinite
    tails = [r for r in rows if r["check"] == "neurips20_remark1_sgd_failure/tail_index" and not r["control"]]
    confirmed = [r for r in tails if r["measured_ci"][1] < 2.0]
    assert {r["parameter"].split(",")[0] for r in confirmed} >= {"alpha=1.3", "alpha=1.6"}


def test_check_rejects_bad_arguments(cache_dir, capsys):
    assert main(["check", "no_such_theorem"]) == 2
    assert "unknown theorem id" in capsys.readouterr().err


def test_every_figure_regenerates_in_quick_mode(check_report, tmp_path):
    from plots.core import figure_complete
    from plots.registry import all_figures

    assert main(["figures", "--quick", "--out", str(tmp_path)]) == 0
    for name in all_figures():
        for ext in ("png", "pdf", "json"):
            assert (tmp_path / f"{name}.{ext}").stat().st_size > 1000 or ext == "json"
        side = json.loads((tmp_path / f"{name}.json").read_text())
        assert side["figure"] == name and side["config"]["seed"] == 0 and side["config"]["quick"] is True
        assert {"numpy", "numba", "scipy", "sympy", "matplotlib"} <= set(side["versions"]) and side["source_digest"]
        assert figure_complete(tmp_path, name)
    assert main(["figures", "nope"]) == 2


def test_figures_built_on_checks_say_what_they_show(check_report):
    """What review found misleading stays fixed (the figures reuse the checks' cached rows)."""
    import matplotlib.pyplot as plt

    from plots import dimension, rate_vs_alpha
    from plots.core import style

    style()
    fig, _ = rate_vs_alpha.make(quick=True, seed=0, cache=None)
    fig.canvas.draw()
    assert "[" not in fig._suptitle.get_text()  # no Python list in the title
    sgd_marks = [line for ax in fig.axes for line in ax.get_lines() if line.get_label().startswith("SGD")]
    assert sgd_marks
    for line in sgd_marks:  # SGD has no exponent: its marks sit above the frame, never at a y value
        assert line.get_transform() == line.axes.get_xaxis_transform() and min(line.get_ydata()) > 1.0
    legend = [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
    assert not [t for t in legend if "strongly convex only" in t]
    plt.close(fig)

    fig, _ = dimension.make(quick=True, seed=0, cache=None)
    fig.canvas.draw()
    for ax in fig.axes:  # every panel has its own x tick labels
        assert [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    assert "alpha" not in fig._suptitle.get_text()
    plt.close(fig)
