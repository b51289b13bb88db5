"""Entry point of the ``sandbox`` program.

Each package contributes its subcommands through a ``register(subparsers)``
function, so ``theory`` and ``sims`` stay independent of the verification
layer that joins them.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Sequence

from sandbox.cache import CacheUnavailable
from sims.params import InvalidParameter


def build_parser() -> argparse.ArgumentParser:
    from checks.cli import register as register_checks
    from demos.cli import register as register_demos
    from plots.cli import register as register_figures
    from sims.cli import register as register_sims
    from theory.cli import register as register_theory

    parser = argparse.ArgumentParser(
        prog="sandbox",
        description="Theory-verification and simulation sandbox for gradient clipping: simulate clipped, normalized "
        "and adaptive methods under (L0,L1)-smoothness and heavy-tailed noise, and check the published bounds.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    register_sims(sub)
    register_theory(sub)
    register_checks(sub)
    register_figures(sub)
    register_demos(sub)
    return parser


def _for_users(previous):
    """A ``warnings.showwarning`` that prints the project's warnings as one line without a source location."""

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, CacheUnavailable):
            print(f"sandbox: warning: {message}", file=sys.stderr if file is None else file)
        else:
            previous(message, category, filename, lineno, file, line)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    with warnings.catch_warnings():  # restores the caller's warning display when main is called in-process
        warnings.showwarning = _for_users(warnings.showwarning)
        try:
            return int(args.func(args) or 0)
        except InvalidParameter as exc:
            print(f"sandbox: error: {exc}", file=sys.stderr)
            return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
