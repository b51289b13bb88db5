"""Checks of the deterministic theorems: exact assertions on the first step reaching ||grad f|| <= eps.

Theorems (``sandbox theorems``):

* upper bounds ``iclr20_thm3_clipped_gd``, ``iclr20_thm3_normalized_gd``,
  ``iclr20_thm6_gd_upper`` (ICLR20 Theorems 3 and 6), ``vankov24_l0l1_step``,
  ``vankov24_clipped_step`` (Vankov et al. 2024): the theorem's own method with
  its own parameters (``Theorem.method_params``), exact gradients, one run per
  (theorem, instance); T_eps is read off every recorded step
  (:func:`checks.measure.iterations_to_eps`) and the verdict is exact:
  ``complies`` iff ``T_eps <= bound``.  ``worst_ratio = T_eps / bound`` says
  how loose the bound is on the instance;
* the lower bound ``iclr20_thm4_gd_lower`` (ICLR20 Theorem 4): for each fixed
  step h of a log-spaced grid on both sides of the divergence threshold
  2 x0/M, the hard instance chosen after h (``Theorem.hard_instance``) and GD
  with step h; ``complies`` iff ``T_eps >= predicted`` (``inf`` on the wall:
  divergence).  One headline row per M compares the best step of the grid with
  clipped GD (ICLR20 Thm 3 parameters) on the same two instances: GD's count
  grows like M/log M, clipped GD's does not.  The grid keeps 5 % away from the
  threshold: at h = 2 x0/M exactly, GD on the wall sits on the 2-cycle
  x0 -> -x0, which is unstable (|1 - h f''(x0)| > 1), so in floating point its
  fate (divergence or convergence) is decided by rounding.

Instances of the upper bounds (all (L0, L1)-smooth with a pair declared by
the objective registry, :func:`declared_l0`): smooth instances started far
from the minimum (the bounds are worst-case over the class and very loose
there: their eps^-2 term is paid only where the gradient stays near eps for
long), and the *near-tight* instance ``huber`` with slope just above eps, on
which the gradient is that small along the whole path, so the per-step decrease
used by every proof is (almost) all that happens: there the measured counts
come within a small constant factor of the bounds.  ``huber`` is C^1, not C^2
(its second derivative jumps at |x| = slope/L): the upper bounds' descent
model needs only a locally Lipschitz gradient with
``limsup_{y -> x} |f'(y) - f'(x)|/|y - x| <= L0 + L1 |f'(x)|`` (Gronwall on
the gradient norm), which Huber satisfies with the pair (L, 0), so it is in
their class under that C^1 relaxation.  For the lower bound of Theorem 4 the
relaxation is stated in the theorem, together with why the bound holds in
the twice-differentiable class as well (a C^2 mollification of the Huber
instance carries the same count).

Why the eps-independent methods allow one run per (theorem, instance)
---------------------------------------------------------------------
None of these methods' parameters depends on eps (they are computed without
it, which :meth:`theory.theorem.Theorem.method_params` would refuse
otherwise), and none depends on the horizon K, so the trajectory is the same
for every eps and every K: one run records every step and gives T_eps for the
whole eps grid.  The run's horizon grows geometrically (:func:`first_hits`)
up to ``K = ceil(bound) + 1`` at the smallest eps: a T_eps that exceeds the
bound is always observed as such (not reached within K), and a compliant run
stops as soon as every eps has been reached (the trajectory up to a step does
not depend on the horizon).

Negative controls (they must come out ``violates``): the Thm 3 bound divided
by 10 on the near-tight instance, and the Thm 4 lower bound asserted for
clipped GD (which is not a fixed-step method and beats it for large M).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import sympy as sp
from scipy import optimize

import sims
from sims.objectives import exp_wall_start, huber_start
from sims.params import InvalidParameter
from theory.catalog import get
from theory import theorem as th
from theory.theorems_iclr20 import H_DIVERGE

from ..core import Check, Profile, Row, register
from ..measure import derive_seed, iterations_to_eps

UPPER_THEOREMS = (
    "iclr20_thm3_clipped_gd",
    "iclr20_thm3_normalized_gd",
    "iclr20_thm6_gd_upper",
    "vankov24_l0l1_step",
    "vankov24_clipped_step",
)
LOWER_THEOREM = "iclr20_thm4_gd_lower"
CLIPPED_GD_THEOREM = "iclr20_thm3_clipped_gd"

#: Largest bound an eps grid of the smooth instances may reach: the run of a
#: violating method then ends within K_MAX + 1 steps.
K_MAX = 10**6
#: First horizon of the geometric search of :func:`first_hits`, and its growth factor.
FIRST_HORIZON = 1024
HORIZON_GROWTH = 8
#: Largest eps of a smooth instance's grid, relative to ||grad f(x0)|| (T_eps >= 1 there),
#: and the smallest, relative to the same (unless the K_MAX floor is higher).
EPS_TOP = 0.5
EPS_BOTTOM = 1e-3


# ----------------------------------------------------------------------------- instances
@dataclass(frozen=True)
class Instance:
    """An objective with a starting point and a declared (L0, L1) pair.

    Attributes
    ----------
    objective : str
        Registry name in :data:`sims.OBJECTIVES`.
    params : tuple of (str, float)
        Its parameters as sorted (name, value) pairs (``dim`` included where it has one).
    x0 : tuple of float
        Starting point (length d).
    L1 : float
        Selects the declared pair: L0 is :func:`declared_l0` at this L1.
    note : str
        What makes the instance interesting.
    """

    objective: str
    params: tuple[tuple[str, float], ...]
    x0: tuple[float, ...]
    L1: float
    note: str

    @property
    def values(self) -> dict:
        """The objective's resolved parameters."""
        return sims.OBJECTIVES.get_component(self.objective).resolve(dict(self.params))

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}={v:g}" for k, v in self.params)
        start = ", ".join(f"{v:.4g}" for v in self.x0)
        return f"{self.objective}({shown}) from x0=({start}): {self.note}"


