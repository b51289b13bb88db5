"""``sandbox bench``: the engine and the alpha-stable sampler against NumPy and scipy.

What is measured
----------------
**Sampler.**  Symmetric alpha-stable draws (alpha = 1.5, scale 1) on one core:
:func:`sims.sample_noise` against ``scipy.stats.levy_stable.rvs`` and against
:func:`numpy_stable_sample`, a Chambers-Mallows-Stuck (CMS) sampler written
with NumPy ufuncs on cache-sized chunks.  sims and scipy are called for at
most :data:`SAMPLER_CHUNK` samples at a time (a sample of n is drawn as
several calls), so that both are timed drawing samples rather than the
operating system mapping fresh pages for huge output arrays.  The three
samples are checked to agree in distribution (two-sample Kolmogorov-Smirnov
distances and quantiles), so the comparison is apples to apples.

**Engine.**  The workload is clipped SGD (``clipped_sgd``, constant
``lr = 0.01``, ``threshold = 1``, no offset) on ``quartic`` (``a = 1``,
start at the objective's default ``x0 = (1, ..., 1)``) with i.i.d. symmetric
alpha-stable noise (alpha = 1.5, scale 1), recording every metric of
:data:`sims.engine.METRICS` on the geometric grid, for two batch sizes R*d:

* small, R*d = 64: R = 64 replicates of a d = 1 problem;
* large, R*d = 4096: R = 64 replicates of a d = 64 problem.

:func:`sims.simulate` runs with ``threads=1`` and ``threads=2``; the baseline
:func:`numpy_clipped_sgd_quartic` vectorises the same simulation across
replicates (X of shape (R, d), one CMS draw for all R*d coordinates per step,
in-place ufuncs on preallocated buffers, the same clipping rule and the same
recorded metrics at the same steps).  It runs on one core: it uses only
elementwise ufuncs and reductions, which NumPy executes single-threaded (no
BLAS call, so the BLAS/OpenMP thread settings do not matter).

Throughput is coordinate-steps per second, ``K * R * d / t`` with ``t`` the
wall time of the *whole call* (validation, allocation, thread start-up,
kernel, result assembly: everything a user pays per call once the kernels
are compiled).  The engine's kernel-only rate (its ``wall_time``) is
recorded as well.

Timing policy
-------------
Every implementation is warmed up first (which also compiles or loads the
numba kernels), then its size (K steps, or n samples) is calibrated so that
one call takes at least ``target_s`` (0.2 s), and the best of ``repeats`` (11)
calls is reported: the minimum is the least disturbed by other load, which
matters on a shared machine.  The calls are made in rounds (each compared
implementation once per round), so that a disturbed period affects them
alike; many short rounds rather than a few long ones, because the speed of a
shared virtual machine drifts by tens of percent over minutes (measured
here), and every implementation should get its share of the quiet moments.
The sizes are recorded.

**Start-up (JIT) cost.**  The first :func:`sims.simulate` call is timed in a
fresh Python process with an empty numba cache directory
(``SANDBOX_NUMBA_CACHE_DIR`` pointing to a new temporary directory): that is
``compile_s``, the cold start.  A second fresh process reusing the cache
that the first one populated gives ``warm_start_s``.

**Where the time goes.**  Per batch, the engine is also timed on one thread
with ``noise="none"``; the gap to the full rate is the share of the time spent
drawing noise (``engine_without_noise`` in the JSON).

**Where the two-thread speed-up goes.**  Per batch, two independent one-thread
simulations of R/2 replicates each are timed running one after the other and at
the same time.  The engine's speed-up from one to two threads is the product of
three measured factors (``scaling`` in the JSON):

* ``split_efficiency``: the two half runs one after the other against one run
  of all R replicates on one core (a thread's block of replicates is half as
  large, and vectorizes less well when d = 1);
* ``machine_two_core_speedup``: the two half runs at the same time against one
  after the other.  They share nothing but the machine, so this is what two
  cores of this machine deliver for this work (a virtual machine's two vCPUs
  may share a physical core's execution units, memory bandwidth or power
  budget);
* ``threading_efficiency``: the engine's two threads against the two
  independent runs at the same time: the engine's own cost of threading.

On a shared virtual machine each factor varies by tens of percent from run to
run (the machine's speed drifts while the rounds run); read them over several
runs.

Targets
-------
:data:`TARGETS` are those of the performance issue (they raised the engine
issue's 5x scipy, 10x and 1x NumPy): the sampler draws >= 40 M samples/s on
one core and >= 15x scipy; the engine on **one thread** (the cores NumPy
uses) is >= 20x NumPy at R*d = 64 and >= 3x at R*d = 4096.  The two-thread
rows are reported against the same one-core NumPy figure without a target;
instead their speed-up over one thread (``scaling`` in the JSON) has the
target 1.8 ("near-linear"), meaningful only where the machine itself gives
two cores' worth (see above; the load average is recorded).

``quick=True`` runs every step at tiny sizes (for the smoke test; its
numbers mean nothing) and does not time the start-up, which would cost a
full compilation in a fresh process (``compile_s`` and ``warm_start_s`` are
then None).
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from sandbox.cache import check_output_path, write_json_atomic

from .engine import METRICS, _check_int, record_grid, simulate
from .methods import METHODS
from .noise import LAWS, sample_noise
from .objectives import OBJECTIVES
from .params import InvalidParameter
from .rng import check_seed

ALPHA = 1.5
SEED = 20240607
OBJECTIVE_PARAMS = {"a": 1.0}
METHOD_PARAMS = {"lr": 0.01, "threshold": 1.0, "clip_offset": 0.0}
NOISE_PARAMS = {"alpha": ALPHA, "beta": 0.0, "scale": 1.0}
# (R, d) of the small (R*d = 64) and large (R*d = 4096) batches
BATCHES = ((64, 1), (64, 64))
THREADS = (1, 2)
TARGETS = {
    "sampler_samples_per_s_per_core": 40e6,
    "sampler_vs_scipy": 15.0,
    # minimum engine (one thread) / NumPy (one core) throughput ratio, by batch size R*d
    "engine_vs_numpy": {64: 20.0, 4096: 3.0},
    # minimum speed-up of the engine from one to two threads
    "engine_scaling_2_threads": 1.8,
}
# NumPy CMS on chunks of this many samples: its three work buffers (3 x 512 KiB) stay in
# L2 (2 MiB per core here) instead of streaming full-size temporaries through memory
NUMPY_CHUNK = 65536
# sims and scipy are called for at most this many samples at a time (32 MiB of output): glibc's
# allocator reuses blocks up to 32 MiB between calls, while a larger array is mapped afresh and
# its page faults cost about 3 ns per sample (measured: a third of sims' time, 2 % of scipy's)
SAMPLER_CHUNK = 1 << 22
# two distributions "agree" when every pairwise two-sample KS distance is below the
# critical value at this false-alarm probability (per pair; three pairs)
KS_FALSE_ALARM = 1e-6
KS_MAX_SAMPLES = 100_000

_STABLE = LAWS.get_component("stable")
_QUARTIC = OBJECTIVES.get_component("quartic")
_CLIPPED_SGD = METHODS.get_component("clipped_sgd")


# ----------------------------------------------------------------------------- NumPy baselines


class NumpyStableSampler:
    """Symmetric alpha-stable draws by Chambers-Mallows-Stuck on NumPy arrays.

    ``X = scale * sin(alpha V) / cos(V)^(1/alpha) * (cos((1 - alpha) V) / W)^((1 - alpha)/alpha)``
    with ``V ~ U(-pi/2, pi/2)`` and ``W ~ Exp(1)`` from a
    :class:`numpy.random.Generator`, evaluated as
    ``sin(alpha V) * exp(p log(cos((1 - alpha) V) / W) - log(cos V) / alpha)``,
    ``p = (1 - alpha)/alpha``: two logs and one exp instead of two powers
    (NumPy's SIMD log/exp are its fastest transcendentals).  Every step writes
    into preallocated buffers (``out=``), so no temporary is allocated.  The
    formula is exact for every alpha in (0, 2], including alpha = 1 (tan V)
    and alpha = 2 (N(0, 2 scale^2)).

    Parameters
    ----------
    alpha : float
        Stability index in (0, 2].
    scale : float
        Scale > 0 (S1 parameterisation, as :mod:`sims.noise`).
    size : int
        Largest number of values one :meth:`fill` call writes, >= 1.
    seed : int
        Seed of the generator, in [0, 2**64).
    """

    def __init__(self, alpha: float, scale: float, size: int, seed: int):
        values = _STABLE.resolve({"alpha": alpha, "scale": scale})
        self.alpha = values["alpha"]
        self.scale = values["scale"]
        size = _check_int("size", size, 1)
        self._rng = np.random.default_rng(check_seed(seed))
        self._v, self._w, self._t = np.empty((3, size))

    def fill(self, out: np.ndarray) -> None:
        """Overwrite the C-contiguous float64 array ``out`` with fresh draws.

        Raises
        ------
        InvalidParameter
            If ``out`` is not a C-contiguous float64 array of at most ``size`` values.
        """
        if not (isinstance(out, np.ndarray) and out.dtype == np.float64 and out.flags.c_contiguous):
            raise InvalidParameter("out must be a C-contiguous float64 array")
        flat = out.reshape(-1)  # a view, since out is contiguous
        m = flat.shape[0]
        if m > self._v.shape[0]:
            raise InvalidParameter(f"out has {m} values, more than this sampler's size {self._v.shape[0]}")
        a = self.alpha
        v, w, t = self._v[:m], self._w[:m], self._t[:m]
        self._rng.random(out=v)
        v -= 0.5
        v *= math.pi  # V = pi (U - 1/2)
        self._rng.standard_exponential(out=w)  # W
        np.multiply(v, 1.0 - a, out=t)
        np.cos(t, out=t)
        np.divide(t, w, out=t)
        np.log(t, out=t)
        t *= (1.0 - a) / a  # p log(cos((1 - a) V) / W)
        np.cos(v, out=w)
        np.log(w, out=w)
        w *= -1.0 / a
        t += w
        np.exp(t, out=t)
        v *= a
        np.sin(v, out=v)
        np.multiply(v, t, out=flat)
        if self.scale != 1.0:
            flat *= self.scale


def numpy_stable_sample(n: int, *, alpha: float, seed: int, scale: float = 1.0, chunk: int = NUMPY_CHUNK) -> np.ndarray:
    """``n`` symmetric alpha-stable draws with :class:`NumpyStableSampler`, chunk by chunk.

    Parameters
    ----------
    n : int
        Number of draws, >= 1.
    alpha : float
        Stability index in (0, 2].
    seed : int
        Seed in [0, 2**64).
    scale : float
        Scale > 0.
    chunk : int
        Draws per ufunc pass, >= 1; chunks that fit in cache avoid the
        memory traffic of full-size temporaries.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n,)``.
    """
    n = _check_int("n", n, 1)
    chunk = _check_int("chunk", chunk, 1)
    sampler = NumpyStableSampler(alpha, scale, min(n, chunk), seed)
    out = np.empty(n)
    for i in range(0, n, chunk):
        sampler.fill(out[i : i + chunk])
    return out


def _quartic_value_grad(a: float, x: np.ndarray, f: np.ndarray | None, g: np.ndarray | None, x2: np.ndarray, work: np.ndarray | None) -> None:
    """Row-wise quartic: ``f[r] = a sum_i x[r,i]^4`` and/or ``g = 4 a x^3`` (skipped when None).

    The products are formed in the engine kernel's order, so both round alike.
    ``x2`` (and ``work``, needed for f) are scratch arrays of x's shape,
    distinct from ``x`` and ``g``.
    """
    np.multiply(x, x, out=x2)
    if g is not None:
        np.multiply(x2, 4.0 * a, out=g)
        g *= x
    if f is not None:
        np.multiply(x2, a, out=work)
        work *= x2
        work.sum(axis=1, out=f)


def _row_norms(v: np.ndarray, out: np.ndarray, work: np.ndarray) -> None:
    """``out[r] = ||v[r]||`` (ufuncs only: no BLAS); ``work`` is scratch of v's shape."""
    np.multiply(v, v, out=work)
    work.sum(axis=1, out=out)
    np.sqrt(out, out=out)


