"""Theorems of Zhang, He, Sra, Jadbabaie, ICLR 2020 (arXiv 1905.11881), as data.

"Why gradient clipping accelerates training: a theoretical justification for
adaptivity".  The parameters below are the paper's
(docs/mathematics.md#deterministic-theorems-iclr20); the paper's bound displays
are not available to us, so every bound here is *derived here, consistent
with* the cited theorem, and its
derivation is stored next to it and checked (``tests/test_theorems.py``).

The (L0, L1) descent model used throughout (derived here; it is also the
model of Vankov et al. 2024): for f twice differentiable with
||Hess f(z)|| <= L0 + L1 ||grad f(z)|| everywhere and all x, y,

    f(y) <= f(x) + <grad f(x), y - x> + (L0 + L1 ||grad f(x)||) / L1^2 * phi(L1 ||y - x||),
    phi(s) = e^s - s - 1.

Proof: along z_t = x + t u, ||u|| = 1, the function G(t) = ||grad f(z_t)||
has upper derivative <= L0 + L1 G(t), so by Gronwall
G(t) + L0/L1 <= (G(0) + L0/L1) e^{L1 t}; hence
||grad f(z_t) - grad f(x)|| <= int_0^t (L0 + L1 G) <= (L0 + L1 G(0)) (e^{L1 t} - 1)/L1,
and integrating once more in t gives the model.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from .smoothness import descent_bound
from .theorem import (
    C_DELTA, C_EPS, C_H, C_K, C_L0, C_L1, C_M, C_TAU, Constant, DerivationError, HardInstance,
    Delta, K, L0, L1, M, Prescribed, Step, Theorem, eps, eq, expm1, ge, h, le, log1p, lt, phi, tau,
)  # fmt: skip

SOURCE = "Zhang, He, Sra, Jadbabaie, ICLR 2020, arXiv 1905.11881"
CLASS_L0L1 = (
    "f: R^d -> R twice differentiable, bounded below by f*, (L0, L1)-smooth on all of R^d: "
    "||Hess f(x)|| <= L0 + L1 ||grad f(x)||; Delta = f(x0) - f*"
)

# ----------------------------------------------------------------------------- auxiliary symbols
g = sp.Symbol("g", positive=True)  # ||grad f(x)|| at the current iterate
s = sp.Symbol("s", nonnegative=True)  # a scaled step length L1 ||y - x||
z, w = sp.symbols("z w", real=True)  # scaled points L1 x, L1 y
a_q = sp.Symbol("a", positive=True)  # coefficient of the quartic
eta = sp.Symbol("eta", positive=True)  # a step size
r = sp.Symbol("r", nonnegative=True)  # ||xi|| / tau, the relative noise norm
cth = sp.Symbol("c", real=True)  # cosine of the angle between grad f and xi
step_h = sp.Symbol("h_k", positive=True)  # a step size chosen by the method

A_G = Constant(g, 0.0, lo_open=True, doc="||grad f(x)||", probe=(1e-5, 1e5))
A_S = Constant(s, 0.0, 40.0, doc="L1 ||y - x||")
A_Z = Constant(z, -12.0, 12.0, doc="L1 x")
A_W = Constant(w, -12.0, 12.0, doc="L1 y")
A_A = Constant(a_q, 0.0, lo_open=True, doc="quartic coefficient")
A_ETA = Constant(eta, 0.0, lo_open=True, doc="step size", probe=(1e-7, 1e1))
A_R = Constant(r, 0.0, 1.0, doc="||xi|| / tau")
A_C = Constant(cth, -1.0, 1.0, doc="cos angle(grad f, xi)")
A_STEP = Constant(step_h, 0.0, lo_open=True, doc="step size", probe=(1e-7, 1e1))


_g, _m = sp.symbols("g m", positive=True)
# The model's second-order term for a move of length m, from the lemma of theory.smoothness (its
# gradient-step form f(x) - h g^2 + (L0 + L1 g)/L1^2 (e^{L1 h g} - 1 - L1 h g) at h = m/g, minus
# the first-order term), rewritten with phi so numeric checks are stable at small steps.
_MODEL_TERM = sp.simplify(
    (descent_bound(0, _g, _m / _g, L0, L1) + _m * _g).subs(sp.exp(L1 * _m), phi(L1 * _m) + L1 * _m + 1)
)


def model_increase(grad_norm, move):
    """(L0 + L1 ||grad f(x)||)/L1^2 phi(L1 ||y - x||): the descent model's second-order term."""
    return _MODEL_TERM.xreplace({_g: grad_norm, _m: move})


def exp_wall(x):
    """The exponential wall (L0/L1^2)(e^{L1|x|} - 1 - L1|x|): ||f''|| = L0 + L1|f'| exactly."""
    return L0 / L1**2 * phi(L1 * sp.Abs(x))


# ----------------------------------------------------------------------------- shared lemmas
PHI_BOUND = Step(
    "phi(s) = sum_{n>=2} s^n/n! <= (s^2/2) sum_{m>=0} s^m/m! = s^2 e^s / 2, since n! >= 2 (n-2)!",
    claim=le(phi(s), s**2 * sp.exp(s) / 2),
    where=(A_S,),
)
DESCENT_MODEL_WALL = Step(
    "descent model (Gronwall, module docstring) checked on the exponential wall, where the Hessian "
    "bound holds with equality; in scaled points z = L1 x, w = L1 y: f = (L0/L1^2) phi(|z|), "
    "f' = (L0/L1)(e^|z| - 1) sign z",
    claim=le(
        L0 / L1**2 * phi(sp.Abs(w)),
        L0 / L1**2 * phi(sp.Abs(z))
        + L0 / L1 * expm1(sp.Abs(z)) * sp.sign(z) * (w - z) / L1
        + model_increase(L0 / L1 * expm1(sp.Abs(z)), sp.Abs(w - z) / L1),
    ),
    where=(C_L0, C_L1, A_Z, A_W),
)
_x, _y = sp.symbols("x y", real=True)
_X = Constant(_x, -5.0, 5.0, doc="x")
_Y = Constant(_y, -5.0, 5.0, doc="y")
DESCENT_MODEL_QUARTIC = Step(
    "descent model checked on a x^4, which is (16 a / L1^2, L1)-smooth for every L1 > 0",
    claim=le(
        a_q * _y**4,
        a_q * _x**4
        + 4 * a_q * _x**3 * (_y - _x)
        + model_increase(4 * a_q * sp.Abs(_x) ** 3, sp.Abs(_y - _x)).xreplace({L0: 16 * a_q / L1**2}),
    ),
    where=(A_A, C_L1, _X, _Y),
)
DESCENT_MODEL = (DESCENT_MODEL_WALL, DESCENT_MODEL_QUARTIC, PHI_BOUND)

