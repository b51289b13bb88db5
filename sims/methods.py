"""First-order methods: one definition each, holding its parameters, compiled update and facts.

Every method parameter is a *schedule*: a constant, a per-step array of
length K, a :class:`sandbox.schedules.PowerSchedule`, or a callable of the
horizon K returning one of those (how the theorems prescribe parameters).

Each update reads the stochastic gradient ``g`` and updates ``x`` in place,
with up to two state vectors ``m`` and ``v`` (momentum / second moments), and
returns the *clipped fraction* of the step: for global methods 1.0 if the
step was clipped and 0.0 otherwise, for coordinate-wise methods the fraction
of coordinates clipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from ._numba import jit
from .params import Component, Param, Registry
from .vecmath import axpy_rows, row_norms, row_sums

_INF = math.inf


@dataclass(frozen=True, kw_only=True)
class Method(Component):
    """A first-order method: its parameters, its compiled update and its facts.

    Attributes
    ----------
    step : numba kernel ``(k, h, X, G, M, V, clipped, T, u, w) -> None``
        Update k (0-based) of every row of the block: ``h`` holds the
        parameters at step k in declaration order, ``G`` the stochastic
        gradients, ``M`` and ``V`` the state vectors; it writes the clipped
        fraction of row a's step into ``clipped[a]``.  ``T`` ((n, d)), ``u``,
        ``w`` ((n,)) are scratch; with ``uses_gradient_norm``, ``u`` holds
        ``||G[a]||`` on entry.  Compiled ``@jit(inline=True)``: it is inlined
        into the method's specialized block kernel (:mod:`sims.specialize`).
    state_vectors : int
        Number of d-dimensional state vectors (0, 1 or 2) the update keeps.
    uses_gradient_norm : bool
        Whether ``step`` reads ``||g||`` (computed for it, by one copy of the
        norm code shared by all methods).
    """

    kind: str = "method"
    step: Callable = field(repr=False)
    state_vectors: int = 0
    uses_gradient_norm: bool = False


def _p(name, default, lo=0.0, hi=_INF, lo_open=True, hi_open=False, doc=""):
    return Param(name, default, lo, hi, lo_open=lo_open, hi_open=hi_open, doc=doc)


LR = _p("lr", 0.01, doc="step size eta")
THRESHOLD = _p("threshold", 1.0, doc="clipping threshold gamma (tau)")
MOMENTUM = _p("momentum", 0.9, 0.0, 1.0, lo_open=False, hi_open=True, doc="EMA factor beta1 of the momentum")
# Bias correction 1 - beta^(k+1) (ACClip, Adam) is the total EMA weight only for a constant beta.
CONSTANT_MOMENTUM = Param("momentum", 0.9, 0.0, 1.0, hi_open=True, constant=True, doc="EMA factor beta1 of the momentum (constant)")
MOMENT_DECAY = Param("moment_decay", 0.99, 0.0, 1.0, hi_open=True, constant=True, doc="EMA factor beta2 of the moment estimate (constant)")
EPS = _p("eps", 1e-8, doc="denominator safeguard")



# ----------------------------------------------------------------------------- kernels
# The update is applied to a *block* of replicates at once: row a of the (n, d) arrays X, G,
# M, V is replicate a.  The engine calls the method's block kernel once per block and step.
# Elementwise work runs as flat loops over the block (vectorized across replicates when
# d = 1, across coordinates otherwise); per-replicate norms and factors use the row kernels
# of sims.vecmath.  Where a data-dependent choice decides a step (clipped or not), both
# candidates are computed and one is selected: a conditional move, not an unpredictable
# branch (clipping happens on a random ~half of the steps under heavy-tailed noise).  Every
# replicate's value is computed by the same operations as with a branch.


@jit(inline=True)
def _ema(beta, M, G):
    m, g = M.reshape(M.size), G.reshape(G.size)
    for j in range(m.shape[0]):
        m[j] = beta * m[j] + (1.0 - beta) * g[j]


@jit(inline=True)
def _sgd(k, h, X, G, M, V, clipped, T, u, w):
    lr = h[0]
    x, g = X.reshape(X.size), G.reshape(G.size)
    for j in range(x.shape[0]):
        x[j] -= lr * g[j]
    clipped[:] = 0.0


@jit(inline=True)
def _clipped_sgd(k, h, X, G, M, V, clipped, T, u, w):
    lr, threshold, offset = h[0], h[1], h[2]
    for a in range(X.shape[0]):
        denom = u[a] + offset
        over = denom > threshold
        clipped_lr = lr * threshold / denom
        u[a] = clipped_lr if over else lr
        clipped[a] = 1.0 if over else 0.0
    axpy_rows(u, G, X)


@jit(inline=True)
def _soft_clipped_sgd(k, h, X, G, M, V, clipped, T, u, w):
    lr, threshold = h[0], h[1]
    for a in range(X.shape[0]):
        gn = u[a]
        clipped[a] = 1.0 if gn > threshold else 0.0
        u[a] = lr * threshold / (gn + threshold)
    axpy_rows(u, G, X)


@jit(inline=True)
def _normalized_sgd(k, h, X, G, M, V, clipped, T, u, w):
    n, d = X.shape
    lr, offset = h[0], h[1]
    for a in range(n):
        gn = u[a]
        clipped[a] = 1.0 if gn > offset else 0.0
        if gn > 0.0:  # g = 0 is a fixed point (lr/(0 + 0) * 0 would be nan)
            c = lr / (gn + offset)
            for i in range(d):
                X[a, i] -= c * G[a, i]


@jit(inline=True)
def _normalized_sgd_momentum(k, h, X, G, M, V, clipped, T, u, w):
    n, d = X.shape
    lr = h[0]
    _ema(h[1], M, G)
    row_norms(M, u)
    for a in range(n):
        mn = u[a]
        clipped[a] = 1.0
        if mn > 0.0:
            c = lr / mn
            for i in range(d):
                X[a, i] -= c * M[a, i]


@jit(inline=True)
def _clipped_momentum(k, h, X, G, M, V, clipped, T, u, w):
    n, d = X.shape
    lr, gamma, nu = h[0], h[1], h[3]
    _ema(h[2], M, G)
    row_norms(M, w)
    for a in range(n):
        gn = u[a]
        am = nu * lr / (1.0 + lr * w[a] / gamma)
        ag = (1.0 - nu) * lr / (1.0 + lr * gn / gamma)
        for i in range(d):
            X[a, i] -= am * M[a, i] + ag * G[a, i]
        clipped[a] = 1.0 if lr * gn > gamma else 0.0


@jit(inline=True)
def _coordinate_fraction(T, clipped):
    # clipped[a] = the fraction of row a's coordinates marked 1 in T
    row_sums(T, clipped)
    d = T.shape[1]
    for a in range(clipped.shape[0]):
        clipped[a] /= d


@jit(inline=True)
def _cclip(k, h, X, G, M, V, clipped, T, u, w):
    lr, tau = h[0], h[1]
    x, g, t = X.reshape(X.size), G.reshape(G.size), T.reshape(T.size)
    for j in range(x.shape[0]):
        over = abs(g[j]) > tau
        # lr * (+-tau) is exactly +-(lr * tau)
        x[j] -= lr * ((tau if g[j] > 0 else -tau) if over else g[j])
        t[j] = 1.0 if over else 0.0
    _coordinate_fraction(T, clipped)


@jit(inline=True)
def _acclip(k, h, X, G, M, V, clipped, T, u, w):
    lr, b1, b2, order, eps = h[0], h[1], h[2], h[3], h[4]
    c1 = 1.0 - b1 ** (k + 1)
    c2 = 1.0 - b2 ** (k + 1)
    x, g = X.reshape(X.size), G.reshape(G.size)
    m, v, t = M.reshape(M.size), V.reshape(V.size), T.reshape(T.size)
    for j in range(x.shape[0]):
        m[j] = b1 * m[j] + (1.0 - b1) * g[j]
        v[j] = b2 * v[j] + (1.0 - b2) * abs(g[j]) ** order
        mhat = m[j] / c1
        tau = (v[j] / c2) ** (1.0 / order)
        ratio = tau / (abs(mhat) + eps)
        over = ratio < 1.0
        clipped_lr = lr * ratio
        x[j] -= (clipped_lr if over else lr) * mhat
        t[j] = 1.0 if over else 0.0
    _coordinate_fraction(T, clipped)


@jit(inline=True)
def _adam(k, h, X, G, M, V, clipped, T, u, w):
    lr, b1, b2, eps = h[0], h[1], h[2], h[3]
    c1 = 1.0 - b1 ** (k + 1)
    c2 = 1.0 - b2 ** (k + 1)
    x, g = X.reshape(X.size), G.reshape(G.size)
    m, v = M.reshape(M.size), V.reshape(V.size)
    for j in range(x.shape[0]):
        m[j] = b1 * m[j] + (1.0 - b1) * g[j]
        v[j] = b2 * v[j] + (1.0 - b2) * g[j] * g[j]
        x[j] -= lr * (m[j] / c1) / (math.sqrt(v[j] / c2) + eps)
    clipped[:] = 0.0


@jit(inline=True)
def _l0l1_gd(k, h, X, G, M, V, clipped, T, u, w):
    L0, L1 = h[0], h[1]
    for a in range(X.shape[0]):
        s = L1 * u[a]
        if s > 0.0:
            eta = math.log1p(s / (L0 + s)) / s
        elif L0 > 0.0:
            eta = 1.0 / L0  # the limit of eta* as |g| -> 0
        else:
            eta = 0.0
        clipped[a] = 1.0 if s > L0 else 0.0
        u[a] = eta
    axpy_rows(u, G, X)


def _method_steps(k, h, X, G, M, V, clipped, T, u, w):
    """Template of a method's block kernel (:mod:`sims.specialize` binds ``USES_GRADIENT_NORM``
    and ``step`` per method): apply update k to every row of the block."""
    if USES_GRADIENT_NORM:  # noqa: F821  (bound per method)
        row_norms(G, u)
    step(k, h, X, G, M, V, clipped, T, u, w)  # noqa: F821


# ----------------------------------------------------------------------------- registry

METHODS = Registry(
    "method",
    [
        Method(name="sgd", step=_sgd, params=(LR,), doc="x <- x - lr g (GD when the noise is 'none')"),
        Method(
            name="clipped_sgd",
            step=_clipped_sgd,
            uses_gradient_norm=True,
            params=(LR, THRESHOLD, _p("clip_offset", 0.0, lo_open=False, doc="delta in min{1, gamma/(|g| + delta)}; ICLR20 Thm 7 uses delta = tau")),
            doc="hard clipping: x <- x - lr min{1, threshold/(|g| + clip_offset)} g (ICLR20 clipped GD, NeurIPS20 GClip)",
        ),
        Method(
            name="soft_clipped_sgd",
            step=_soft_clipped_sgd,
            uses_gradient_norm=True,
            params=(LR, THRESHOLD),
            doc="soft clipping: x <- x - lr threshold/(|g| + threshold) g; counted as clipped when |g| > threshold",
        ),
        Method(
            name="normalized_sgd",
            step=_normalized_sgd,
            uses_gradient_norm=True,
            params=(LR, _p("norm_offset", 1e-8, lo_open=False, doc="beta in lr/(|g| + beta)")),
            doc="x <- x - lr/(|g| + norm_offset) g (ICLR20 normalized GD); counted as clipped when |g| > norm_offset",
        ),
        Method(
            name="normalized_sgd_momentum",
            step=_normalized_sgd_momentum,
            params=(LR, MOMENTUM),
            state_vectors=1,
            doc="m <- momentum m + (1-momentum) g; x <- x - lr m/|m| (Cutkosky-Mehta; Liu-Zhou 2025); always counted as clipped",
        ),
        Method(
            name="clipped_momentum",
            step=_clipped_momentum,
            uses_gradient_norm=True,
            params=(LR, THRESHOLD, _p("momentum", 0.999, 0.0, 1.0, lo_open=False, hi_open=True, doc="EMA factor of m"), _p("mix", 0.7, 0.0, 1.0, lo_open=False, doc="nu: weight of the momentum term")),
            state_vectors=1,
            doc="mixed clipping (B. Zhang et al. 2020): x <- x - [nu lr/(1+lr|m|/gamma) m + (1-nu) lr/(1+lr|g|/gamma) g]; clipped when lr|g| > gamma",
        ),
        Method(
            name="cclip",
            step=_cclip,
            params=(LR, THRESHOLD),
            doc="coordinate-wise clipping (NeurIPS20 CClip): x_i <- x_i - lr min{1, threshold/|g_i|} g_i",
        ),
        Method(
            name="acclip",
            step=_acclip,
            params=(LR, CONSTANT_MOMENTUM, MOMENT_DECAY, _p("moment_order", 1.0, 0.0, 2.0, doc="alpha of the |g|^alpha moment estimate (paper default 1)"), _p("eps", 1e-5)),
            state_vectors=2,
            doc="adaptive coordinate-wise clipping (NeurIPS20 ACClip), bias-corrected EMAs of g and |g|^alpha: x <- x - lr min{tau/(|m|+eps), 1} m",
        ),
        Method(
            name="adam",
            step=_adam,
            params=(LR, CONSTANT_MOMENTUM, Param("moment_decay", 0.999, 0.0, 1.0, hi_open=True, constant=True, doc="EMA factor beta2 of g^2 (constant)"), EPS),
            state_vectors=2,
            doc="Adam (Kingma-Ba) with bias correction; never counted as clipped",
        ),
        Method(
            name="l0l1_gd",
            step=_l0l1_gd,
            uses_gradient_norm=True,
            params=(
                _p("L0", 1.0, lo_open=False, doc="smoothness constant L0 of the step"),
                _p("L1", 1.0, doc="smoothness constant L1 of the step"),
            ),
            doc="Vankov et al. 2024 step: x <- x - eta* g, eta* = ln(1 + L1|g|/(L0 + L1|g|))/(L1|g|); clipped when L1|g| > L0",
        ),
    ],
)
