"""Shared measurement helpers of the check cases.

* :func:`derive_seed` gives every simulation of a check its own seed, a
  pure function of the base seed and the run's coordinates (reproducible,
  independent across runs).
* :func:`horizon_sweep` runs one separate simulation per horizon K (a
  horizon-dependent schedule is not a prefix of a longer run).
* :func:`iterations_to_eps` reads ICLR20's complexity T_eps off a run.
* :func:`markov_row` and :func:`rate_row` turn measurements into report rows
  with the decision rules and false-alarm probabilities of the verification
  issue; :func:`interval_text` says in a row how its slope interval was made.
"""

from __future__ import annotations

import hashlib
import math
from typing import Callable, Sequence

import numpy as np

import sims

from .core import Row
from .stats import SlopeFit, loglog_slope, markov_test, mean_ci, quantile_ci


def derive_seed(base: int, *parts) -> int:
    """A 63-bit seed determined by ``base`` and the run's coordinates ``parts``."""
    text = repr((int(base),) + tuple(parts)).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") >> 1


def horizon_sweep(
    run_kwargs: Callable[[int], dict],
    horizons: Sequence[int],
    base_seed: int,
    tag: str,
    metric: str,
    offset: int = 0,
) -> tuple[list[np.ndarray], list[dict]]:
    """One simulation per horizon K; returns per-K replicate values of ``metric`` at K.

    Parameters
    ----------
    run_kwargs : callable K -> dict
        Keyword arguments of :func:`sims.simulate` for horizon K (without
        ``K`` and ``seed``).
    horizons : sequence of int
    base_seed : int
    tag : str
        Distinguishes the sweep's seeds from other sweeps of the same check.
    metric : str
        A metric of :data:`sims.METRICS`.
    offset : int
        Read the metric at recorded step ``K + offset``.  The averaged
        quantities of the theorems, (1/K) sum_{k<K}, are the running averages
        at step K - 1 (``offset=-1``; see each theorem's ``compare_at``); the
        last iterate x_K is step K (``offset=0``).

    Returns
    -------
    values : list of arrays (one per K; diverged replicates are +inf)
    configs : list of dict (the simulate arguments and seed per K, JSON-friendly)
    """
    values, configs = [], []
    for K in horizons:
        kw = run_kwargs(int(K))
        seed = derive_seed(base_seed, tag, int(K))
        step = int(K) + int(offset)
        if not 0 <= step <= int(K):
            raise ValueError(f"offset {offset} reads step {step}, outside [0, K]")
        res = sims.simulate(K=int(K), seed=seed, record=[step], **kw)
        values.append(res.values(metric, step=step))
        configs.append({**res.config, "read_step": step})
    return values, configs


def iterations_to_eps(result, eps: float) -> np.ndarray:
    """First recorded step with ``grad_norm <= eps``, per replicate (+inf if never).

    Record every step (``record="all"``) for the exact T_eps.  A replicate
    that diverged before reaching eps never reaches it.
    """
    g = result.records["grad_norm"]  # (n_rec, R), nan after divergence
    hit = g <= eps
    first = np.argmax(hit, axis=0)
    reached = hit[first, np.arange(g.shape[1])]
    out = np.where(reached, result.steps[first].astype(float), math.inf)
    return out


def markov_row(
    *,
    check: str,
    theorem: str,
    instance: str,
    parameter: str,
    samples_per_point: Sequence[np.ndarray],
    bounds: Sequence[float],
    labels: Sequence[str],
    config: dict,
    delta: float = 0.1,
    false_alarm: float = 1e-3,
    control: bool = False,
) -> Row:
    """Row for ``E X <= B`` checked at several points (e.g. horizons) at once.

    At each point, Markov's inequality with level ``delta`` and an exact
    binomial test at ``false_alarm / n_points`` (Bonferroni), so the whole
    row falsely reports a violation with probability at most ``false_alarm``.
    ``measured`` is the sample mean at the point with the worst mean/bound
    ratio (with a t interval, and ``inf`` when a replicate diverged);
    ``worst_ratio`` that ratio.
    """
    n = len(bounds)
    per_point_fa = false_alarm / n
    worst, worst_i, violated = -math.inf, 0, []
    means = []
    for i, (x, b) in enumerate(zip(samples_per_point, bounds)):
        est = mean_ci(x)
        means.append(est)
        ratio = est.mean / b
        if ratio > worst:
            worst, worst_i = ratio, i
        if markov_test(x, b, delta=delta, false_alarm=per_point_fa).violates:
            violated.append(labels[i])
    est = means[worst_i]
    test_text = (
        f"Markov: E X <= B implies P(X > B/{delta:g}) <= {delta:g}; exact binomial test of the exceedances at "
        f"each of {n} point(s), false-alarm probability <= {false_alarm:g} for the row"
    )
    if violated:
        verdict = "violates"
        reason = f"too many replicates above B/{delta:g} at {', '.join(violated)}. {test_text}."
    else:
        verdict = "complies"
        reason = f"mean/bound at most {worst:.3g} (at {labels[worst_i]}); no significant exceedance. {test_text}."
    if not est.finite_mean_plausible:
        reason += " The sample suggests the mean may be infinite (heavy tail or divergence): compare medians."
    return Row(
        check=check,
        theorem=theorem,
        instance=instance,
        parameter=parameter,
        measured=est.mean,
        measured_ci=(est.lower, est.upper),
        predicted=float(bounds[worst_i]),
        worst_ratio=worst,
        verdict=verdict,
        reason=reason,
        control=control,
        config=config,
    )