def make_instance(objective: str, params: dict, x0, L1: float, note: str) -> Instance:
    """An :class:`Instance` with ``x0`` broadcast to the objective's dimension (validated)."""
    comp = sims.OBJECTIVES.get_component(objective)
    values = comp.resolve(params)
    d = comp.dimension(values)
    x = np.broadcast_to(np.asarray(x0, dtype=float), (d,))
    if not np.all(np.isfinite(x)):
        raise InvalidParameter(f"make_instance: x0 must be finite, got {x0!r}")
    if not (L1 > 0 and math.isfinite(L1)):
        raise InvalidParameter(f"make_instance: L1 must be in (0, inf), got {L1!r}")
    return Instance(objective, tuple(sorted(params.items())), tuple(float(v) for v in x), float(L1), note)


def declared_l0(objective: str, values: dict, L1: float) -> float:
    """The smallest L0 such that (L0, L1) follows from a pair the objective declares.

    A pair (a, b) implies (a, b') for every b' >= b (the right-hand side of
    ||hess f|| <= a + b ||grad f|| only grows), so the candidates are the
    declared pairs with b <= L1.

    Raises
    ------
    InvalidParameter
        If no declared pair has b <= L1 (or the objective declares none).
    """
    comp = sims.OBJECTIVES.get_component(objective)
    pairs = comp.pairs(comp.dimension(values), values)
    usable = [a for a, b in pairs if b <= L1]
    if not usable:
        raise InvalidParameter(f"declared_l0: {objective!r} declares no (L0, L1) pair with L1 <= {L1!r}; pairs: {pairs}")
    return float(min(usable))


def _evaluated(objective: str, values: dict, x0: Sequence[float]) -> tuple[float, float]:
    """(f(x0) - f*, ||grad f(x0)||) from the objective's *defining* sympy expression (30 digits)."""
    comp = sims.OBJECTIVES.get_component(objective)
    expr, xs = comp.expression(values)
    point = {x: sp.Float(v, 30) for x, v in zip(xs, x0)}
    f0 = expr.evalf(30, subs=point)
    grad = [sp.diff(expr, x).evalf(30, subs=point) for x in xs]
    gap = float(f0 - comp.f_star(comp.dimension(values), values))
    return gap, float(sp.sqrt(sum(gi**2 for gi in grad)))


def _u_minus_log1p(u: float) -> float:
    """u - ln(1 + u) for u >= 0, without cancellation at small u."""
    if u < 1e-3:  # alternating series; the first omitted term is below 1e-18 relative
        return u * u * (0.5 - u * (1 / 3 - u * (0.25 - u * (0.2 - u / 6))))
    return u - math.log1p(u)


