"""Run a percent-format demo headless: print its narrative, execute its code, save its figures.

The percent format (jupytext's ``py:percent``) as the demos use it:

* the file is a sequence of cells; each starts with a header line ``# %%``
  (code) or ``# %% [markdown]`` (narrative) and runs to the next header;
* narrative lines are comments, ``# text`` or a bare ``#`` (an empty line);
* nothing but blank lines precedes the first cell.

No jupytext is needed to run a demo: :func:`parse_percent` reads this subset,
and :func:`run_demo` executes the code cells in order in one namespace, as a
notebook kernel would.  Figures are drawn with the non-interactive Agg
backend and saved after each code cell as ``LABEL.png``, where LABEL is the
figure's label (``plt.subplots(num="LABEL")``), so a figure keeps its name
between the terminal and the notebook.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from sandbox.cache import write_bytes_atomic

__all__ = ["Cell", "Demo", "DemoFormatError", "UnknownDemo", "all_demos", "find_demo", "parse_percent", "run_demo"]

DEMO_DIR = Path(__file__).resolve().parent
_FILE_NAME = re.compile(r"^(\d\d)_([a-z0-9_]+)\.py$")
_HEADER = re.compile(r"^# %%(?P<rest>.*)$")
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class DemoFormatError(ValueError):
    """A demo file is not in the percent format described in this module."""


class UnknownDemo(KeyError):
    """No demo has the requested name; the message lists the valid ones."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


@dataclass(frozen=True)
class Cell:
    """One cell of a percent-format file.

    Attributes
    ----------
    kind : str
        ``"code"`` or ``"markdown"``.
    source : str
        Code as written, or the narrative with the ``# `` prefixes removed.
    first_line : int
        1-based line number of the cell's first source line in the file.
    """

    kind: str
    source: str
    first_line: int


def parse_percent(text: str, filename: str = "<demo>") -> list[Cell]:
    """Split percent-format text into cells.

    Parameters
    ----------
    text : str
        The file's content.
    filename : str
        Used in error messages.

    Returns
    -------
    list of Cell

    Raises
    ------
    DemoFormatError
        When text other than blank lines precedes the first cell, a header is
        neither ``# %%`` nor ``# %% [markdown]``, a narrative line is not a
        comment, or there is no cell at all.
    """
    cells: list[Cell] = []
    kind, body, start = None, [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            if kind is not None:
                cells.append(_make_cell(kind, body, start))
            rest = header.group("rest").strip()
            if rest not in ("", "[markdown]"):
                raise DemoFormatError(f"{filename}:{number}: unsupported cell header {line!r} (use '# %%' or '# %% [markdown]')")
            kind, body, start = ("markdown" if rest else "code"), [], number + 1
            continue
        if kind is None:
            if line.strip():
                raise DemoFormatError(f"{filename}:{number}: text before the first cell (every cell starts with '# %%')")
            continue
        if kind == "markdown" and line.strip() and not (line == "#" or line.startswith("# ")):
            raise DemoFormatError(f"{filename}:{number}: a narrative line must be a comment '# ...', got {line!r}")
        body.append(line)
    if kind is None:
        raise DemoFormatError(f"{filename}: no cell (every cell starts with '# %%')")
    cells.append(_make_cell(kind, body, start))
    return cells


def _make_cell(kind: str, lines: list[str], first_line: int) -> Cell:
    if kind == "markdown":
        lines = [line[2:] if line.startswith("# ") else "" for line in lines]
    return Cell(kind, "\n".join(lines).strip("\n"), first_line)


@dataclass(frozen=True)
class Demo:
    """A demo file ``NN_name.py`` of this package.

    Attributes
    ----------
    number : int
        ``NN``: the order of the demos.
    name : str
        ``name`` with hyphens (``sandbox demo NAME``).
    path : pathlib.Path
    """

    number: int
    name: str
    path: Path

    def cells(self) -> list[Cell]:
        """The parsed cells (see :func:`parse_percent`)."""
        return parse_percent(self.path.read_text(encoding="utf-8"), str(self.path))

    @property
    def title(self) -> str:
        """The first line of the first narrative cell, without its ``#`` heading marks."""
        for cell in self.cells():
            if cell.kind == "markdown" and cell.source:
                return cell.source.splitlines()[0].lstrip("#").strip()
        return self.name


def all_demos() -> list[Demo]:
    """Every demo of the package, in the order of their numbers."""
    found = []
    for path in sorted(DEMO_DIR.glob("[0-9][0-9]_*.py")):
        m = _FILE_NAME.match(path.name)
        if m:
            found.append(Demo(int(m.group(1)), m.group(2).replace("_", "-"), path))
    return found


def find_demo(name: str) -> Demo:
    """The demo called ``name``, or numbered ``name`` (``"3"`` and ``"03"`` both work).

    Raises
    ------
    UnknownDemo
        Naming the request and listing the valid names.
    """
    demos = all_demos()
    for demo in demos:
        # ASCII digits only: str.isdigit() also accepts e.g. superscripts, which int() rejects
        if name == demo.name or (name.isascii() and name.isdigit() and int(name) == demo.number):
            return demo
    valid = ", ".join(d.name for d in demos)
    raise UnknownDemo(f"unknown demo {name!r}; valid: {valid} (or their numbers)")


def run_demo(demo: Demo, out_dir: str | Path) -> list[Path]:
    """Print the narrative and run the code cells of ``demo``; save its figures as PNG.

    Narrative, code output and the names of the saved figures all go to
    standard output, in the order of the cells.

    Parameters
    ----------
    demo : Demo
    out_dir : str or Path
        Directory for the figures (created if needed).

    Returns
    -------
    list of Path
        The figures written, in order.

    Raises
    ------
    DemoFormatError
        If the file is not in percent format (before anything runs).
    Exception
        Whatever a code cell raises (a failed teaching claim is an AssertionError).
    """
    cells = demo.cells()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    from plots.core import style

    style()  # the Agg backend: nothing opens a window, plt.show() is never needed
    import matplotlib.pyplot as plt

    plt.close("all")
    namespace = {"__name__": "__main__"}  # what a notebook kernel has: no __file__
    saved: list[Path] = []
    for cell in cells:
        if cell.kind == "markdown":
            print(f"\n{cell.source}\n", flush=True)
            continue
        # Padding keeps the file's line numbers in tracebacks.
        code = compile("\n" * (cell.first_line - 1) + cell.source, str(demo.path), "exec")
        exec(code, namespace)
        for number in plt.get_fignums():
            fig = plt.figure(number)
            path = out / f"{_figure_stem(fig.get_label(), demo, saved)}.png"
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
            write_bytes_atomic(path, buf.getvalue())  # an interrupted demo never leaves half a PNG
            plt.close(fig)
            saved.append(path)
            print(f"[figure saved: {path}]", flush=True)
    return saved


def _figure_stem(label: str, demo: Demo, saved: list[Path]) -> str:
    """The file name of a figure: its label, else ``<demo>-figure-<n>``; never one already written."""
    stem = label if _LABEL.match(label or "") else f"{demo.name}-figure-{len(saved) + 1}"
    taken = {p.stem for p in saved}
    candidate, n = stem, 2
    while candidate in taken:
        candidate, n = f"{stem}-{n}", n + 1
    return candidate