MIN_VS_AVG_MIN_GRAD = Step(
    "min{g^2, g b} >= min{1, b} min{g, g^2}: converts a bound on the left into one on the "
    "simulator's avg_min_grad (check each of the cases g <= 1, g > 1 and b <= 1, b > 1)",
    claim=ge(
        sp.Min(g**2, g * sp.Symbol("b", positive=True)),
        sp.Min(1, sp.Symbol("b", positive=True)) * sp.Min(g, g**2),
    ),
    where=(A_G, Constant(sp.Symbol("b", positive=True), 0.0, lo_open=True, doc="scale", probe=(1e-4, 1e4))),
)


# ----------------------------------------------------------------------------- Theorem 3: clipped GD
ETA_C = 1 / (10 * L0)
GAMMA = sp.Min(1 / ETA_C, 1 / (10 * L1 * ETA_C))  # = min{10 L0, L0/L1}
C1 = 1 - sp.exp(sp.Rational(1, 10)) / 10  # descent factor when L1 ||step|| <= 1/10
H_CLIP = sp.Min(ETA_C, GAMMA * ETA_C / g)  # the clipped-GD step h_c at ||grad f|| = g
DECREASE_UNCLIPPED = C1 * eps**2 * ETA_C
DECREASE_CLIPPED = C1 * GAMMA**2 * ETA_C
BOUND_THM3 = Delta / DECREASE_UNCLIPPED + Delta / DECREASE_CLIPPED

THM3_STEPS = DESCENT_MODEL + (
    Step(
        "the clipped step is short: h_c g = min{eta_c g, gamma eta_c} <= gamma eta_c <= 1/(10 L1)",
        claim=le(H_CLIP * g, 1 / (10 * L1)),
        where=(C_L0, C_L1, A_G),
    ),
    Step(
        "one step of clipped GD: by the descent model with L1 h_c g <= 1/10, phi(s) <= s^2 e^{1/10}/2, "
        "and (L0 + L1 g) h_c <= L0 eta_c + L1 gamma eta_c <= 1/5, the change of f is <= -c1 h_c g^2",
        claim=le(-H_CLIP * g**2 + model_increase(g, H_CLIP * g), -C1 * H_CLIP * g**2),
        where=(C_L0, C_L1, A_G),
    ),
    Step(
        "unclipped steps (eps < g <= gamma, h_c = eta_c) decrease f by at least c1 eta_c eps^2",
        claim=ge(C1 * H_CLIP * g**2, DECREASE_UNCLIPPED),
        given=(g > eps, g <= GAMMA),
        where=(C_L0, C_L1, A_G, C_EPS),
    ),
    Step(
        "clipped steps (g > gamma, h_c = gamma eta_c / g) decrease f by at least c1 gamma^2 eta_c",
        claim=ge(C1 * H_CLIP * g**2, DECREASE_CLIPPED),
        given=(g > GAMMA,),
        where=(C_L0, C_L1, A_G),
    ),
    Step(
        "counting: every step before T_eps has g > eps and the decreases sum to at most Delta, so "
        "T_eps <= Delta/(c1 eta_c eps^2) + Delta/(c1 gamma^2 eta_c), which is the bound",
        claim=eq(BOUND_THM3, 10 / C1 * (L0 * Delta / eps**2 + sp.Max(sp.Rational(1, 100), L1**2) * Delta / L0)),
        where=(C_L0, C_L1, C_DELTA, C_EPS),
    ),
)

THM3_CLIPPED_GD = Theorem(
    id="iclr20_thm3_clipped_gd",
    source=f"{SOURCE}, Theorem 3 (clipped GD)",
    statement=(
        "Clipped gradient descent x_{k+1} = x_k - h_c grad f(x_k), h_c = min{eta_c, gamma eta_c/||grad f(x_k)||}, "
        "with the paper's eta_c = 1/(10 L0) and gamma = min{1/eta_c, 1/(10 L1 eta_c)} = min{10 L0, L0/L1}, "
        "reaches ||grad f(x_k)|| <= eps within 10/c1 (L0 Delta/eps^2 + max{1/100, L1^2} Delta/L0) "
        "iterations, c1 = 1 - e^{1/10}/10: no dependence on M = sup ||grad f|| on the sublevel set."
    ),
    function_class=CLASS_L0L1,
    noise="none (exact gradients)",
    symbols=(C_L0, C_L1, C_DELTA, C_EPS),
    method="clipped_sgd",
    parameters={
        "lr": Prescribed(ETA_C, note="eta_c = 1/(10 L0) (paper)"),
        "threshold": Prescribed(GAMMA, note="gamma = min{10 L0, L0/L1} (paper)"),
        "clip_offset": Prescribed(sp.Integer(0)),
    },
    quantity="iterations_to_eps",
    statistic="value",
    bound=BOUND_THM3,
    kind="upper",
    constants="derived",
    consistent_with="ICLR20 Theorem 3 (order O(L0 Delta/eps^2 + L1^2 Delta/L0); the recalled display with 20s is unverified)",
    derivation=THM3_STEPS,
    compare_at="the first step k with ||grad f(x_k)|| <= eps (record every step)",
)


