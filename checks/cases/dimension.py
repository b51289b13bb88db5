"""CClip vs GClip as the dimension grows (NeurIPS20; orders only).

Theorems
--------
``neurips20_cclip_dimension_free``: coordinate-wise clipping (CClip) on a
strongly convex f under coordinate-wise moments ``E|g_i|^alpha <= B_i^alpha``
converges at ``K^(-2(alpha-1)/alpha)`` with a dimension-free bound
``C B^2/mu K^r`` (``dimension_exponent() = 0``).
``neurips20_gclip_coordinate_noise``: GClip under the same assumption, bound
``C d B^2/mu K^r`` (``dimension_exponent() = 1``).  Both share the
prescribed schedules ``eta_k = 4/(mu (k+2))`` and ``tau_k = B (k+1)^(1/alpha)``
(per coordinate for CClip, on the norm for GClip), so the two methods run
with the same parameters and, with the same seed, the same noise
(counter-based streams): a paired comparison.

Checks registered here (one per theorem)
----------------------------------------
``<theorem>/dimension``
    The error ``E f(xbar_K) - f*`` (the theorems' quantity, weights k + 1,
    read at step K - 1) on ``f = mu ||x||^2/2`` for d on a geometric grid
    (:func:`dimension_grid`), under i.i.d.-coordinate stable noise and under
    isotropic stable noise, each in two normalisations of the coordinate
    scales B_i (below).  One row per (noise, normalisation): the log-log
    slope over d with a bootstrap interval against the theorem's
    ``dimension_exponent()``; an upper bound's exponent is violated when the
    interval lies entirely above it.  ACClip (CClip rows) and Adam (GClip
    rows) run on the same instances and seeds with the same step-size
    schedule, for the record (``config["companion"]``), so that GClip,
    CClip, ACClip and Adam can be plotted together.
``<theorem>/rate``
    The theorems publish only orders: their values are ``not_applicable``
    (one row saying so), and their exponent in K is checked with
    :func:`checks.measure.rate_row` at d = :data:`RATE_DIMENSION`.  The CClip
    check adds the deliberately wrong exponent control: the same
    measurement against twice the theorem's exponent must violate.

B is ||(B_i)||_alpha (the theorems' reading, see theory/theorems_neurips20.py)
-----------------------------------------------------------------------------
Read literally as a bound on every coordinate, the claim cannot hold: on a
separable f with i.i.d. coordinates at the bound and x0 = x*, CClip runs d
independent copies of the one-dimensional problem, so its error is exactly d
times the 1-D error (for any method, the 1-D lower bound applies to every
coordinate).  With B = ||(B_i)||_alpha, summing the clipped-noise lemma over
coordinates with the per-coordinate threshold ``tau = B (k+1)^(1/alpha)``
gives the bias term
``sum_i B_i^(2 alpha)/tau^(2 alpha - 2) <= ||B||_alpha^(2 alpha)/tau^(2 alpha - 2)``
and the variance term ``sum_i tau^(2-alpha) B_i^alpha = tau^(2-alpha) ||B||_alpha^alpha``,
both free of d (derived here).  Two families are run:
``coordinate``: every B_i equal and fixed, so B = d^(1/alpha) B_i grows and
    the bound's exponent in d is ``dimension_exponent() + 2/alpha``;
``alpha_norm``: B fixed, B_i = B d^(-1/alpha): the bound's exponent in d is
    ``dimension_exponent()`` (see :func:`bound_dimension_exponent`).
In both, the isotropic noise's coordinates (each ``S(a, 0, s)``) have the
same coordinate moments as the i.i.d. noise with the same scale s.

Noise: stable of index :data:`NOISE_INDEX` > alpha = :data:`ALPHA` (a finite
alpha-moment needs index > alpha, docs/mathematics.md#pitfalls, item 3); B_i is
its exact coordinate alpha-moment scale (:func:`theory.stable.alpha_moment_scale`).
x0 = x* = 0, so the error is the noise's doing (with eta_0 = 2/mu the
deterministic part of the iterate vanishes at k = 2 anyway).
"""