def numpy_clipped_sgd_quartic(
    K: int,
    R: int,
    d: int,
    seed: int,
    *,
    lr: float = METHOD_PARAMS["lr"],
    threshold: float = METHOD_PARAMS["threshold"],
    clip_offset: float = METHOD_PARAMS["clip_offset"],
    a: float = OBJECTIVE_PARAMS["a"],
    alpha: float = ALPHA,
    scale: float = 1.0,
    record: Any = "geometric",
    noise: np.ndarray | None = None,
) -> dict:
    """The benchmark workload in NumPy, vectorised across replicates.

    Clipped SGD ``x <- x - lr min{1, threshold/(||g|| + clip_offset)} g`` on
    ``f(x) = a sum_i x_i^4`` from ``x0 = (1, ..., 1)``, ``g = grad f(x) + xi``
    with i.i.d. symmetric alpha-stable ``xi``.  It computes what
    :func:`sims.simulate` computes for this workload (``avg_power = 0``):
    every metric of :data:`sims.engine.METRICS` at the steps of
    :func:`sims.record_grid`, with the same divergence rule (a replicate whose
    f or ||grad f|| is not finite at step k has nan records from k on).

    Parameters
    ----------
    K, R, d : int
        Steps (>= 1), replicates (>= 1) and dimension (>= 1).
    seed : int
        Seed of the NumPy generator, in [0, 2**64).  NumPy's stream differs
        from the engine's counter-based one: results agree in distribution,
        not path by path (unless ``noise`` is given).
    lr, threshold, clip_offset : float
        Parameters of ``clipped_sgd`` (same ranges).
    a : float
        Coefficient of the quartic, > 0.
    alpha, scale : float
        Noise law: stability index in (0, 2], scale > 0.
    record : {"geometric", "all"}, int or array of steps
        Recorded steps, as for :func:`sims.simulate`.
    noise : ndarray of shape (K, R, d), optional
        Noise to use instead of drawing it (``noise[k, r]`` is replicate r's
        noise at step k).  Used by the tests to run the baseline on the
        engine's own noise realisation; the benchmark never passes it.

    Returns
    -------
    dict
        ``steps`` (recorded steps), ``records`` (metric -> array of shape
        (n_rec, R)) and ``diverged_step`` (first non-finite step, -1 if none).
    """
    K = _check_int("K", K, 1, 2**32 - 2)
    R = _check_int("R", R, 1)
    d = _check_int("d", d, 1)
    seed = check_seed(seed)
    meth = _CLIPPED_SGD.resolve({"lr": lr, "threshold": threshold, "clip_offset": clip_offset})
    a = _QUARTIC.resolve({"dim": d, "a": a})["a"]
    lr, threshold, clip_offset = meth["lr"], meth["threshold"], meth["clip_offset"]
    if noise is not None:
        noise = np.asarray(noise, dtype=np.float64)
        if noise.shape != (K, R, d):
            raise InvalidParameter(f"noise must have shape (K, R, d) = ({K}, {R}, {d}), got {noise.shape}")
    sampler = NumpyStableSampler(alpha, scale, R * d, seed)
    steps = record_grid(K, record)
    rec_steps = steps.tolist()  # Python ints: cheap comparisons in the loop
    rec = np.full((len(rec_steps), len(METRICS), R), np.nan)

    X = np.ones((R, d))
    XBAR = X.copy()
    XPREV = np.empty((R, d))
    G, XI, X2, WORK = np.empty((4, R, d))
    f, gn, gn2, tmp, fac = np.empty((5, R))
    flags = np.empty(R, dtype=bool)
    min_g = np.full(R, np.inf)
    sum_min_g, sum_g, sum_g2, n_clipped = np.zeros((4, R))
    diverged_step = np.full(R, -1, dtype=np.int64)

    ptr = 0
    next_rec = rec_steps[0]
    # diverged replicates keep computing (inf/nan) but their records are masked
    with np.errstate(all="ignore"):
        for k in range(K + 1):
            _quartic_value_grad(a, X, f, G, X2, WORK)
            _row_norms(G, gn, WORK)
            # f, ||g|| >= 0, so their total is finite iff every one of them is
            np.add(f, gn, out=tmp)
            if not math.isfinite(tmp.sum()):
                np.isfinite(tmp, out=flags)
                newly = ~flags & (diverged_step < 0)
                diverged_step[newly] = k
            np.multiply(gn, gn, out=gn2)
            np.minimum(min_g, gn, out=min_g)
            np.minimum(gn, gn2, out=tmp)
            sum_min_g += tmp
            sum_g += gn
            sum_g2 += gn2
            # uniform average of x_0..x_k, updated as the engine does
            np.subtract(X, XBAR, out=WORK)
            WORK *= 1.0 / (k + 1.0)
            XBAR += WORK
            recording = k == next_rec
            if recording:
                row = rec[ptr]
                n = k + 1.0
                row[0] = gn
                row[1] = f  # f* = 0
                row[2] = min_g
                np.divide(sum_min_g, n, out=row[3])
                np.divide(sum_g, n, out=row[4])
                np.divide(sum_g2, n, out=row[5])
                if k > 0:
                    np.divide(n_clipped, k, out=row[6])
                _quartic_value_grad(a, XBAR, row[7], None, X2, WORK)
                XPREV[...] = X
                gone = diverged_step >= 0
            if k == K:
                if recording:
                    row[:, gone] = np.nan
                break
            # stochastic gradient and clipped update
            if noise is None:
                sampler.fill(XI)
            else:
                XI[...] = noise[k]
            XI += G
            _row_norms(XI, tmp, WORK)
            if clip_offset != 0.0:
                tmp += clip_offset
            np.greater(tmp, threshold, out=flags)
            n_clipped += flags
            # lr * threshold / (||g|| + offset) when clipped, lr otherwise
            np.divide(lr * threshold, tmp, out=fac)
            np.minimum(fac, lr, out=fac)
            XI *= fac[:, None]
            X -= XI
            if recording:
                # local smoothness along s = x_{k+1} - x_k: the gradient at the midpoint
                np.add(X, XPREV, out=XI)
                XI *= 0.5
                _quartic_value_grad(a, XI, None, WORK, X2, None)
                WORK -= G
                _row_norms(WORK, fac, X2)  # ||grad f(x_k + s/2) - grad f(x_k)||
                np.subtract(X, XPREV, out=XI)
                _row_norms(XI, tmp, WORK)  # ||s||
                row[8] = np.where(tmp > 0.0, fac / (0.5 * tmp), np.nan)
                row[:, gone] = np.nan
                ptr += 1
                next_rec = rec_steps[ptr]
    return {
        "steps": steps,
        "records": {name: rec[:, i, :] for i, name in enumerate(METRICS)},
        "diverged_step": diverged_step,
    }


