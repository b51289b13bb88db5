"""The simulation engine: R independent replicates of a method on an objective with noise.

Design
------
* :func:`simulate` validates everything in Python, then runs the compiled
  block runner (the template :func:`_run_block`, specialized to the run's
  objective, method and noise law by :mod:`sims.specialize`) on blocks of replicates (one Python thread per
  block; the kernel releases the GIL) and blocks of steps (so long runs can
  show progress).  All state lives in arrays, so a run can be continued
  block after block.
* Inside the kernel, replicates are advanced as the rows of blocks: per
  step, the objective, the norms and the method each run once on a whole
  block (the components' block kernels ``values_and_grads`` and
  ``method_steps``, with the component's kernel inlined), in loops that vectorize across
  replicates when d is small and across coordinates when it is large; the
  noise of a block is drawn for many steps at once (:mod:`sims.noise`).
* Noise is counter-based (:mod:`sims.rng`), hence identical for any thread
  count and identical across methods for the same seed.
* Only summaries at the recorded steps are stored: memory is
  O(len(record) * R), independent of K.

Recorded metrics (``METRICS``), evaluated at the iterate ``x_k`` of each
recorded step k (k = 0 is the starting point, k = K the last iterate):

================== ============================================================
grad_norm          ||grad f(x_k)||
f_gap              f(x_k) - f*
min_grad_norm      min_{j <= k} ||grad f(x_j)||
avg_min_grad       (1/(k+1)) sum_{j <= k} min{||grad f(x_j)||, ||grad f(x_j)||^2}
avg_grad_norm      (1/(k+1)) sum_{j <= k} ||grad f(x_j)||
avg_grad_norm_sq   (1/(k+1)) sum_{j <= k} ||grad f(x_j)||^2
clip_fraction      (1/k) sum_{j < k} c_j, c_j the clipped fraction of step j (nan at k = 0)
f_gap_avg_iterate  f(xbar_k) - f*, xbar_k = sum_{j<=k} w_j x_j / sum_{j<=k} w_j, w_j = (j+1)^avg_power
local_smoothness   ||grad f(x_k + s/2) - grad f(x_k)|| / (||s||/2), s = x_{k+1} - x_k
                   (ICLR20's trajectory estimate; nan at k = K or when s = 0)
================== ============================================================

A replicate *diverges* at the first step where f(x_k) or ||grad f(x_k)|| is not
finite (overflow, inf, nan; the norm is computed as the square root of the sum
of squares, so a gradient above ~1e154 counts as overflowed).  From then on its records are nan and it stops;
``diverged`` and ``diverged_step`` say so.  Divergence is recorded, never raised.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

from sandbox import names

from . import specialize
from ._numba import jit
from .methods import METHODS
from .noise import LAWS, NOISE_BLOCK
from .objectives import OBJECTIVES
from .vecmath import row_norms
from .memory import check_memory
from .params import InvalidParameter
from .progress import Progress
from .rng import check_seed
from .schedules import pack_schedules

METRICS = tuple(names.METRICS)
_N_METRICS = len(METRICS)
# accumulator columns; _ACC_W, the total averaging weight sum_{j<=k} w_j, is the same for every
# replicate that has not diverged (it is kept per replicate so that a run can continue block after block);
# _ACC_LOGW is the log of the factor the weights are divided by once they would overflow (0: not scaled)
_ACC_MIN, _ACC_MING, _ACC_G, _ACC_G2, _ACC_CLIP, _ACC_W, _ACC_LOGW = range(7)
_N_ACC = 7
# largest averaging weight (and total) kept unscaled: a sum of two stays finite
_WEIGHT_MAX = 1e300


@jit(inline=True)
def _schedule_values(k, coef, table, use_table, out):
    for j in range(coef.shape[0]):
        if use_table[j]:
            out[j] = table[j, k]
        elif coef[j, 1] == 0.0:
            out[j] = coef[j, 0]
        else:
            out[j] = coef[j, 0] * (k + coef[j, 2]) ** coef[j, 1]


# Replicates advanced together, as the rows of (G, d) blocks: G = _GROUP_LANES // d (at least 1).
# Every kernel of a step runs once per block (one call of the objective's and the method's block kernels per
# block-step, not per replicate), as flat loops that vectorize across the replicates when d is
# small and across coordinates when it is large; and the replicates' chains of dependent
# operations (gradient, norm, division, update) overlap.
_GROUP_LANES = 256
# Noise lanes drawn per (group, chunk of steps): the group's noise for S steps stays in L2.
_CHUNK_LANES = 65536
# per-replicate running summaries of a block, as rows of one (5, G) array
_SUM_MIN, _SUM_MING, _SUM_G, _SUM_G2, _SUM_CLIP = range(5)


def _run_block(
    objective_id, method_id, law_id, obj_p, f_star, coef, table, use_table, law_p, seed,
    r0, r1, k0, k1, K, rec_steps, rec_ptr0, avg_power, track_avg,
    X, M, V, XBAR, ACC, DIV, REC, XREC, record_x,
):  # fmt: skip
    """Advance replicates r0..r1-1 from step k0 to k1 (k1 <= K; k = K only evaluates).

    A template (:mod:`sims.specialize`): compiled per family of components,
    with the generated dispatchers ``values_and_grads``, ``method_steps``,
    ``fill_noise_rows`` (their first argument is the member's id) and the
    tuple ``NOISY`` (False for the law without noise) bound to it.

    Steps are 0-based: iteration k evaluates the gradient at x_k, records if
    k is a recorded step, and (if k < K) applies update k to get x_{k+1}.

    Loop order: chunks of S steps, then blocks of G replicates, then steps.
    Per chunk, the schedules and averaging weights are evaluated once for all
    replicates; per (block, chunk), each replicate's noise for all S steps is
    drawn in one flat, vectorized call; per step, the objective, the norms
    and the method run on the whole block, one call each (kernels over
    (G, d) arrays, compiled without reference counting: no call, view or
    dispatch per replicate).

    A replicate that diverges stays in its block: its row keeps being
    computed (its values are never recorded again) and is restored at the
    end of the chunk to the point where it diverged.  Each replicate's
    arithmetic is the same whatever block or thread it is in, so results do
    not depend on the chunking, the blocks or the threads.
    """
    d = X.shape[1]
    P = coef.shape[0]
    G = max(1, min(r1 - r0, _GROUP_LANES // d))
    S = max(1, min(256, _CHUNK_LANES // (G * d)))
    XI = np.empty((G, S, d))
    noise_scratch = np.empty((2, max(d, NOISE_BLOCK)))
    # increments of fill_noise_rows as int64 variables, not literal constants: the same compiled
    # specialization of the law's block kernel serves the engine and sample_noise
    same, next_step = np.int64(0), np.int64(1)
    H = np.empty((S, P))
    C = np.empty(S)  # weight of x_k in the running weighted average: w_k / sum_{j<=k} w_j
    # block work arrays: one row per replicate of the block
    grad = np.empty((G, d))
    noisy = np.empty((G, d))
    work = np.empty((G, d))
    xprev = np.empty((G, d))
    mid = np.empty((G, d))
    grad_mid = np.empty((G, d))
    frozen = np.empty((G, d))
    sums = np.empty((5, G))
    f = np.empty(G)
    gnorm = np.empty(G)
    clipped = np.empty(G)
    f_other = np.empty(G)
    u = np.empty(G)
    w = np.empty(G)
    h = np.empty(P)
    live = np.empty(G, dtype=np.bool_)
    # This thread's replicates' state, in arrays of its own while it runs: the rows of two
    # threads' blocks may share a cache line, which would bounce between the cores on every step.
    X_own, M_own, V_own, XBAR_own = X[r0:r1].copy(), M[r0:r1].copy(), V[r0:r1].copy(), XBAR[r0:r1].copy()
    last = k1 if k1 == K else k1 - 1  # inclusive last evaluated step
    n_rec = rec_steps.shape[0]
    chunk_ptr = rec_ptr0
    # the total weight so far, from any replicate still running (all of them carry the same value)
    total_weight = 0.0
    log_scale = 0.0
    for r in range(r0, r1):
        if DIV[r] < 0:
            total_weight = ACC[r, _ACC_W]
            log_scale = ACC[r, _ACC_LOGW]
            break
    for kc in range(k0, last + 1, S):
        ke = min(kc + S, last + 1)  # evaluate steps kc..ke-1
        n_upd = min(ke, K) - kc  # updates for steps kc..kc+n_upd-1
        for s in range(n_upd):
            _schedule_values(kc + s, coef, table, use_table, H[s])
        for s in range(ke - kc):
            if avg_power == 0.0:
                weight = 1.0
            elif log_scale == 0.0:
                weight = (kc + s + 1.0) ** avg_power
            else:
                weight = math.exp(avg_power * math.log(kc + s + 1.0) - log_scale)
            if not (weight <= _WEIGHT_MAX and total_weight <= _WEIGHT_MAX):
                # w_k (or the sum) would overflow, and C = w_k / sum_j w_j become inf/inf = nan: from
                # here on all weights are divided by e^log_scale = w_k, which leaves the ratios C unchanged
                new_scale = avg_power * math.log(kc + s + 1.0)
                total_weight *= math.exp(log_scale - new_scale)
                log_scale = new_scale
                weight = 1.0
            total_weight += weight
            C[s] = weight / total_weight
        for g0 in range(r0, r1, G):
            g1 = min(g0 + G, r1)
            n = g1 - g0
            n_live = 0
            for a in range(n):
                live[a] = DIV[g0 + a] < 0
                n_live += 1 if live[a] else 0
            if n_live == 0:
                continue
            # Views of the block, made once: a view made inside the step loop costs atomic reference
            # counting on every step (so does re-binding a name to another array there).
            o0, o1 = g0 - r0, g1 - r0
            Xb, Mb, Vb, XBARb = X_own[o0:o1], M_own[o0:o1], V_own[o0:o1], XBAR_own[o0:o1]
            x_flat, xbar_flat = Xb.reshape(n * d), XBARb.reshape(n * d)
            Gb, GSb, Tb, MIDb, GMb = grad[:n], noisy[:n], work[:n], mid[:n], grad_mid[:n]
            Fb, F2b, GNb, CLb, Ub, Wb = f[:n], f_other[:n], gnorm[:n], clipped[:n], u[:n], w[:n]
            for a in range(n):
                if live[a]:
                    if n_upd > 0 and NOISY[law_id]:  # noqa: F821  (bound per family)
                        fill_noise_rows(law_id, law_p, seed, g0 + a, same, kc, next_step, XI[a, :n_upd], noise_scratch)
                else:
                    frozen[a] = Xb[a]
                    XI[a] = 0.0
            for a in range(n):
                sums[_SUM_MIN, a] = ACC[g0 + a, _ACC_MIN]
                sums[_SUM_MING, a] = ACC[g0 + a, _ACC_MING]
                sums[_SUM_G, a] = ACC[g0 + a, _ACC_G]
                sums[_SUM_G2, a] = ACC[g0 + a, _ACC_G2]
                sums[_SUM_CLIP, a] = ACC[g0 + a, _ACC_CLIP]
            ptr = chunk_ptr
            for s in range(ke - kc):
                k = kc + s
                recording = ptr < n_rec and rec_steps[ptr] == k
                values_and_grads(objective_id, obj_p, Xb, Gb, Fb, Tb)
                row_norms(Gb, GNb)
                n_new = 0
                for a in range(n):
                    n_new += 1 if live[a] and not (math.isfinite(Fb[a]) and math.isfinite(GNb[a])) else 0
                if n_new > 0:
                    for a in range(n):
                        if live[a] and not (math.isfinite(Fb[a]) and math.isfinite(GNb[a])):
                            DIV[g0 + a] = k
                            live[a] = False
                            frozen[a] = Xb[a]
                    n_live -= n_new
                    if n_live == 0:
                        break
                # running summaries over j = 0..k (rows that diverged accumulate values never read)
                for a in range(n):
                    gn = GNb[a]
                    sums[_SUM_MIN, a] = min(sums[_SUM_MIN, a], gn)
                    sums[_SUM_MING, a] += min(gn, gn * gn)
                    sums[_SUM_G, a] += gn
                    sums[_SUM_G2, a] += gn * gn
                if track_avg:
                    c = C[s]
                    for j in range(n * d):
                        xbar_flat[j] += c * (x_flat[j] - xbar_flat[j])
                if recording:
                    if track_avg:
                        values_and_grads(objective_id, obj_p, XBARb, GMb, F2b, Tb)
                    num = k + 1.0
                    for a in range(n):
                        if not live[a]:
                            continue
                        r = g0 + a
                        gn = GNb[a]
                        REC[ptr, 0, r] = gn
                        REC[ptr, 1, r] = Fb[a] - f_star
                        REC[ptr, 2, r] = sums[_SUM_MIN, a]
                        REC[ptr, 3, r] = sums[_SUM_MING, a] / num
                        REC[ptr, 4, r] = sums[_SUM_G, a] / num
                        REC[ptr, 5, r] = sums[_SUM_G2, a] / num
                        REC[ptr, 6, r] = sums[_SUM_CLIP, a] / k if k > 0 else math.nan
                        if track_avg:
                            REC[ptr, 7, r] = F2b[a] - f_star
                        for i in range(d):
                            xprev[a, i] = Xb[a, i]
                            if record_x:
                                XREC[ptr, r, i] = Xb[a, i]
                if k < K:
                    # the method's parameters at step k, and its update with the stochastic gradients
                    for j in range(P):
                        h[j] = H[s, j]
                    if not NOISY[law_id]:  # noqa: F821
                        method_steps(method_id, k, h, Xb, Gb, Mb, Vb, CLb, Tb, Ub, Wb)
                    else:
                        for a in range(n):
                            for i in range(d):
                                GSb[a, i] = Gb[a, i] + XI[a, s, i]
                        method_steps(method_id, k, h, Xb, GSb, Mb, Vb, CLb, Tb, Ub, Wb)
                    for a in range(n):
                        sums[_SUM_CLIP, a] += CLb[a]
                    if recording:
                        # ICLR20's local smoothness along the step s = x_{k+1} - x_k
                        for a in range(n):
                            for i in range(d):
                                MIDb[a, i] = 0.5 * (Xb[a, i] + xprev[a, i])
                        values_and_grads(objective_id, obj_p, MIDb, GMb, F2b, Tb)
                        for a in range(n):
                            if not live[a]:
                                continue
                            num_sq = 0.0
                            den_sq = 0.0
                            for i in range(d):
                                num_sq += (GMb[a, i] - Gb[a, i]) ** 2
                                den_sq += (Xb[a, i] - xprev[a, i]) ** 2
                            if den_sq > 0.0:
                                REC[ptr, 8, g0 + a] = math.sqrt(num_sq) / (0.5 * math.sqrt(den_sq))
                if recording:
                    ptr += 1
            for a in range(n):
                if not live[a]:
                    Xb[a] = frozen[a]
                ACC[g0 + a, _ACC_MIN] = sums[_SUM_MIN, a]
                ACC[g0 + a, _ACC_MING] = sums[_SUM_MING, a]
                ACC[g0 + a, _ACC_G] = sums[_SUM_G, a]
                ACC[g0 + a, _ACC_G2] = sums[_SUM_G2, a]
                ACC[g0 + a, _ACC_CLIP] = sums[_SUM_CLIP, a]
        while chunk_ptr < n_rec and rec_steps[chunk_ptr] < ke:
            chunk_ptr += 1
    for r in range(r0, r1):
        if DIV[r] < 0:
            ACC[r, _ACC_W] = total_weight
            ACC[r, _ACC_LOGW] = log_scale
    X[r0:r1] = X_own
    M[r0:r1] = M_own
    V[r0:r1] = V_own
    XBAR[r0:r1] = XBAR_own


def record_grid(K: int, record: Any = "geometric") -> np.ndarray:
    """The recorded steps, sorted, unique, in [0, K], always containing 0 and K.

    Parameters
    ----------
    K : int
        Horizon, in [0, 2**32 - 2].
    record : {"geometric", "all"}, int, or array_like
        ``"all"``: every step 0..K.  ``"geometric"``: about 20 points per
        decade (every step when K <= 20).  An int n: about n geometrically spaced
        steps.  An array: exactly those steps (plus 0 and K).

    Raises
    ------
    InvalidParameter
        For an invalid ``K`` or ``record``; :class:`sims.memory.InsufficientMemory`
        when the grid itself would not fit in the available memory.
    """
    K = _check_int("K", K, 0, 2**32 - 2)
    if isinstance(record, str):
        if record == "all":
            check_memory(8 * (K + 1), f"record_grid with K = {K}, record = 'all'")
            return np.arange(K + 1, dtype=np.int64)
        if record == "geometric":
            n = int(20 * max(1.0, math.log10(K + 1))) + 1
            return record_grid(K, n)
        raise InvalidParameter(f"record must be 'all', 'geometric', an int >= 2 or an array of steps; got {record!r}")
    if isinstance(record, (int, np.integer)) and not isinstance(record, bool):
        if record < 2:
            raise InvalidParameter(f"record as an int must be >= 2, got {record}")
        if record >= K + 1:
            return np.arange(K + 1, dtype=np.int64)
        steps = np.unique(np.round(np.geomspace(1, K + 1, int(record))).astype(np.int64) - 1)
        return np.unique(np.concatenate([[0], steps, [K]]))
    steps = np.asarray(record)
    if steps.ndim != 1 or steps.size == 0 or not np.issubdtype(steps.dtype, np.integer):
        raise InvalidParameter("record as an array must be a 1-D array of integer steps")
    if steps.min() < 0 or steps.max() > K:
        raise InvalidParameter(f"record steps must lie in [0, K] = [0, {K}]")
    return np.unique(np.concatenate([[0], steps.astype(np.int64), [K]]))


@dataclass
class SimulationResult:
    """What :func:`simulate` returns.

    Attributes
    ----------
    steps : ndarray of int, shape (n_rec,)
        The recorded steps k.
    records : dict of str -> ndarray, shape (n_rec, R)
        One array per metric in ``METRICS``; nan after a replicate diverged.
    diverged : ndarray of bool, shape (R,)
    diverged_step : ndarray of int, shape (R,)
        First step at which f or grad f was not finite, -1 if never.
    x : ndarray, shape (n_rec, R, d), or None
        Iterates at the recorded steps when ``record_x=True``.
    config : dict
        Everything needed to re-run: names, resolved parameters, K, R, seed, x0.
    wall_time : float
        Seconds spent in the simulation (excluding validation and compilation).
    compile_time : float
        Seconds spent loading or compiling the kernel before the run
        (near zero once it is in memory).
    """

    steps: np.ndarray
    records: dict[str, np.ndarray]
    diverged: np.ndarray
    diverged_step: np.ndarray
    x: np.ndarray | None
    config: dict
    wall_time: float = 0.0
    compile_time: float = 0.0
    final_x: np.ndarray | None = field(default=None, repr=False)

    @property
    def R(self) -> int:
        return int(self.diverged.shape[0])

    @property
    def n_diverged(self) -> int:
        return int(self.diverged.sum())

    def values(self, metric: str, step: int | None = None, diverged_as: float = math.inf) -> np.ndarray:
        """Per-replicate values of ``metric`` (at recorded ``step``, default the last).

        Diverged replicates get ``diverged_as`` (default +inf: a diverged
        run's error is unbounded), so no statistic silently drops them.
        """
        if not isinstance(metric, str) or metric not in self.records:
            raise InvalidParameter(f"unknown metric {metric!r}; valid: {', '.join(METRICS)}")
        try:
            diverged_as = float(diverged_as)
        except (TypeError, ValueError, OverflowError):
            raise InvalidParameter(f"diverged_as must be a number (default inf), got {diverged_as!r}") from None
        row = -1 if step is None else self._row(step)
        vals = self.records[metric][row].copy()
        k = self.steps[row]
        gone = self.diverged & (self.diverged_step <= k)
        vals[gone] = diverged_as
        return vals

    def _row(self, step: int) -> int:
        step = _check_int("step", step, 0)
        idx = np.searchsorted(self.steps, step)
        if idx >= len(self.steps) or self.steps[idx] != step:
            raise InvalidParameter(f"step {step} was not recorded; recorded steps: {self.steps[0]}..{self.steps[-1]}")
        return int(idx)

    def quantiles(self, metric: str, q=(0.1, 0.5, 0.9), step: int | None = None) -> np.ndarray:
        """Quantiles over replicates (diverged replicates count as +inf)."""
        return quantiles_with_inf(self.values(metric, step), q)

    def mean(self, metric: str, step: int | None = None) -> float:
        """Mean over replicates; +inf if any replicate diverged by then."""
        return float(np.mean(self.values(metric, step)))

    def summary(self) -> dict:
        """Quantiles of the final grad norm and f gap, divergence count, wall time."""
        q = (0.1, 0.5, 0.9)
        return {
            "K": int(self.config["K"]),
            "R": self.R,
            "final_grad_norm_quantiles": dict(zip(["q10", "q50", "q90"], map(float, self.quantiles("grad_norm", q)))),
            "final_f_gap_quantiles": dict(zip(["q10", "q50", "q90"], map(float, self.quantiles("f_gap", q)))),
            "n_diverged": self.n_diverged,
            "wall_time_s": self.wall_time,
        }


def quantiles_with_inf(values: np.ndarray, q) -> np.ndarray:
    """Linear-interpolation quantiles (NumPy's default) where +inf values are allowed.

    ``np.quantile`` computes ``a + (b - a) t``, which is nan when ``b = inf``
    even for ``t = 0``; here a quantile is +inf exactly when interpolation puts
    positive weight on an infinite order statistic.
    """
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    try:
        q = np.atleast_1d(np.asarray(q, dtype=np.float64))
    except (TypeError, ValueError, OverflowError):
        q = np.array([np.nan])
    if q.ndim != 1 or not np.all((q >= 0.0) & (q <= 1.0)):
        raise InvalidParameter(f"quantile levels q must be numbers in [0, 1], got {q!r}")
    if x.size == 0:
        raise InvalidParameter("quantiles of an empty set of values")
    pos = q * (x.size - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, x.size - 1)
    t = pos - lo
    out = np.empty(q.size)
    for j in range(q.size):
        a, b = x[lo[j]], x[hi[j]]
        out[j] = a if t[j] == 0.0 else (math.inf if math.isinf(b) else a + (b - a) * t[j])
    return out


def _finite(value: float) -> bool:
    """``math.isfinite`` that answers False for an int beyond the float range."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _check_int(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo or (hi is not None and value > hi):
        rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise InvalidParameter(f"{name} must be an integer {rng}, got {value!r}")
    return int(value)


def _record_count(K: int, record: Any) -> int:
    """An upper bound on ``len(record_grid(K, record))``, computed without building the grid."""
    if isinstance(record, str):
        return K + 1 if record == "all" else int(20 * max(1.0, math.log10(K + 1))) + 1
    if isinstance(record, (int, np.integer)) and not isinstance(record, bool):
        return int(min(max(int(record), 2), K + 1)) + 2
    return int(np.size(record)) + 2


def _block_scratch_bytes(n: int, d: int, n_params: int, state_vectors: int) -> int:
    """Bytes :func:`_run_block` allocates for a block of ``n`` replicates (mirrors its arrays)."""
    G = max(1, min(n, _GROUP_LANES // d))
    S = max(1, min(256, _CHUNK_LANES // (G * d)))
    floats = (
        G * S * d  # XI: the block's noise for a chunk of steps
        + 2 * max(d, NOISE_BLOCK)  # noise_scratch
        + S * n_params + S  # H, C
        + 7 * G * d  # grad, noisy, work, xprev, mid, grad_mid, frozen
        + 5 * G + 6 * G + n_params  # sums; f, gnorm, clipped, f_other, u, w; h
        + n * d * (2 + state_vectors)  # the thread's own copies of X, XBAR, M, V
    )
    return 8 * floats + G  # + live (bool)


def simulation_memory(
    R: int, d: int, n_rec: int, *, state_vectors: int = 0, n_params: int = 0, record_x: bool = False,
    threads: int = 1, x0_shape: tuple = (), x0_copied: bool = True,
) -> dict[str, int]:  # fmt: skip
    """Bytes a :func:`simulate` call allocates, by part, at its peak.

    Parameters
    ----------
    R, d : int
        Replicates and dimension.
    n_rec : int
        Number of recorded steps.
    state_vectors : int
        The method's d-vectors of state per replicate (0, 1 or 2).
    n_params : int
        The method's number of parameters.
    record_x : bool
        Whether the iterates are recorded.
    threads : int
        Worker threads (each runs a block of replicates with scratch of its own).
    x0_shape : tuple
        Shape of the given starting point (``()`` for a number or the default).
    x0_copied : bool
        Whether :func:`simulate` converts ``x0`` into a new float64 array.

    Returns
    -------
    dict of str -> int
        ``state`` (iterates, averaged iterates, method state, accumulators,
        divergence steps), ``records`` (metrics, iterates if recorded, the
        recorded steps), ``start`` (the starting point as an array),
        ``kernels`` (the threads' scratch, freed when the run ends),
        ``config`` (the starting point as the list of Python floats in the
        result's configuration, made after the run) and ``total``, the peak:
        everything but the larger of ``kernels`` and ``config``, plus that one.
    """
    x0_size = int(np.prod(x0_shape)) if x0_shape else d
    x0_rows = x0_shape[0] if len(x0_shape) == 2 else 1
    n_blocks = max(1, min(R, threads))
    largest_block = -(-R // n_blocks)
    parts = {
        "state": 8 * R * d * (2 + state_vectors) + 8 * R * (_N_ACC + 1) + R,  # X, XBAR, M, V; ACC, DIV; diverged
        "records": 8 * n_rec * R * (_N_METRICS + (d if record_x else 0)) + 8 * n_rec,  # REC, XREC; steps
        "start": 8 * x0_size if x0_copied else 0,
        "kernels": n_blocks * _block_scratch_bytes(largest_block, d, n_params, state_vectors),
        "config": 32 * x0_size + 64 * (x0_rows + 1),  # a pointer and a float object per value; the lists
    }
    parts["total"] = parts["state"] + parts["records"] + parts["start"] + max(parts["kernels"], parts["config"])
    return parts


def default_threads() -> int:
    """Threads used when ``threads=None``: numba's thread setting (``NUMBA_NUM_THREADS``)."""
    return int(numba.get_num_threads())


def simulate(
    objective: str,
    method: str,
    noise: str,
    K: int,
    R: int,
    seed: int,
    x0: Any = None,
    record: Any = "geometric",
    *,
    objective_params: dict | None = None,
    method_params: dict | None = None,
    noise_params: dict | None = None,
    avg_power: float = 0.0,
    record_x: bool = False,
    threads: int | None = None,
    progress: bool = False,
    max_memory: Any = None,
) -> SimulationResult:
    """Run R independent replicates of ``method`` on ``objective`` with ``noise``.

    Parameters
    ----------
    objective, method, noise : str
        Registry names (``sims.OBJECTIVES``, ``sims.METHODS``, ``sims.LAWS``).
    K : int
        Number of steps (horizon), >= 1.
    R : int
        Number of replicates, >= 1.
    seed : int
        Seed in [0, 2**64).  The noise of replicate r at step k is a pure
        function of (seed, r, k): identical across methods and thread counts.
    x0 : float, array of shape (d,) or (R, d), optional
        Starting point(s); default the objective's own.
    record : {"geometric", "all"}, int or array of steps
        Which steps to record (see :func:`record_grid`).
    objective_params, method_params, noise_params : dict, optional
        Component parameters; method parameters may be schedules (see
        :mod:`sims.schedules`).
    avg_power : float
        Weights ``(j+1)^avg_power`` of the averaged iterate (0: uniform).
    record_x : bool
        Also store the iterates at the recorded steps.
    threads : int, optional
        Worker threads (default: numba's thread count).  Results do not
        depend on it.
    progress : bool
        Show a progress bar on standard error.
    max_memory : float or str, optional
        Refuse the run if it needs more bytes than this (e.g. ``"16G"``;
        ``"inf"``: never refuse).  Default: the environment variable
        ``SANDBOX_MAX_MEMORY``, else the memory available now (see
        :mod:`sims.memory` and :func:`simulation_memory`).

    Returns
    -------
    SimulationResult

    Raises
    ------
    InvalidParameter
        For any invalid input, before any compilation or simulation work;
        :class:`sims.memory.InsufficientMemory` (a subclass) when the run
        needs more memory than the limit.
    """
    obj = OBJECTIVES.get_component(objective)
    meth = METHODS.get_component(method)
    law = LAWS.get_component(noise)
    K = _check_int("K", K, 1, 2**32 - 2)
    R = _check_int("R", R, 1, 2**32 - 1)
    seed = check_seed(seed)
    obj_vals = obj.resolve(objective_params)
    law_vals = law.resolve(noise_params)
    d = obj.dimension(obj_vals)
    coef, table, use_table, meth_vals = pack_schedules(meth, method_params, K)
    if isinstance(avg_power, bool) or not isinstance(avg_power, (int, float)) or not _finite(avg_power):
        raise InvalidParameter(f"avg_power must be a finite number, i.e. in (-inf, inf), got {avg_power!r}")
    if threads is None:
        threads = default_threads()
    threads = _check_int("threads", threads, 1, 1024)

    # the memory check comes before anything of size R, d or K is allocated (x0 included)
    try:
        x0_shape = np.shape(x0) if x0 is not None else ()
    except ValueError:  # a ragged sequence: rejected below, once converted
        x0_shape = ()
    x0_copied = not (isinstance(x0, np.ndarray) and x0.dtype == np.float64 and x0.ndim > 0)
    need = simulation_memory(
        R, d, _record_count(K, record), state_vectors=meth.state_vectors, n_params=len(meth.params),
        record_x=bool(record_x), threads=threads, x0_shape=x0_shape if len(x0_shape) in (1, 2) else (), x0_copied=x0_copied,
    )  # fmt: skip
    check_memory(need["total"], f"simulate with R = {R}, d = {d}, K = {K}", max_memory)
    steps = record_grid(K, record)

    if x0 is None:
        x0 = obj.x0(d, obj_vals)
    try:
        x0 = np.asarray(x0, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameter("x0 must be a number or an array of finite numbers") from None
    if x0.ndim == 0:
        x0 = np.full(d, float(x0))
    if x0.shape not in ((d,), (R, d)):
        raise InvalidParameter(f"x0 must have shape ({d},) or ({R}, {d}) for this objective, got {x0.shape}")
    if not np.all(np.isfinite(x0)):
        raise InvalidParameter("x0 must be finite")

    X = np.empty((R, d))
    X[:] = x0
    nsv = meth.state_vectors
    M = np.zeros((R, d if nsv >= 1 else 0))
    V = np.zeros((R, d if nsv >= 2 else 0))
    XBAR = X.copy()
    ACC = np.zeros((R, _N_ACC))
    ACC[:, _ACC_MIN] = np.inf
    DIV = np.full(R, -1, dtype=np.int64)
    REC = np.full((len(steps), _N_METRICS, R), np.nan)
    XREC = np.full((len(steps), R, d) if record_x else (0, 0, 0), np.nan)

    obj_p = obj.pack(obj_vals)
    law_p = law.pack(law_vals)
    f_star = float(obj.f_star(d, obj_vals))
    args_static = (obj_p, f_star, coef, table, use_table, law_p, np.uint64(seed))

    # one lockstep block of replicates per thread (blocks must stay large for the flat loops)
    n_blocks = min(R, threads)
    bounds = np.linspace(0, R, n_blocks + 1).astype(np.int64)
    # step blocks: many only when showing progress
    n_step_blocks = min(K, 100) if progress else 1
    k_bounds = np.unique(np.linspace(0, K, n_step_blocks + 1).astype(np.int64))

    # Generating the combination's runner and an empty call compile it (or load it from the
    # cache) outside the timed region.
    t_compile = time.perf_counter()
    run_block = specialize.runner(obj, meth, law)
    run_block(*args_static, 0, 0, 0, 0, K, steps, 0, float(avg_power), True, X, M, V, XBAR, ACC, DIV, REC, XREC, bool(record_x))
    compile_time = time.perf_counter() - t_compile

    t0 = time.perf_counter()
    bar = Progress(total=int(K) * R * d, desc=f"{meth.name} on {obj.name}", enabled=progress)
    def advance(r0, r1, k0, k1, ptr0):
        run_block(*args_static, int(r0), int(r1), int(k0), int(k1), K, steps, ptr0,
                   float(avg_power), True, X, M, V, XBAR, ACC, DIV, REC, XREC, bool(record_x))  # fmt: skip

    pool = ThreadPoolExecutor(max_workers=n_blocks) if n_blocks > 1 else None
    try:
        for k0, k1 in zip(k_bounds[:-1], k_bounds[1:]):
            ptr0 = int(np.searchsorted(steps, k0))
            if pool is None:
                advance(0, R, k0, k1, ptr0)
            else:
                jobs = [pool.submit(advance, r0, r1, k0, k1, ptr0) for r0, r1 in zip(bounds[:-1], bounds[1:])]
                for j in jobs:
                    j.result()
            bar.update(int(k1 - k0) * R * d)
    finally:
        if pool is not None:
            pool.shutdown()
        bar.close()
    wall = time.perf_counter() - t0

    records = {name: REC[:, i, :] for i, name in enumerate(METRICS)}
    config = {
        "objective": obj.name,
        "objective_params": obj_vals,
        "method": meth.name,
        "method_params": meth_vals,
        "noise": law.name,
        "noise_params": law_vals,
        "K": K,
        "R": R,
        "seed": seed,
        "dim": d,
        "x0": x0.tolist(),
        "avg_power": float(avg_power),
        "record_steps": int(len(steps)),
    }
    return SimulationResult(
        steps=steps,
        records=records,
        diverged=DIV >= 0,
        diverged_step=DIV,
        x=XREC if record_x else None,
        config=config,
        wall_time=wall,
        compile_time=compile_time,
        final_x=X,
    )