def sublevel_grad_sup(objective: str, values: dict, delta: float) -> float:
    """M = sup{||grad f(x)|| : f(x) - f* <= delta}: ICLR20's M for a start with gap delta (derived here).

    Separable objectives f = sum_i phi(x_i) (exp_wall, quartic, cosh,
    double_well), v_i = phi(x_i) - min phi >= 0: on every branch
    ``phi'(x)^2 <= psi(v)`` with psi increasing and convex, psi(0) = 0, and
    equality on the outer branch.  A convex psi with psi(0) = 0 is
    superadditive, so ``||grad f||^2 = sum_i phi'(x_i)^2 <= sum_i psi(v_i) <=
    psi(sum_i v_i) <= psi(delta)``, attained by putting the whole gap on one
    coordinate (outer branch, phi(x*) - min phi = delta) and the others at a
    minimiser of phi (where phi' = 0): ``M = sqrt(psi(delta))``.

    * exp_wall, phi = (L0/L1^2)(e^t - 1 - t), t = L1|x|: d psi/dv = 2 phi''(x(v))
      = 2 (L0 + L1 |phi'|) increases with v, so psi is convex; with u = L1 |phi'|/L0,
      v = (L0/L1^2)(u - ln(1 + u)), and M = u* L0/L1 with u* - ln(1 + u*) = delta L1^2/L0;
    * quartic, phi = a x^4: psi(v) = 16 a^2 (v/a)^{3/2}, M = 4 a (delta/a)^{3/4};
    * cosh, phi = 2 cosh x: psi(v) = 4 sinh^2 x = v^2 + 4v, M = sqrt(delta^2 + 4 delta);
    * double_well, phi = (x^2 - 1)^2/4: phi'^2 = x^2 (x^2 - 1)^2 = 4 v x^2 with
      x^2 = 1 +- 2 sqrt(v), so psi(v) = 4 v + 8 v^{3/2} (outer branch), M = sqrt(4 delta + 8 delta^{3/2}).

    Non-separable ``norm_quartic``, f = ||A x||^4 with A = diag(a_i), max a_i = 1:
    with s = ||A x||, ``||grad f|| = 4 s^2 ||A^2 x|| <= 4 s^3``, equality along the
    coordinate with a_i = 1, and the sublevel set is s^4 <= delta: M = 4 delta^{3/4}.

    ``huber`` in one dimension: |f'| = min{L|x|, slope} increases with |x| and the
    sublevel set is an interval, so M = min{slope, sqrt(2 L delta)}.  (In d >= 2 its
    psi is concave and the supremum spreads the gap over coordinates: not supported.)

    Parameters
    ----------
    objective : str
        One of the objectives above.
    values : dict
        Its resolved parameters.
    delta : float
        The gap f(x0) - f*, in [0, inf).

    Raises
    ------
    InvalidParameter
        For another objective, huber in d >= 2, or a delta outside [0, inf).
    """
    if not (isinstance(delta, (int, float, np.floating)) and 0.0 <= delta < math.inf):
        raise InvalidParameter(f"sublevel_grad_sup: delta must be in [0, inf), got {delta!r}")
    delta = float(delta)
    if objective == "exp_wall":
        L0, L1 = values["L0"], values["L1"]
        target = delta * L1 * L1 / L0
        if target == 0.0:
            return 0.0
        # u - ln(1+u) increases on u > 0 and is >= target at u = 2 target + 2
        u = optimize.brentq(lambda w: _u_minus_log1p(w) - target, 0.0, 2.0 * target + 2.0, xtol=1e-300, rtol=4 * np.finfo(float).eps)
        return u * L0 / L1
    if objective == "quartic":
        a = values["a"]
        return 4.0 * a * (delta / a) ** 0.75
    if objective == "cosh":
        return math.sqrt(delta * delta + 4.0 * delta)
    if objective == "double_well":
        return math.sqrt(4.0 * delta + 8.0 * delta**1.5)
    if objective == "norm_quartic":
        return 4.0 * delta**0.75
    if objective == "huber":
        if values["dim"] != 1:
            raise InvalidParameter("sublevel_grad_sup: huber is supported in dimension 1 only")
        return min(values["slope"], math.sqrt(2.0 * values["L"] * delta))
    raise InvalidParameter(
        f"sublevel_grad_sup: no derivation for objective {objective!r}; valid: exp_wall, quartic, cosh, double_well, norm_quartic, huber (d = 1)"
    )


