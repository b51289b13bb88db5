"""The teaching demos (``demos/``): every one runs headless through ``sandbox demo NAME``.

Each demo asserts its own teaching claims (a regression in the code it shows breaks it); here
every demo is run through the command line exactly as a reader would, with every warning turned
into an error, and must write its figures.  The percent-format parser, the listing, the error
for an unknown name and the slider helper (headless and, with stand-ins for IPython and
ipywidgets, inside a kernel) are checked separately.
"""

from __future__ import annotations

import sys
import traceback
import types
import warnings

import pytest

from demos import Slider, explore
from demos.runner import Demo, DemoFormatError, all_demos, find_demo, parse_percent, run_demo
from sandbox.cli import main
from sims.params import InvalidParameter

DEMOS = all_demos()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_the_five_demos_are_found_in_order():
    assert [d.number for d in DEMOS] == [1, 2, 3, 4, 5]
    assert [d.name for d in DEMOS] == ["clipping-and-smoothness", "heavy-tailed-noise", "sgd-fails-clipping-does-not",
                                       "rates-you-can-measure", "global-vs-coordinate-clipping"]
    assert find_demo("3") == find_demo("03") == find_demo("sgd-fails-clipping-does-not") == DEMOS[2]


def test_listing_names_every_demo_with_its_title(capsys):
    assert main(["demo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for demo in DEMOS:
        assert any(demo.name in line and demo.title in line and line.split()[0] == str(demo.number) for line in lines)


def test_unknown_demo_is_one_error_line_listing_the_valid_names(capsys):
    assert main(["demo", "no-such-demo"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert "unknown demo 'no-such-demo'" in captured.err and all(d.name in captured.err for d in DEMOS)


@pytest.mark.parametrize("demo", DEMOS, ids=lambda d: d.name)
def test_demo_runs_headless_without_warnings_and_writes_its_figures(demo, tmp_path, capsys):
    out_dir = tmp_path / "figures"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["demo", demo.name, "--out", str(out_dir)]) == 0
    printed = capsys.readouterr().out
    figures = sorted(out_dir.iterdir())
    assert figures and all(p.suffix == ".png" and p.read_bytes()[:8] == PNG_MAGIC for p in figures)
    assert printed.count("[figure saved: ") == len(figures)
    for cell in demo.cells():
        if cell.kind == "markdown":
            assert cell.source in printed  # the narrative, without the comment prefixes
    assert "# %%" not in printed


@pytest.mark.parametrize("demo", DEMOS, ids=lambda d: d.name)
def test_demo_file_is_percent_format(demo):
    text = demo.path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("# %%")
    cells = demo.cells()
    assert len(cells) == sum(line.startswith("# %%") for line in lines)
    assert cells[0].kind == "markdown" and cells[0].source.startswith("# ")  # a title
    assert {c.kind for c in cells} == {"markdown", "code"}
    for cell in cells:
        assert cell.source.strip(), f"empty cell at line {cell.first_line}"
        if cell.kind == "code":
            compile(cell.source, str(demo.path), "exec")


def test_parser_reads_cells_and_rejects_malformed_text():
    cells = parse_percent("\n# %% [markdown]\n# # Title\n#\n# text\n# %%\nx = 1\n\n# %%\ny = 2\n")
    assert [(c.kind, c.source, c.first_line) for c in cells] == [
        ("markdown", "# Title\n\ntext", 3), ("code", "x = 1", 7), ("code", "y = 2", 10)]
    for bad in ("x = 1\n# %%\ny = 2\n", "# %% [raw]\nx\n", "# %% [markdown]\nnot a comment\n", "", "\n\n"):
        with pytest.raises(DemoFormatError):
            parse_percent(bad)


def test_a_failing_claim_points_at_its_line_in_the_demo_file(tmp_path):
    path = tmp_path / "99_broken.py"
    path.write_text("# %% [markdown]\n# # Broken\n\n# %%\nvalue = 1\n\n# %%\nassert value == 2\n", encoding="utf-8")
    with pytest.raises(AssertionError) as info:
        run_demo(Demo(99, "broken", path), tmp_path / "out")
    last = traceback.extract_tb(info.value.__traceback__)[-1]
    assert (last.filename, last.lineno) == (str(path), 8)


def test_figures_are_named_by_their_label_and_never_overwritten(tmp_path, capsys):
    path = tmp_path / "98_figures.py"
    path.write_text(
        "# %%\nimport matplotlib.pyplot as plt\nplt.subplots(num='same')\n"
        "# %%\nplt.subplots(num='same')\nplt.figure()\n", encoding="utf-8")
    saved = run_demo(Demo(98, "figures", path), tmp_path / "out")
    assert [p.name for p in saved] == ["same.png", "same-2.png", "figures-figure-3.png"]


def test_explore_headless_calls_once_with_the_defaults():
    calls = []
    explore(lambda a, b: calls.append((a, b)), a=Slider(0.0, 1.0, 0.5), b=Slider(1e-3, 1.0, 0.1, log=True))
    assert calls == [(0.5, 0.1)]


def test_explore_in_a_kernel_builds_one_slider_per_argument(monkeypatch):
    recorded = {}

    class Shell:
        kernel = object()  # what distinguishes a Jupyter kernel from a terminal IPython

    def control(kind):
        return lambda **kwargs: (kind, kwargs)

    def interact(fn, **widgets):
        recorded.update(widgets)
        fn(**{name: spec[1]["value"] for name, spec in widgets.items()})

    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: Shell()))
    monkeypatch.setitem(sys.modules, "ipywidgets", types.SimpleNamespace(
        FloatSlider=control("linear"), FloatLogSlider=control("log"), interact=interact))
    calls = []
    explore(lambda step, alpha: calls.append((step, alpha)), step=Slider(1e-4, 1.0, 0.01, log=True),
            alpha=Slider(1.1, 2.0, 1.5))
    assert calls == [(0.01, 1.5)]
    kind, spec = recorded["step"]
    assert kind == "log" and spec["min"] == pytest.approx(-4) and spec["max"] == pytest.approx(0) and spec["base"] == 10
    kind, spec = recorded["alpha"]
    assert kind == "linear" and (spec["min"], spec["max"], spec["value"]) == (1.1, 2.0, 1.5)
    assert not spec["continuous_update"]


@pytest.mark.parametrize("args", [(1.0, 0.0, 0.5), (0.0, 1.0, 2.0), (0.0, 1.0, 0.5, True), (float("nan"), 1.0, 0.5), (0, 1, True)])
def test_slider_rejects_bad_ranges(args):
    with pytest.raises(InvalidParameter):
        Slider(*args)