# ----------------------------------------------------------------------------- normalized GD
ETA_N = GAMMA * ETA_C  # eta_n = gamma eta_c = min{1, 1/(10 L1)}
BETA_N = GAMMA  # beta = eta_n / eta_c
H_NORM = ETA_N / (g + BETA_N)
BOUND_NGD = 2 * BOUND_THM3

NGD_STEPS = DESCENT_MODEL + (
    Step(
        "normalized step is at most the clipped one: gamma/(g + gamma) <= min{1, gamma/g}",
        claim=le(H_NORM, H_CLIP),
        where=(C_L0, C_L1, A_G),
    ),
    Step(
        "and at least half of it: gamma/(g + gamma) >= min{1, gamma/g}/2",
        claim=ge(H_NORM, H_CLIP / 2),
        where=(C_L0, C_L1, A_G),
    ),
    Step(
        "one step of normalized GD: h_n <= h_c keeps L1 h_n g <= 1/10 and (L0 + L1 g) h_n <= 1/5, "
        "so the descent model gives a change of f <= -c1 h_n g^2 <= -(c1/2) h_c g^2",
        claim=le(-H_NORM * g**2 + model_increase(g, H_NORM * g), -C1 * H_CLIP * g**2 / 2),
        where=(C_L0, C_L1, A_G),
    ),
    Step(
        "counting as for clipped GD with half the per-step decrease: twice the clipped-GD bound",
        claim=eq(BOUND_NGD, Delta / (DECREASE_UNCLIPPED / 2) + Delta / (DECREASE_CLIPPED / 2)),
        where=(C_L0, C_L1, C_DELTA, C_EPS),
    ),
)

THM3_NORMALIZED_GD = Theorem(
    id="iclr20_thm3_normalized_gd",
    source=f"{SOURCE}, Theorem 3 (normalized GD counterpart)",
    statement=(
        "Normalized gradient descent x_{k+1} = x_k - eta_n/(||grad f(x_k)|| + beta) grad f(x_k) with "
        "eta_n = gamma eta_c = min{1, 1/(10 L1)} and beta = gamma = min{10 L0, L0/L1} takes steps within a factor 2 "
        "of clipped GD's (gamma/(g+gamma) vs min{1, gamma/g}) and reaches ||grad f|| <= eps within twice "
        "the clipped-GD bound."
    ),
    function_class=CLASS_L0L1,
    noise="none (exact gradients)",
    symbols=(C_L0, C_L1, C_DELTA, C_EPS),
    method="normalized_sgd",
    parameters={
        "lr": Prescribed(ETA_N, note="eta_n = gamma eta_c (the factor-2 equivalence with clipped GD)"),
        "norm_offset": Prescribed(BETA_N, note="beta = gamma"),
    },
    quantity="iterations_to_eps",
    statistic="value",
    bound=BOUND_NGD,
    kind="upper",
    constants="derived",
    consistent_with="ICLR20 Theorem 3 (normalized GD; order only)",
    derivation=NGD_STEPS,
    compare_at="the first step k with ||grad f(x_k)|| <= eps (record every step)",
)


# ----------------------------------------------------------------------------- Theorem 4: GD lower bound
X0_WALL = log1p(M * L1 / L0) / L1  # where |f'| = M on the exponential wall
H_DIVERGE = 2 * X0_WALL / M  # fixed steps above this diverge on the wall
HUBER_SLOPE = 2 * eps
HUBER_L = L0
X0_HUBER = Delta / HUBER_SLOPE + HUBER_SLOPE / (2 * HUBER_L)  # where huber(x0) - f* = Delta
HUBER_ITERATIONS = (X0_HUBER - HUBER_SLOPE / HUBER_L) / (h * HUBER_SLOPE)
#: The declared class is C^2; the hard instances that are only C^1 are named here (tests check
#: every hard instance's differentiability against this statement).
HUBER_C1_RELAXATION = (
    "C^1 relaxation for the hard instance 'huber' (C^1, L0-Lipschitz derivative, not C^2; the bound "
    "carries over to the C^2 class by mollification); 'exp_wall' is C^2"
)
BOUND_THM4 = L1 * M * Delta / (16 * eps**2 * log1p(M * L1 / L0))

_xp = sp.Symbol("x", positive=True)
_WALL_POS = L0 / L1**2 * phi(L1 * _xp)  # the wall on x > 0
_WALL_GRAD = sp.diff(_WALL_POS, _xp)


def _huber_iterations(x0, slope, curv, step, target, max_iter):
    """First k with |f'(x_k)| <= target for fixed-step GD on the Huber function (plain Python)."""
    x = x0
    for it in range(max_iter):
        grad = slope * math.copysign(1.0, x) if abs(x) > slope / curv else curv * x
        if abs(grad) <= target:
            return it
        x -= step * grad
    return max_iter


def _witness_huber(rng: np.random.Generator) -> None:
    """GD on the Huber instance needs at least HUBER_ITERATIONS steps (random constants)."""
    count = sp.lambdify((L0, Delta, eps, h), HUBER_ITERATIONS)
    start = sp.lambdify((L0, Delta, eps), X0_HUBER)
    for _ in range(300):
        e = float(np.exp(rng.uniform(-3, 1)))
        l0 = float(np.exp(rng.uniform(-2, 3)))
        delta = 4 * e**2 / l0 * float(np.exp(rng.uniform(0, 4)))  # condition 4 eps^2 <= L0 Delta
        step = float(np.exp(rng.uniform(-3, 2))) / l0
        predicted = count(l0, delta, e, step)
        if predicted > 20000:
            continue
        measured = _huber_iterations(start(l0, delta, e), 2 * e, l0, step, e, 40000)
        if measured < predicted:
            raise DerivationError(f"huber GD reached eps after {measured} < {predicted} steps (L0={l0}, Delta={delta}, eps={e}, h={step})")