def smooth_instances() -> tuple[Instance, ...]:
    """The smooth instances of the upper-bound checks (each with a declared pair)."""
    return (
        make_instance("exp_wall", {"dim": 1, "L0": 1.0, "L1": 1.0}, exp_wall_start(100.0, 1.0, 1.0), 1.0,
                      "exponential wall from |f'| = 100 (f'' = L0 + L1|f'| exactly)"),
        make_instance("exp_wall", {"dim": 1, "L0": 4.0, "L1": 0.5}, exp_wall_start(1000.0, 4.0, 0.5), 0.5,
                      "exponential wall from |f'| = 1000, M L1/L0 = 125"),
        make_instance("exp_wall", {"dim": 3, "L0": 1.0, "L1": 1.0}, exp_wall_start(10.0, 1.0, 1.0), 1.0,
                      "3-D wall, |f'| = 10 per coordinate (M > ||grad f(x0)||: the gap fits on one coordinate)"),
        make_instance("quartic", {"dim": 1, "a": 1.0}, 2.0, 1.0, "x^4 from x0 = 2, pair (16, 1)"),
        make_instance("quartic", {"dim": 4, "a": 0.5}, (1.0, -0.5, 0.25, 2.0), 2.0, "4-D quartic, pair (2, 2)"),
        make_instance("norm_quartic", {"dim": 3, "cond": 10.0}, 1.0, 1.0, "non-separable ||Ax||^4, cond 10"),
        make_instance("cosh", {"dim": 3}, (3.0, -1.0, 0.5), 1.0, "3-D 2cosh, pair (2, 1)"),
        make_instance("double_well", {"dim": 1}, 2.0, 1.0, "non-convex double well from x0 = 2"),
        make_instance("double_well", {"dim": 3}, (2.0, 0.1, -1.5), 3.0, "3-D double well, one coordinate near the local maximum, pair (2, 3)"),
    )  # fmt: skip


#: The near-tight instance: huber with curvature 1, gap 1, slope (1 + HUBER_MARGIN) eps, pair (1, 0.1).
HUBER_MARGIN = 0.05
HUBER_L1 = 0.1


def near_tight_instance(eps: float) -> Instance:
    """Huber with slope (1 + HUBER_MARGIN) eps started at gap 1: the gradient stays just above eps.

    Its declared pair (L, 0) implies (L, L1) for every L1 > 0 (the one used is
    :data:`HUBER_L1`).  Valid for eps in (0, 1] (x0 in the linear region).
    """
    if not (0.0 < eps <= 1.0):
        raise InvalidParameter(f"near_tight_instance: eps must be in (0, 1], got {eps!r}")
    slope = (1.0 + HUBER_MARGIN) * eps
    x0 = huber_start(1.0, slope, 1.0)
    return make_instance("huber", {"dim": 1, "slope": slope, "L": 1.0}, x0, HUBER_L1,
                         f"near-tight: gradient {1 + HUBER_MARGIN:g} eps along the whole linear path, gap 1")  # fmt: skip


# ----------------------------------------------------------------------------- measurement
@dataclass
class Hits:
    """First steps reaching each eps on one run (see :func:`first_hits`).

    Attributes
    ----------
    T : ndarray
        T_eps per eps (``inf``: not reached within the run, or diverged first).
    K : int
        The horizon of the run that produced ``T``.
    diverged_step : int
        First non-finite step of that run (-1: none).
    config : dict
        The run's simulate configuration (``sims.SimulationResult.config``).
    """

    T: np.ndarray
    K: int
    diverged_step: int
    config: dict


def first_hits(
    objective: str,
    objective_params: dict,
    x0: Sequence[float],
    method: str,
    method_params: dict,
    eps: Sequence[float],
    K_full: int,
    seed: int,
    K_first: int = FIRST_HORIZON,
) -> Hits:
    """T_eps for every eps of one deterministic trajectory, with horizons growing up to ``K_full``.

    Runs ``method`` (exact gradients, one replicate, every step recorded) with
    horizons ``K_first, K_first * 8, ...`` capped at ``K_full`` and stops at the
    first run in which every eps is reached, which diverges, or whose horizon
    is ``K_full``.  Valid only for parameters that depend on neither K nor eps
    (the trajectory up to step k is then the same for every horizon >= k).

    Raises
    ------
    InvalidParameter
        For a bad horizon, or whatever :func:`sims.simulate` rejects.
    """
    if isinstance(K_full, bool) or not isinstance(K_full, (int, np.integer)) or K_full < 1:
        raise InvalidParameter(f"first_hits: K_full must be an integer >= 1, got {K_full!r}")
    if isinstance(K_first, bool) or not isinstance(K_first, (int, np.integer)) or K_first < 1:
        raise InvalidParameter(f"first_hits: K_first must be an integer >= 1, got {K_first!r}")
    eps = np.asarray(eps, dtype=float)
    if eps.ndim != 1 or eps.size == 0 or not np.all(eps > 0):
        raise InvalidParameter(f"first_hits: eps must be a non-empty list of positive numbers, got {eps!r}")
    K = min(int(K_full), int(K_first))
    while True:
        res = sims.simulate(
            objective, method, "none", K=K, R=1, seed=seed, x0=np.asarray(x0, dtype=float), record="all",
            objective_params=objective_params, method_params=method_params, threads=1,
        )  # fmt: skip
        T = np.array([iterations_to_eps(res, e)[0] for e in eps])
        if np.all(np.isfinite(T)) or res.n_diverged or K >= K_full:
            return Hits(T, K, int(res.diverged_step[0]), res.config)
        K = min(int(K_full), K * HORIZON_GROWTH)