# ----------------------------------------------------------------------------- timing helpers


def _elapsed(run: Callable[[int], Any], size: int) -> float:
    t0 = time.perf_counter()
    run(size)
    return time.perf_counter() - t0


def _calibrate(run: Callable[[int], Any], start: int, target_s: float) -> int:
    """A size for which ``run(size)`` takes about ``target_s`` (at least ``start``).

    Grows the size until one call takes a quarter of the target (short calls
    are dominated by timer and call overhead), then extrapolates linearly.
    """
    size = start
    while True:
        t = _elapsed(run, size)
        if t >= 0.25 * target_s:
            break
        size *= int(min(100, max(2, math.ceil(0.25 * target_s / max(t, 1e-7)))))
    return max(start, math.ceil(size * target_s / t))


def _best_times(runs: dict[str, tuple[Callable[[int], Any], int]], repeats: int) -> dict[str, tuple[float, Any]]:
    """Best wall time of ``repeats`` calls ``run(size)`` for each ``name: (run, size)``, and that call's value.

    The calls are made in rounds, every implementation once per round, so that a
    period when other load slows the machine down affects the compared
    implementations alike.
    """
    best = {name: (math.inf, None) for name in runs}
    for _ in range(repeats):
        for name, (run, size) in runs.items():
            t0 = time.perf_counter()
            out = run(size)
            t = time.perf_counter() - t0
            if t < best[name][0]:
                best[name] = (t, out)
    return best


