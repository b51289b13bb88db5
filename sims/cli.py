"""The simulator's subcommands of the ``sandbox`` command line.

simulate   run one simulation and print a summary (optionally JSON)
bench      measure the engine and the sampler against NumPy and scipy

The ``sandbox`` program itself is assembled in :mod:`sandbox.cli`.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Sequence

import numpy as np

from .methods import METHODS
from .noise import LAWS
from .objectives import OBJECTIVES
from sandbox.cache import check_output_path, write_output_json

from .params import InvalidParameter
from .schedules import PowerSchedule

_COMPONENT_KINDS = ("objective", "method", "noise")
_POWER = re.compile(r"^pow:([^,]+),([^,]+)(?:,([^,]+))?$")


def _parse_value(text: str, key: str = "value"):
    """A number, or ``pow:COEF,POWER[,OFFSET]`` for a PowerSchedule.

    A malformed text is blamed on the format; a well-formed schedule with an
    invalid field (e.g. an offset <= 0) on that field, with its valid range.
    """
    m = _POWER.match(text.strip())
    try:
        fields = [float(f) for f in (m.group(1), m.group(2), m.group(3) or "1")] if m else [float(text)]
    except ValueError:
        raise InvalidParameter(f"--set {key}: value {text!r} is neither a number nor pow:COEF,POWER[,OFFSET]") from None
    if not m:
        return fields[0]
    try:
        return PowerSchedule(*fields)
    except ValueError as exc:
        raise InvalidParameter(f"--set {key}={text}: {exc}") from None


def route_settings(settings: Sequence[str], components: dict) -> dict[str, dict]:
    """Send each ``key=value`` to the one selected component that declares ``key``.

    ``components`` maps "objective"/"method"/"noise" to registry entries.  A key
    may be qualified as ``noise.scale`` to pick the component explicitly.
    Unknown and ambiguous keys are errors that list the valid keys.
    """
    routed: dict[str, dict] = {kind: {} for kind in components}
    given: dict[tuple[str, str], str] = {}  # (component, name) -> the --set item that gave it
    for item in settings:
        if "=" not in item:
            raise InvalidParameter(f"--set expects key=value, got {item!r}")
        key, value = (s.strip() for s in item.split("=", 1))
        if "." in key:
            kind, name = key.split(".", 1)
            if kind not in components:
                raise InvalidParameter(f"--set {key}: unknown component {kind!r}; valid: {', '.join(components)}")
            owners = [kind] if name in components[kind].param_names else []
        else:
            name = key
            owners = [kind for kind, comp in components.items() if name in comp.param_names]
        if not owners:
            valid = "; ".join(f"{kind}: {', '.join(c.param_names) or '(none)'}" for kind, c in components.items())
            raise InvalidParameter(f"--set {key}: no selected component declares it; valid keys: {valid}")
        if len(owners) > 1:
            raise InvalidParameter(f"--set {key}: ambiguous, declared by {' and '.join(owners)}; write e.g. {owners[0]}.{name}")
        if (owners[0], name) in given:
            raise InvalidParameter(
                f"--set {key}: given twice ({given[owners[0], name]!r} and {item!r}); give each parameter once"
            )
        given[owners[0], name] = item
        routed[owners[0]][name] = _parse_value(value, key)
    return routed


def _parse_x0(text: str | None):
    if text is None:
        return None
    try:
        vals = [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidParameter(f"--x0 must be a number or comma-separated numbers, got {text!r}") from None
    return vals[0] if len(vals) == 1 else np.array(vals)


def _registry_listing() -> str:
    return (
        "objectives:\n" + OBJECTIVES.help_text() + "\n\nmethods (every parameter may be a schedule pow:COEF,POWER[,OFFSET]"
        " = COEF*(k+OFFSET)^POWER):\n" + METHODS.help_text() + "\n\nnoise laws:\n" + LAWS.help_text()
    )


def _cmd_simulate(args) -> int:
    from .engine import simulate

    if args.json is not None:
        check_output_path(args.json, "--json")
    comps = {
        "objective": OBJECTIVES.get_component(args.objective),
        "method": METHODS.get_component(args.method),
        "noise": LAWS.get_component(args.noise),
    }
    routed = route_settings(args.set or [], comps)
    result = simulate(
        args.objective,
        args.method,
        args.noise,
        K=args.K,
        R=args.R,
        seed=args.seed,
        x0=_parse_x0(args.x0),
        objective_params=routed["objective"],
        method_params=routed["method"],
        noise_params=routed["noise"],
        threads=args.threads,
        progress=not args.quiet,
        max_memory=args.max_memory,
    )
    summary = result.summary()
    cfg = result.config
    print(f"{cfg['method']} on {cfg['objective']} (d={cfg['dim']}) with {cfg['noise']} noise: K={cfg['K']}, R={cfg['R']}, seed={cfg['seed']}")
    print(f"  {'quantity at k=K':<22}{'q10':>12}{'median':>12}{'q90':>12}")
    for label, key in (("||grad f(x_K)||", "final_grad_norm_quantiles"), ("f(x_K) - f*", "final_f_gap_quantiles")):
        q = summary[key]
        print(f"  {label:<22}{q['q10']:>12.4g}{q['q50']:>12.4g}{q['q90']:>12.4g}")
    print(f"  diverged replicates: {summary['n_diverged']} of {summary['R']}  (counted as +inf in the quantiles)")
    print(f"  wall time: {summary['wall_time_s']:.3f} s (plus {result.compile_time:.2f} s loading/compiling kernels)")
    if args.json is not None:
        error = write_output_json(args.json, {"summary": summary, "config": cfg}, indent=2)
        if error:
            print(f"sandbox simulate: error: {error}", file=sys.stderr)
            return 1
        print(f"  wrote {args.json}")
    return 0


def _cmd_bench(args) -> int:
    from .bench import run_bench

    if args.json is not None:
        check_output_path(args.json, "--json")
    run_bench(json_path=args.json, quick=args.quick)
    return 0


def register(sub) -> None:
    """Add the ``simulate`` and ``bench`` subcommands to an argparse subparsers object."""
    sim = sub.add_parser(
        "simulate",
        help="run one simulation and print a summary",
        description="Run R replicates of a method on an objective with injected noise; print quantiles of the final "
        "gradient norm and optimality gap, the number of diverged replicates and the wall time.",
        epilog=_registry_listing()
        + "\n\nexample:\n  sandbox simulate --objective quartic --method clipped_sgd --noise stable "
        "--set alpha=1.5 --set lr=0.01 --set threshold=1 --K 2000 --R 200 --seed 1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sim.add_argument("--objective", default="quadratic", help="objective name (default: quadratic)")
    sim.add_argument("--method", default="sgd", help="method name (default: sgd)")
    sim.add_argument("--noise", default="gaussian", help="noise law name (default: gaussian)")
    sim.add_argument("--set", action="append", metavar="KEY=VALUE", help="a parameter of whichever selected component declares KEY (repeatable; qualify as noise.KEY when ambiguous)")
    sim.add_argument("--K", type=int, default=1000, help="number of steps (default: 1000)")
    sim.add_argument("--R", type=int, default=100, help="number of replicates (default: 100)")
    sim.add_argument("--seed", type=int, default=0, help="random seed in [0, 2^64) (default: 0)")
    sim.add_argument("--x0", default=None, help="starting point: a number or comma-separated coordinates (default: the objective's)")
    sim.add_argument("--threads", type=int, default=None, help="worker threads (default: numba's thread count; results do not depend on it)")
    sim.add_argument("--json", metavar="PATH", help="also write the summary and the full configuration as JSON")
    sim.add_argument("--quiet", action="store_true", help="no progress bar")
    sim.add_argument(
        "--max-memory", metavar="SIZE", default=None,
        help="refuse a run that needs more memory than SIZE, e.g. 16G or inf (default: the environment variable "
        "SANDBOX_MAX_MEMORY, else the memory available now)",
    )  # fmt: skip
    sim.set_defaults(func=_cmd_simulate)

    bench = sub.add_parser(
        "bench",
        help="benchmark the engine and the sampler against NumPy and scipy",
        description="Measure, after warm-up, the engine against a NumPy implementation vectorized across replicates "
        "(R*d = 64 and 4096, 1 and 2 threads) and the alpha-stable sampler against scipy.stats.levy_stable and NumPy; "
        "report throughputs, ratios, and the cold/warm start time.",
    )
    bench.add_argument("--json", metavar="PATH", help="write the measurements as JSON")
    bench.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test, not a measurement)")
    bench.set_defaults(func=_cmd_bench)
