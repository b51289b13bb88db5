"""Theorems of Zhang, Karimireddy, Veit, Kim, Reddi, Kumar, Sra, NeurIPS 2020 (arXiv 1912.03194).

"Why are adaptive methods good for attention models?"  Heavy-tailed noise
with a bounded alpha-moment, alpha in (1, 2].  The published *orders* are
reliable (docs/mathematics.md#gclip-rates-and-prescribed-parameters); the constants are not available to us.
So the GClip upper bounds below are *derived here, consistent with* the
paper's rates, from the clipped-noise lemma of :mod:`theory.clipping` and the
L-smooth descent lemma / the strong-convexity distance recursion; the lower
bounds are encoded as published orders only.  The CClip/GClip comparison under
coordinate-wise noise is derived here too, with B = ||(B_i)||_2: in the
alpha-norm reading the GClip bound is already dimension-free, so the published
"GClip grows with d where CClip does not" is only true in a normalisation like
this one, where the gap is d^(2/alpha - 1).

Noise assumptions are kept distinct (docs/mathematics.md#noise-assumptions): the non-convex
result assumes a central moment E||g - grad f||^alpha <= sigma^alpha, the
strongly convex one a non-central moment E||g||^alpha <= G^alpha.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from .clipping import clipped_bias_bound, clipped_noise_lemma_proof, clipped_second_moment_bound
from .theorem import (
    C_ALPHA, C_D, C_DELTA, C_G, C_H, C_K, C_K_STEP, C_L, C_MU, C_SIGMA, C_UNKNOWN, Constant,
    DerivationError, POS, Delta, G, K, L, Prescribed, Step, Theorem, alpha, d, eq, ge, h, k, le, mu, sigma,
    B as B_COORD,
)  # fmt: skip
from .theorems_iclr20 import MIN_VS_AVG_MIN_GRAD

SOURCE = "Zhang, Karimireddy, Veit, Kim, Reddi, Kumar, Sra, NeurIPS 2020, arXiv 1912.03194"

#: Published orders (docs/mathematics.md#gclip-rates-and-prescribed-parameters), typed once.
NONCONVEX_GRAD_RATE = K ** (-(alpha - 1) / (3 * alpha - 2))  # E||grad f|| of the output
STRONGLY_CONVEX_RATE = K ** (-2 * (alpha - 1) / alpha)  # E f(x) - f*

# ----------------------------------------------------------------------------- auxiliary symbols
g = sp.Symbol("g", positive=True)  # ||grad f(x)||
xn = sp.Symbol("x", nonnegative=True)  # a noise norm ||xi|| or a gradient-estimate norm ||g_hat||
eta = sp.Symbol("eta", positive=True)
tau_ = sp.Symbol("tau", positive=True)  # a clipping threshold
bias = sp.Symbol("b", nonnegative=True)  # a bias norm ||E ghat - grad f||
var = sp.Symbol("V", nonnegative=True)  # a second-moment term
prob = sp.Symbol("P", nonnegative=True)  # a probability
cth = sp.Symbol("c", real=True)
dist = sp.Symbol("D", nonnegative=True)  # ||x - x*||^2
fgap = sp.Symbol("F", nonnegative=True)  # f(x) - f*
jj = sp.Symbol("j", positive=True, integer=True)

A_G = Constant(g, 0.0, lo_open=True, doc="||grad f(x)||", probe=(1e-5, 1e5))
A_X = Constant(xn, 0.0, doc="a norm", probe=(1e-5, 1e5))
A_ETA = Constant(eta, 0.0, lo_open=True, doc="step size", probe=(1e-7, 1e2))
A_TAU = Constant(tau_, 0.0, lo_open=True, doc="clipping threshold", probe=(1e-4, 1e4))
A_BIAS = Constant(bias, 0.0, doc="bias norm", probe=(1e-5, 1e5))
A_VAR = Constant(var, 0.0, doc="second-moment term", probe=(1e-5, 1e5))
A_P = Constant(prob, 0.0, 1.0, doc="probability")
A_C = Constant(cth, -1.0, 1.0, doc="cosine")
A_D = Constant(dist, 0.0, doc="squared distance", probe=(1e-5, 1e5))
A_F = Constant(fgap, 0.0, doc="gap", probe=(1e-5, 1e5))
A_J = Constant(jj, 1.0, integer=True, doc="index j >= 1", probe=(1.0, 1e7))


def _lemma_witness(rng: np.random.Generator) -> None:
    """The clipped-noise lemma's own checked steps (theory.clipping), on fresh random cases."""
    failed = [s.claim for s in clipped_noise_lemma_proof(n_random=2000, seed=int(rng.integers(2**31))) if not s.holds]
    if failed:
        raise DerivationError(f"clipped-noise lemma steps failed: {failed}")


LEMMA = Step(
    "clipped-noise lemma (theory.clipping, derived there): if ||grad f|| <= tau/2 then "
    "||E ghat - grad f|| <= clipped_bias_bound(alpha, sigma, tau); E||ghat||^2 <= tau^(2-alpha) E||g||^alpha",
    witness=_lemma_witness,
)


def _discrete_noise(rng: np.random.Generator, dim: int = 2, atoms: int = 6):
    """A random zero-mean discrete law in R^dim with a wide spread of radii: (points, probabilities)."""
    p = rng.dirichlet(np.ones(atoms))
    pts = rng.standard_normal((atoms, dim)) * np.exp(rng.uniform(-4, 4, atoms))[:, None]
    pts -= p @ pts
    return pts, p


def _clip(v: np.ndarray, t: float) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v * np.minimum(1.0, t / np.maximum(n, 1e-300))