def _ks_critical(n: int, m: int, false_alarm: float) -> float:
    """Asymptotic two-sample Kolmogorov-Smirnov critical distance at ``false_alarm``."""
    return math.sqrt(-0.5 * math.log(false_alarm / 2.0)) * math.sqrt((n + m) / (n * m))


# ----------------------------------------------------------------------------- benchmarks


def _bench_sampler(target_s: float, repeats: int, start_n: int) -> dict:
    """Samples/s of the three samplers at alpha = ALPHA, and their agreement in distribution."""
    from scipy import stats

    def in_chunks(draw: Callable[[int, int], np.ndarray]) -> Callable[[int], np.ndarray]:
        # n samples as calls of at most SAMPLER_CHUNK; returns the first call's draws
        def run(n: int) -> np.ndarray:
            first = draw(min(n, SAMPLER_CHUNK), 0)
            for i, start in enumerate(range(SAMPLER_CHUNK, n, SAMPLER_CHUNK), start=1):
                draw(min(SAMPLER_CHUNK, n - start), i)
            return first

        return run

    runs = {
        "sims": in_chunks(lambda m, i: sample_noise("stable", m, seed=SEED, replicate=i, alpha=ALPHA)),
        "numpy": lambda n: numpy_stable_sample(n, alpha=ALPHA, seed=SEED),
        "scipy": in_chunks(
            lambda m, i: stats.levy_stable.rvs(ALPHA, 0.0, size=m, random_state=np.random.default_rng([SEED, i]))
        ),
    }
    sizes = {}
    for name, run in runs.items():
        run(start_n)  # warm-up (compiles the sims kernel if needed)
        sizes[name] = _calibrate(run, start_n, target_s)
    best = _best_times({name: (run, sizes[name]) for name, run in runs.items()}, repeats)
    rates = {name: sizes[name] / t for name, (t, _) in best.items()}
    draws = {name: np.array(x[:KS_MAX_SAMPLES]) for name, (_, x) in best.items()}
    names = list(draws)
    ks = {}
    for i, p in enumerate(names):
        for q in names[i + 1 :]:
            ks[f"{p}-{q}"] = float(stats.ks_2samp(draws[p], draws[q]).statistic)
    m = min(len(x) for x in draws.values())
    critical = _ks_critical(m, m, KS_FALSE_ALARM)
    probs = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
    return {
        "alpha": ALPHA,
        "samples_per_s_per_core": rates["sims"],
        "numpy_samples_per_s": rates["numpy"],
        "scipy_samples_per_s": rates["scipy"],
        "vs_scipy": rates["sims"] / rates["scipy"],
        "vs_numpy": rates["sims"] / rates["numpy"],
        "n": sizes,
        "agreement": {
            "ks_distance": ks,
            "ks_critical": critical,
            "ks_false_alarm_per_pair": KS_FALSE_ALARM,
            "samples_compared": m,
            "quantile_probs": list(probs),
            "quantiles": {name: np.quantile(x, probs).tolist() for name, x in draws.items()},
            "agree": all(v < critical for v in ks.values()),
        },
    }


