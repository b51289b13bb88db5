"""``sandbox theorems``: list the encoded theorems, show one, evaluate it.

    sandbox theorems                       table: id, source, kind, quantity, exponent, complexity
    sandbox theorems --json                the same as a JSON list
    sandbox theorems ID                    one theorem in full (sympy pretty printing)
    sandbox theorems ID --latex            ... with LaTeX instead
    sandbox theorems ID --set K=1000 ...   ... plus the bound and the prescribed parameters
                                           evaluated for these constants

Unknown ids, unknown or invalid constants print one error line and exit with
status 2.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from typing import Sequence

import sympy as sp

from sandbox.cache import dumps_json  # the project's one JSON encoder (a neutral module, no simulator)

from .catalog import THEOREMS, UnknownTheorem, get
from sandbox.names import QUANTITIES

from .theorem import InvalidConstant, OrderOnly, Theorem

__all__ = ["main", "register", "summary"]

_DESCRIPTION = (
    "List the theorems encoded in theory/ (published statements and bounds derived here), show one in full, "
    "or evaluate its bound and prescribed parameters for concrete constants."
)


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``theorems`` subcommand to an argparse subparsers object.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``parser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser (its ``func`` default runs it).
    """
    p = subparsers.add_parser("theorems", help="list or show the encoded theorems", description=_DESCRIPTION)
    _add_arguments(p)
    p.set_defaults(func=run)
    return p


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", nargs="?", help="show this theorem in full (default: list all)")
    p.add_argument("--latex", action="store_true", help="print expressions as LaTeX instead of sympy pretty printing")
    p.add_argument("--json", action="store_true", help="print JSON (the list, or one theorem with ID)")
    p.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE",
        help="a constant of the theorem (repeatable): evaluate the bound and the prescribed parameters",
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sandbox theorems`` with the arguments that follow it; return the exit status."""
    parser = argparse.ArgumentParser(prog="sandbox theorems", description=_DESCRIPTION)
    _add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Execute parsed arguments; errors print one line on standard error and return 2."""
    try:
        if args.id is None:
            if args.set:
                raise InvalidConstant("--set needs a theorem ID")
            rows = [summary(t) for t in THEOREMS.values()]
            print(dumps_json(rows, indent=2) if args.json else _table(rows))
            return 0
        if args.latex and args.json:
            raise InvalidConstant("--latex and --json exclude each other: --json prints sympy strings, --latex typesets the full view")
        thm = get(args.id)
        constants = _parse_settings(args.set)
        if args.json:
            out = summary(thm)
            if constants:
                out["evaluated"] = _evaluated(thm, constants)
            print(dumps_json(out, indent=2))
        else:
            print(detail(thm, latex=args.latex, constants=constants))
        return 0
    except (UnknownTheorem, InvalidConstant) as exc:
        print(f"sandbox theorems: error: {exc}", file=sys.stderr)
        return 2


def _parse_settings(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise InvalidConstant(f"--set expects NAME=VALUE, got {item!r}")
        name, value = (s.strip() for s in item.split("=", 1))
        if name in out:
            raise InvalidConstant(f"--set {name}: given twice ({name}={out[name]} and {item}); give each constant once")
        out[name] = value
    return out


def summary(thm: Theorem) -> dict:
    """The JSON-friendly summary of one theorem (what ``--json`` lists).

    ``exponent`` and ``complexity`` are sympy-parsable strings in ``alpha``.
    """
    return {
        "id": thm.id,
        "source": thm.source,
        "kind": thm.kind,
        "quantity": thm.quantity,
        "statistic": thm.statistic,
        "method": thm.method,
        "exponent": str(thm.rate_exponent()),
        "complexity": str(thm.complexity_exponent()),
        "constants": thm.constants,
        "order_only": thm.order_only,
        "bound": str(thm.bound),
        "parameters": {name: str(p.expr) for name, p in thm.parameters.items()},
        "avg_power": thm.avg_power,
        "consistent_with": thm.consistent_with,
    }


def _table(rows: list[dict]) -> str:
    cols = ("id", "source", "kind", "quantity", "exponent", "complexity", "constants")
    short = [{**r, "source": _short_source(r["source"])} for r in rows]
    widths = {c: max(len(c), *(len(str(r[c])) for r in short)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols)]
    lines.append("  ".join("-" * widths[c] for c in cols))
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in cols) for r in short]
    lines.append("")
    lines.append("exponent: bound ~ K^exponent; complexity: iterations ~ eps^complexity.  sandbox theorems ID for details.")
    return "\n".join(lines)