def _witness_wall(rng: np.random.Generator) -> None:
    """GD with h > 2 x0/M on the wall never gets |f'| <= eps: |x_k| grows until overflow."""
    grad = sp.lambdify((L0, L1, _xp), _WALL_GRAD)
    for _ in range(200):
        l0, l1 = (float(v) for v in np.exp(rng.uniform(-2, 2, 2)))
        m = l0 / l1 * float(np.exp(rng.uniform(0, 4)))
        x0 = math.log1p(m * l1 / l0) / l1
        step = 2 * x0 / m * (1 + float(np.exp(rng.uniform(-8, 0))))
        x = x0
        for _ in range(60):
            with np.errstate(over="ignore"):  # the iterates are meant to blow up
                gx = math.copysign(grad(l0, l1, abs(x)), x)
            if not math.isfinite(gx):
                break
            if abs(gx) < m * (1 - 1e-9):
                raise DerivationError(f"wall GD: |f'| = {abs(gx)} dropped below M = {m} (L0={l0}, L1={l1}, h={step})")
            x_new = x - step * gx
            if abs(x_new) <= abs(x):
                raise DerivationError(f"wall GD: |x| did not grow at x = {x} (L0={l0}, L1={l1}, h={step})")
            x = x_new


def _huber_antiderivative(x, slope, curv):
    """H with H' = huber: the piecewise cubic behind the uniform mollification of the Huber function."""
    a, k = abs(x), slope / curv
    inner = curv * min(a, k) ** 3 / 6
    outer = slope * (a * a - k * k) / 2 - slope**2 / (2 * curv) * (a - k) if a > k else 0.0
    return math.copysign(inner + outer, x)


def _witness_mollified_huber(rng: np.random.Generator) -> None:
    """The C^2 mollification f_d(x) = (1/2d) int_{x-d}^{x+d} huber, d <= eps/L0, carries the bound.

    f_d' = (huber(x+d) - huber(x-d))/(2d) is an average of huber', so |f_d'| <= s, and
    f_d'' = (huber'(x+d) - huber'(x-d))/(2d) is continuous with values in [0, L0]: f_d is C^2,
    convex and L0-smooth, hence (L0, L1)-smooth for every L1, in the twice-differentiable class.
    At x0 (in the linear region, x0 - d >= s/L0) f_d(x0) = huber(x0), and f_d* = f_d(0) >= 0, so
    f_d(x0) - f_d* <= Delta.  Checked here: the range of f_d'' on a grid, its continuity (the largest
    jump between grid neighbours shrinks with the spacing, unlike huber''), the gap, and fixed-step GD
    on f_d needing at least HUBER_ITERATIONS steps to reach |f_d'| <= eps.
    """
    count = sp.lambdify((L0, Delta, eps, h), HUBER_ITERATIONS)
    start = sp.lambdify((L0, Delta, eps), X0_HUBER)
    checked = 0
    for _ in range(300):
        e = float(np.exp(rng.uniform(-3, 1)))
        l0 = float(np.exp(rng.uniform(-2, 3)))
        delta = 4 * e**2 / l0 * float(np.exp(rng.uniform(0, 4)))
        step = float(np.exp(rng.uniform(-3, 2))) / l0
        width = e / l0 * float(rng.uniform(0.05, 1.0))
        s_ = 2 * e
        predicted = count(l0, delta, e, step)
        if predicted > 20000:
            continue
        hub = lambda x: l0 * x * x / 2 if abs(x) <= s_ / l0 else s_ * abs(x) - s_**2 / (2 * l0)  # noqa: E731
        dhub = lambda x: min(max(l0 * x, -s_), s_)  # noqa: E731
        f_d = lambda x: (_huber_antiderivative(x + width, s_, l0) - _huber_antiderivative(x - width, s_, l0)) / (2 * width)  # noqa: E731
        df_d = lambda x: (hub(x + width) - hub(x - width)) / (2 * width)  # noqa: E731
        d2f_d = lambda x: (dhub(x + width) - dhub(x - width)) / (2 * width)  # noqa: E731
        jumps = []
        for n in (2001, 4001):
            grid = np.linspace(-2 * s_ / l0, 2 * s_ / l0, n)
            second = np.array([d2f_d(float(x)) for x in grid])
            if not (np.all(second >= -1e-9 * l0) and np.all(second <= l0 * (1 + 1e-9))):
                raise DerivationError(f"mollified Huber: f'' leaves [0, L0] (L0={l0}, eps={e}, d={width})")
            jumps.append(float(np.max(np.abs(np.diff(second)))))
        if not jumps[1] < 0.75 * jumps[0]:
            raise DerivationError(f"mollified Huber: f'' is not continuous (grid jumps {jumps}, L0={l0}, d={width})")
        x = start(l0, delta, e)
        if f_d(x) - f_d(0.0) > delta * (1 + 1e-9) or abs(f_d(x) - hub(x)) > 1e-9 * delta:
            raise DerivationError(f"mollified Huber: gap {f_d(x) - f_d(0.0)} exceeds Delta = {delta}")
        for it in range(40000):
            if abs(df_d(x)) <= e:
                break
            x -= step * df_d(x)
        if it < predicted:
            raise DerivationError(f"GD on the mollified Huber reached eps after {it} < {predicted} steps (L0={l0}, eps={e}, h={step}, d={width})")
        checked += 1
    if checked < 50:
        raise DerivationError(f"only {checked} mollified-Huber cases were run")


_Z_POS = sp.Symbol("zeta", positive=True)  # L1 x on the wall, x > 0
A_ZETA = Constant(_Z_POS, 0.0, 60.0, lo_open=True, doc="L1 x")
A_XP = Constant(_xp, 0.0, lo_open=True, doc="x > 0", probe=(1e-3, 10.0))