# ----------------------------------------------------------------------------- SGD failure (Remark 1)
_x, _y, _z, _cc = sp.symbols("x y z c_y", real=True)
FAILURE_STEPS = (
    Step(
        "SGD on f = mu x^2/2 with g = mu x + xi: x_{k+1} = x - h (mu x + xi) = (1 - h mu) x - h xi",
        claim=eq(_x - h * (mu * _x + _z), (1 - h * mu) * _x - h * _z),
        where=(C_MU, C_H, Constant(_x, -1e3, 1e3, doc="x"), Constant(_z, -1e3, 1e3, doc="xi")),
    ),
    Step(
        "for independent Y (finite a.s.) and Z: (y + z)^2 >= 1{|y| <= c} (|z| - c)_+^2, so "
        "E(Y + Z)^2 >= P(|Y| <= c) E(|Z| - c)_+^2",
        claim=ge((_y + _z) ** 2, sp.Piecewise((sp.Max(sp.Abs(_z) - _cc, 0) ** 2, sp.Abs(_y) <= _cc), (0, True))),
        where=(
            Constant(_y, -1e3, 1e3, doc="y"),
            Constant(_z, -1e3, 1e3, doc="z"),
            Constant(_cc, 0.0, 1e3, lo_open=True, doc="c", probe=(1e-3, 1e3)),
        ),
    ),
    Step(
        "(|z| - c)_+^2 >= z^2/2 - c^2, so E(|Z| - c)_+^2 = oo when E Z^2 = oo; choosing c with "
        "P(|Y| <= c) >= 1/2 gives E x_{k+1}^2 = oo for Y = (1 - h mu) x_k, Z = -h xi_k and every h > 0, "
        "hence E|f'(x_k)|^2 = mu^2 E x_k^2 = oo for every k >= 1",
        claim=ge(sp.Max(sp.Abs(_z) - _cc, 0) ** 2, _z**2 / 2 - _cc**2),
        where=(Constant(_z, -1e3, 1e3, doc="z"), Constant(_cc, 0.0, 1e3, lo_open=True, doc="c", probe=(1e-3, 1e3))),
    ),
)

SGD_FAILURE = Theorem(
    id="neurips20_remark1_sgd_failure",
    source=f"{SOURCE}, Remark 1 (SGD can fail under heavy-tailed noise)",
    statement=(
        "On f = mu x^2/2 with noise of infinite variance (e.g. symmetric alpha-stable, index < 2), SGD with any "
        "fixed step h > 0 has E|f'(x_k)|^2 = oo for every k >= 1: x_{k+1} = (1 - h mu) x_k - h xi_k inherits "
        "the infinite second moment.  A statement about moments, not paths: medians of runs can look fine."
    ),
    function_class="f(x) = mu x^2 / 2 (strongly convex, L-smooth)",
    noise="unbiased with E xi^2 = oo (e.g. stable noise of index < 2)",
    symbols=(C_MU, C_H),
    method="sgd",
    parameters={"lr": Prescribed(h, note="any fixed step h > 0")},
    quantity="grad_norm",
    statistic="second_moment",
    bound=sp.oo,
    kind="lower",
    constants="derived",
    consistent_with="NeurIPS20 Remark 1 (mechanism; the paper's construction is not available to us)",
    derivation=FAILURE_STEPS,
    compare_at="any recorded step k >= 1: the replicate mean of grad_norm^2 keeps growing with R",
)


# ----------------------------------------------------------------------------- GClip, non-convex
C_TAU_NC = 4 * sp.Rational(32, 3) ** (1 / alpha)  # threshold >= C_TAU_NC sigma keeps big-gradient steps descending
ETA_NC = K ** (-alpha / (3 * alpha - 2)) / (16 * L)
TAU_NC = C_TAU_NC * sigma * K ** (1 / (3 * alpha - 2))
BIAS_NC = clipped_bias_bound(alpha, sigma, tau_)
VAR_NC = clipped_second_moment_bound(alpha, sigma**alpha, tau_)  # tau^(2-alpha) sigma^alpha
PSI = sp.Min(g**2, g * tau_ / 2)  # the per-step progress measure
_AVG_BOUND_NC = 8 * Delta / (eta * K) + 4 * BIAS_NC**2 + 8 * L * eta * VAR_NC  # (1/K) sum E psi <= this
BOUND_NC = (_AVG_BOUND_NC / sp.Min(1, tau_ / 2)).xreplace({eta: ETA_NC, tau_: TAU_NC})

_GNORM = sp.sqrt(g**2 + 2 * g * xn * cth + xn**2)  # ||grad f + xi|| with ||xi|| = x at angle cos = c
_A_NC = sp.Min(g / 2, tau_ / 3)
_rho, _theta = sp.symbols("rho theta", nonnegative=True)
A_RHO = Constant(_rho, 0.0, 1.0, doc="P(not A) / (2 sigma/g)^alpha")
A_THETA = Constant(_theta, 0.0, 1.0, doc="sigma / (tau/(4 (32/3)^(1/alpha)))")
_P_MARKOV = _rho * (2 * _theta * tau_ / C_TAU_NC / g) ** alpha  # a probability within the Markov bound
_PER_STEP_NC = -eta / 8 * PSI + eta * BIAS_NC**2 / 2 + L * eta**2 * VAR_NC