from __future__ import annotations

import math

import numpy as np

import sims
from sims.params import InvalidParameter
from theory.catalog import get
from theory.stable import alpha_moment_scale
from theory.theorem import OrderOnly

from ..core import Check, Profile, Row, register
from ..measure import derive_seed, horizon_sweep, rate_row
from ..stats import loglog_slope
from .controls import exponent_at

CCLIP = "neurips20_cclip_dimension_free"
GCLIP_COORD = "neurips20_gclip_coordinate_noise"

MU = 1.0
#: Moment order alpha of the theorems' assumption.
ALPHA = 1.5
#: Index of the stable noise (> ALPHA).
NOISE_INDEX = 1.8
#: Scale of each coordinate of the noise at d = 1.
NOISE_SCALE = 1.0
NOISES = ("stable", "stable_isotropic")
NORMALISATIONS = ("coordinate", "alpha_norm")
READING = {
    "coordinate": "every B_i equal and fixed, so B = ||(B_i)||_alpha = d^(1/alpha) B_i grows with d",
    "alpha_norm": "B = ||(B_i)||_alpha fixed, B_i = B d^(-1/alpha)",
}
#: At most this many dimensions 1, 4, 16, ... (the grid has as many points as the profile's
#: horizon grid, up to this cap: quick 1..64, default 1..256).
MAX_DIMENSIONS = 5
#: Horizon of the dimension sweeps: the profile's second horizon (300 in both profiles).
DIMENSION_HORIZON_INDEX = 1
#: At most this many replicates per dimension sweep (times the small-d factor of
#: :func:`replicates_at`): the cost grows like d, and over the default grid (d up to 256) a wider
#: d range sharpens the slope more than more replicates would (quick: 200, default: 500).
DIMENSION_REPLICATE_CAP = 500
#: Dimension of the K-rate rows.
RATE_DIMENSION = 4
#: Factor of the deliberately wrong exponent of the control.
WRONG_EXPONENT_FACTOR = 2.0
CONFIDENCE = 0.99
#: The method each theorem is about, and the companion run for the record on the same instances.
METHOD = {CCLIP: "cclip", GCLIP_COORD: "clipped_sgd"}
COMPANION = {CCLIP: "acclip", GCLIP_COORD: "adam"}


def dimension_grid(profile: Profile) -> tuple[int, ...]:
    """Dimensions 1, 4, 16, ...: as many as the profile's horizons, at most :data:`MAX_DIMENSIONS` (and at least 2)."""
    n = max(2, min(len(profile.horizons), MAX_DIMENSIONS))
    return tuple(4**j for j in range(n))


def coordinate_scale(dim: int, normalisation: str) -> float:
    """Scale s of each noise coordinate ``S(NOISE_INDEX, 0, s)`` in dimension ``dim``.

    Parameters
    ----------
    dim : int
        >= 1.
    normalisation : {"coordinate", "alpha_norm"}
        See the module docstring.

    Returns
    -------
    float
    """
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise InvalidParameter(f"dim must be an integer >= 1, got {dim!r}")
    if normalisation not in NORMALISATIONS:
        raise InvalidParameter(f"normalisation must be one of {NORMALISATIONS}, got {normalisation!r}")
    return NOISE_SCALE if normalisation == "coordinate" else NOISE_SCALE * dim ** (-1.0 / ALPHA)


def theorem_B(dim: int, normalisation: str) -> float:
    """The theorems' constant B = ||(B_i)||_alpha = d^(1/alpha) B_i for the common coordinate bound B_i.

    Under the ``coordinate`` normalisation B_i is fixed, so B grows like d^(1/alpha);
    under ``alpha_norm`` B_i shrinks like d^(-1/alpha) and B is fixed.
    """
    b_i = alpha_moment_scale("stable", ALPHA, {"alpha": NOISE_INDEX, "beta": 0.0, "scale": coordinate_scale(dim, normalisation)}).value
    return b_i * dim ** (1.0 / ALPHA)