THM4_STEPS = (
    Step(
        "the wall is (L0, L1)-smooth with equality: f'' = L0 + L1 f' on x > 0 (and f is even, C^2 at 0)",
        claim=eq(sp.diff(_WALL_POS, _xp, 2), L0 + L1 * _WALL_GRAD),
        where=(C_L0, C_L1, A_XP),
    ),
    Step(
        "the wall's gradient at x0 = ln(1 + M L1/L0)/L1 is M, so the sublevel set is [-x0, x0] with sup |f'| = M",
        claim=eq(_WALL_GRAD.subs(_xp, X0_WALL), M),
        where=(C_L0, C_L1, C_M),
    ),
    Step(
        "the wall's initial gap M/L1 - (L0/L1^2) ln(1 + M L1/L0) is at most M/L1 <= Delta (a condition)",
        claim=le(_WALL_POS.subs(_xp, X0_WALL), M / L1),
        where=(C_L0, C_L1, C_M),
    ),
    Step(
        "for x >= x0 and h > 2 x0/M the step overshoots: x - h f'(x) < -x, because f'(x)/x increases in x "
        "(f' convex, f'(0) = 0) and f'(x0)/x0 = M/x0 > 2/h; by symmetry |x_k| grows, |f'(x_k)| >= M >= 2 eps > eps forever",
        claim=lt(_Z_POS / L1 - h * _WALL_GRAD.subs(_xp, _Z_POS / L1), -_Z_POS / L1),
        given=(_Z_POS >= L1 * X0_WALL, h > H_DIVERGE),
        where=(C_L0, C_L1, C_M, C_H, A_ZETA),
    ),
    Step("fixed-step GD on the wall with h > 2 x0/M, run step by step: |x_k| grows, |f'(x_k)| >= M", witness=_witness_wall),
    Step(
        "the Huber instance (slope s = 2 eps, curvature L0, L0-smooth hence (L0, L1)-smooth, sup |f'| = s <= M) "
        "started at x0 = Delta/s + s/(2 L0) has initial gap exactly Delta",
        claim=eq(HUBER_SLOPE * X0_HUBER - HUBER_SLOPE**2 / (2 * HUBER_L), Delta),
        where=(C_DELTA, C_EPS, C_L0),
    ),
    Step(
        "on its linear part GD moves by exactly h s per step with |f'| = s > eps, so it needs at least "
        "(x0 - s/L0)/(h s) steps; run step by step on random constants",
        witness=_witness_huber,
    ),
    Step(
        "the Huber function is C^1, not C^2 (f'' jumps from L0 to 0 at |x| = s/L0); the bound holds in the "
        "twice-differentiable class all the same: its mollification f_d = huber * U[-d, d], d <= eps/L0, is C^2, "
        "convex, L0-smooth, with |f_d'| <= s <= M, gap <= Delta, and |f_d'| <= eps only where |x| <= eps/L0 + d <= s/L0, "
        "so GD (moving at most h s per step) needs at least (x0 - s/L0)/(h s) steps on it too; run step by step",
        witness=_witness_mollified_huber,
    ),
    Step(
        "any h <= 2 x0/M (the steps that do not diverge on the wall) needs on the Huber instance at least "
        "(Delta/(4 eps^2) - 1/(2 L0)) M/(2 x0) steps",
        claim=ge(HUBER_ITERATIONS, (Delta / (4 * eps**2) - 1 / (2 * L0)) * M / (2 * X0_WALL)),
        given=(h <= H_DIVERGE, 4 * eps**2 <= L0 * Delta),
        where=(C_L0, C_L1, C_M, C_DELTA, C_EPS, C_H),
    ),
    Step(
        "with 4 eps^2 <= L0 Delta (a condition): Delta/(4 eps^2) - 1/(2 L0) >= Delta/(8 eps^2)",
        claim=ge(Delta / (4 * eps**2) - 1 / (2 * L0), Delta / (8 * eps**2)),
        given=(4 * eps**2 <= L0 * Delta,),
        where=(C_L0, C_DELTA, C_EPS),
    ),
    Step(
        "so every fixed h needs at least Delta/(8 eps^2) * M/(2 x0) iterations on one of the two instances",
        claim=eq(Delta / (8 * eps**2) * M / (2 * X0_WALL), BOUND_THM4),
        where=(C_L0, C_L1, C_M, C_DELTA, C_EPS),
    ),
    Step(
        "the bound also contains the L-smooth lower bound: ln(1 + u) <= u gives bound >= L0 Delta/(16 eps^2)",
        claim=ge(BOUND_THM4, L0 * Delta / (16 * eps**2)),
        where=(C_L0, C_L1, C_M, C_DELTA, C_EPS),
    ),
)