def theorem_constants(theorem_id: str, available: dict) -> dict:
    """The theorem's constants taken from ``available`` (only those it declares)."""
    thm = get(theorem_id)
    return {c.name: available[c.name] for c in thm.symbols if c.name in available}


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.4g}"


# ----------------------------------------------------------------------------- upper bounds
def eps_grid(theorem_ids: Sequence[str], constants: dict, g0: float, n: int) -> np.ndarray:
    """n log-spaced eps from EPS_TOP g0 down to the floor where every bound is still <= K_MAX.

    The floor is the larger of EPS_BOTTOM g0 and, for each theorem, the eps at
    which its bound (decreasing in eps) equals K_MAX (found by root finding in log eps).
    """
    top, bottom = EPS_TOP * g0, EPS_BOTTOM * g0
    for tid in theorem_ids:
        thm = get(tid)
        log_excess = lambda u: math.log(thm.predicted(**theorem_constants(tid, constants), eps=math.exp(u)) / K_MAX)  # noqa: E731
        if log_excess(math.log(bottom)) > 0:
            if log_excess(math.log(top)) > 0:
                raise InvalidParameter(f"eps_grid: {tid}'s bound exceeds K_MAX = {K_MAX} already at eps = {top:g}")
            bottom = math.exp(optimize.brentq(log_excess, math.log(bottom), math.log(top), xtol=1e-6))
    return np.geomspace(top, bottom, n) if n > 1 else np.array([top])


def instance_constants(instance: Instance) -> dict:
    """L0 (declared pair at the instance's L1), L1, Delta, M (:func:`sublevel_grad_sup`) and g0 = ||grad f(x0)||."""
    values = instance.values
    delta, g0 = _evaluated(instance.objective, values, instance.x0)
    return {
        "L0": declared_l0(instance.objective, values, instance.L1),
        "L1": instance.L1,
        "Delta": delta,
        "M": sublevel_grad_sup(instance.objective, values, delta),
        "g0": g0,
    }


def upper_rows(
    theorem_id: str, instance: Instance, eps: Sequence[float], seed: int, check: str, bound_factor: float = 1.0, control: bool = False
) -> list[Row]:
    """One row per eps: the theorem's method on the instance, ``T_eps <= bound_factor * bound`` exactly.

    ``bound_factor`` other than 1 makes a deliberately wrong bound (a negative
    control); the run still goes up to the true bound, so the row reports the
    true T_eps.
    """
    thm = get(theorem_id)
    available = instance_constants(instance)
    consts = theorem_constants(theorem_id, available)
    method_params = thm.method_params(**consts)  # without eps: the parameters do not depend on it
    eps = np.asarray(eps, dtype=float)
    true_bounds = np.array([thm.predicted(**consts, eps=float(e)) for e in eps])
    bounds = bound_factor * true_bounds
    K_full = int(math.ceil(max(true_bounds.max(), bounds.max()))) + 1
    run_seed = derive_seed(seed, check, instance.label)
    hits = first_hits(instance.objective, dict(instance.params), instance.x0, thm.method, method_params, eps, K_full, run_seed)
    wrong = f" x {bound_factor:g} (a deliberately wrong bound)" if bound_factor != 1.0 else ""
    constants_text = ", ".join(f"{k}={v:.4g}" for k, v in consts.items())
    rows = []
    for e, b, T in zip(eps, bounds, hits.T):
        ratio = T / b
        if T <= b:
            verdict = "complies"
            looseness = f"the bound is {b / T:.3g} times the measured count" if T > 0 else "reached at x0"
            reason = f"T_eps = {_fmt(T)} <= bound{wrong} {b:.6g} (exact): {looseness}"
        else:
            verdict = "violates"
            seen = f"not reached within K = {hits.K} >= bound" if math.isinf(T) else f"T_eps = {T:g}"
            reason = f"{seen} > bound{wrong} {b:.6g} (exact)"
        if hits.diverged_step >= 0:
            reason += f"; the run diverged at step {hits.diverged_step}"
        reason += f"; {thm.method} with the theorem's parameters, exact gradients, constants {constants_text}"
        rows.append(
            Row(
                check=check,
                theorem=theorem_id,
                instance=instance.label,
                parameter=f"eps={e:.4g}",
                measured=float(T),
                predicted=float(b),
                worst_ratio=float(ratio),
                verdict=verdict,
                reason=reason,
                control=control,
                config={
                    "simulate": hits.config,
                    "K_bound": K_full,
                    "constants": consts,
                    "eps": float(e),
                    "eps_grid": eps.tolist(),
                    "bound_factor": bound_factor,
                    "grad_norm_x0": available["g0"],
                    "instance": {"objective": instance.objective, "params": dict(instance.params), "x0": list(instance.x0), "L1": instance.L1},
                    "horizon_search": f"K = {FIRST_HORIZON} x {HORIZON_GROWTH}^j capped at K_bound; stops once every eps is reached",
                },
            )
        )
    return rows