def bound_dimension_exponent(theorem_id: str, dims, normalisation: str) -> float:
    """Exponent of d in the theorem's bound on this family: its explicit d-exponent plus B^2's.

    The bounds are ``C d^p B^2/mu K^r`` with B = ||(B_i)||_alpha, and B itself scales with d
    under the ``coordinate`` normalisation (d^(1/alpha)), not under ``alpha_norm``.
    """
    b_exponent = math.log(theorem_B(int(dims[-1]), normalisation) / theorem_B(int(dims[0]), normalisation)) / math.log(dims[-1] / dims[0])
    return float(get(theorem_id).dimension_exponent()) + 2.0 * round(b_exponent, 12)  # exact 1/alpha or 0 up to rounding


def _noise_params(noise: str, dim: int, normalisation: str) -> dict:
    params = {"alpha": NOISE_INDEX, "scale": coordinate_scale(dim, normalisation)}
    if noise == "stable":
        params["beta"] = 0.0
    return params


def run_kwargs(theorem_id: str, method: str, noise: str, dim: int, normalisation: str, K: int, R: int) -> dict:
    """``sims.simulate`` arguments (without K, seed, record) of one instance.

    Parameters
    ----------
    theorem_id : str
        :data:`CCLIP` or :data:`GCLIP_COORD`: whose prescribed parameters.
    method : str
        The theorem's own method (with all its prescribed parameters) or a
        companion, which gets the theorem's step-size schedule and its own
        defaults otherwise.
    noise : {"stable", "stable_isotropic"}
    dim : int
    normalisation : {"coordinate", "alpha_norm"}
    K, R : int
        Horizon (the prescriptions do not depend on it) and replicates.

    Returns
    -------
    dict
    """
    setup = get(theorem_id).simulation(mu=MU, B=theorem_B(dim, normalisation), d=dim, alpha=ALPHA, K=K)
    params = setup["method_params"] if method == setup["method"] else {"lr": setup["method_params"]["lr"]}
    return dict(
        objective="quadratic", method=method, noise=noise, R=R, x0=0.0, avg_power=setup["avg_power"],
        objective_params={"dim": dim, "L": MU}, method_params=params, noise_params=_noise_params(noise, dim, normalisation),
    )  # fmt: skip


def replicates_at(dim: int, dims, R: int) -> int:
    """Replicates at dimension ``dim``: ``R sqrt(max(dims)/dim)``.

    In small dimensions the error of one replicate is a sum of few
    coordinates, so its law is more skewed and its sample mean noisier than
    in large ones (at d = 1 the median is far below the mean); more
    replicates there balance the precision of the points of the d-slope at
    about 40 % extra cost (quick grid).
    """
    return int(round(R * math.sqrt(max(dims) / dim)))


def dimension_sweep(theorem_id: str, method: str, noise: str, normalisation: str, dims, K: int, R: int,
                    base_seed: int) -> tuple[list[np.ndarray], list[dict]]:  # fmt: skip
    """The theorem's quantity at step K - 1 for every d (one run per d, :func:`replicates_at` replicates).

    The seed depends on (noise, normalisation, d) but not on the method, so
    every method sees the same noise.

    Returns
    -------
    values : list of arrays (one per d)
    configs : list of dict
    """
    metric = get(theorem_id).quantity
    values, configs = [], []
    for d in dims:
        seed = derive_seed(base_seed, "dimension", noise, normalisation, int(d))
        kwargs = run_kwargs(theorem_id, method, noise, int(d), normalisation, K, replicates_at(int(d), dims, R))
        res = sims.simulate(K=int(K), seed=seed, record=[int(K) - 1], **kwargs)
        values.append(res.values(metric, int(K) - 1))
        configs.append(res.config)
    return values, configs