THM4_GD_LOWER = Theorem(
    id="iclr20_thm4_gd_lower",
    source=f"{SOURCE}, Theorem 4 (fixed-step GD lower bound)",
    statement=(
        "For every fixed step h > 0 there is a one-dimensional (L0, L1)-smooth f with f(x0) - f* <= Delta and "
        "sup{|f'| : f <= f(x0)} <= M on which gradient descent with step h needs at least "
        "L1 M Delta/(16 eps^2 ln(1 + M L1/L0)) iterations to reach |f'| <= eps (infinitely many on the wall). "
        "The two instances are chosen after h: the exponential wall (L0/L1^2)(e^{L1|x|} - 1 - L1|x|) from "
        "x0 = ln(1 + M L1/L0)/L1 when h > 2 x0/M (GD diverges), and the Huber function with slope 2 eps and "
        "curvature L0 from f(x0) - f* = Delta when h <= 2 x0/M. Since ln(1+u) <= u the bound is also "
        ">= L0 Delta/(16 eps^2): the order (L1 M/log(M L1/L0) + L0) Delta/eps^2, linear in M up to the log. "
        "Differentiability (C^1 relaxation stated, instance not smoothed): the simulated Huber instance is C^1 "
        "with an L0-Lipschitz derivative, not C^2; (L0, L1)-smoothness is read for it as "
        "limsup_{y -> x} |f'(y) - f'(x)|/|y - x| <= L0 + L1 |f'(x)|.  The bound still holds in the declared "
        "twice-differentiable class because the C^2 mollification huber * U[-d, d] with d <= eps/L0 has the same "
        "gap bound, gradient bound and GD count (a derivation step); the simulated instance is its d -> 0 limit."
    ),
    function_class=CLASS_L0L1 + "; in addition sup{||grad f|| : f <= f(x0)} <= M.  " + HUBER_C1_RELAXATION,
    noise="none (exact gradients)",
    symbols=(C_L0, C_L1, C_M, C_DELTA, C_EPS, C_H),
    conditions=(
        (M >= 2 * eps, "the Huber slope 2 eps must not exceed M"),
        (Delta >= M / L1, "the wall started where |f'| = M must have gap <= Delta"),
        (4 * eps**2 <= L0 * Delta, "eps small enough for the Huber count to be >= Delta/(8 h eps^2)"),
    ),
    method="sgd",
    parameters={"lr": Prescribed(h, note="any fixed step h > 0, chosen before the instance")},
    quantity="iterations_to_eps",
    statistic="value",
    bound=BOUND_THM4,
    kind="lower",
    constants="derived",
    consistent_with="ICLR20 Theorem 4 (order Omega((L1 M/log M + L0) Delta/eps^2); the paper's hard function and display are not available to us)",
    derivation=THM4_STEPS,
    compare_at="the first step k with |f'(x_k)| <= eps on the instance selected for h (record every step)",
    instances=(
        HardInstance(
            objective="exp_wall",
            params={"L0": L0, "L1": L1},
            x0=X0_WALL,
            predicted=sp.oo,
            applies=h > H_DIVERGE,
            description="exponential wall from |f'(x0)| = M: fixed-step GD with h > 2 x0/M diverges",
        ),
        HardInstance(
            objective="huber",
            params={"slope": HUBER_SLOPE, "L": HUBER_L},
            x0=X0_HUBER,
            predicted=HUBER_ITERATIONS,
            applies=h <= H_DIVERGE,
            description="Huber function with slope 2 eps > eps from f(x0) - f* = Delta: at least (x0 - s/L0)/(h s) steps",
        ),
    ),
)


# ----------------------------------------------------------------------------- Theorem 6: GD upper bound
H_GD = 1 / (2 * (M * L1 + L0))
C2 = 1 - sp.exp(sp.Rational(1, 2)) / 4  # descent factor when L1 ||step|| <= 1/2, (L0 + L1 g) h <= 1/2
BOUND_THM6 = Delta / (C2 * H_GD * eps**2)

THM6_STEPS = DESCENT_MODEL + (
    Step(
        "the GD step is short on the sublevel set: L1 h g <= L1 M/(2(M L1 + L0)) <= 1/2 for g <= M",
        claim=le(L1 * H_GD * g, sp.Rational(1, 2)),
        given=(g <= M,),
        where=(C_L0, C_L1, C_M, A_G),
    ),
    Step(
        "one GD step: the descent model with s <= 1/2, phi(s) <= s^2 e^{1/2}/2 and (L0 + L1 g) h <= 1/2 "
        "gives a change of f <= -c2 h g^2, c2 = 1 - e^{1/2}/4; f decreases, so x_{k+1} stays in the sublevel set "
        "and g <= M holds at every iterate (induction)",
        claim=le(-H_GD * g**2 + model_increase(g, H_GD * g), -C2 * H_GD * g**2),
        given=(g <= M,),
        where=(C_L0, C_L1, C_M, A_G),
    ),
    Step(
        "counting: each step before T_eps decreases f by at least c2 h eps^2",
        claim=eq(BOUND_THM6, 2 * (M * L1 + L0) * Delta / (C2 * eps**2)),
        where=(C_L0, C_L1, C_M, C_DELTA, C_EPS),
    ),
)

THM6_GD_UPPER = Theorem(
    id="iclr20_thm6_gd_upper",
    source=f"{SOURCE}, Theorem 6 (GD upper bound)",
    statement=(
        "Gradient descent with the paper's fixed step h = 1/(2(M L1 + L0)) reaches ||grad f|| <= eps within "
        "2 (M L1 + L0) Delta/(c2 eps^2) iterations, c2 = 1 - e^{1/2}/4: linear in M, unlike clipped GD."
    ),
    function_class=CLASS_L0L1 + "; M = sup{||grad f|| : f <= f(x0)}",
    noise="none (exact gradients)",
    symbols=(C_L0, C_L1, C_M, C_DELTA, C_EPS),
    method="sgd",
    parameters={"lr": Prescribed(H_GD, note="h = 1/(2(M L1 + L0)) (paper)")},
    quantity="iterations_to_eps",
    statistic="value",
    bound=BOUND_THM6,
    kind="upper",
    constants="derived",
    consistent_with="ICLR20 Theorem 6 (order O((M L1 + L0) Delta/eps^2))",
    derivation=THM6_STEPS,
    compare_at="the first step k with ||grad f(x_k)|| <= eps (record every step)",
)


# ----------------------------------------------------------------------------- Theorem 7: clipped SGD
ETA_THM7 = sp.Min(1 / (20 * L0), 1 / (128 * L1 * tau), 1 / sp.sqrt(K))
KAPPA = sp.exp(sp.Rational(1, 16)) / 2  # phi(s) <= KAPPA s^2 for s <= 1/16
C_SMALL = 1 - KAPPA * (sp.Rational(1, 20) + sp.Rational(1, 64))  # descent factor, ||grad f|| <= 2 tau
C_LARGE = sp.Rational(1, 2) - KAPPA * sp.Rational(81, 320)  # descent factor, ||grad f|| > 2 tau
NOISE_TERM_THM7 = KAPPA * (L0 + 2 * L1 * tau) * tau**2  # times eta^2: the per-step noise cost
BOUND_THM7 = (Delta / (C_LARGE * ETA_THM7 * K) + NOISE_TERM_THM7 * ETA_THM7 / C_LARGE) / sp.Min(1, 1 / (32 * L1 * ETA_THM7))