def _short_source(source: str) -> str:
    """Venue and label, e.g. 'ICLR 2020, Theorem 3 (clipped GD)' (the authors and arXiv id dropped)."""
    venue = re.search(r"(ICLR|NeurIPS) \d{4}|arXiv \d+\.\d+", source)
    label = re.split(r"arXiv \d+\.\d+,?\s*", source)[-1] if "arXiv" in source else ""
    head = venue.group(0) if venue else source
    return f"{head}, {label}" if label and not label.startswith("(") else (f"{head} {label}" if label else source)


def _evaluated(thm: Theorem, constants: dict) -> dict:
    out = {"parameters": {}}
    for name in thm.parameters:
        value = thm.schedule(name, **constants)
        out["parameters"][name] = value if isinstance(value, float) else {
            "coef": value.coef, "power": value.power, "offset": value.offset,
        }  # fmt: skip
    try:
        out["bound"] = thm.evaluate(**constants)
    except OrderOnly as exc:
        out["bound"] = None
        out["bound_note"] = str(exc)
    return out


def detail(thm: Theorem, latex: bool = False, constants: dict | None = None) -> str:
    """One theorem in full, as text (``latex=True``: expressions in LaTeX)."""
    fmt = (lambda e: sp.latex(e)) if latex else (lambda e: sp.pretty(e, use_unicode=False))

    def block(expr) -> str:
        return textwrap.indent(fmt(expr), "    ")

    wrap = lambda text: textwrap.fill(text, 100, initial_indent="  ", subsequent_indent="  ")  # noqa: E731
    lines = [f"{thm.id}  [{thm.kind} bound, constants {thm.constants}]", f"source: {thm.source}", "", wrap(thm.statement), ""]
    lines += ["assumptions:", wrap(f"function class: {thm.function_class}"), wrap(f"noise: {thm.noise}")]
    lines.append("constants:")
    lines += [f"    {c.name} in {c.range_text()}: {c.doc}" for c in thm.symbols]
    if thm.conditions:
        lines.append("conditions:")
        lines += [f"    {fmt(rel) if latex else rel}: {text}" for rel, text in thm.conditions]
    lines.append(f"method: {thm.method or 'any algorithm'}")
    if thm.parameters:
        lines.append("prescribed parameters (k = step, K = horizon):")
        for name, p in thm.parameters.items():
            lines.append(f"  {name}" + (f"  ({p.note})" if p.note else ""))
            lines.append(block(p.expr))
    lines.append(f"quantity: {thm.quantity} = {QUANTITIES[thm.quantity][0]} ({thm.statistic} over the noise)")
    lines.append(f"compare at: {thm.compare_at}" + (f"; averaging weights (j+1)^{thm.avg_power:g}" if thm.avg_power else ""))
    lines.append("bound:")
    lines.append(block(thm.bound))
    c = thm.complexity()
    lines.append("rate exponent in K:")
    lines.append(block(thm.rate_exponent()))
    lines.append("complexity exponent in eps:")
    lines.append(block(c.exponent))
    if c.expression is not None:
        lines.append("iterations needed:")
        lines.append(block(c.expression))
    lines.append(f"derivation status: {thm.derivation_status}")
    for i, step in enumerate(thm.derivation, 1):
        lines.append(textwrap.fill(f"  {i}. {step.because}", 100, subsequent_indent="     "))
        if step.claim is not None:
            lines.append(textwrap.indent(fmt(step.claim), "       "))
        for given in step.given:
            lines.append(f"       given {fmt(given) if latex else given}")
    for inst in thm.instances:
        lines.append(f"hard instance {inst.objective} {dict((k, str(v)) for k, v in inst.params.items())}: {inst.description}")
        lines.append(f"    applies when {inst.applies}; x0 = {inst.x0}; predicted = {inst.predicted}")
    if thm.notes:
        lines += ["notes:", wrap(thm.notes)]
    if constants:
        ev = _evaluated(thm, constants)
        lines.append("evaluated for " + ", ".join(f"{k}={v}" for k, v in constants.items()) + ":")
        for name, value in ev["parameters"].items():
            text = f"{value:.6g}" if isinstance(value, float) else f"{value['coef']:.6g} (k + {value['offset']:g})^{value['power']:.6g}"
            lines.append(f"    {name} = {text}")
        lines.append(f"    bound = {ev['bound']:.6g}" if ev["bound"] is not None else f"    bound: {ev['bound_note']}")
    return "\n".join(lines)