def run_upper(theorem_id: str, profile: Profile, seed: int) -> list[Row]:
    """Smooth instances on the common eps grid, then the near-tight huber at each eps."""
    check = f"{theorem_id}/instances"
    rows = []
    n = profile.deterministic_points
    for inst in smooth_instances():
        available = instance_constants(inst)
        rows += upper_rows(theorem_id, inst, eps_grid(UPPER_THEOREMS, available, available["g0"], n), seed, check)
    for e in near_tight_eps(n):
        rows += upper_rows(theorem_id, near_tight_instance(float(e)), [e], seed, check)
    return rows


def near_tight_eps(n: int) -> np.ndarray:
    """eps of the near-tight huber rows: log-spaced from 1 to 0.03."""
    return np.geomspace(1.0, 0.03, n) if n > 1 else np.array([0.1])


#: The eps of the wrong-bound control (on the near-tight instance) and its factor.
CONTROL_EPS = 0.1
CONTROL_FACTOR = 0.1


def run_wrong_bound_control(profile: Profile, seed: int) -> list[Row]:
    """Thm 3 (clipped GD) with its bound divided by 10, on the near-tight huber: must violate."""
    inst = near_tight_instance(CONTROL_EPS)
    return upper_rows(CLIPPED_GD_THEOREM, inst, [CONTROL_EPS], seed, f"{CLIPPED_GD_THEOREM}/control_bound_over_10",
                      bound_factor=CONTROL_FACTOR, control=True)  # fmt: skip


# ----------------------------------------------------------------------------- Thm 4 lower bound
#: Constants of the Thm 4 checks: Delta >= M/L1 for every M of the grid (a condition of the theorem).
THM4_CONSTANTS = {"L0": 1.0, "L1": 1.0, "Delta": 1000.0, "eps": 1.0}
THM4_M_RANGE = (10.0, 1000.0)
#: Step factors relative to the divergence threshold 2 x0/M: below it (slow on huber) and above it (diverges on the wall).
THM4_BELOW = (0.95, 1 / 8)
THM4_ABOVE = (1.05, 8.0)
#: The lower-bound run stops at this multiple of the predicted count (a huber run needs about predicted + a
#: short quadratic phase); on the wall, where GD diverges geometrically, after THM4_WALL_STEPS.
THM4_HORIZON_FACTOR = 4
THM4_WALL_STEPS = 2000
#: The clipped-GD control: Delta = M = 1e4 (the bound grows like M Delta/log M, clipped GD's count like Delta).
THM4_CONTROL_CONSTANTS = {"L0": 1.0, "L1": 1.0, "Delta": 1e4, "eps": 1.0, "M": 1e4}


def step_factors(n: int) -> np.ndarray:
    """h / (2 x0/M) for n steps: ceil(n/2) log-spaced below the threshold, the rest above."""
    n_below, n_above = (n + 1) // 2, n // 2
    below = np.geomspace(*THM4_BELOW, n_below) if n_below > 1 else np.array([THM4_BELOW[0]])
    above = np.geomspace(*THM4_ABOVE, n_above) if n_above > 1 else np.array([THM4_ABOVE[0]])[:n_above]
    return np.concatenate([below, above])


def divergence_threshold(constants: dict) -> float:
    """Thm 4's threshold 2 x0/M, x0 = ln(1 + M L1/L0)/L1 where the wall's slope is M (the theorem's expression)."""
    return th.numeric(H_DIVERGE, {th.L0: constants["L0"], th.L1: constants["L1"], th.M: constants["M"]})


def _run_on(instance: dict, method: str, method_params: dict, eps: float, K_full: int, K_first: int, seed: int) -> Hits:
    params = dict(instance["params"], dim=1)
    return first_hits(instance["objective"], params, [instance["x0"]], method, method_params, [eps], K_full, seed, K_first=K_first)


def fixed_step_hits(constants: dict, h: float, seed: int) -> tuple[dict, Hits]:
    """GD with step h on the Thm 4 instance chosen after h: (instance, hits)."""
    thm = get(LOWER_THEOREM)
    inst = thm.hard_instance(h=h, **constants)
    predicted = inst["predicted"]
    if math.isinf(predicted):
        K_full = K_first = THM4_WALL_STEPS
    else:
        K_full = THM4_HORIZON_FACTOR * int(math.ceil(predicted)) + 100
        K_first = int(math.ceil(1.25 * predicted)) + 64
    hits = _run_on(inst, thm.method, thm.method_params(h=h, **constants), constants["eps"], K_full, K_first, seed)
    return inst, hits