# One realization: g = ||grad f||, xi with ||xi|| = r tau at angle cos = c.
_GHAT = sp.sqrt(g**2 + 2 * g * r * tau * cth + (r * tau) ** 2)  # ||grad f + xi||
_H7 = sp.Min(eta, 1 / (16 * L1 * (_GHAT + tau)))  # the effective step of clipped_sgd
_ETA_OK = (eta <= 1 / (20 * L0), eta <= 1 / (128 * L1 * tau))
_B = sp.Symbol("b", positive=True)

THM7_STEPS = DESCENT_MODEL + (
    Step(
        "the step is short: L1 h ||g_hat|| <= ||g_hat||/(16 (||g_hat|| + tau)) <= 1/16, so phi <= kappa s^2 with kappa = e^{1/16}/2",
        claim=le(L1 * _H7 * _GHAT, sp.Rational(1, 16)),
        where=(C_L0, C_L1, C_TAU, A_G, A_R, A_C, A_ETA),
    ),
    Step(
        "small gradients (g <= 2 tau) are never clipped: 16 L1 (||g_hat|| + tau) eta <= 64 L1 tau eta <= 1/2, so h = eta",
        claim=le(16 * L1 * (_GHAT + tau) * eta, sp.Rational(1, 2)),
        given=(g <= 2 * tau,) + _ETA_OK,
        where=(C_L0, C_L1, C_TAU, A_G, A_R, A_C, A_ETA),
    ),
    Step(
        "small gradients, in expectation (E xi = 0, E||g_hat||^2 <= g^2 + tau^2, L0 + L1 g <= L0 + 2 L1 tau): "
        "E f(x+) - f <= -eta g^2 + kappa (L0 + L1 g) eta^2 (g^2 + tau^2) <= -c_small eta g^2 + kappa (L0 + 2 L1 tau) eta^2 tau^2",
        claim=le(
        -eta * g**2 + KAPPA * (L0 + L1 * g) * eta**2 * (g**2 + tau**2),
        -C_SMALL * eta * g**2 + NOISE_TERM_THM7 * eta**2,
    ),
        given=(g <= 2 * tau,) + _ETA_OK,
        where=(C_L0, C_L1, C_TAU, A_G, A_ETA),
    ),
    Step(
        "large gradients (g > 2 tau), every realization: <grad f, g_hat> >= g^2 - g tau >= g^2/2, ||g_hat|| <= 3g/2, "
        "(L0 + L1 g) h <= 1/20 + 1/16, so the descent model gives f(x+) - f <= -c_large h g^2",
        claim=le(-_H7 * (g**2 + g * r * tau * cth) + model_increase(g, _H7 * _GHAT), -C_LARGE * _H7 * g**2),
        given=(g > 2 * tau,) + _ETA_OK,
        where=(C_L0, C_L1, C_TAU, A_G, A_R, A_C, A_ETA),
    ),
    Step(
        "large gradients: ||g_hat|| + tau <= g + 2 tau <= 2 g, so h >= min{eta, 1/(32 L1 g)}",
        claim=ge(_H7, sp.Min(eta, 1 / (32 * L1 * g))),
        given=(g > 2 * tau,) + _ETA_OK,
        where=(C_L0, C_L1, C_TAU, A_G, A_R, A_C, A_ETA),
    ),
    Step(
        "both cases: E f(x+) <= f - c_large min{eta g^2, g/(32 L1)} + kappa (L0 + 2 L1 tau) eta^2 tau^2 (c_small >= c_large)",
        claim=ge(C_SMALL * eta * g**2, C_LARGE * sp.Min(eta * g**2, g / (32 * L1))),
        where=(C_L1, A_G, A_ETA),
    ),
    MIN_VS_AVG_MIN_GRAD,
    Step(
        "summing over k < K and dividing by c_large eta K, then by min{1, 1/(32 L1 eta)} (previous step "
        "with b = 1/(32 L1 eta)) bounds avg_min_grad over x_0..x_{K-1}",
        claim=eq(
            BOUND_THM7,
            (Delta + K * NOISE_TERM_THM7 * ETA_THM7**2) / (C_LARGE * ETA_THM7 * K) / sp.Min(1, 1 / (32 * L1 * ETA_THM7)),
        ),
        where=(C_L0, C_L1, C_TAU, C_DELTA, C_K),
    ),
)

THM7_CLIPPED_SGD = Theorem(
    id="iclr20_thm7_clipped_sgd",
    source=f"{SOURCE}, Theorem 7 (clipped SGD, bounded noise)",
    statement=(
        "Clipped SGD with noise bounded almost surely, ||g_k - grad f(x_k)|| <= tau, and the paper's parameters "
        "eta = min{1/(20 L0), 1/(128 L1 tau), 1/sqrt(K)} and effective step h_k = min{eta, 1/(16 L1 (||g_k|| + tau))} "
        "satisfies (1/K) sum_{k<K} E min{||grad f(x_k)||, ||grad f(x_k)||^2} <= "
        "(Delta/(c eta K) + kappa (L0 + 2 L1 tau) eta tau^2/c) / min{1, 1/(32 L1 eta)} with kappa = e^{1/16}/2, "
        "c = 1/2 - 81 kappa/320: order K^{-1/2}, i.e. eps^{-4} iterations for ||grad f|| <= eps."
    ),
    function_class=CLASS_L0L1,
    noise="unbiased, ||g - grad f|| <= tau almost surely (ICLR20 Assumption; not an alpha-moment)",
    symbols=(C_L0, C_L1, C_TAU, C_DELTA, C_K),
    method="clipped_sgd",
    parameters={
        "lr": Prescribed(ETA_THM7, note="eta = min{1/(20 L0), 1/(128 L1 tau), 1/sqrt(K)} (paper)"),
        "threshold": Prescribed(1 / (16 * ETA_THM7 * L1), note="lr threshold/(||g|| + tau) = 1/(16 L1 (||g|| + tau))"),
        "clip_offset": Prescribed(tau, note="the noise bound tau"),
    },
    quantity="avg_min_grad",
    statistic="mean",
    bound=BOUND_THM7,
    kind="upper",
    constants="derived",
    consistent_with="ICLR20 Theorem 7 (order O(eps^-4); display not available to us)",
    derivation=THM7_STEPS,
    compare_at="recorded step K - 1 (the average over x_0..x_{K-1})",
    notes=(
        "The step is realized by clipped_sgd with lr = eta, threshold = 1/(16 eta L1), clip_offset = tau: "
        "lr min{1, threshold/(||g|| + tau)} = min{eta, 1/(16 L1 (||g|| + tau))}.  A display reading "
        "h = min{1/(16 eta L1 (||g|| + tau)), eta} differs by the factor eta in the first term; only the "
        "form used here is dimensionally consistent (a step size)."
    ),
)