def _witness_nonconvex_step(rng: np.random.Generator) -> None:
    """E f(x+) - f(x) <= -(eta/8) psi + eta B^2/2 + L eta^2 V on f = L||x||^2/2, exact expectations."""
    bound = sp.lambdify((eta, g, tau_, L, alpha, sigma), _PER_STEP_NC)
    c_tau = sp.lambdify(alpha, C_TAU_NC)
    for _ in range(400):
        pts, p = _discrete_noise(rng)
        a = float(rng.uniform(1.0, 2.0)) if rng.random() > 0.1 else 2.0
        sig = float((p @ np.linalg.norm(pts, axis=1) ** a) ** (1 / a))
        t = c_tau(a) * sig * float(np.exp(rng.uniform(0, 3)))
        lip = float(np.exp(rng.uniform(-3, 3)))
        step = float(np.exp(rng.uniform(-6, 0))) / (16 * lip)
        x = rng.standard_normal(2)
        x *= t * float(np.exp(rng.uniform(-4, 3))) / (lip * np.linalg.norm(x))
        grad = lip * x
        xnew = x - step * _clip(grad + pts, t)
        change = p @ (lip / 2 * np.sum(xnew**2, axis=1)) - lip / 2 * x @ x
        allowed = bound(step, float(np.linalg.norm(grad)), t, lip, a, sig)
        if change > allowed + 1e-9 * abs(allowed):
            raise DerivationError(f"GClip step: E f(x+) - f = {change} > {allowed} (alpha={a}, tau={t}, L={lip}, eta={step})")


NC_STEPS = (
    LEMMA,
    Step(
        "pointwise second moment: min{(g + x)^2, tau^2} <= 2 g^2 + 2 min{x^2, tau^2} <= 2 g^2 + 2 tau^(2-alpha) x^alpha, "
        "so E||ghat||^2 <= 2 ||grad f||^2 + 2 V with V = tau^(2-alpha) sigma^alpha",
        claim=le(sp.Min((g + xn) ** 2, tau_**2), 2 * g**2 + 2 * clipped_second_moment_bound(alpha, xn**alpha, tau_)),
        where=(A_G, A_X, A_TAU, C_ALPHA),
    ),
    Step(
        "small gradients (||grad f|| <= tau/2), L-smooth descent lemma in expectation with the lemma's bias b and "
        "L eta <= 1/16: -eta (g^2 - g b) + (L eta^2/2)(2 g^2 + 2V) <= -(7/16) eta g^2 + eta b^2/2 + L eta^2 V",
        claim=le(
            -eta * (g**2 - g * bias) + L * eta**2 / 2 * (2 * g**2 + 2 * var),
            -sp.Rational(7, 16) * eta * g**2 + eta * bias**2 / 2 + L * eta**2 * var,
        ),
        given=(L * eta <= sp.Rational(1, 16),),
        where=(A_G, A_BIAS, A_VAR, A_ETA, C_L),
    ),
    Step(
        "large gradients: on A = {||xi|| <= g/2}, <u, ghat> = min{1, tau/||g_hat||}(g + <u, xi>) >= min{g/2, tau/3} (u = grad f/g)",
        claim=ge(sp.Min(1, tau_ / _GNORM) * (g + xn * cth), _A_NC),
        given=(xn <= g / 2,),
        where=(A_G, A_X, A_TAU, A_C),
    ),
    Step(
        "large gradients (g > tau/2): <u, ghat> >= -tau off A and P(not A) <= (2 sigma/g)^alpha (Markov), so "
        "E<u, ghat> >= a - (a + tau) P >= tau/8 once tau >= 4 (32/3)^(1/alpha) sigma "
        "(checked with sigma = theta tau/(4 (32/3)^(1/alpha)), P = rho (2 sigma/g)^alpha, theta, rho in [0, 1])",
        claim=ge(_A_NC - (_A_NC + tau_) * _P_MARKOV, tau_ / 8),
        given=(g > tau_ / 2,),
        where=(A_G, A_TAU, A_RHO, A_THETA, C_ALPHA),
    ),
    Step(
        "large gradients: E f(x+) - f <= -eta g tau/8 + L eta^2 tau^2/2 <= -eta g tau/16 (E||ghat||^2 <= tau^2, L eta <= 1/16)",
        claim=le(-eta * g * tau_ / 8 + L * eta**2 * tau_**2 / 2, -eta * g * tau_ / 16),
        given=(g > tau_ / 2, L * eta <= sp.Rational(1, 16)),
        where=(A_G, A_TAU, A_ETA, C_L),
    ),
    Step(
        "small gradients: (7/16) eta g^2 >= (eta/8) psi(g), psi(g) = min{g^2, g tau/2}",
        claim=ge(sp.Rational(7, 16) * eta * g**2, eta / 8 * PSI),
        where=(A_G, A_TAU, A_ETA),
    ),
    Step(
        "large gradients: (eta/16) g tau >= (eta/8) psi(g); so E f(x+) <= f - (eta/8) psi(g) + eta b^2/2 + L eta^2 V in both cases",
        claim=ge(eta / 16 * g * tau_, eta / 8 * PSI),
        where=(A_G, A_TAU, A_ETA),
    ),
    Step("the per-step inequality, end to end on f = L||x||^2/2 with random discrete heavy-spread noise", witness=_witness_nonconvex_step),
    Step(
        "the prescribed step keeps L eta <= 1/16 for every K >= 1",
        claim=le(L * ETA_NC, sp.Rational(1, 16)),
        where=(C_L, C_K, C_ALPHA),
    ),
    Step(
        "the prescribed threshold satisfies tau >= 4 (32/3)^(1/alpha) sigma for every K >= 1",
        claim=ge(TAU_NC, C_TAU_NC * sigma),
        where=(C_SIGMA, C_K, C_ALPHA),
    ),
    MIN_VS_AVG_MIN_GRAD,
    Step(
        "summing over k < K: (1/K) sum E psi <= 8 (Delta + K (eta b^2/2 + L eta^2 V))/(eta K); psi >= min{1, tau/2} min{g, g^2}",
        claim=eq(_AVG_BOUND_NC, 8 * (Delta + K * (eta * BIAS_NC**2 / 2 + L * eta**2 * VAR_NC)) / (eta * K)),
        where=(C_DELTA, C_K, C_L, C_SIGMA, C_ALPHA, A_ETA, A_TAU),
    ),
)

