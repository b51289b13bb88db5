"""``sandbox check``: every theorem against simulations, one row per (theorem, instance, parameter)."""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from dataclasses import asdict

from sandbox.cache import check_output_path, write_json_atomic, write_output_json

from .core import PROFILES, fmt, run_checks, select_checks

_DESCRIPTION = """\
Run the simulator in each theorem's own setting with its own prescribed parameters and decide, with
stated statistics, whether the measurements comply with the bound.  One row per (theorem, instance,
parameter): measured value or exponent with its confidence interval, the theorem's value, the worst
measured/predicted ratio, the verdict and the reason.

verdicts: complies | tight (matches the theorem on a designated tight instance) | violates |
not_applicable (assumptions not met).  Rows marked CONTROL are negative controls that must violate:
a control that violates as expected is not a failure, one that does not violate is.

exit status: 0 when nothing fails, 1 when a row violates (or a control does not), 2 for bad arguments,
3 when the final --json file cannot be written (the rows are then saved under the cache root, and the
error line says where).
Finished checks are cached (SANDBOX_CACHE_DIR, default ~/.cache/clipping-sandbox/checks): an
interrupted run keeps what finished and re-running resumes.  Entries are keyed on every source file
of sims, theory, checks and sandbox, so an edit to a check or to the engine recomputes them; an
entry that fails its checksum is recomputed, and an unusable cache gives one warning."""


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``check`` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser(
        "check",
        help="check the theorems against simulations",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("theorems", nargs="*", metavar="THEOREM", help="theorem ids to check (default: all; see 'sandbox theorems')")
    p.add_argument("--quick", action="store_true", help="small grids and few replicates (what CI runs)")
    p.add_argument("--seed", type=int, default=0, help="base seed of every simulation (default: 0)")
    p.add_argument("--json", metavar="PATH", help="write the rows, the configuration and the seeds as JSON")
    p.add_argument("--no-cache", action="store_true", help="recompute every check (the fresh rows are stored in the cache)")
    p.set_defaults(func=run)
    return p


def _print_rows(rows, stream) -> None:
    for r in rows:
        ci = f" [{fmt(r.measured_ci[0])}, {fmt(r.measured_ci[1])}]" if r.measured_ci else ""
        tag = "CONTROL " if r.control else ""
        expected = " (expected)" if r.control and r.verdict == "violates" else (" (CONTROL FAILED TO FAIL)" if r.control else "")
        print(f"  {tag}{r.theorem} | {r.instance} | {r.parameter}", file=stream)
        print(
            f"      measured {fmt(r.measured)}{ci}  predicted {fmt(r.predicted)}  worst ratio {fmt(r.worst_ratio)}"
            f"  -> {r.verdict.upper()}{expected}",
            file=stream,
        )
        for line in textwrap.wrap(r.reason, 100):
            print(f"      {line}", file=stream)


def run(args: argparse.Namespace) -> int:
    profile = PROFILES["quick" if args.quick else "default"]
    if args.seed < 0 or args.seed >= 2**63:
        print(f"sandbox check: error: --seed must be an integer in [0, 2^63), got {args.seed}", file=sys.stderr)
        return 2
    try:
        checks = select_checks(args.theorems)
        if args.json is not None:
            check_output_path(args.json, "--json")
    except ValueError as exc:  # InvalidParameter included
        print(f"sandbox check: error: {exc}", file=sys.stderr)
        return 2
    t_start = time.perf_counter()
    done_rows = []
    unwritable = []  # the progress write's failure, reported once

    def on_start(check, i, n):
        print(f"[{i + 1}/{n}] {check.name}: {check.description}", file=sys.stderr, flush=True)

    def on_rows(check, rows, cached, seconds):
        done_rows.extend(rows)
        print(f"      {'cached' if cached else f'{seconds:.1f} s'}, {len(rows)} row(s)", file=sys.stderr, flush=True)
        _print_rows(rows, sys.stdout)
        sys.stdout.flush()
        if args.json is not None and not unwritable:
            try:  # progress only: a failure here is reported once and the final write decides
                write_json_atomic(args.json, _payload(args, profile, done_rows, time.perf_counter() - t_start, complete=False))
            except OSError as exc:
                unwritable.append(exc)
                print(f"sandbox check: warning: cannot write {args.json} ({exc.strerror or exc}); retrying at the end", file=sys.stderr)

    rows = run_checks(checks, profile, args.seed, on_start=on_start, on_rows=on_rows, refresh=args.no_cache)
    failed = [r for r in rows if r.failed]
    counts = {v: sum(r.verdict == v and not r.control for r in rows) for v in ("complies", "tight", "violates", "not_applicable")}
    n_controls = sum(r.control for r in rows)
    print(
        f"\n{len(rows)} rows: {counts['complies']} complies, {counts['tight']} tight, {counts['violates']} violates, "
        f"{counts['not_applicable']} not applicable; {n_controls} controls ({sum(r.control and r.verdict == 'violates' for r in rows)} failed as expected). "
        f"{'FAILED: ' + str(len(failed)) + ' row(s)' if failed else 'OK'}  [{time.perf_counter() - t_start:.0f} s, profile {profile.name}, seed {args.seed}]"
    )
    if args.json is not None:
        error = write_output_json(args.json, _payload(args, profile, rows, time.perf_counter() - t_start, complete=True))
        if error:
            print(f"sandbox check: error: {error}", file=sys.stderr)
            return 3
    return 1 if failed else 0


def _payload(args, profile, rows, seconds, complete: bool) -> dict:
    return {
        "complete": complete,
        "profile": asdict(profile),
        "seed": args.seed,
        "theorems": args.theorems,
        "seconds": seconds,
        "rows": [asdict(r) for r in rows],
    }
