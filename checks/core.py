"""The verification framework: check cases, rows, verdicts, profiles and the runner.

A *check* runs the simulator in one theorem's own setting, with the theorem's
own prescribed parameters, and returns one :class:`Row` per (instance,
parameter value).  Each row carries the measurement (with a confidence
interval where it is statistical), the theorem's prediction, the worst
measured/predicted ratio, a verdict and the reason for it, and the
configuration and seed needed to re-run it.

Verdicts
--------
``complies``        the measurement is consistent with the bound (a faster
                    rate than an upper bound's is compliance too: the reason says so);
``tight``           on a designated tight instance, the measured exponent or value
                    matches the theorem's within the confidence interval;
``violates``        the measurement contradicts the bound at the stated
                    false-alarm probability (or exactly, for deterministic bounds);
``not_applicable``  the theorem's assumptions do not hold for this instance (the
                    reason says which), or its bound has no numeric value.

A *negative control* is a row that must come out ``violates`` (a deliberately
wrong exponent, SGD against a finite bound under infinite variance, ...): a
checker that cannot fail checks nothing.  A control that violates as expected
does not count as a failure; one that does not violate does.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Sequence

from sandbox.cache import CHECK_SOURCES, ResultCache, digest_key, source_digest
from sandbox.cache import cache_dir as cache_subdir

VERDICTS = ("complies", "tight", "violates", "not_applicable")


@dataclass
class Row:
    """One line of the check report.

    Attributes
    ----------
    check : str
        Name of the check that produced the row.
    theorem : str
        Theorem id (``sandbox theorems``).
    instance : str
        Objective, noise law and what makes the instance special.
    parameter : str
        The swept parameter value of this row, e.g. ``alpha=1.5``.
    measured, predicted : float or None
        The measured quantity or exponent, and the theorem's value.
    measured_ci : (float, float) or None
        Confidence interval of ``measured`` (level in ``config``).
    worst_ratio : float or None
        The worst measured/predicted ratio over the row's horizons or points
        (> 1 means above an upper bound; < 1 means below a lower bound).
    verdict : str
        One of :data:`VERDICTS`.
    reason : str
        Why, including the statistical test and its false-alarm probability.
    control : bool
        Whether the row is a negative control (it must violate).
    config : dict
        Everything needed to re-run the row (simulator arguments, seeds, grids).
    """

    check: str
    theorem: str
    instance: str
    parameter: str
    measured: float | None
    predicted: float | None
    verdict: str
    reason: str
    measured_ci: tuple[float, float] | None = None
    worst_ratio: float | None = None
    control: bool = False
    config: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    @property
    def failed(self) -> bool:
        """A non-control row that violates, or a control that does not."""
        return (self.verdict == "violates") != self.control


@dataclass(frozen=True)
class Profile:
    """Sizes of a run: ``quick`` (CI, < 3 minutes on 2 cores) or ``default``.

    Check functions read their sizes from here so that one switch scales
    every check consistently.
    """

    name: str
    replicates: int  # R for statistical checks
    horizons: tuple[int, ...]  # geometric K grid for rate fits
    alphas: tuple[float, ...]  # alpha grid of rate-vs-alpha checks
    n_boot: int  # bootstrap resamples of slope CIs
    deterministic_points: int  # (instance, eps) or (h) points per deterministic check


PROFILES = {
    "quick": Profile("quick", replicates=200, horizons=(100, 300, 1000, 3000), alphas=(1.3, 1.6, 1.9), n_boot=400, deterministic_points=3),
    # About 30x the quick profile's work (5x replicates, 3.3x the summed horizons, 2x the alphas):
    # tight enough intervals for the figures, short enough to run before trusting them.
    "default": Profile(
        "default",
        replicates=1000,
        horizons=(100, 300, 1000, 3000, 10_000),
        alphas=(1.2, 1.35, 1.5, 1.65, 1.8, 1.95),
        n_boot=2000,
        deterministic_points=8,
    ),
}


@dataclass(frozen=True)
class Check:
    """A registered check case.

    Attributes
    ----------
    name : str
        Unique, e.g. ``iclr20_thm3_clipped_gd/instances``.
    theorem : str
        The theorem id it checks (controls name the theorem they abuse).
    run : callable ``(profile, seed) -> list[Row]``
    description : str
    control : bool
        Whether its rows are negative controls.
    """

    name: str
    theorem: str
    run: Callable[[Profile, int], list[Row]]
    description: str
    control: bool = False


_REGISTRY: dict[str, Check] = {}


def register(check: Check) -> Check:
    """Add a check to the registry (names must be unique)."""
    if check.name in _REGISTRY:
        raise RuntimeError(f"duplicate check name {check.name!r}")
    _REGISTRY[check.name] = check
    return check


def all_checks() -> dict[str, Check]:
    """Every registered check, importing the modules that define them."""
    from . import cases  # noqa: F401  (registers on import)

    return dict(_REGISTRY)


# ----------------------------------------------------------------------------- running


def _row_from_dict(d: dict) -> Row:
    d = dict(d)
    if d.get("measured_ci") is not None:
        d["measured_ci"] = tuple(d["measured_ci"])
    return Row(**d)


def run_checks(
    checks: Sequence[Check],
    profile: Profile,
    seed: int,
    cache_dir: str | os.PathLike | None = None,
    on_start: Callable[[Check, int, int], None] | None = None,
    on_rows: Callable[[Check, list[Row], bool, float], None] | None = None,
    *,
    refresh: bool = False,
) -> list[Row]:
    """Run checks in order, reusing finished ones from the cache.

    Each finished check's rows are written atomically to the cache as soon as
    it ends, keyed by (check, profile, seed, and the digest of every source
    file of ``sims``, ``theory``, ``checks`` and ``sandbox``, see
    :mod:`sandbox.cache`): an interrupted run keeps everything that
    finished, and re-running resumes.  An entry that fails its checksum or
    belongs to another key is recomputed; an unusable cache directory gives
    one warning and the checks run uncached.

    Parameters
    ----------
    cache_dir : path-like, optional
        Default: ``checks`` under the cache root (:func:`sandbox.cache.cache_root`).
    refresh : bool
        Recompute every check, and store the fresh rows in the cache.
    """
    cache = ResultCache(cache_subdir("checks") if cache_dir is None else cache_dir, refresh=refresh)
    # the digest of the code as it is when the run starts (the code that is loaded)
    digest = source_digest(CHECK_SOURCES)
    rows: list[Row] = []
    for i, check in enumerate(checks):
        if on_start:
            on_start(check, i, len(checks))
        key = digest_key("check", check.name, asdict(profile), seed, digest)
        name = f"{check.name}-{key[:24]}"
        t0 = time.perf_counter()
        payload = cache.load_json(name, key)
        cached = payload is not None
        if cached:
            new = [_row_from_dict(r) for r in payload["rows"]]
        else:
            new = check.run(profile, seed)
            for r in new:
                r.control = r.control or check.control
            cache.save_json(name, key, {"check": check.name, "profile": profile.name, "seed": seed, "rows": [asdict(r) for r in new]})
        rows.extend(new)
        if on_rows:
            on_rows(check, new, cached, time.perf_counter() - t0)
    return rows


def select_checks(theorems: Iterable[str] = ()) -> list[Check]:
    """The checks of the given theorem ids (all when empty); unknown ids are errors."""
    from theory.catalog import THEOREMS

    checks = all_checks()
    wanted = list(theorems)
    unknown = [t for t in wanted if t not in THEOREMS]
    if unknown:
        raise ValueError(f"unknown theorem id(s) {', '.join(map(repr, unknown))}; valid: {', '.join(THEOREMS)}")
    if not wanted:
        return list(checks.values())
    return [c for c in checks.values() if c.theorem in wanted]


def fmt(x, digits: int = 3) -> str:
    """Compact number formatting for the report table."""
    if x is None:
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    if isinstance(x, (int, float)):
        return f"{x:.{digits}g}"
    return str(x)