GCLIP_NONCONVEX = Theorem(
    id="neurips20_gclip_nonconvex",
    source=f"{SOURCE}, GClip non-convex upper bound",
    statement=(
        "Clipped SGD on an L-smooth f with noise of bounded central alpha-moment sigma^alpha, with "
        "eta = K^{-alpha/(3 alpha - 2)}/(16 L) and tau = 4 (32/3)^{1/alpha} sigma K^{1/(3 alpha - 2)}, satisfies "
        "(1/K) sum_{k<K} E min{||grad f(x_k)||, ||grad f(x_k)||^2} <= "
        "(8 Delta/(eta K) + 4 b^2 + 8 L eta tau^{2-alpha} sigma^alpha)/min{1, tau/2}, b = 2^alpha sigma^alpha/tau^{alpha-1}: "
        "every term is of order K^{-2(alpha-1)/(3 alpha - 2)} (K^{-1/2} at alpha = 2)."
    ),
    function_class="f: R^d -> R L-smooth, bounded below by f*; Delta = f(x0) - f*",
    noise="unbiased, central moment E||g - grad f||^alpha <= sigma^alpha, alpha in (1, 2]",
    symbols=(C_L, C_DELTA, C_SIGMA, C_ALPHA, C_K),
    method="clipped_sgd",
    parameters={
        "lr": Prescribed(ETA_NC, note="eta = K^{-alpha/(3alpha-2)}/(16 L) (derived here)"),
        "threshold": Prescribed(TAU_NC, note="tau = 4 (32/3)^{1/alpha} sigma K^{1/(3alpha-2)} (derived here)"),
        "clip_offset": Prescribed(sp.Integer(0)),
    },
    quantity="avg_min_grad",
    statistic="mean",
    bound=BOUND_NC,
    kind="upper",
    constants="derived",
    consistent_with="NeurIPS20 GClip non-convex theorem (rate K^{-2(alpha-1)/(3alpha-2)}; constants not available to us)",
    derivation=NC_STEPS,
    compare_at="recorded step K - 1 (the average over x_0..x_{K-1})",
)


# ----------------------------------------------------------------------------- GClip, strongly convex
#: eta_k = 4/(mu (k + 2)): with weights w_k = k + 1 the distance terms telescope (derived here).
SC_STEP = Prescribed(4 / mu, sp.Integer(-1), sp.Integer(2), note="eta_k = 4/(mu (k+2)) (derived here)")


def sc_threshold(scale: sp.Expr) -> Prescribed:
    """tau_k = scale (k + 1)^{1/alpha}: the strongly convex threshold schedule (derived here)."""
    return Prescribed(scale, 1 / alpha, sp.Integer(1), note=f"tau_k = {scale} (k+1)^(1/alpha) (derived here)")


SC_THRESHOLD = sc_threshold(G)
_ETA_K, _TAU_K = SC_STEP.expr, SC_THRESHOLD.expr
BIAS_SC = G**alpha / tau_ ** (alpha - 1)  # non-central: ||E ghat - grad f|| <= E(||g|| - tau)_+ <= G^alpha/tau^(alpha-1)
VAR_SC = clipped_second_moment_bound(alpha, G**alpha, tau_)
_Q = (2 - alpha) / alpha
_TERM_SC = ((k + 1) * (2 * BIAS_SC**2 / mu + eta * VAR_SC)).xreplace({eta: _ETA_K, tau_: _TAU_K})
_SUM_SC = 6 * G**2 / mu * alpha / 2 * (K + 1) ** (2 / alpha)  # >= sum_{k<K} _TERM_SC
BOUND_SC = _SUM_SC / (K * (K + 1))  # divided by 2 sum_{k<K} (k + 1)


def _witness_power_sum(rng: np.random.Generator) -> None:
    """sum_{j=1}^K j^q <= (alpha/2)(K+1)^{2/alpha}, q = (2 - alpha)/alpha, summed directly."""
    for _ in range(60):
        a = float(rng.uniform(1.0, 2.0)) if rng.random() > 0.1 else 2.0
        n = int(np.exp(rng.uniform(0, math.log(2e5))))
        total = float(np.sum(np.arange(1, n + 1, dtype=float) ** ((2 - a) / a)))
        if total > a / 2 * (n + 1) ** (2 / a) * (1 + 1e-12):
            raise DerivationError(f"power sum {total} exceeds the bound at K={n}, alpha={a}")


