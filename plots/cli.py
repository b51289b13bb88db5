"""``sandbox figures``: regenerate the figures (PNG, PDF and a JSON sidecar each)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sandbox.cache import check_output_path
from sandbox.errors import InvalidParameter

from .core import SweepCache, figure_complete, save_figure, style
from .registry import all_figures

_DESCRIPTION = """\
Regenerate the figures into figures/ (or --out DIR): NAME.png for the README, NAME.pdf for papers
and NAME.json with the configuration, seeds, package versions, a digest of the project's sources and
the checksums of the two images.  The same sources, seed and versions give the same bytes; the
sidecar is written last, so a PNG or PDF without a matching sidecar is the remains of an
interrupted run (every run regenerates the figures it names).  Sweep results and verification rows
are cached on disk (SANDBOX_CACHE_DIR, default ~/.cache/clipping-sandbox), so re-plotting skips the
simulations and an interrupted run resumes; --force recomputes."""


def register(subparsers) -> argparse.ArgumentParser:
    figs = all_figures()
    p = subparsers.add_parser(
        "figures",
        help="regenerate the figures",
        description=_DESCRIPTION,
        epilog="figures:\n" + "\n".join(f"  {f.name}: {f.description}" for f in figs.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="figures to make (default: all)")
    p.add_argument("--quick", action="store_true", help="small grids and few replicates (under 3 minutes for all)")
    p.add_argument("--out", default="figures", help="output directory (default: figures)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default: 0)")
    p.add_argument("--force", action="store_true", help="recompute the sweeps instead of using cached results (the fresh results are stored)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    figs = all_figures()
    unknown = [n for n in args.names if n not in figs]
    if unknown:
        print(f"sandbox figures: error: unknown figure(s) {', '.join(map(repr, unknown))}; valid: {', '.join(figs)}", file=sys.stderr)
        return 2
    if not 0 <= args.seed < 2**63:
        print(f"sandbox figures: error: --seed must be an integer in [0, 2^63), got {args.seed}", file=sys.stderr)
        return 2
    try:
        check_output_path(args.out, "--out", directory=True)
    except InvalidParameter as exc:
        print(f"sandbox figures: error: {exc}", file=sys.stderr)
        return 2
    style()
    import matplotlib.pyplot as plt

    cache = SweepCache.default(refresh=args.force)
    selected = args.names or list(figs)
    for i, name in enumerate(selected):
        t0 = time.perf_counter()
        print(f"[{i + 1}/{len(selected)}] {name}: {figs[name].description}", file=sys.stderr, flush=True)
        fig, config = figs[name].make(quick=args.quick, seed=args.seed, cache=cache)
        config = {"quick": args.quick, "seed": args.seed, **config}
        paths = save_figure(fig, name, args.out, config)
        plt.close(fig)
        print(f"      {time.perf_counter() - t0:.1f} s -> {', '.join(str(p) for p in paths)}", file=sys.stderr, flush=True)
    # figures not asked for this time but left incomplete by an earlier, interrupted run
    out = Path(args.out)
    stale = [n for n in figs if n not in selected and any((out / f"{n}.{e}").exists() for e in ("png", "pdf", "json"))
             and not figure_complete(out, n)]
    if stale:
        print(f"sandbox figures: warning: {', '.join(stale)} in {out} are incomplete (an interrupted run?): "
              f"regenerate with 'sandbox figures {' '.join(stale)}'", file=sys.stderr)
    return 0