def _simulate_workload(K: int, R: int, d: int, threads: int, noise: str = "stable"):
    return simulate(
        "quartic", "clipped_sgd", noise, K=K, R=R, seed=SEED,
        objective_params={**OBJECTIVE_PARAMS, "dim": d}, method_params=METHOD_PARAMS,
        noise_params=NOISE_PARAMS if noise == "stable" else None, record="geometric", threads=threads,
    )  # fmt: skip


def _independent_halves(K: int, R: int, d: int, concurrent: bool) -> None:
    """Two independent one-thread simulations of R/2 replicates each, one after the other or
    at the same time on two Python threads (the kernels release the GIL)."""
    calls = [threading.Thread(target=_simulate_workload, args=(K, R // 2, d, 1)) for _ in range(2)]
    for call in calls:
        call.start()
        if not concurrent:
            call.join()
    for call in calls:
        call.join()


def _bench_engine(target_s: float, repeats: int, start_k: int) -> tuple[list[dict], list[dict], list[dict]]:
    """Coordinate-steps/s of the NumPy baseline and of the engine, per batch and thread count.

    Also returns, per batch, diagnostics: the engine's rate on one thread with
    ``noise="none"`` (the same simulation without drawing noise: the gap to
    the full rate is the time spent in the noise sampler), and the machine's
    own two-core speed-up for this work: two independent one-thread
    simulations of R/2 replicates, run at the same time against one after the
    other (nothing shared but the machine), which bounds what two threads of
    one simulation can reach.
    """
    numpy_rows, engine_rows, diagnostics = [], [], []
    for R, d in BATCHES:
        batch = R * d
        runs = {
            "numpy": lambda K, R=R, d=d: numpy_clipped_sgd_quartic(K, R, d, SEED, **METHOD_PARAMS, **OBJECTIVE_PARAMS, alpha=ALPHA),
            **{threads: lambda K, R=R, d=d, threads=threads: _simulate_workload(K, R, d, threads) for threads in THREADS},
            "noise_free": lambda K, R=R, d=d: _simulate_workload(K, R, d, 1, noise="none"),
            "halves_serial": lambda K, R=R, d=d: _independent_halves(K, R, d, concurrent=False),
            "halves_concurrent": lambda K, R=R, d=d: _independent_halves(K, R, d, concurrent=True),
        }  # fmt: skip
        sizes = {}
        for name, run in runs.items():
            run(start_k)  # warm-up (compiles or loads the engine)
            if name != "halves_concurrent":
                sizes[name] = _calibrate(run, start_k, target_s)
        sizes["halves_concurrent"] = sizes["halves_serial"]  # the same work, compared directly
        best = _best_times({name: (run, sizes[name]) for name, run in runs.items()}, repeats)
        rate = {name: sizes[name] * batch / t for name, (t, _) in best.items()}
        numpy_rows.append({"batch": batch, "R": R, "d": d, "threads": 1, "K": sizes["numpy"], "coord_steps_per_s": rate["numpy"]})
        for threads in THREADS:
            res = best[threads][1]
            ratio = rate[threads] / rate["numpy"]
            # the same number of cores as NumPy: the ratio target applies to one thread
            target = TARGETS["engine_vs_numpy"].get(batch) if threads == 1 else None
            engine_rows.append({
                "batch": batch, "R": R, "d": d, "threads": threads, "K": sizes[threads],
                "coord_steps_per_s": rate[threads],
                "kernel_coord_steps_per_s": sizes[threads] * batch / res.wall_time,
                "ratio_vs_numpy": ratio,
                "target_ratio": target,
                "meets_target": None if target is None else bool(ratio >= target),
                "n_diverged": res.n_diverged,
            })  # fmt: skip
        diagnostics.append({
            "batch": batch, "R": R, "d": d, "threads": 1, "K": sizes["noise_free"],
            "noise_free_coord_steps_per_s": rate["noise_free"],
            # per coord-step: 1/full = 1/noise_free + (time drawing noise)
            "noise_time_fraction": max(0.0, 1.0 - rate[1] / rate["noise_free"]),
            "K_halves": sizes["halves_serial"],
            "halves_serial_coord_steps_per_s": rate["halves_serial"],
            "halves_concurrent_coord_steps_per_s": rate["halves_concurrent"],
        })  # fmt: skip
    return numpy_rows, engine_rows, diagnostics


_START_SCRIPT = """
import json, os, sys, time
t0 = time.perf_counter()
import sims
import sims._numba
t1 = time.perf_counter()
kw = json.loads(sys.argv[1])
sims.simulate("quartic", "clipped_sgd", "stable", K=10, R=2, seed=0, threads=1, **kw)
t2 = time.perf_counter()
sims.sample_noise("stable", 10, seed=0, alpha=kw["noise_params"]["alpha"])
t3 = time.perf_counter()
print(json.dumps({
    "import_s": t1 - t0, "first_simulate_s": t2 - t1, "first_sample_noise_s": t3 - t2,
    "cache_key": os.path.basename(sims._numba.CACHE_DIR),
}))
"""


def _start_times(script: str = _START_SCRIPT) -> dict:
    """First-call times in fresh processes: with an empty numba cache, then with it populated.

    The cache is keyed on a digest of the package's sources
    (:mod:`sims._numba`): if they change between the two runs (someone editing
    the tree), the second run was cold too, so it becomes the cold run and
    the warm run is repeated (at most twice).  ``script`` is the child
    program (its last output line is a JSON object with a ``cache_key``).
    """
    root = str(Path(__file__).resolve().parent.parent)  # so the child imports this very package
    kw = json.dumps({"objective_params": {**OBJECTIVE_PARAMS, "dim": 2}, "method_params": METHOD_PARAMS, "noise_params": NOISE_PARAMS})
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-numba-") as cache:
        env = dict(os.environ, SANDBOX_NUMBA_CACHE_DIR=cache, SANDBOX_NUMBA_CACHE="1")
        env.pop("NUMBA_DISABLE_JIT", None)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)

        def first_calls() -> dict:
            proc = subprocess.run(
                [sys.executable, "-c", script, kw], env=env, capture_output=True, text=True, timeout=900
            )
            if proc.returncode != 0:
                raise RuntimeError(f"start-up timing failed:\n{proc.stderr}")
            return json.loads(proc.stdout.strip().splitlines()[-1])

        cold = first_calls()
        for _ in range(3):
            warm = first_calls()
            if warm["cache_key"] == cold["cache_key"]:
                return {"cold": cold, "warm": warm}
            cold = warm
    raise RuntimeError("the sources under sims/ kept changing during the start-up timing; run the benchmark again")


def machine_info() -> dict:
    """CPU, thread and library facts that the numbers depend on."""
    import numba
    import scipy

    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), model)
    except OSError:
        pass
    try:
        simd = np.show_config(mode="dicts")["SIMD Extensions"]["found"]
    except (KeyError, TypeError):
        simd = None
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_simd_found": simd,
        "numba": numba.__version__,
        "numba_threads": int(numba.get_num_threads()),
        "scipy": scipy.__version__,
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