def _witness_sc_step(rng: np.random.Generator) -> None:
    """E D+ <= (1 - mu eta/2) D - 2 eta F + 2 eta b^2/mu + eta^2 V on f = mu||x||^2/2, exact expectations."""
    bias_bound = sp.lambdify((G, tau_, alpha), BIAS_SC)
    var_bound = sp.lambdify((G, tau_, alpha), VAR_SC)
    for _ in range(400):
        pts, p = _discrete_noise(rng)
        a = float(rng.uniform(1.0, 2.0)) if rng.random() > 0.1 else 2.0
        m = float(np.exp(rng.uniform(-3, 3)))
        x = rng.standard_normal(2) * float(np.exp(rng.uniform(-4, 4)))
        grads = m * x + pts
        g_alpha = float(p @ np.linalg.norm(grads, axis=1) ** a)  # E||g||^alpha = G^alpha at this x
        t = g_alpha ** (1 / a) * float(np.exp(rng.uniform(-3, 3)))
        step = float(np.exp(rng.uniform(-4, 1))) / m
        xnew = x - step * _clip(grads, t)
        d_new = p @ np.sum(xnew**2, axis=1)
        d_old, gap = x @ x, m / 2 * (x @ x)
        b = bias_bound(g_alpha ** (1 / a), t, a)
        v = var_bound(g_alpha ** (1 / a), t, a)
        allowed = (1 - m * step / 2) * d_old - 2 * step * gap + 2 * step * b**2 / m + step**2 * v
        if d_new > allowed + 1e-9 * (abs(allowed) + d_old):
            raise DerivationError(f"SC recursion: E D+ = {d_new} > {allowed} (alpha={a}, mu={m}, tau={t}, eta={step})")


SC_STEPS = (
    LEMMA,
    Step(
        "non-central bias: ||ghat - g|| = (||g|| - tau)_+ <= ||g||^alpha/tau^(alpha-1), so by Jensen "
        "||E ghat - grad f|| <= G^alpha/tau^(alpha-1) (no condition on ||grad f||)",
        claim=le(sp.Max(xn - tau_, 0), xn**alpha * tau_ ** (1 - alpha)),
        where=(A_X, A_TAU, C_ALPHA),
    ),
    Step(
        "Young: b sqrt(D) <= (mu/4) D + b^2/mu",
        claim=le(bias * sp.sqrt(dist), mu / 4 * dist + bias**2 / mu),
        where=(A_BIAS, A_D, C_MU),
    ),
    Step(
        "distance recursion: E D+ = D - 2 eta <E ghat, x - x*> + eta^2 E||ghat||^2 with <grad f, x - x*> >= F + (mu/2) D "
        "(strong convexity) and the Young step gives E D+ <= (1 - mu eta/2) D - 2 eta F + 2 eta b^2/mu + eta^2 V",
        claim=eq(
            dist - 2 * eta * (fgap + mu / 2 * dist - mu / 4 * dist - bias**2 / mu) + eta**2 * var,
            (1 - mu * eta / 2) * dist - 2 * eta * fgap + 2 * eta * bias**2 / mu + eta**2 * var,
        ),
        where=(A_D, A_F, A_BIAS, A_VAR, A_ETA, C_MU),
    ),
    Step("the recursion, end to end on f = mu||x||^2/2 with random discrete noise", witness=_witness_sc_step),
    Step(
        "telescoping with eta_k = 4/(mu (k+2)) and weights w_k = k + 1: w_k (1/eta_k - mu/2) = mu k (k+1)/4",
        claim=eq((k + 1) * (1 / _ETA_K - mu / 2), mu * k * (k + 1) / 4),
        where=(C_MU, C_K_STEP),
    ),
    Step(
        "... and w_k/eta_k = mu (k+1)(k+2)/4, the next coefficient: the distance terms cancel and "
        "2 sum_k w_k E F_k <= sum_k w_k (2 b_k^2/mu + eta_k V_k)",
        claim=eq((k + 1) / _ETA_K, mu * (k + 1) * (k + 2) / 4),
        where=(C_MU, C_K_STEP),
    ),
    Step(
        "with tau_k = G (k+1)^{1/alpha}: w_k (2 b_k^2/mu + eta_k V_k) <= 6 G^2 (k+1)^q/mu, q = (2 - alpha)/alpha",
        claim=le(_TERM_SC, 6 * G**2 / mu * (k + 1) ** _Q),
        where=(C_G, C_MU, C_ALPHA, C_K_STEP),
    ),
    Step(
        "j^q <= ((j+1)^{q+1} - j^{q+1})/(q+1) for q >= 0, so sum_{j=1}^K j^q <= (alpha/2)(K+1)^{2/alpha}",
        claim=le(jj**_Q, ((jj + 1) ** (_Q + 1) - jj ** (_Q + 1)) / (_Q + 1)),
        where=(A_J, C_ALPHA),
    ),
    Step("the power sum, summed directly", witness=_witness_power_sum),
    Step(
        "Jensen for the weighted average xbar (weights k + 1, sum K(K+1)/2) gives the bound",
        claim=eq(BOUND_SC, 3 * alpha * G**2 * (K + 1) ** (2 / alpha - 1) / (mu * K)),
        where=(C_G, C_MU, C_ALPHA, C_K),
    ),
)

GCLIP_STRONGLY_CONVEX = Theorem(
    id="neurips20_gclip_strongly_convex",
    source=f"{SOURCE}, GClip strongly convex upper bound",
    statement=(
        "Clipped SGD on a mu-strongly convex f with a bounded non-central moment E||g||^alpha <= G^alpha along the "
        "trajectory, eta_k = 4/(mu (k+2)) and tau_k = G (k+1)^{1/alpha}, satisfies for the average xbar of x_0..x_{K-1} "
        "with weights k + 1: E f(xbar) - f* <= 3 alpha G^2 (K+1)^{2/alpha - 1}/(mu K), of order K^{-2(alpha-1)/alpha} "
        "(K^{-1} at alpha = 2).  The schedules do not depend on K, so the bound holds at every horizon."
    ),
    function_class="f mu-strongly convex with minimizer x*",
    noise="E||g||^alpha <= G^alpha (non-central) at every iterate, alpha in (1, 2] (needs a bounded domain in general)",
    symbols=(C_MU, C_G, C_ALPHA, C_K),
    method="clipped_sgd",
    parameters={"lr": SC_STEP, "threshold": SC_THRESHOLD, "clip_offset": Prescribed(sp.Integer(0))},
    quantity="f_gap_avg_iterate",
    statistic="mean",
    bound=BOUND_SC,
    kind="upper",
    constants="derived",
    consistent_with="NeurIPS20 GClip strongly convex theorem (rate K^{-2(alpha-1)/alpha}; constants not available to us)",
    derivation=SC_STEPS,
    avg_power=1.0,
    compare_at="recorded step K - 1 (xbar over x_0..x_{K-1}, weights (j+1)^1: simulate with avg_power=1)",
)