def _summary(dims, values, profile: Profile, seed: int):
    """(JSON summary, mean-slope fit) of one method's dimension sweep."""
    fit = loglog_slope(dims, values, statistic="mean", n_boot=profile.n_boot, confidence=CONFIDENCE, seed=seed)
    fit_median = loglog_slope(dims, values, statistic="median", n_boot=profile.n_boot, confidence=CONFIDENCE, seed=seed)
    summary = {
        "mean": [float(np.mean(v)) for v in values],
        "median": [float(np.median(v)) for v in values],
        "slope_mean": [fit.slope, fit.lower, fit.upper],
        "slope_median": [fit_median.slope, fit_median.lower, fit_median.upper],
    }
    return summary, fit


def dimension_row(theorem_id: str, check: str, noise: str, normalisation: str, profile: Profile, seed: int) -> Row:
    """One row: the slope of the error over d against the theorem's dimension exponent."""
    thm = get(theorem_id)
    method, companion = METHOD[theorem_id], COMPANION[theorem_id]
    dims = dimension_grid(profile)
    K = profile.horizons[min(DIMENSION_HORIZON_INDEX, len(profile.horizons) - 1)]
    R = min(profile.replicates, DIMENSION_REPLICATE_CAP)
    values, configs = dimension_sweep(theorem_id, method, noise, normalisation, dims, K, R, seed)
    comp_values, comp_configs = dimension_sweep(theorem_id, companion, noise, normalisation, dims, K, R, seed)
    boot_seed = derive_seed(seed, "dimension_slope", theorem_id, noise, normalisation)
    own, fit = _summary(dims, values, profile, boot_seed)
    comp, _ = _summary(dims, comp_values, profile, boot_seed)
    p = bound_dimension_exponent(theorem_id, dims, normalisation)
    window = f"d in {list(dims)} at K = {K} (means of {', '.join(str(replicates_at(d, dims, R)) for d in dims)} replicates)"
    fa = (1 - CONFIDENCE) / 2
    if not (math.isfinite(fit.lower) and math.isfinite(fit.upper)):
        verdict, head = "violates", f"the mean error is not finite at some d: no slope over {window}"
    elif fit.lower > p:
        verdict = "violates"
        head = f"the error grows like d^{fit.slope:.3f} [{fit.lower:.3f}, {fit.upper:.3f}], significantly faster than the bound's d^{p:.3g}, over {window}"
    else:
        verdict = "complies"
        head = f"the error grows like d^{fit.slope:.3f} [{fit.lower:.3f}, {fit.upper:.3f}], at most the bound's d^{p:.3g} within the interval"
        if fit.upper < p:
            head += " (slower than the bound allows: compliance, the bound is an upper bound)"
        head += f", over {window}"
    reason = (
        f"{head}; percentile bootstrap ({fit.n_boot} resamples), one-sided false-alarm probability about {fa:.2g}. "
        f"Medians: d^{own['slope_median'][0]:.3f}. {companion} on the same instances and noise: "
        f"d^{comp['slope_mean'][0]:.3f} (means {', '.join(f'{m:.3g}' for m in comp['mean'])} vs {method} "
        f"{', '.join(f'{m:.3g}' for m in own['mean'])})"
    )
    return Row(
        check=check,
        theorem=theorem_id,
        instance=f"{method} on f = {MU:g} ||x||^2/2 from x* = 0, {noise} noise of index {NOISE_INDEX:g}, {READING[normalisation]}",
        parameter=f"alpha={ALPHA:g}, K={K}, normalisation={normalisation}",
        measured=fit.slope,
        measured_ci=(fit.lower, fit.upper),
        predicted=p,
        worst_ratio=float((own["mean"][-1] / own["mean"][0]) / (dims[-1] / dims[0]) ** p) if own["mean"][0] > 0 else math.nan,
        verdict=verdict,
        reason=reason,
        config={
            "simulations": configs,
            "dims": list(dims),
            "K": K,
            "R": [replicates_at(int(d), dims, R) for d in dims],
            "alpha": ALPHA,
            "B": [theorem_B(int(d), normalisation) for d in dims],
            "coordinate_scale": [coordinate_scale(int(d), normalisation) for d in dims],
            "quantity": thm.quantity,
            "compare_at": "recorded step K - 1",
            "confidence": CONFIDENCE,
            method: own,
            "companion": {"method": companion, "simulations": comp_configs, **comp},
        },
    )


