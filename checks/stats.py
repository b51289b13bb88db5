"""Statistics for deciding compliance with a bound, with stated error rates.

Everything here is distribution-free or exact where it matters, because the
quantities are heavy-tailed:

* :func:`markov_test` turns ``E X <= B`` into ``P(X > B/delta) <= delta``
  (Markov's inequality) and tests the exceedance count exactly (binomial);
* :func:`quantile_ci` gives order-statistic confidence intervals for
  quantiles (exact binomial coverage, no distributional assumption);
* :func:`mean_ci` is the usual t interval, returned together with a
  heavy-tail diagnostic saying when a mean may not exist;
* :func:`loglog_slope` fits ``log y = a + b log K`` over a grid of horizons
  with a bootstrap confidence interval (replicates resampled within each K).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy import stats as _st


@dataclass(frozen=True)
class MarkovTest:
    """Result of :func:`markov_test`.

    Attributes
    ----------
    threshold : float
        ``B / delta``: under ``E X <= B``, ``P(X > threshold) <= delta``.
    exceedances : int
        Number of samples above ``threshold``.
    n : int
        Number of samples (non-finite samples count as exceedances).
    p_value : float
        ``P(Binomial(n, delta) >= exceedances)``: the probability, if the
        bound holds, of seeing at least this many exceedances.
    violates : bool
        ``p_value < false_alarm``.
    false_alarm : float
        Probability that a true bound is declared violated (at most this).
    """

    threshold: float
    exceedances: int
    n: int
    p_value: float
    violates: bool
    false_alarm: float


def markov_test(samples: np.ndarray, bound: float, delta: float = 0.1, false_alarm: float = 1e-3) -> MarkovTest:
    """Test ``E X <= bound`` for a non-negative random variable X from i.i.d. samples.

    By Markov's inequality, if ``E X <= bound`` then ``P(X > bound/delta) <= delta``.
    The number of exceedances is then stochastically at most
    ``Binomial(n, delta)``, so declaring a violation when its upper tail
    probability is below ``false_alarm`` wrongly rejects a true bound with
    probability at most ``false_alarm``.  Non-finite samples (diverged runs)
    count as exceedances.

    Parameters
    ----------
    samples : array_like
        Non-negative samples of X (nan/inf allowed: they count as exceeding).
    bound : float
        The claimed upper bound on E X (> 0).
    delta : float
        Markov level in (0, 1).
    false_alarm : float
        Allowed probability of a false violation, in (0, 1).
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("samples must not be empty")
    if not (bound > 0 and math.isfinite(bound)):
        raise ValueError(f"bound must be positive and finite, got {bound}")
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    if not 0 < false_alarm < 1:
        raise ValueError(f"false_alarm must be in (0, 1), got {false_alarm}")
    finite = np.isfinite(x)
    if np.any(x[finite] < 0):
        raise ValueError("samples must be non-negative")
    threshold = bound / delta
    exceed = int(np.sum(~finite) + np.sum(x[finite] > threshold))
    p = float(_st.binom.sf(exceed - 1, x.size, delta)) if exceed > 0 else 1.0
    return MarkovTest(threshold, exceed, int(x.size), p, p < false_alarm, false_alarm)


def quantile_ci(samples: np.ndarray, q: float, confidence: float = 0.95) -> tuple[float, float, float]:
    """Point estimate and distribution-free confidence interval of the q-quantile.

    Uses order statistics: ``[X_(l), X_(u)]`` with ``l, u`` chosen from the
    Binomial(n, q) distribution so that the coverage is at least
    ``confidence`` for any continuous distribution.  Non-finite values are
    treated as +inf (they sort last), so a diverged run raises upper
    quantiles honestly instead of disappearing.

    Returns
    -------
    (estimate, lower, upper)
    """
    x = np.sort(np.where(np.isnan(samples), np.inf, np.asarray(samples, dtype=np.float64)).ravel())
    n = x.size
    if n == 0:
        raise ValueError("samples must not be empty")
    if not 0 < q < 1:
        raise ValueError(f"q must be in (0, 1), got {q}")
    a = (1 - confidence) / 2
    lo = int(_st.binom.ppf(a, n, q))  # P(Bin <= lo-1) < a  => X_(lo) (1-based) is a lower bound
    hi = int(_st.binom.ppf(1 - a, n, q)) + 1
    est = float(np.quantile(x, q)) if np.all(np.isfinite(x)) else float(x[min(int(math.floor(q * n)), n - 1)])
    lower = float(x[lo - 1]) if lo >= 1 else -math.inf
    upper = float(x[hi - 1]) if hi <= n else math.inf
    return est, lower, upper


def hill_tail_index(samples: np.ndarray, k: int | None = None) -> float:
    """Hill estimator of the tail index of ``|X|`` from the k largest samples.

    A tail index below 1 means the mean is (likely) infinite, below 2 the
    variance.  ``k`` defaults to ``sqrt(n)``.
    """
    x = np.sort(np.abs(np.asarray(samples, dtype=np.float64).ravel()))
    x = x[np.isfinite(x) & (x > 0)]
    n = x.size
    if n < 10:
        return math.nan
    k = int(k or max(5, int(math.sqrt(n))))
    k = min(k, n - 1)
    top = x[n - k :]
    return float(1.0 / np.mean(np.log(top / x[n - k - 1])))