# ----------------------------------------------------------------------------- lower bounds (orders)
LOWER_NONCONVEX = Theorem(
    id="neurips20_lower_nonconvex",
    source=f"{SOURCE}, lower bound, non-convex",
    statement=(
        "For any algorithm using K stochastic gradients there is an L-smooth f and noise with bounded central "
        "alpha-moment for which the output has E||grad f|| >= C K^{-(alpha-1)/(3alpha-2)}: the GClip rate is optimal "
        "(same iteration complexity eps^{-(3alpha-2)/(alpha-1)} as the upper bound's squared-unit quantity)."
    ),
    function_class="f L-smooth, bounded below",
    noise="central moment E||g - grad f||^alpha <= sigma^alpha, alpha in (1, 2]",
    symbols=(C_ALPHA, C_K),
    method=None,
    quantity="grad_norm",
    statistic="mean",
    bound=C_UNKNOWN * NONCONVEX_GRAD_RATE,
    kind="lower",
    constants="published",
    order_only=True,
    compare_at="the output after K steps",
)

LOWER_STRONGLY_CONVEX = Theorem(
    id="neurips20_lower_strongly_convex",
    source=f"{SOURCE}, lower bound, strongly convex",
    statement=(
        "For any algorithm using K stochastic gradients there is a strongly convex f and noise with bounded "
        "alpha-moment for which the output has E f(x) - f* >= C K^{-2(alpha-1)/alpha}: the GClip rate is optimal."
    ),
    function_class="f mu-strongly convex",
    noise="E||g||^alpha <= G^alpha, alpha in (1, 2]",
    symbols=(C_ALPHA, C_K),
    method=None,
    quantity="f_gap",
    statistic="mean",
    bound=C_UNKNOWN * STRONGLY_CONVEX_RATE,
    kind="lower",
    constants="published",
    order_only=True,
    compare_at="the output after K steps",
)


# ----------------------------------------------------------------------------- CClip vs GClip in dimension d
# Coordinate-wise moments E|g_i|^alpha <= B_i^alpha (non-central, along the trajectory).  The
# comparison is stated with B = ||(B_i)||_2 (derived here).  In the alpha-norm reading
# B_a = ||(B_i)||_alpha there is no separation: alpha <= 2 makes t -> t^(alpha/2) subadditive, so
# ||g||_2^alpha <= sum_i |g_i|^alpha and E||g||_2^alpha <= B_a^alpha, and the GClip strongly
# convex theorem with G = B_a is already d-free (while CClip's bound, in B_2 <= B_a, is no worse).
# In the 2-norm reading CClip with per-coordinate thresholds B_i (k+1)^(1/alpha) has exactly the
# GClip bound with G replaced by B_2 (its bias and second moment add up over coordinates), and
# GClip can only use G = B_a <= d^(1/alpha - 1/2) B_2 (Hoelder, equality when every B_i is equal):
# the bounds differ by the factor d^(2/alpha - 1) (1 at alpha = 2).
C_B2 = Constant(
    B_COORD, doc="coordinate-wise moment scale B = ||(B_i)||_2 = (sum_i B_i^2)^(1/2), E|g_i|^alpha <= B_i^alpha", **POS
)
_COORD_NOISE = (
    "coordinate-wise non-central moments E|g_i|^alpha <= B_i^alpha at every iterate, alpha in (1, 2]; "
    "B = ||(B_i)||_2 = (sum_i B_i^2)^(1/2)"
)
_t = sp.Symbol("t", positive=True)  # (k + 1)^(1/alpha)
_bi = sp.Symbol("b_i", positive=True)  # one coordinate bound B_i
A_T = Constant(_t, 1.0, doc="(k+1)^(1/alpha)", probe=(1.0, 1e6))
A_BI = Constant(_bi, 0.0, lo_open=True, doc="a coordinate bound B_i", probe=(1e-4, 1e4))
#: GClip's usable moment bound in terms of B = ||(B_i)||_2: G = d^(1/alpha - 1/2) B >= ||(B_i)||_alpha.
G_FROM_B2 = d ** (1 / alpha - sp.Rational(1, 2)) * B_COORD
BOUND_CCLIP = BOUND_SC.xreplace({G: B_COORD})
BOUND_GCLIP_COORD = BOUND_SC.xreplace({G: G_FROM_B2})
DIMENSION_GAP = d ** (2 / alpha - 1)  # BOUND_GCLIP_COORD / BOUND_CCLIP (derived here)


def _coordinate_noise(rng: np.random.Generator, dim: int, atoms: int = 6):
    """A random zero-mean discrete law in R^dim, each coordinate with its own spread: (points, probabilities)."""
    p = rng.dirichlet(np.ones(atoms))
    pts = rng.standard_normal((atoms, dim)) * np.exp(rng.uniform(-3, 3, (atoms, dim))) * np.exp(rng.uniform(-2, 2, dim))
    if rng.random() < 0.3:  # noise (nearly) on one axis per atom: subadditivity (nearly) an equality
        pts *= np.eye(dim)[rng.integers(dim, size=atoms)]
    return pts - p @ pts, p  # zero mean: g is unbiased


