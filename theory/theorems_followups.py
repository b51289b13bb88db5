"""Follow-up results worth encoding, as data (docs/mathematics.md#vankov-steps, docs/mathematics.md#normalized-sgd-with-momentum).

* Liu & Zhou, ICLR 2025, Theorem 3.2: batched normalized SGD with momentum
  (their Algorithm 1) under heavy-tailed noise with a known moment order p
  (our alpha) reaches the optimal order E||grad f|| ~ T^{(1-p)/(3p-2)}
  (published order, tag P for the rate; the parameter scalings below are
  derived here by balancing the three error terms of the standard momentum
  analysis).  Theorem 3.2 takes batch size B = 1, the simulator's method
  (one noise draw per step); see ``LIU_ZHOU_BATCH``.
* Vankov, Rodomanov, Nedich, Sankar, Stich 2024 (arXiv 2410.10800): gradient
  methods with (L0, L1)-adapted steps reach min_k ||grad f(x_k)|| <= eps once
  K + 1 >= 2 L0 Delta/(a eps^2) + 3 L1 Delta/(a eps) (order reliable, tag O).
  The explicit constants a = 1 (their optimal step eta*) and a = 3/4 (the
  hard-clip step min{1/(2 L0), 1/(3 L1 ||g||)}: the infimum over g of its
  decrease ratio, approached as g -> 0) are derived here from the same
  descent model as the ICLR20 theorems and checked.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from .theorem import (
    C_ALPHA, C_DELTA, C_EPS, C_K, C_L, C_L0, C_L1, C_SIGMA, C_UNKNOWN, Constant, Delta, DerivationError, K, L,
    L0, L1, Prescribed, Step, Theorem, alpha, elementary, eps, eq, ge, le, log1p, phi,
)  # fmt: skip
from .theorems_iclr20 import CLASS_L0L1, DESCENT_MODEL, model_increase
from .theorems_neurips20 import NONCONVEX_GRAD_RATE

# ----------------------------------------------------------------------------- Liu & Zhou 2025
#: momentum parameter 1 - beta and step size balancing Delta/(eta T), eta L/(1 - beta) and
#: sigma (1 - beta)^{(p-1)/p} (derived here; Liu & Zhou's constants are not encoded)
ONE_MINUS_BETA = K ** (-alpha / (3 * alpha - 2))
ETA_NSGDM = sp.sqrt(Delta / L) * K ** (-(2 * alpha - 1) / (3 * alpha - 2))

#: Batch size of Liu & Zhou's Batched NSGDM (Algorithm 1: g_t is the mean of B stochastic gradients) in their
#: Theorem 3.2 (known p) and Theorem 3.6 (unknown p): B = 1, one stochastic gradient per step, which is the
#: simulator's ``normalized_sgd_momentum``.  Their general statement with a noise moment that grows with the
#: gradient, E||g - grad f||^p <= sigma_0^p + sigma_1^p ||grad f||^p (Theorem D.1 of the appendix), needs B > 1
#: when sigma_1 > 0; the simulator's noise does not depend on x (sigma_1 = 0), so B = 1 is the batch the
#: theorem prescribes and nothing else needs simulating.  (Sources: the paper's Algorithm 1 and the ICLR 2025
#: reviews of it, which quote "in both Theorem 3.2 and 3.6, batch size B = 1" and "when sigma_1 > 0, the
#: results hold only for B > 1".)
LIU_ZHOU_BATCH = 1

LIU_ZHOU_NSGDM = Theorem(
    id="liu_zhou25_nsgd_momentum",
    source="Liu & Zhou, ICLR 2025 (arXiv 2412.19529), Theorem 3.2: Batched NSGDM with batch size B = 1, known p",
    statement=(
        "Normalized SGD with momentum, m_k = beta m_{k-1} + (1 - beta) g_k, x_{k+1} = x_k - eta m_k/||m_k||, without "
        "clipping, with one stochastic gradient g_k per step (Batched NSGDM with batch size B = 1, as Theorem 3.2 "
        "takes it), on an L-smooth f with noise of bounded p-th central moment (p = alpha in (1, 2], known, not "
        "growing with ||grad f||) attains (1/T) sum_t E||grad f(x_t)|| <= C T^{(1-p)/(3p-2)}, the optimal order "
        "(T^{-1/4} at p = 2).  Prescribed here (derived by balancing): 1 - beta = T^{-p/(3p-2)}, "
        "eta = sqrt(Delta/L) T^{-(2p-1)/(3p-2)}."
    ),
    function_class="f: R^d -> R L-smooth, bounded below; Delta = f(x0) - f*",
    noise=(
        "unbiased, central moment E||g - grad f||^p <= sigma^p, p = alpha in (1, 2] known (sigma_1 = 0 in the paper's "
        "Assumption 2.4: the case in which Theorem 3.2 takes batch size B = 1)"
    ),
    symbols=(C_L, C_DELTA, C_SIGMA, C_ALPHA, C_K),
    method="normalized_sgd_momentum",
    parameters={
        "lr": Prescribed(ETA_NSGDM, note="eta = sqrt(Delta/L) T^{-(2p-1)/(3p-2)} (scaling derived here)"),
        "momentum": Prescribed(1 - ONE_MINUS_BETA, note="beta = 1 - T^{-p/(3p-2)} (scaling derived here)"),
    },
    quantity="avg_grad_norm",
    statistic="mean",
    bound=C_UNKNOWN * NONCONVEX_GRAD_RATE,
    kind="upper",
    constants="published",
    order_only=True,
    compare_at="recorded step K - 1 (the average over x_0..x_{K-1})",
    notes="The same order as the NeurIPS20 non-convex lower bound: this method is order-optimal.",
)


# ----------------------------------------------------------------------------- Vankov et al. 2024
SOURCE_VANKOV = "Vankov, Rodomanov, Nedich, Sankar, Stich 2024, arXiv 2410.10800 (non-convex gradient method)"

g = sp.Symbol("g", positive=True)  # ||grad f(x)||
t = sp.Symbol("t", nonnegative=True)  # L1 g/(L0 + L1 g) in [0, 1)
A_G = Constant(g, 0.0, lo_open=True, doc="||grad f(x)||", probe=(1e-5, 1e5))
A_T = Constant(t, 0.0, 1.0, hi_open=True, doc="L1 g/(L0 + L1 g)")
_eta = sp.Symbol("eta", positive=True)

ETA_STAR = log1p(L1 * g / (L0 + L1 * g)) / (L1 * g)  # minimizer of the descent model
H_HARD = sp.Min(1 / (2 * L0), 1 / (3 * L1 * g))  # the hard-clip step
MODEL_DECREASE = _eta * g**2 - model_increase(g, _eta * g)  # guaranteed decrease of f by a step eta
PER_STEP = g**2 / (2 * L0 + 3 * L1 * g)  # decrease per step, up to the factor a


def vankov_bound(a) -> sp.Expr:
    """T_eps <= Delta/(a eps^2/(2 L0 + 3 L1 eps)) = 2 L0 Delta/(a eps^2) + 3 L1 Delta/(a eps)."""
    return Delta / (a * PER_STEP.subs(g, eps))


_ELL = L0 + L1 * g
VANKOV_COMMON = DESCENT_MODEL + (
    Step(
        "g^2/(2 L0 + 3 L1 g) increases in g, so every step before T_eps (g > eps) decreases f by at least "
        "a eps^2/(2 L0 + 3 L1 eps), and T_eps <= Delta (2 L0 + 3 L1 eps)/(a eps^2)",
        claim=ge(PER_STEP, PER_STEP.subs(g, eps)),
        given=(g > eps,),
        where=(C_L0, C_L1, A_G, C_EPS),
    ),
)

VANKOV_STAR_STEPS = VANKOV_COMMON + (
    Step(
        "eta* minimizes the model: d/d eta [eta g^2 - (L0 + L1 g)/L1^2 phi(L1 eta g)] = 0 at eta*",
        claim=eq(sp.diff(MODEL_DECREASE, _eta).subs(_eta, ETA_STAR), 0),
        where=(C_L0, C_L1, A_G),
    ),
    Step(
        "with t = L1 g/(L0 + L1 g) the model decrease at eta* is (L0 + L1 g)/L1^2 ((1 + t) ln(1 + t) - t)",
        claim=eq(
            MODEL_DECREASE.subs(_eta, ETA_STAR),
            _ELL / L1**2 * ((1 + t) * log1p(t) - t).subs(t, L1 * g / _ELL),
        ),
        where=(C_L0, C_L1, A_G),
    ),
    Step(
        "ln(1 + t) >= 2t/(2 + t) for t >= 0, hence (1 + t) ln(1 + t) - t >= t^2/(2 + t)",
        claim=ge((1 + t) * log1p(t) - t, t**2 / (2 + t)),
        where=(A_T,),
    ),
    Step(
        "and (L0 + L1 g)/L1^2 * t^2/(2 + t) = g^2/(2 L0 + 3 L1 g): the decrease per step is at least that (a = 1)",
        claim=eq((_ELL / L1**2 * t**2 / (2 + t)).subs(t, L1 * g / _ELL), PER_STEP),
        where=(C_L0, C_L1, A_G),
    ),
)

# The hard-clip step's decrease ratio (derived here).  With u = L1 g/L0 and c = L0 h =
# min{1/2, 1/(3u)}, the model decrease divided by g^2/(2 L0 + 3 L1 g) is a function of u only,
# R(u) = (3u + 2)/u^2 (c u^2 - (u + 1) phi(c u)).  On the small-gradient branch (u <= 2/3, c = 1/2)
# R decreases to 3/4 as u -> 0 (R(2/3) = 1.066); on the large-gradient branch (c = 1/(3u)) it stays
# above its limit 5 - 3 e^{1/3} = 0.813 as u -> oo.  So the infimum is 3/4, approached as g -> 0
# and never attained: a = 3/4 is the largest constant valid at every g.
u = sp.Symbol("u", positive=True)  # L1 g/L0
A_U_SMALL = Constant(u, 0.0, 2 / 3, lo_open=True, doc="L1 g/L0 on the small-gradient branch", probe=(1e-6, 2 / 3))
A_U_LARGE = Constant(u, 2 / 3, doc="L1 g/L0 on the large-gradient branch", probe=(2 / 3, 1e6))
_s = sp.Symbol("s", nonnegative=True)
A_S = Constant(_s, 0.0, 10.0, doc="a scaled step length L1 h g")


def decrease_ratio(c: sp.Expr) -> sp.Expr:
    """R(u) for the scaled step c = L0 h: model decrease / (g^2/(2 L0 + 3 L1 g)) at g = u L0/L1."""
    return (3 * u + 2) / u**2 * (c * u**2 - (u + 1) * phi(c * u))


RATIO_HARD = decrease_ratio(sp.Min(sp.Rational(1, 2), 1 / (3 * u)))
RATIO_SMALL = decrease_ratio(sp.Rational(1, 2))
RATIO_LARGE = elementary(decrease_ratio(1 / (3 * u)))  # phi at the number 1/3, written in exp
A_HARD = sp.Rational(3, 4)  # inf_u RATIO_HARD (derived here)
RATIO_LARGE_LIMIT = 5 - 3 * sp.exp(sp.Rational(1, 3))  # lim_{u -> oo} RATIO_LARGE
_PHI_THIRD = sp.exp(sp.Rational(1, 3)) - sp.Rational(4, 3)  # phi(1/3)


def _witness_ratio_infimum(rng: np.random.Generator) -> None:
    """sympy: R -> 3/4 as g -> 0 (series 3/4 + 5u/6 + O(u^2)) and -> 5 - 3 e^{1/3} as g -> oo; and on a
    random geometric grid in u the minimum of R approaches 3/4 from above, never below."""
    series = sp.series(elementary(RATIO_SMALL), u, 0, 2).removeO()
    if sp.simplify(series - (A_HARD + sp.Rational(5, 6) * u)) != 0:
        raise DerivationError(f"small-g expansion of the ratio is {series}, not 3/4 + 5u/6")
    if sp.simplify(sp.limit(RATIO_LARGE, u, sp.oo) - RATIO_LARGE_LIMIT) != 0:
        raise DerivationError("large-g limit of the ratio is not 5 - 3 e^{1/3}")
    ratio = sp.lambdify(u, RATIO_HARD, modules=[{"phi": lambda x: np.expm1(x) - x}, "numpy"])
    previous = math.inf
    for lo in (1e-2, 1e-3, 1e-4):
        grid = np.exp(rng.uniform(math.log(lo), math.log(1e6), 20000))
        low = float(np.min(ratio(grid)))
        if not (float(A_HARD) <= low < previous):
            raise DerivationError(f"grid minimum of the ratio over u >= {lo:g} is {low!r}: not in [3/4, {previous!r})")
        previous = low
    if previous - float(A_HARD) > 1e-3:
        raise DerivationError(f"grid minimum {previous!r} does not approach 3/4")


VANKOV_HARD_STEPS = VANKOV_COMMON + (
    Step(
        "with u = L1 g/L0 the hard-clip step is h = c/L0, c = min{1/2, 1/(3u)}, and its model decrease "
        "divided by g^2/(2 L0 + 3 L1 g) is R(u) = (3u + 2)/u^2 (c u^2 - (u + 1) phi(c u)), a function of u only",
        claim=eq(MODEL_DECREASE.subs(_eta, H_HARD) / PER_STEP, RATIO_HARD.subs(u, L1 * g / L0)),
        where=(C_L0, C_L1, A_G),
    ),
    Step(
        "Taylor with Lagrange remainder: phi(s) <= s^2/2 + s^3 e^s/6 for s >= 0",
        claim=le(phi(_s), _s**2 / 2 + _s**3 * sp.exp(_s) / 6),
        where=(A_S,),
    ),
    Step(
        "small gradients (u <= 2/3, c = 1/2): with phi(u/2) <= u^2/8 + u^3 e^{u/2}/48, R(u) >= 3/4 reduces to "
        "(u + 1)(1/8 + u e^{u/2}/48) <= (6u + 1)/(4 (3u + 2)), equality at u = 0",
        claim=le((u + 1) * (sp.Rational(1, 8) + u * sp.exp(u / 2) / 48), (6 * u + 1) / (4 * (3 * u + 2))),
        where=(A_U_SMALL,),
    ),
    Step(
        "hence R(u) >= 3/4 on the small-gradient branch",
        claim=ge(RATIO_SMALL, A_HARD),
        where=(A_U_SMALL,),
    ),
    Step(
        "large gradients (u >= 2/3, c = 1/(3u)): R(u) - (5 - 3 e^{1/3}) = (u (2/3 - 5 phi(1/3)) - 2 phi(1/3))/u^2 >= 0",
        claim=eq(
            RATIO_LARGE - RATIO_LARGE_LIMIT,
            (u * (sp.Rational(2, 3) - 5 * _PHI_THIRD) - 2 * _PHI_THIRD) / u**2,
        ),
        where=(A_U_LARGE,),
    ),
    Step(
        "... which is >= 0 for u >= 2/3, and 5 - 3 e^{1/3} = 0.813 > 3/4: R(u) >= 3/4 on the large-gradient branch",
        claim=ge(RATIO_LARGE, A_HARD),
        where=(A_U_LARGE,),
    ),
    Step(
        "the infimum of R is 3/4, approached as g -> 0 and not attained (R(2/3) = 1.066 at the switch point), "
        "so the hard-clip step decreases the model by at least (3/4) g^2/(2 L0 + 3 L1 g) and no larger constant holds",
        witness=_witness_ratio_infimum,
    ),
    Step(
        "the same in the theorem's constants: a = 3/4",
        claim=ge(MODEL_DECREASE.subs(_eta, H_HARD), A_HARD * PER_STEP),
        where=(C_L0, C_L1, A_G),
    ),
)


def _vankov(id_, method, parameters, a, steps, step_text):
    return Theorem(
        id=id_,
        source=SOURCE_VANKOV,
        statement=(
            f"Gradient descent with {step_text} on an (L0, L1)-smooth f reaches ||grad f(x_k)|| <= eps after at most "
            f"2 L0 Delta/(a eps^2) + 3 L1 Delta/(a eps) iterations with a = {a}."
        ),
        function_class=CLASS_L0L1,
        noise="none (exact gradients)",
        symbols=(C_L0, C_L1, C_DELTA, C_EPS),
        method=method,
        parameters=parameters,
        quantity="iterations_to_eps",
        statistic="value",
        bound=vankov_bound(a),
        kind="upper",
        constants="derived",
        consistent_with="Vankov et al. 2024 (K + 1 >= 2 L0 Delta/(a eps^2) + 3 L1 Delta/(a eps) suffices; order reliable)",
        derivation=steps,
        compare_at="the first step k with ||grad f(x_k)|| <= eps (record every step)",
    )


VANKOV_STAR = _vankov(
    "vankov24_l0l1_step",
    "l0l1_gd",
    {"L0": Prescribed(L0), "L1": Prescribed(L1)},
    sp.Integer(1),
    VANKOV_STAR_STEPS,
    "the step eta* = ln(1 + L1 g/(L0 + L1 g))/(L1 g), g = ||grad f(x_k)||",
)
VANKOV_HARD_CLIP = _vankov(
    "vankov24_clipped_step",
    "clipped_sgd",
    {
        "lr": Prescribed(1 / (2 * L0), note="1/(2 L0)"),
        "threshold": Prescribed(2 * L0 / (3 * L1), note="lr threshold/||g|| = 1/(3 L1 ||g||)"),
        "clip_offset": Prescribed(sp.Integer(0)),
    },
    A_HARD,
    VANKOV_HARD_STEPS,
    "the hard-clip step min{1/(2 L0), 1/(3 L1 ||grad f(x_k)||)}",
)

THEOREMS = (LIU_ZHOU_NSGDM, VANKOV_STAR, VANKOV_HARD_CLIP)