@dataclass(frozen=True)
class MeanEstimate:
    """A Monte-Carlo mean with its t confidence interval and tail diagnostics.

    ``finite_mean_plausible`` is False when the samples contain non-finite
    values or their estimated tail index is at most 1 (a mean that may not
    exist: report medians instead).
    """

    mean: float
    lower: float
    upper: float
    n: int
    tail_index: float
    finite_mean_plausible: bool


def mean_ci(samples: np.ndarray, confidence: float = 0.95) -> MeanEstimate:
    """Sample mean with a t confidence interval and a heavy-tail diagnostic."""
    x = np.asarray(samples, dtype=np.float64).ravel()
    n = x.size
    if n < 2:
        raise ValueError("need at least 2 samples")
    if not np.all(np.isfinite(x)):
        return MeanEstimate(math.inf, math.inf, math.inf, n, math.nan, False)
    m = float(x.mean())
    se = float(x.std(ddof=1) / math.sqrt(n))
    t = float(_st.t.ppf(0.5 + confidence / 2, n - 1))
    tail = hill_tail_index(x)
    return MeanEstimate(m, m - t * se, m + t * se, n, tail, not (tail <= 1.0))


@dataclass(frozen=True)
class SlopeFit:
    """Least-squares slope of log(statistic) against log(K), with a bootstrap CI."""

    slope: float
    lower: float
    upper: float
    intercept: float
    horizons: tuple[int, ...]
    statistic: str
    n_boot: int
    confidence: float


def loglog_slope(
    horizons: Sequence[int],
    samples: Sequence[np.ndarray],
    statistic: str = "mean",
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> SlopeFit:
    """Fit ``log s(K) = a + b log K`` where ``s(K)`` summarises the replicates at horizon K.

    Parameters
    ----------
    horizons : sequence of int
        The horizons K (at least 2, distinct).
    samples : sequence of arrays
        ``samples[i]`` holds the replicate values at ``horizons[i]``
        (independent runs per horizon).
    statistic : {"mean", "median"}
        How replicates are summarised.  Use "median" when a mean may not exist.
    n_boot : int
        Bootstrap resamples (replicates resampled with replacement within each horizon).
    confidence : float
        Coverage of the percentile interval.
    seed : int
        Seed of the bootstrap (the interval is reproducible).
    """
    K = np.asarray(horizons, dtype=np.float64)
    if K.ndim != 1 or K.size < 2 or len(set(K.tolist())) != K.size:
        raise ValueError("need at least two distinct horizons")
    if len(samples) != K.size:
        raise ValueError("one sample array per horizon is required")
    summarise: Callable = {"mean": np.mean, "median": np.median}.get(statistic)
    if summarise is None:
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    logK = np.log(K)
    X = np.column_stack([np.ones_like(logK), logK])
    pinv = np.linalg.pinv(X)

    def fit(stats_):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log(stats_)
        if not np.all(np.isfinite(y)):
            return math.nan, math.nan
        a, b = pinv @ y
        return float(a), float(b)

    arrays = [np.asarray(s, dtype=np.float64).ravel() for s in samples]
    a, b = fit(np.array([summarise(s) for s in arrays]))
    rng = np.random.default_rng(seed)
    boots = np.empty(n_boot)
    for j in range(n_boot):
        boots[j] = fit(np.array([summarise(s[rng.integers(0, s.size, s.size)]) for s in arrays]))[1]
    alpha = (1 - confidence) / 2
    if np.all(np.isfinite(boots)):
        lo, hi = np.quantile(boots, [alpha, 1 - alpha])
    else:
        lo, hi = math.nan, math.nan
    return SlopeFit(b, float(lo), float(hi), a, tuple(int(k) for k in horizons), statistic, n_boot, confidence)


def block_sum_tail_index(samples: np.ndarray, block: int | None = None) -> float:
    """Tail index of symmetric alpha-stable data by the block-sum estimator.

    Simsekli, Sagun, Gurbuzbalaban (ICML 2019), after Mohammadi et al. (2015):
    a sum of ``m`` i.i.d. S(alpha) variables is ``m^(1/alpha)`` times one, so
    with ``Y_j`` the sums of consecutive blocks of ``m`` samples,
    ``1/alpha_hat = (mean log|Y| - mean log|X|) / log m``.

    Parameters
    ----------
    samples : array_like
        At least 16 finite samples; the last ``n mod m`` are dropped.
    block : int, optional
        Block size ``m`` (default ``floor(sqrt(n))``).
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size < 16 or not np.all(np.isfinite(x)):
        raise ValueError("need at least 16 finite samples")
    m = int(block or math.isqrt(x.size))
    if not 2 <= m <= x.size // 2:
        raise ValueError(f"block must be in [2, n/2], got {m}")
    n_blocks = x.size // m
    y = x[: n_blocks * m].reshape(n_blocks, m).sum(axis=1)
    inv = (np.mean(np.log(np.abs(y))) - np.mean(np.log(np.abs(x)))) / math.log(m)
    return float(1.0 / inv)