def _witness_subadditive_hoelder(rng: np.random.Generator) -> None:
    """||g||_2^alpha <= sum |g_i|^alpha (alpha <= 2) and ||B||_alpha <= d^(1/alpha - 1/2) ||B||_2, random vectors."""
    for _ in range(2000):
        dim = int(rng.integers(1, 65))
        a = float(rng.uniform(1.0, 2.0)) if rng.random() > 0.1 else 2.0
        v = rng.standard_normal(dim) * np.exp(rng.uniform(-5, 5, dim))
        if rng.random() < 0.2:
            v = np.full(dim, float(np.exp(rng.uniform(-3, 3))))  # equality case of Hoelder
        n2, na = float(np.linalg.norm(v)), float(np.sum(np.abs(v) ** a) ** (1 / a))
        if n2**a > na**a * (1 + 1e-12):
            raise DerivationError(f"subadditivity: ||v||_2^alpha = {n2**a} > sum |v_i|^alpha = {na**a} (alpha={a}, d={dim})")
        if na > dim ** (1 / a - 0.5) * n2 * (1 + 1e-12):
            raise DerivationError(f"Hoelder: ||v||_alpha = {na} > d^(1/alpha-1/2) ||v||_2 = {dim ** (1 / a - 0.5) * n2}")


def _witness_cclip_step(rng: np.random.Generator) -> None:
    """CClip: E D+ <= (1 - mu eta/2) D - 2 eta F + 2 eta b^2/mu + eta^2 V on f = mu||x||^2/2 in R^d with
    b^2 = sum_i B_i^(2 alpha)/tau_i^(2 alpha - 2) and V = sum_i tau_i^(2-alpha) B_i^alpha, exact expectations."""
    for _ in range(400):
        dim = int(rng.integers(1, 9))
        pts, p = _coordinate_noise(rng, dim)
        a = float(rng.uniform(1.0, 2.0)) if rng.random() > 0.1 else 2.0
        m = float(np.exp(rng.uniform(-3, 3)))
        x = rng.standard_normal(dim) * float(np.exp(rng.uniform(-4, 4)))
        grads = m * x + pts
        b_i = (p @ np.abs(grads) ** a) ** (1 / a)  # E|g_i|^alpha = B_i^alpha at this x
        tau = b_i * float(np.exp(rng.uniform(-1, 4)))  # tau_i = B_i t, t >= 1 as (k+1)^(1/alpha)
        step = float(np.exp(rng.uniform(-4, 1))) / m
        xnew = x - step * np.clip(grads, -tau, tau)
        d_new, d_old, gap = p @ np.sum(xnew**2, axis=1), x @ x, m / 2 * (x @ x)
        bias2 = float(np.sum(b_i ** (2 * a) / tau ** (2 * a - 2)))
        v = float(np.sum(tau ** (2 - a) * b_i**a))
        allowed = (1 - m * step / 2) * d_old - 2 * step * gap + 2 * step * bias2 / m + step**2 * v
        if d_new > allowed + 1e-9 * (abs(allowed) + d_old):
            raise DerivationError(f"CClip recursion: E D+ = {d_new} > {allowed} (alpha={a}, mu={m}, d={dim}, eta={step})")


CCLIP_STEPS = (
    Step(
        "per coordinate, as for GClip's non-central bias: |E ghat_i - d_i f| <= E(|g_i| - tau_i)_+ <= B_i^alpha/tau_i^(alpha-1), "
        "and E min{g_i^2, tau_i^2} <= tau_i^(2-alpha) B_i^alpha (clipped-noise lemma, one coordinate)",
        claim=le(sp.Min(xn**2, tau_**2), tau_ ** (2 - alpha) * xn**alpha),
        where=(A_X, A_TAU, C_ALPHA),
    ),
    Step(
        "with tau_i = B_i t, t = (k+1)^(1/alpha): the squared bias of coordinate i is B_i^2 t^(2 - 2 alpha), the same "
        "function of B_i as GClip's squared bias G^(2 alpha)/tau^(2 alpha - 2) of G at tau = G t",
        claim=eq((_bi**alpha / (_bi * _t) ** (alpha - 1)) ** 2, (BIAS_SC**2).xreplace({G: _bi, tau_: _bi * _t})),
        where=(A_BI, A_T, C_ALPHA),
    ),
    Step(
        "... and its second moment tau_i^(2-alpha) B_i^alpha = B_i^2 t^(2-alpha), GClip's V at G = B_i: both are "
        "B_i^2 times a factor free of i, so summed over coordinates they are GClip's bias^2 and V with G^2 -> sum B_i^2 = B^2",
        claim=eq((_bi * _t) ** (2 - alpha) * _bi**alpha, VAR_SC.xreplace({G: _bi, tau_: _bi * _t})),
        where=(A_BI, A_T, C_ALPHA),
    ),
    Step("the distance recursion with these sums, end to end on f = mu||x||^2/2 in R^d with random discrete noise", witness=_witness_cclip_step),
) + SC_STEPS[4:-1] + (
    Step(
        "so GClip's telescoping and power-sum steps (G -> B) give E f(xbar) - f* <= 3 alpha B^2 (K+1)^{2/alpha - 1}/(mu K)",
        claim=eq(BOUND_CCLIP, 3 * alpha * B_COORD**2 * (K + 1) ** (2 / alpha - 1) / (mu * K)),
        where=(C_B2, C_MU, C_ALPHA, C_K),
    ),
)