def hits_on_thm4_instances(theorem_id: str, constants: dict, seed: int) -> dict[str, Hits]:
    """A prescribed-step method (an upper-bound theorem's) on both Thm 4 instances, keyed by objective name.

    The wall is started where |f'| = M; huber is the slope-2eps instance with gap
    Delta (its declared pair (L0, 0) implies (L0, L1)).  Both are the ones Thm 4
    selects, for steps above and below the threshold.  The run is long enough to
    reach eps within the theorem's own bound (which holds on both instances).
    """
    thm4, thm = get(LOWER_THEOREM), get(theorem_id)
    threshold = divergence_threshold(constants)
    consts = theorem_constants(theorem_id, constants)
    params = thm.method_params(**{k: v for k, v in consts.items() if k != "eps"})
    out = {}
    for factor in (THM4_BELOW[0], THM4_ABOVE[0]):  # one step on each side selects each instance
        inst = thm4.hard_instance(h=factor * threshold, **constants)
        K_full = int(math.ceil(thm.predicted(**consts))) + 1
        run_seed = derive_seed(seed, theorem_id, constants["M"], inst["objective"])
        out[inst["objective"]] = _run_on(inst, thm.method, params, constants["eps"], K_full, FIRST_HORIZON, run_seed)
    return out


def clipped_gd_hits(constants: dict, seed: int) -> dict[str, Hits]:
    """Clipped GD (Thm 3 parameters) on both Thm 4 instances (see :func:`hits_on_thm4_instances`)."""
    return hits_on_thm4_instances(CLIPPED_GD_THEOREM, constants, seed)


def thm4_m_grid(n: int) -> np.ndarray:
    """The M values of the Thm 4 checks (Delta = 1000 >= M/L1 for all of them)."""
    return np.geomspace(*THM4_M_RANGE, n) if n > 1 else np.array([THM4_M_RANGE[1]])


def run_lower(profile: Profile, seed: int) -> list[Row]:
    """Per (M, h): GD on the hard instance needs >= the instance's count; per M: the headline row."""
    check = f"{LOWER_THEOREM}/fixed_steps"
    n = profile.deterministic_points
    factors = step_factors(n)
    rows = []
    for M in thm4_m_grid(n):
        constants = dict(THM4_CONSTANTS, M=float(M))
        threshold = divergence_threshold(constants)
        per_step = []
        for factor in factors:
            h = float(factor * threshold)
            inst, hits = fixed_step_hits(constants, h, derive_seed(seed, check, float(M), h))
            T, predicted = float(hits.T[0]), inst["predicted"]
            per_step.append((h, T))
            if T >= predicted:
                verdict = "complies"
                if math.isinf(T):
                    how = f"diverged at step {hits.diverged_step}" if hits.diverged_step >= 0 else f"not reached within K = {hits.K}"
                    reason = f"{how}: T_eps = inf >= predicted {_fmt(predicted)} (exact)"
                else:
                    reason = f"T_eps = {T:g} >= predicted {predicted:.6g} (exact), {T / predicted:.4g} times the count"
            else:
                verdict = "violates"
                reason = f"T_eps = {T:g} < predicted {_fmt(predicted)} (exact)"
            reason += f"; fixed-step GD, h = {factor:.3g} x 2x0/M, on the instance Thm 4 selects: {inst['description']}"
            rows.append(
                Row(
                    check=check, theorem=LOWER_THEOREM, instance=f"{inst['objective']} (selected after h), M={M:.4g}",
                    parameter=f"M={M:.4g}, h={h:.4g} ({factor:.3g} x 2x0/M)", measured=T, predicted=predicted,
                    worst_ratio=(T / predicted) if math.isfinite(predicted) else None, verdict=verdict, reason=reason,
                    config={"simulate": hits.config, "constants": dict(constants, h=h), "hard_instance": inst,
                            "step_factor": float(factor), "threshold_2x0_over_M": threshold, "diverged_step": hits.diverged_step},
                )  # fmt: skip
            )
        rows.append(headline_row(constants, per_step, seed, check))
    return rows