def rate_row(
    *,
    check: str,
    theorem: str,
    instance: str,
    parameter: str,
    horizons: Sequence[int],
    samples: Sequence[np.ndarray],
    exponent: float,
    tight: bool,
    config: dict,
    statistic: str = "mean",
    confidence: float = 0.99,
    n_boot: int = 1000,
    seed: int = 0,
    control: bool = False,
    method: str = "percentile",
) -> Row:
    """Row for a rate: log-log slope of the statistic over K vs the theorem's exponent.

    Decision (upper bounds; the exponent is negative):

    * the slope's interval lies entirely above the exponent (significantly
      shallower): ``violates``;
    * ``tight=True`` (a designated tight instance): ``tight`` if the interval
      contains the exponent, otherwise ``violates`` (the tightness claim fails);
    * otherwise ``complies`` (a faster rate than an upper bound's is
      compliance, and the reason says so).

    ``method`` chooses the interval of :func:`checks.stats.loglog_slope`, and
    the reason names it:

    * ``"percentile"`` (bootstrap): one-sided false-alarm probability about
      ``(1 - confidence) / 2`` for light-tailed replicates; it under-covers for
      heavy-tailed ones (tail index below about 2.5: see ``loglog_slope``);
    * ``"subsample"`` (symmetric studentized subsampling, ``statistic="mean"``):
      coverage at least ``confidence`` in the coverage study for tail indices
      1.2 to 2.5 and on the heavy-tail checks' data; the one-sided false-alarm
      probability is about ``(1 - confidence) / 2`` when the slope's error is
      symmetric and at most ``1 - confidence``.

    ``worst_ratio`` is the ratio of the statistic to ``C K^exponent`` at the
    largest K, normalised at the smallest K (> 1: decaying slower than the
    theorem's rate over the window).
    """
    fit = loglog_slope(horizons, samples, statistic=statistic, n_boot=n_boot, confidence=confidence, seed=seed, method=method)
    summarise = np.mean if statistic == "mean" else np.median
    s0, s1 = summarise(samples[0]), summarise(samples[-1])
    worst = float((s1 / s0) / (horizons[-1] / horizons[0]) ** exponent) if s0 > 0 else math.nan
    window = f"K in [{horizons[0]}, {horizons[-1]}] ({len(horizons)} horizons, {statistic} of {len(samples[0])} replicates)"
    if not (math.isfinite(fit.lower) and math.isfinite(fit.upper)):
        verdict = "violates"
        reason = f"the {statistic} is not finite at some horizon (divergence or zero): no slope over {window}"
    elif fit.lower > exponent:
        verdict = "violates"
        reason = f"slope {fit.slope:.3f} [{fit.lower:.3f}, {fit.upper:.3f}] is significantly shallower than the theorem's {exponent:.3f} over {window}"
    elif tight:
        if fit.upper >= exponent:
            verdict = "tight"
            reason = f"designated tight instance: the {100 * confidence:.4g} % interval contains the theorem's exponent {exponent:.3f} over {window}"
        else:
            verdict = "violates"
            reason = f"designated tight instance but slope {fit.slope:.3f} [{fit.lower:.3f}, {fit.upper:.3f}] is faster than the theorem's {exponent:.3f} over {window}: the tightness claim fails"
    else:
        verdict = "complies"
        faster = " (faster than the bound: compliance, the bound is an upper bound)" if fit.upper < exponent else ""
        reason = f"slope {fit.slope:.3f} is at least as steep as the theorem's {exponent:.3f} within the interval{faster} over {window}"
    reason += "; " + interval_text(fit)
    return Row(
        check=check,
        theorem=theorem,
        instance=instance,
        parameter=parameter,
        measured=fit.slope,
        measured_ci=(fit.lower, fit.upper),
        predicted=float(exponent),
        worst_ratio=worst,
        verdict=verdict,
        reason=reason,
        control=control,
        config=config,
    )


def interval_text(fit: SlopeFit) -> str:
    """How a slope interval was made and its one-sided false-alarm probability, for a row's reason.

    Parameters
    ----------
    fit : checks.stats.SlopeFit
    """
    fa = (1 - fit.confidence) / 2
    if fit.method == "subsample":
        sizes = sorted(set(fit.subsample_sizes))
        return (
            f"symmetric studentized subsampling interval ({100 * fit.confidence:.4g} %, {fit.n_boot} subsamples of "
            f"{'/'.join(map(str, sizes))} replicates per horizon; Romano & Wolf 1999, for heavy-tailed replicates), "
            f"one-sided false-alarm probability about {fa:.2g} (at most {2 * fa:.2g})"
        )
    return f"percentile bootstrap ({fit.n_boot} resamples), one-sided false-alarm probability about {fa:.2g}"


def median_ci(samples: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Median with its distribution-free interval (robust companion of a mean)."""
    return quantile_ci(samples, 0.5, confidence)