GCLIP_COORD_STEPS = (
    Step(
        "alpha <= 2: ||g||_2^alpha <= sum_i |g_i|^alpha, so E||g||_2^alpha <= ||(B_i)||_alpha^alpha; Hoelder: "
        "||(B_i)||_alpha <= d^(1/alpha - 1/2) ||(B_i)||_2 = G, equality when every B_i is equal (random vectors)",
        witness=_witness_subadditive_hoelder,
    ),
    Step(
        "the GClip strongly convex theorem with G = d^(1/alpha - 1/2) B gives 3 alpha d^(2/alpha - 1) B^2 (K+1)^{2/alpha - 1}/(mu K)",
        claim=eq(BOUND_GCLIP_COORD, 3 * alpha * d ** (2 / alpha - 1) * B_COORD**2 * (K + 1) ** (2 / alpha - 1) / (mu * K)),
        where=(C_B2, C_D, C_MU, C_ALPHA, C_K),
    ),
    Step(
        "the two bounds differ by the factor d^(2/alpha - 1) (>= 1, = 1 at alpha = 2 or d = 1): GClip's bound over CClip's",
        claim=eq(BOUND_GCLIP_COORD / BOUND_CCLIP, DIMENSION_GAP),
        where=(C_B2, C_D, C_MU, C_ALPHA, C_K),
    ),
    Step(
        "... and in the alpha-norm reading B_a = ||(B_i)||_alpha there is no gap: both bounds are <= 3 alpha B_a^2 (K+1)^{2/alpha-1}/(mu K) "
        "(B_2 <= B_a for alpha <= 2)",
        claim=ge(DIMENSION_GAP, 1),
        where=(C_D, C_ALPHA),
    ),
)

_CONSISTENT = "NeurIPS20 CClip/GClip comparison under coordinate-wise noise (rate K^{-2(alpha-1)/alpha}; the norms and constants of the published claim are not available to us)"

CCLIP_DIMENSION_FREE = Theorem(
    id="neurips20_cclip_dimension_free",
    source=f"{SOURCE}, CClip (coordinate-wise clipping) upper bound",
    statement=(
        "Under coordinate-wise moment bounds E|g_i|^alpha <= B_i^alpha, coordinate-wise clipping (CClip) on a "
        "mu-strongly convex f with eta_k = 4/(mu (k+2)) and per-coordinate thresholds tau_{k,i} = B_i (k+1)^{1/alpha} "
        "satisfies E f(xbar) - f* <= 3 alpha B^2 (K+1)^{2/alpha - 1}/(mu K) with B = ||(B_i)||_2: GClip's strongly "
        "convex bound with G replaced by B, dimension-free at fixed B (derived here).  The simulator's CClip has one "
        "threshold for all coordinates, so the prescription below is for a common coordinate bound B_i = B/sqrt(d)."
    ),
    function_class="f mu-strongly convex",
    noise=_COORD_NOISE,
    symbols=(C_MU, C_B2, C_D, C_ALPHA, C_K),
    method="cclip",
    parameters={"lr": SC_STEP, "threshold": sc_threshold(B_COORD / sp.sqrt(d))},
    quantity="f_gap_avg_iterate",
    statistic="mean",
    bound=BOUND_CCLIP,
    kind="upper",
    constants="derived",
    consistent_with=_CONSISTENT,
    derivation=CCLIP_STEPS,
    avg_power=1.0,
    compare_at="recorded step K - 1, simulate with avg_power=1",
)

GCLIP_COORDINATE_NOISE = Theorem(
    id="neurips20_gclip_coordinate_noise",
    source=f"{SOURCE}, GClip under coordinate-wise noise (comparison with CClip)",
    statement=(
        "Under the same coordinate-wise moment bounds, GClip (clipped SGD, threshold on the norm) with eta_k = "
        "4/(mu (k+2)) and tau_k = d^{1/alpha - 1/2} B (k+1)^{1/alpha} satisfies E f(xbar) - f* <= "
        "3 alpha d^{2/alpha - 1} B^2 (K+1)^{2/alpha - 1}/(mu K), B = ||(B_i)||_2 (derived here: E||g||_2^alpha <= "
        "||(B_i)||_alpha^alpha <= (d^{1/alpha-1/2} B)^alpha).  Its bound exceeds CClip's by d^{2/alpha - 1}, attained "
        "when every B_i is equal; in the alpha-norm reading ||(B_i)||_alpha there is no separation (both d-free)."
    ),
    function_class="f mu-strongly convex",
    noise=_COORD_NOISE,
    symbols=(C_MU, C_B2, C_D, C_ALPHA, C_K),
    method="clipped_sgd",
    parameters={"lr": SC_STEP, "threshold": sc_threshold(G_FROM_B2), "clip_offset": Prescribed(sp.Integer(0))},
    quantity="f_gap_avg_iterate",
    statistic="mean",
    bound=BOUND_GCLIP_COORD,
    kind="upper",
    constants="derived",
    consistent_with=_CONSISTENT,
    derivation=GCLIP_COORD_STEPS,
    avg_power=1.0,
    compare_at="recorded step K - 1, simulate with avg_power=1",
)

THEOREMS = (
    SGD_FAILURE,
    GCLIP_NONCONVEX,
    GCLIP_STRONGLY_CONVEX,
    LOWER_NONCONVEX,
    LOWER_STRONGLY_CONVEX,
    CCLIP_DIMENSION_FREE,
    GCLIP_COORDINATE_NOISE,
)