# ----------------------------------------------------------------------------- Theorem 8: SGD
H_THM8 = sp.Min(1 / sp.sqrt(K), 1 / (L1 * (M + tau)))
BOUND_THM8 = 2 * Delta / (H_THM8 * K) + sp.E * (L0 + L1 * M) * H_THM8 * tau**2
_GHAT_NORM = sp.Symbol("n", nonnegative=True)

THM8_STEPS = DESCENT_MODEL + (
    Step(
        "with ||grad f(x_k)|| <= M and ||xi|| <= tau the step is short: L1 h ||g_hat|| <= L1 h (M + tau) <= 1",
        claim=le(L1 * step_h * _GHAT_NORM, 1),
        given=(_GHAT_NORM <= g + tau, g <= M, step_h <= 1 / (L1 * (M + tau))),
        where=(C_L1, C_M, C_TAU, A_G, A_STEP, Constant(_GHAT_NORM, 0.0, doc="||g_hat||", probe=(1e-5, 1e5))),
    ),
    Step(
        "in expectation (phi(s) <= e s^2/2 for s <= 1, E||g_hat||^2 <= g^2 + tau^2) and with h <= 1/(e (L0 + L1 M)): "
        "E f(x+) - f <= -h g^2 + (e/2)(L0 + L1 g) h^2 (g^2 + tau^2) <= -(h/2) g^2 + (e/2)(L0 + L1 M) h^2 tau^2",
        claim=le(
        -step_h * g**2 + sp.E / 2 * (L0 + L1 * g) * step_h**2 * (g**2 + tau**2),
        -step_h * g**2 / 2 + sp.E / 2 * (L0 + L1 * M) * step_h**2 * tau**2,
    ),
        given=(g <= M, step_h <= 1 / (sp.E * (L0 + L1 * M))),
        where=(C_L0, C_L1, C_M, C_TAU, A_G, A_STEP),
    ),
    Step(
        "the condition K >= e^2 (L0 + L1 M)^2 gives h <= 1/sqrt(K) <= 1/(e (L0 + L1 M))",
        claim=le(H_THM8, 1 / (sp.E * (L0 + L1 * M))),
        given=(K >= sp.E**2 * (L0 + L1 * M) ** 2,),
        where=(C_L0, C_L1, C_M, C_TAU, C_K),
    ),
    Step(
        "summing over k < K: (1/K) sum E||grad f(x_k)||^2 <= (Delta + K (e/2)(L0 + L1 M) h^2 tau^2)/(K h/2)",
        claim=eq(BOUND_THM8, (Delta + K * sp.E / 2 * (L0 + L1 * M) * H_THM8**2 * tau**2) / (K * H_THM8 / 2)),
        where=(C_L0, C_L1, C_M, C_TAU, C_DELTA, C_K),
    ),
)

THM8_SGD = Theorem(
    id="iclr20_thm8_sgd",
    source=f"{SOURCE}, Theorem 8 (SGD, bounded noise)",
    statement=(
        "SGD with noise bounded almost surely by tau and the paper's step h = min{1/sqrt(K), 1/(L1 (M + tau))}, "
        "on a trajectory with ||grad f(x_k)|| <= M, satisfies (1/K) sum_{k<K} E||grad f(x_k)||^2 <= "
        "2 Delta/(h K) + e (L0 + L1 M) h tau^2 once K >= e^2 (L0 + L1 M)^2: order K^{-1/2}, with constants growing in M."
    ),
    function_class=CLASS_L0L1 + "; ||grad f(x_k)|| <= M along the trajectory",
    noise="unbiased, ||g - grad f|| <= tau almost surely",
    symbols=(C_L0, C_L1, C_M, C_TAU, C_DELTA, C_K),
    conditions=((K >= sp.E**2 * (L0 + L1 * M) ** 2, "horizon long enough for h <= 1/(e (L0 + L1 M))"),),
    method="sgd",
    parameters={"lr": Prescribed(H_THM8, note="h = min{1/sqrt(K), 1/(L1 (M + tau))} (paper)")},
    quantity="avg_grad_norm_sq",
    statistic="mean",
    bound=BOUND_THM8,
    kind="upper",
    constants="derived",
    consistent_with="ICLR20 Theorem 8 (parameters published; bound depends on M; display not available to us)",
    derivation=THM8_STEPS,
    compare_at="recorded step K - 1 (the average over x_0..x_{K-1}); check max_k ||grad f(x_k)|| <= M on the run",
)

THEOREMS = (THM3_CLIPPED_GD, THM3_NORMALIZED_GD, THM4_GD_LOWER, THM6_GD_UPPER, THM7_CLIPPED_SGD, THM8_SGD)