def rate_rows(theorem_id: str, check: str, profile: Profile, seed: int) -> list[Row]:
    """The order-only theorem's rows in K: value not_applicable, exponent via rate_row (+ the wrong-exponent control for CClip)."""
    thm = get(theorem_id)
    B = theorem_B(RATE_DIMENSION, "coordinate")
    H = profile.horizons
    try:
        thm.predicted(mu=MU, B=B, d=RATE_DIMENSION, alpha=ALPHA, K=H[-1])
        raise RuntimeError(f"{theorem_id} now has a numeric bound: check its value here")
    except OrderOnly as exc:
        why = str(exc)
    instance = f"{METHOD[theorem_id]} on f = {MU:g} ||x||^2/2 in d = {RATE_DIMENSION} from x* = 0, i.i.d. stable noise of index {NOISE_INDEX:g}, B_i = B"
    value_row = Row(
        check=check,
        theorem=theorem_id,
        instance=instance,
        parameter=f"alpha={ALPHA:g}, value of the bound",
        measured=None,
        predicted=None,
        verdict="not_applicable",
        reason=f"{why}: only its exponents can be checked (rate in K in the next row, dimension exponent in the dimension rows)",
        config={"B": B, "d": RATE_DIMENSION},
    )
    values, configs = horizon_sweep(
        lambda K: run_kwargs(theorem_id, METHOD[theorem_id], "stable", RATE_DIMENSION, "coordinate", K, profile.replicates),
        H, seed, f"rate/{theorem_id}", thm.quantity, offset=-1,
    )  # fmt: skip
    exponent = exponent_at(theorem_id, ALPHA)
    common = dict(check=check, theorem=theorem_id, instance=instance, horizons=H, samples=values,
                  n_boot=profile.n_boot, confidence=CONFIDENCE)  # fmt: skip
    config = {"simulations": configs, "horizons": list(H), "B": B, "alpha": ALPHA, "compare_at": "recorded step K - 1"}
    rows = [
        value_row,
        rate_row(parameter=f"alpha={ALPHA:g}", exponent=exponent, tight=False, config=config,
                 seed=derive_seed(seed, "rate", theorem_id), **common),  # fmt: skip
    ]
    if theorem_id == CCLIP:
        wrong = WRONG_EXPONENT_FACTOR * exponent
        control = rate_row(
            parameter=f"alpha={ALPHA:g}, claimed exponent {wrong:.3f} = {WRONG_EXPONENT_FACTOR:g} x the theorem's (deliberately wrong)",
            exponent=wrong, tight=False, config={**config, "true_exponent": exponent}, control=True,
            seed=derive_seed(seed, "rate", theorem_id), **common,
        )  # fmt: skip
        control.reason += "; negative control: the same measurement against a deliberately wrong (too steep) exponent must violate"
        rows.append(control)
    return rows


def _run(theorem_id: str, check: str):
    def run(profile: Profile, seed: int) -> list[Row]:
        return [dimension_row(theorem_id, check, noise, norm, profile, seed) for noise in NOISES for norm in NORMALISATIONS]

    return run


def _run_rate(theorem_id: str, check: str):
    def run(profile: Profile, seed: int) -> list[Row]:
        return rate_rows(theorem_id, check, profile, seed)

    return run


for _thm, _name in ((CCLIP, "CClip"), (GCLIP_COORD, "GClip")):
    register(Check(
        name=f"{_thm}/dimension", theorem=_thm, run=_run(_thm, f"{_thm}/dimension"),
        description=f"{_name} error vs dimension d (i.i.d. and isotropic stable noise, two normalisations of B): exponent in d",
    ))  # fmt: skip
    register(Check(
        name=f"{_thm}/rate", theorem=_thm, run=_run_rate(_thm, f"{_thm}/rate"),
        description=f"{_name} (order only): rate exponent in K" + (" + deliberately wrong exponent control" if _thm == CCLIP else ""),
    ))  # fmt: skip
