"""First-order methods: one registry entry and one compiled update each.

Every method parameter is a *schedule*: a constant, a per-step array of
length K, a :class:`theory.schedules.PowerSchedule`, or a callable of the
horizon K returning one of those (how the theorems prescribe parameters).

Each update reads the stochastic gradient ``g`` and updates ``x`` in place,
with up to two state vectors ``m`` and ``v`` (momentum / second moments), and
returns the *clipped fraction* of the step: for global methods 1.0 if the
step was clipped and 0.0 otherwise, for coordinate-wise methods the fraction
of coordinates clipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._numba import jit
from .params import Component, Param, Registry

_INF = math.inf


@dataclass(frozen=True, kw_only=True)
class Method(Component):
    """A registered first-order method.

    Attributes
    ----------
    state_vectors : int
        Number of d-dimensional state vectors (0, 1 or 2) the update keeps.
    """

    kind: str = "method"
    state_vectors: int = 0


def _p(name, default, lo=0.0, hi=_INF, lo_open=True, hi_open=False, doc=""):
    return Param(name, default, lo, hi, lo_open=lo_open, hi_open=hi_open, doc=doc)


LR = _p("lr", 0.01, doc="step size eta")
THRESHOLD = _p("threshold", 1.0, doc="clipping threshold gamma (tau)")
MOMENTUM = _p("momentum", 0.9, 0.0, 1.0, lo_open=False, hi_open=True, doc="EMA factor beta1 of the momentum")
# Bias correction 1 - beta^(k+1) (ACClip, Adam) is the total EMA weight only for a constant beta.
CONSTANT_MOMENTUM = Param("momentum", 0.9, 0.0, 1.0, hi_open=True, constant=True, doc="EMA factor beta1 of the momentum (constant)")
MOMENT_DECAY = Param("moment_decay", 0.99, 0.0, 1.0, hi_open=True, constant=True, doc="EMA factor beta2 of the moment estimate (constant)")
EPS = _p("eps", 1e-8, doc="denominator safeguard")

METHODS = Registry(
    "method",
    [
        Method(name="sgd", id=0, params=(LR,), doc="x <- x - lr g (GD when the noise is 'none')"),
        Method(
            name="clipped_sgd",
            id=1,
            params=(LR, THRESHOLD, _p("clip_offset", 0.0, lo_open=False, doc="delta in min{1, gamma/(|g| + delta)}; ICLR20 Thm 7 uses delta = tau")),
            doc="hard clipping: x <- x - lr min{1, threshold/(|g| + clip_offset)} g (ICLR20 clipped GD, NeurIPS20 GClip)",
        ),
        Method(
            name="soft_clipped_sgd",
            id=2,
            params=(LR, THRESHOLD),
            doc="soft clipping: x <- x - lr threshold/(|g| + threshold) g; counted as clipped when |g| > threshold",
        ),
        Method(
            name="normalized_sgd",
            id=3,
            params=(LR, _p("norm_offset", 1e-8, lo_open=False, doc="beta in lr/(|g| + beta)")),
            doc="x <- x - lr/(|g| + norm_offset) g (ICLR20 normalized GD); counted as clipped when |g| > norm_offset",
        ),
        Method(
            name="normalized_sgd_momentum",
            id=4,
            params=(LR, MOMENTUM),
            state_vectors=1,
            doc="m <- momentum m + (1-momentum) g; x <- x - lr m/|m| (Cutkosky-Mehta; Liu-Zhou 2025); always counted as clipped",
        ),
        Method(
            name="clipped_momentum",
            id=5,
            params=(LR, THRESHOLD, _p("momentum", 0.999, 0.0, 1.0, lo_open=False, hi_open=True, doc="EMA factor of m"), _p("mix", 0.7, 0.0, 1.0, lo_open=False, doc="nu: weight of the momentum term")),
            state_vectors=1,
            doc="mixed clipping (B. Zhang et al. 2020): x <- x - [nu lr/(1+lr|m|/gamma) m + (1-nu) lr/(1+lr|g|/gamma) g]; clipped when lr|g| > gamma",
        ),
        Method(
            name="cclip",
            id=6,
            params=(LR, THRESHOLD),
            doc="coordinate-wise clipping (NeurIPS20 CClip): x_i <- x_i - lr min{1, threshold/|g_i|} g_i",
        ),
        Method(
            name="acclip",
            id=7,
            params=(LR, CONSTANT_MOMENTUM, MOMENT_DECAY, _p("moment_order", 1.0, 0.0, 2.0, doc="alpha of the |g|^alpha moment estimate (paper default 1)"), _p("eps", 1e-5)),
            state_vectors=2,
            doc="adaptive coordinate-wise clipping (NeurIPS20 ACClip), bias-corrected EMAs of g and |g|^alpha: x <- x - lr min{tau/(|m|+eps), 1} m",
        ),
        Method(
            name="adam",
            id=8,
            params=(LR, CONSTANT_MOMENTUM, Param("moment_decay", 0.999, 0.0, 1.0, hi_open=True, constant=True, doc="EMA factor beta2 of g^2 (constant)"), EPS),
            state_vectors=2,
            doc="Adam (Kingma-Ba) with bias correction; never counted as clipped",
        ),
        Method(
            name="l0l1_gd",
            id=9,
            params=(
                _p("L0", 1.0, lo_open=False, doc="smoothness constant L0 of the step"),
                _p("L1", 1.0, doc="smoothness constant L1 of the step"),
            ),
            doc="Vankov et al. 2024 step: x <- x - eta* g, eta* = ln(1 + L1|g|/(L0 + L1|g|))/(L1|g|); clipped when L1|g| > L0",
        ),
    ],
)


# ----------------------------------------------------------------------------- kernels


@jit
def _norm(v):
    s = 0.0
    for i in range(v.shape[0]):
        s += v[i] * v[i]
    return math.sqrt(s)


@jit
def _axpy(a, g, x):
    for i in range(x.shape[0]):
        x[i] -= a * g[i]


@jit
def _ema(beta, m, g):
    for i in range(m.shape[0]):
        m[i] = beta * m[i] + (1.0 - beta) * g[i]


@jit
def method_step(method_id, k, h, x, g, m, v):
    """Apply one update of method ``method_id`` at step ``k`` (0-based).

    ``h`` holds the method's parameters evaluated at step k, in declaration
    order.  Returns the clipped fraction of the step.
    """
    d = x.shape[0]
    if method_id == 0:  # sgd
        _axpy(h[0], g, x)
        return 0.0
    if method_id == 1:  # clipped_sgd (hard)
        gn = _norm(g)
        denom = gn + h[2]
        if denom > h[1]:
            _axpy(h[0] * h[1] / denom, g, x)
            return 1.0
        _axpy(h[0], g, x)
        return 0.0
    if method_id == 2:  # soft_clipped_sgd
        gn = _norm(g)
        _axpy(h[0] * h[1] / (gn + h[1]), g, x)
        return 1.0 if gn > h[1] else 0.0
    if method_id == 3:  # normalized_sgd
        gn = _norm(g)
        if gn > 0.0:  # g = 0 is a fixed point (lr/(0 + 0) * 0 would be nan)
            _axpy(h[0] / (gn + h[1]), g, x)
        return 1.0 if gn > h[1] else 0.0
    if method_id == 4:  # normalized_sgd_momentum
        _ema(h[1], m, g)
        mn = _norm(m)
        if mn > 0.0:
            _axpy(h[0] / mn, m, x)
        return 1.0
    if method_id == 5:  # clipped_momentum (mixed clipping)
        lr, gamma, nu = h[0], h[1], h[3]
        _ema(h[2], m, g)
        gn = _norm(g)
        mn = _norm(m)
        am = nu * lr / (1.0 + lr * mn / gamma)
        ag = (1.0 - nu) * lr / (1.0 + lr * gn / gamma)
        for i in range(d):
            x[i] -= am * m[i] + ag * g[i]
        return 1.0 if lr * gn > gamma else 0.0
    if method_id == 6:  # cclip
        lr, tau = h[0], h[1]
        clipped = 0
        for i in range(d):
            a = abs(g[i])
            if a > tau:
                x[i] -= lr * tau * (1.0 if g[i] > 0 else -1.0)
                clipped += 1
            else:
                x[i] -= lr * g[i]
        return clipped / d
    if method_id == 7:  # acclip
        lr, b1, b2, order, eps = h[0], h[1], h[2], h[3], h[4]
        c1 = 1.0 - b1 ** (k + 1)
        c2 = 1.0 - b2 ** (k + 1)
        clipped = 0
        for i in range(d):
            m[i] = b1 * m[i] + (1.0 - b1) * g[i]
            v[i] = b2 * v[i] + (1.0 - b2) * abs(g[i]) ** order
            mhat = m[i] / c1
            tau = (v[i] / c2) ** (1.0 / order)
            ratio = tau / (abs(mhat) + eps)
            if ratio < 1.0:
                clipped += 1
                x[i] -= lr * ratio * mhat
            else:
                x[i] -= lr * mhat
        return clipped / d
    if method_id == 8:  # adam
        lr, b1, b2, eps = h[0], h[1], h[2], h[3]
        c1 = 1.0 - b1 ** (k + 1)
        c2 = 1.0 - b2 ** (k + 1)
        for i in range(d):
            m[i] = b1 * m[i] + (1.0 - b1) * g[i]
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i]
            x[i] -= lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps)
        return 0.0
    if method_id == 9:  # l0l1_gd
        L0, L1 = h[0], h[1]
        gn = _norm(g)
        s = L1 * gn
        if s > 0.0:
            eta = math.log1p(s / (L0 + s)) / s
        elif L0 > 0.0:
            eta = 1.0 / L0  # the limit of eta* as |g| -> 0
        else:
            eta = 0.0
        _axpy(eta, g, x)
        return 1.0 if s > L0 else 0.0
    return math.nan