def headline_row(constants: dict, per_step: list[tuple[float, float]], seed: int, check: str) -> Row:
    """Best fixed step over the grid vs Thm 4's bound, with clipped GD on the same two instances."""
    thm = get(LOWER_THEOREM)
    bound = thm.predicted(**constants)
    best_h, best_T = min(per_step, key=lambda p: p[1])
    clipped = clipped_gd_hits(constants, seed)
    clipped_T = max(float(hits.T[0]) for hits in clipped.values())
    clipped_text = ", ".join(f"{name} {_fmt(float(hits.T[0]))}" for name, hits in clipped.items())
    M = constants["M"]
    verdict = "complies" if best_T >= bound else "violates"
    rel = "<" if best_T < bound else ">="
    reason = (
        f"best fixed step of the grid (h = {best_h:.4g}) needs T_eps = {_fmt(best_T)} {rel} Thm 4's bound {bound:.6g} (exact; every h "
        f"of the grid is at least its instance's count, which is >= the bound); headline: clipped GD (Thm 3 parameters) needs "
        f"{_fmt(clipped_T)} on the worst of the same two instances ({clipped_text}), GD/clipped = {best_T / clipped_T:.3g}; "
        f"GD's count grows like M/log(1 + M) = {M / math.log1p(M):.4g} (best T / that = {best_T / (M / math.log1p(M)):.4g}); "
        f"clipped GD's worst count does not grow with M (its bound is M-free; on the wall it grows only like log M)"
    )
    return Row(
        check=check, theorem=LOWER_THEOREM, instance="best fixed step over the h grid vs clipped GD (headline)",
        parameter=f"M={M:.4g}", measured=best_T, predicted=bound, worst_ratio=best_T / bound, verdict=verdict, reason=reason,
        config={"constants": constants, "gd_steps_and_T": per_step, "gd_best_h": best_h, "clipped_gd_T": {k: float(v.T[0]) for k, v in clipped.items()},
                "clipped_gd_worst_T": clipped_T, "clipped_gd_simulate": {k: v.config for k, v in clipped.items()},
                "M_over_log1p_M": M / math.log1p(M)},
    )  # fmt: skip


def run_lower_control(profile: Profile, seed: int) -> list[Row]:
    """Thm 4's lower bound asserted for clipped GD at M = Delta = 1e4: must violate."""
    thm = get(LOWER_THEOREM)
    constants = dict(THM4_CONTROL_CONSTANTS)
    bound = thm.predicted(**constants)
    clipped = clipped_gd_hits(constants, seed)
    worst = max(float(h.T[0]) for h in clipped.values())
    detail = ", ".join(f"{name} {_fmt(float(h.T[0]))}" for name, h in clipped.items())
    verdict = "complies" if worst >= bound else "violates"
    reason = (
        f"clipped GD (Thm 3 parameters) needs at most {_fmt(worst)} ({detail}) on the two instances Thm 4 selects, "
        f"{'>=' if worst >= bound else '<'} the fixed-step lower bound {bound:.6g} (exact): clipped GD is not a fixed-step method"
    )
    return [
        Row(
            check=f"{LOWER_THEOREM}/control_clipped_gd", theorem=LOWER_THEOREM,
            instance="Thm 4 hard instances (wall from |f'| = M, huber with gap Delta), clipped GD", parameter=f"M={constants['M']:g}",
            measured=worst, predicted=bound, worst_ratio=worst / bound, verdict=verdict, reason=reason, control=True,
            config={"constants": constants, "clipped_gd_T": {k: float(v.T[0]) for k, v in clipped.items()},
                    "simulate": {k: v.config for k, v in clipped.items()}},
        )  # fmt: skip
    ]


# ----------------------------------------------------------------------------- registration
def _upper_check(theorem_id: str):
    def run(profile: Profile, seed: int) -> list[Row]:
        return run_upper(theorem_id, profile, seed)

    return run


for _tid in UPPER_THEOREMS:
    register(
        Check(
            name=f"{_tid}/instances",
            theorem=_tid,
            run=_upper_check(_tid),
            description="prescribed method, exact gradients: T_eps <= bound exactly on smooth and near-tight instances",
        )
    )
register(
    Check(
        name=f"{CLIPPED_GD_THEOREM}/control_bound_over_10",
        theorem=CLIPPED_GD_THEOREM,
        run=run_wrong_bound_control,
        description="negative control: Thm 3's bound divided by 10 on the near-tight instance must be violated",
        control=True,
    )
)
register(
    Check(
        name=f"{LOWER_THEOREM}/fixed_steps",
        theorem=LOWER_THEOREM,
        run=run_lower,
        description="fixed-step GD on the hard instance chosen after h needs >= the predicted count; headline vs clipped GD",
    )
)
register(
    Check(
        name=f"{LOWER_THEOREM}/control_clipped_gd",
        theorem=LOWER_THEOREM,
        run=run_lower_control,
        description="negative control: the fixed-step lower bound asserted for clipped GD must be violated",
        control=True,
    )
)