# ----------------------------------------------------------------------------- report


def _si(x: float) -> str:
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.2f} {unit}"
    return f"{x:.2f} "


def format_report(result: dict) -> str:
    """The human-readable table of a :func:`run_bench` result."""
    w, s, m = result["workload"], result["sampler"], result["machine"]
    ag = s["agreement"]
    lines = [
        "sandbox bench",
        f"machine: {m['cpus_usable']} CPUs ({m['cpu_model']}), numpy {m['numpy']}, numba {m['numba']}, "
        f"scipy {m['scipy']}; load average at start {m['load_average_at_start']}",
        f"timing: {result['timing']['policy']}",
    ]
    if result["quick"]:
        lines.append("QUICK MODE: sizes are tiny, the numbers below mean nothing")
    lines += [
        "",
        f"alpha-stable sampler, alpha = {s['alpha']:g}, one core",
        f"  {'implementation':<44}{'samples/s':>12}{'sims / it':>11}",
        f"  {'sims.sample_noise':<44}{_si(s['samples_per_s_per_core']):>12}{'':>11}"
        f"   target >= {_si(TARGETS['sampler_samples_per_s_per_core'])}/s "
        f"{_met(s['samples_per_s_per_core'] >= TARGETS['sampler_samples_per_s_per_core'])}",
        f"  {f'NumPy CMS (ufuncs, {NUMPY_CHUNK}-sample chunks)':<44}{_si(s['numpy_samples_per_s']):>12}{s['vs_numpy']:>10.2f}x",
        f"  {'scipy.stats.levy_stable.rvs':<44}{_si(s['scipy_samples_per_s']):>12}{s['vs_scipy']:>10.2f}x"
        f"   target >= {TARGETS['sampler_vs_scipy']:g}x {_met(s['vs_scipy'] >= TARGETS['sampler_vs_scipy'])}",
        f"  same distribution: {'yes' if ag['agree'] else 'NO'} (largest two-sample KS distance "
        f"{max(ag['ks_distance'].values()):.4f}, critical {ag['ks_critical']:.4f} at false alarm "
        f"{ag['ks_false_alarm_per_pair']:g}, n = {ag['samples_compared']})",
        "",
        f"engine: {w['description']}",
        "  coord-steps/s = K*R*d / wall time of the whole call; NumPy runs on one core",
        f"  {'R*d':<6}{'R x d':<9}{'implementation':<20}{'threads':>7}{'K':>10}{'coord-steps/s':>16}{'vs NumPy':>10}   target",
    ]
    for base in result["numpy_baseline"]:
        b = base["batch"]
        shape = f"{base['R']} x {base['d']}"
        lines.append(
            f"  {b:<6}{shape:<9}{'NumPy (vectorised)':<20}{1:>7}{base['K']:>10}"
            f"{_si(base['coord_steps_per_s']):>16}"
        )
        for row in (r for r in result["engine"] if r["batch"] == b):
            target = "" if row["target_ratio"] is None else f">= {row['target_ratio']:g}x {_met(row['meets_target'])}"
            lines.append(
                f"  {'':<15}{'sims.simulate':<20}{row['threads']:>7}{row['K']:>10}{_si(row['coord_steps_per_s']):>16}"
                f"{row['ratio_vs_numpy']:>9.2f}x   {target}"
            )
    lines.append("  scaling: engine speed-up from 1 to 2 threads = split x machine x threading, where")
    lines.append("    split     = two R/2-replicate runs one after the other vs one R-replicate run (smaller blocks)")
    lines.append("    machine   = those two runs at the same time vs one after the other (what two cores give)")
    lines.append("    threading = the engine's 2 threads vs the two runs at the same time (the engine's own cost)")
    for row in result["scaling"]:
        lines.append(
            f"  {row['batch']:<6}{'':<9}{'sims.simulate':<20}{'1 -> 2':>7}{'':>10}{row['speedup']:>15.2f}x"
            f"{'':>10}   >= {row['target']:g}x {_met(row['met'])}"
        )
        lines.append(
            f"  {'':<15}= split {row['split_efficiency']:.2f} x machine {row['machine_two_core_speedup']:.2f}"
            f" x threading {row['threading_efficiency']:.2f}"
        )
    lines.append("  where the engine's time goes (one thread): share spent drawing noise, from a run with noise='none'")
    lines += [
        f"  {row['batch']:<6}{'':<9}{'noise-free rate':<20}{1:>7}{row['K']:>10}{_si(row['noise_free_coord_steps_per_s']):>16}"
        f"   noise share {100 * row['noise_time_fraction']:.0f}%"
        for row in result["engine_without_noise"]
    ]
    st = result["start_times"]
    lines.append("")
    if st is None:
        lines.append("JIT: start-up not measured in quick mode")
    else:
        lines.append(
            f"JIT: first simulate() in a fresh process: {result['compile_s']:.2f} s with an empty numba cache, "
            f"{result['warm_start_s']:.2f} s with it populated (import sims: {st['cold']['import_s']:.2f} s; "
            f"first sample_noise() after it: {st['cold']['first_sample_noise_s']:.2f} s cold)"
        )
    return "\n".join(lines)


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def run_bench(json_path: str | os.PathLike | None = None, quick: bool = False, *, stream=None) -> dict:
    """Run the benchmark, print its table and return (and optionally save) the results.

    Parameters
    ----------
    json_path : str or path-like, optional
        Where to write the results as JSON.
    quick : bool
        Tiny sizes, a single repetition and no start-up timing (seconds
        instead of minutes): for smoke tests only, the numbers mean nothing.
    stream : file-like, optional
        Where to print the table (default standard output).

    Returns
    -------
    dict
        ``sampler`` (``samples_per_s_per_core``, ``vs_scipy``, ``vs_numpy``,
        agreement check), ``engine`` (rows with ``batch``, ``threads``,
        ``coord_steps_per_s``, ``ratio_vs_numpy``, ...), ``scaling`` (2-thread
        over 1-thread rate per batch), ``numpy_baseline``, ``compile_s``,
        ``warm_start_s``, ``start_times`` (None in quick mode), ``targets``,
        ``workload``, ``timing`` and ``machine``.

    Raises
    ------
    InvalidParameter
        If ``quick`` is not a bool, or ``json_path`` is not a path where a
        file can be written (checked before any measurement).
    """
    if not isinstance(quick, (bool, np.bool_)):
        raise InvalidParameter(f"quick must be True or False, got {quick!r}")
    if json_path is not None:
        check_output_path(json_path, "json_path")
    stream = sys.stdout if stream is None else stream
    target_s, repeats = (0.005, 1) if quick else (0.2, 11)
    machine = machine_info()
    start_times = None if quick else _start_times()
    sampler = _bench_sampler(target_s, repeats, start_n=1000)
    numpy_rows, engine_rows, diagnostics = _bench_engine(target_s, repeats, start_k=10)
    machine["load_average_at_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None

    rate = {(r["batch"], r["threads"]): r["coord_steps_per_s"] for r in engine_rows}
    halves = {r["batch"]: (r["halves_serial_coord_steps_per_s"], r["halves_concurrent_coord_steps_per_s"]) for r in diagnostics}
    # speed-up = split x machine x threading (see the module docstring)
    scaling = [
        {"batch": b, "speedup": rate[b, 2] / rate[b, 1], "target": TARGETS["engine_scaling_2_threads"],
         "met": bool(rate[b, 2] / rate[b, 1] >= TARGETS["engine_scaling_2_threads"]),
         "split_efficiency": halves[b][0] / rate[b, 1],
         "machine_two_core_speedup": halves[b][1] / halves[b][0],
         "threading_efficiency": rate[b, 2] / halves[b][1]}
        for b in sorted({b for b, _ in rate})
    ]  # fmt: skip
    targets = [{
        "what": "sampler: sims samples/s on one core",
        "value": sampler["samples_per_s_per_core"], "target": TARGETS["sampler_samples_per_s_per_core"],
        "met": bool(sampler["samples_per_s_per_core"] >= TARGETS["sampler_samples_per_s_per_core"]),
    }, {
        "what": "sampler: sims / scipy samples/s",
        "value": sampler["vs_scipy"], "target": TARGETS["sampler_vs_scipy"],
        "met": bool(sampler["vs_scipy"] >= TARGETS["sampler_vs_scipy"]),
    }]  # fmt: skip
    targets += [
        {
            "what": f"engine / NumPy coord-steps/s, R*d = {r['batch']}, threads = {r['threads']}",
            "value": r["ratio_vs_numpy"], "target": r["target_ratio"], "met": r["meets_target"],
        }  # fmt: skip
        for r in engine_rows
        if r["target_ratio"] is not None
    ]
    targets += [
        {"what": f"engine speed-up from 1 to 2 threads, R*d = {r['batch']}", "value": r["speedup"],
         "target": r["target"], "met": r["met"]}
        for r in scaling
    ]  # fmt: skip
    result = {
        "schema": 1,
        "quick": bool(quick),
        "workload": {
            "description": (
                f"clipped_sgd (lr = {METHOD_PARAMS['lr']:g}, threshold = {METHOD_PARAMS['threshold']:g}) on quartic "
                f"(a = {OBJECTIVE_PARAMS['a']:g}, x0 = 1) with i.i.d. symmetric alpha-stable noise (alpha = {ALPHA:g}, scale 1), "
                "all metrics on the geometric grid"
            ),
            "objective": "quartic", "objective_params": OBJECTIVE_PARAMS,
            "method": "clipped_sgd", "method_params": METHOD_PARAMS,
            "noise": "stable", "noise_params": NOISE_PARAMS,
            "record": "geometric", "seed": SEED,
            "batches": [{"batch": R * d, "R": R, "d": d} for R, d in BATCHES],
        },  # fmt: skip
        "timing": {
            "policy": (
                f"warm-up, then sizes calibrated so one call takes >= {target_s:g} s; best of {repeats} in interleaved rounds; "
                "engine time = the whole simulate() call (validation, allocation, threads, kernel, results)"
            ),
            "target_s": target_s,
            "repeats": repeats,
        },
        "machine": machine,
        "sampler": sampler,
        "numpy_baseline": numpy_rows,
        "engine": engine_rows,
        "engine_without_noise": diagnostics,
        "scaling": scaling,
        "compile_s": None if start_times is None else start_times["cold"]["first_simulate_s"],
        "warm_start_s": None if start_times is None else start_times["warm"]["first_simulate_s"],
        "start_times": start_times,
        "targets": targets,
    }
    print(format_report(result), file=stream)
    if json_path is not None:
        write_json_atomic(json_path, result, indent=2)
    return result
