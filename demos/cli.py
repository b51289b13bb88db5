"""``sandbox demo``: list the teaching demos, or run one in the terminal.

    sandbox demo                      the demos: number, name, title
    sandbox demo NAME [--out DIR]     print NAME's narrative, run its code, save its figures to DIR

An unknown NAME prints one error line listing the valid names and exits with
status 2.  The same files open as notebooks with jupytext (see :mod:`demos`).
"""

from __future__ import annotations

import argparse
import sys

from sandbox.cache import check_output_path

from .runner import UnknownDemo, all_demos, find_demo, run_demo

__all__ = ["register", "run"]

_DESCRIPTION = """\
Teaching demos: short notebooks that each teach one idea of the papers, built on the public API.
Without NAME, list them.  With NAME (or its number), print the narrative, run the code cells in
order and save the figures as PNG (headless; sliders appear only in Jupyter).  Open a demo as a
notebook with: jupytext --from py:percent --to notebook demos/NN_name.py"""


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``demo`` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser("demo", help="list the teaching demos, or run one", description=_DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", metavar="NAME", help="demo name or number (default: list the demos)")
    p.add_argument("--out", default="demo_output", help="directory for the figures (default: demo_output)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """List the demos (no name) or run one; 2 for an unknown name."""
    if args.name is None:
        demos = all_demos()
        width = max(len(d.name) for d in demos)
        for demo in demos:
            print(f"{demo.number:2d}  {demo.name:<{width}}  {demo.title}")
        print("\nrun one: sandbox demo NAME [--out DIR]    as a notebook: jupytext --from py:percent --to notebook demos/NN_name.py")
        return 0
    try:
        demo = find_demo(args.name)
    except UnknownDemo as exc:
        print(f"sandbox demo: error: {exc}", file=sys.stderr)
        return 2
    check_output_path(args.out, "--out", directory=True)
    run_demo(demo, args.out)
    return 0
