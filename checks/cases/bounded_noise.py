"""Checks of ICLR20 Theorems 7 and 8: (clipped) SGD with almost-surely bounded noise.

Zhang, He, Sra, Jadbabaie, ICLR 2020 (arXiv 1905.11881), Theorem 7 (clipped SGD)
and Theorem 8 (SGD) assume ``||g - grad f|| <= tau`` almost surely; the
simulator's ``bounded`` law (uniform in the ball of radius tau) satisfies it.
Both bounds are "derived here, consistent with" the paper (``theory/``); every
prescribed parameter and every bound below is read from the Theorem objects.

What is measured
----------------
Each horizon K is a separate run with the theorem's K-dependent parameters.
Both theorems bound the average over ``x_0 .. x_{K-1}`` (``compare_at``: step
K - 1), so the quantity is read at step K - 1 of a K-step run -- not at step K,
which would average K + 1 iterates (:func:`checks.measure.horizon_sweep`
reads step K, hence the sweep of this module).

* Value rows: ``E X <= B(K)`` by Markov's inequality and an exact binomial test
  (:func:`checks.measure.markov_row`), false-alarm probability <= 1e-3 per row.
* Rate rows: log-log slope over the horizons where the bound is exactly its
  leading term ``C K^(-1/2)`` (every Min of the bound on its asymptotic branch,
  found from the Theorem's own ``predicted``), one-sided false-alarm ~0.005.
* Theorem 8 assumes ``||grad f(x_k)|| <= M`` along the trajectory and
  ``K >= e^2 (L0 + L1 M)^2``.  The horizon condition is checked by the Theorem
  object (horizons where it fails are left out and named).  The trajectory
  condition must hold almost surely, so it is *proved*, not observed: M is the
  bound certified by an invariant box (below), and the value row averages
  every replicate.  Selecting the runs that stayed in the region would
  estimate the conditional expectation ``E[X | max_k ||grad f(x_k)|| <= M]``,
  which the theorem does not bound, so no run is ever dropped: an instance
  whose M is not certified gets a ``not_applicable`` row whatever its runs
  did, and a certified instance on which some replicate exceeds M refutes
  the certificate (the row violates).  The measured ``max_k ||grad f(x_k)||``
  per replicate tests the certificate.

Choosing M (derived here)
-------------------------
For a separable objective ``f(x) = sum_i phi(x_i)`` with ``phi`` even, the box
``[-X, X]^d`` is invariant under ``x <- x - h (grad f(x) + xi)`` with
``||xi|| <= tau`` (so ``|xi_i| <= tau``) whenever

    sup_{0 <= t <= X} |t - h phi'(t)| + h tau <= X,

because each coordinate moves by ``t -> t - h phi'(t) - h xi_i`` and ``phi'`` is
odd.  Then ``M = sqrt(d) sup_{[0, X]} |phi'|`` bounds ``||grad f||`` on every
trajectory started in the box, almost surely.  The suprema are evaluated on a
grid with a Lipschitz margin from the (L0, L1) pair (``|phi''| <= L0 + L1 |phi'|``),
so they are upper bounds, not estimates.  :func:`certified_gradient_bound`
finds the smallest such X on a geometric grid; the checks still measure
``max_k ||grad f(x_k)||`` per replicate, which tests the argument.

Tightness
---------
No instance is designated tight.  On a convex f the bounds' exponent -1/2 is
attained (derived here: for SGD, convexity gives ``E f(x_{k+1}) >= E f(x_k) - h
E||grad f(x_k)||^2``, so ``(1/K) sum_{k<K} E||grad f(x_k)||^2 >= (Delta - E(f(x_K) - f*))/(hK)``,
of order ``K^{-1/2}`` with ``h = K^{-1/2}``; it covers Theorem 7 on the instances
where no step is clipped and every ``||grad f|| <= 1``, as measured on the first
one, since the run is then SGD and ``min{g, g^2} = g^2``), and the measured means sit within
a factor of about 3 (Thm 7) and 2 (Thm 8) of the bounds.  But over a finite
window the discretisation factor ``1/(1 - L h/2)`` makes the slope steeper
than -1/2 by about ``L/(4 sqrt K)`` (on the exponential wall, -0.504 for Thm 7
and -0.510 for Thm 8 with +-0.002 intervals at R = 200), which the ``tight``
rule (the interval must contain -1/2) rejects: the rate rows report compliance
with a faster-than-bound slope.

Missing noise law
-----------------
A bounded law far from isotropic (e.g. skewed two-point, or concentrated on
one axis) cannot be built from the registered laws: ``bounded`` is the only
bounded one and it is rotation invariant.  Only the isotropic ball is checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

import sims
from sims.engine import METRICS
from sims.objectives import OBJECTIVES
from sims.params import InvalidParameter
from theory.catalog import get
from theory.theorem import InvalidConstant, Theorem

from ..core import Check, Profile, Row, register
from ..measure import derive_seed, markov_row, rate_row
from ..stats import quantile_ci

THM7 = get("iclr20_thm7_clipped_sgd")
THM8 = get("iclr20_thm8_sgd")
NOISE = "bounded"

#: Separable objectives sum_i phi(x_i) with phi even: the invariant-box argument applies.
SEPARABLE_EVEN = ("exp_wall", "cosh", "quartic", "double_well")

# Recording every step stores len(METRICS) floats per (step, replicate); replicates
# are run in batches so that one batch's records stay below this many bytes.
_RECORD_BYTES = 64 * 2**20
_GRID_POINTS = 4097
# The bounded law is exact up to a few ulps (sims.noise); the box argument is run
# with this much larger radius so that rounding cannot leave the box.
_TAU_ROUNDING = 1e-12


# ----------------------------------------------------------------------------- instances
@dataclass(frozen=True)
class Instance:
    """An objective with a declared (L0, L1) pair, a noise radius and a start.

    Attributes
    ----------
    label : str
        What makes the instance special (shown in the report).
    objective : str
        One of :data:`SEPARABLE_EVEN`.
    L0, L1 : float
        An (L0, L1) pair the objective declares (or one dominating it).
    tau : float
        Radius of the ``bounded`` noise law: the theorems' almost-sure bound.
    x0 : float
        Start, the same in every coordinate; not a minimiser (Delta > 0).
    objective_params : dict
        Its parameters (``dim`` is taken from ``dim``).
    dim : int
    M : float or None
        Theorem 8's gradient bound; None: the certified bound of the invariant box.
    rate : bool
        Also fit the rate (on the horizons where the bound is its leading term).
    """

    label: str
    objective: str
    L0: float
    L1: float
    tau: float
    x0: float
    objective_params: dict = field(default_factory=dict)
    dim: int = 1
    M: float | None = None
    rate: bool = False

    def __post_init__(self):
        if self.objective not in SEPARABLE_EVEN:
            raise InvalidParameter(f"instance objective must be one of {SEPARABLE_EVEN}, got {self.objective!r}")
        for name in ("L0", "L1", "tau"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 < value < math.inf):
                raise InvalidParameter(f"instance {name} must be a positive finite number, got {value!r}")
        if not (isinstance(self.x0, (int, float)) and math.isfinite(self.x0)):
            raise InvalidParameter(f"instance x0 must be a finite number, got {self.x0!r}")
        if isinstance(self.dim, bool) or not isinstance(self.dim, int) or self.dim < 1:
            raise InvalidParameter(f"instance dim must be an integer >= 1, got {self.dim!r}")
        if self.M is not None and not (isinstance(self.M, (int, float)) and 0 < self.M < math.inf):
            raise InvalidParameter(f"instance M must be None or a positive finite number, got {self.M!r}")
        obj, vals = _resolved(self.objective, self.objective_params, self.dim)
        if not initial_gap(self)[0] > 0:
            raise InvalidParameter(f"instance x0 = {self.x0!r} is a minimiser of {self.objective!r}: Delta = 0 is outside the theorems' range (0, inf)")
        pairs = obj.pairs(self.dim, vals)
        # (L0', L1') valid and L0 >= L0', L1 >= L1' imply (L0, L1) valid.
        if not any(a <= self.L0 * (1 + 1e-12) and b <= self.L1 * (1 + 1e-12) for a, b in pairs):
            raise InvalidParameter(
                f"instance (L0, L1) = ({self.L0}, {self.L1}) is not dominated by a declared pair of "
                f"{self.objective!r}: {pairs}"
            )

    def simulate_kwargs(self) -> dict:
        """Arguments of :func:`sims.simulate` shared by every run on this instance."""
        return {
            "objective": self.objective,
            "noise": NOISE,
            "x0": float(self.x0),
            "objective_params": {**self.objective_params, "dim": self.dim},
            "noise_params": {"radius": self.tau},
        }

    def describe(self) -> str:
        params = ", ".join(f"{k}={v:g}" for k, v in self.objective_params.items())
        return (
            f"{self.objective}({params}{', ' if params else ''}d={self.dim}), pair ({self.L0:.4g}, {self.L1:.4g}), "
            f"bounded noise tau={self.tau:g}, x0={self.x0:g}: {self.label}"
        )


def _resolved(objective: str, params: dict, dim: int):
    obj = OBJECTIVES.get_component(objective)
    return obj, obj.resolve({**params, "dim": dim})


def initial_gap(inst: Instance) -> tuple[float, float]:
    """``(Delta, ||grad f(x0)||)``: the initial gap f(x0) - f* and gradient norm."""
    obj, vals = _resolved(inst.objective, inst.objective_params, inst.dim)
    x = np.full(inst.dim, float(inst.x0))
    g = np.empty(inst.dim)
    f = obj.value_and_grad(obj.pack(vals), x, g)
    return float(f - obj.f_star(inst.dim, vals)), float(np.linalg.norm(g))


def _phi_prime(inst: Instance, t: np.ndarray) -> np.ndarray:
    """phi'(t) of the one-dimensional term, from the simulator's own kernel."""
    obj, vals = _resolved(inst.objective, inst.objective_params, 1)
    p = obj.pack(vals)
    x, g = np.empty(1), np.empty(1)
    out = np.empty(t.size)
    for i, ti in enumerate(t):
        x[0] = ti
        obj.value_and_grad(p, x, g)
        out[i] = g[0]
    return out


def box_bounds(inst: Instance, X: float) -> tuple[float, np.ndarray, np.ndarray, float]:
    """Upper bound on ``sup_{[0, X]} |phi'|``, with the grid, phi' on it, and its spacing.

    ``|phi'(t) - phi'(s)| <= (L0 + L1 S)|t - s|`` on [0, X] with S the sup, so
    ``S <= G + (s/2)(L0 + L1 S)`` with G the grid maximum and s the spacing:
    ``S <= (G + s L0/2) / (1 - s L1/2)`` (derived here; needs s L1 < 2).
    """
    t = np.linspace(0.0, X, _GRID_POINTS)
    spacing = t[1] - t[0]
    if spacing * inst.L1 >= 2.0:
        raise InvalidParameter(f"box half-width X = {X:g} is too large for the grid (X L1 must be < {2 * (_GRID_POINTS - 1)})")
    dphi = _phi_prime(inst, t)
    sup = (np.max(np.abs(dphi)) + spacing * inst.L0 / 2) / (1 - spacing * inst.L1 / 2)
    return float(sup), t, dphi, float(spacing)


def box_is_invariant(inst: Instance, X: float, step: float, bounds=None) -> bool:
    """Whether ``[-X, X]^d`` is invariant under one SGD step of size ``step`` (module docstring).

    ``sup_{[0, X]} |t - h phi'(t)|`` is bounded by its grid maximum plus half a
    spacing times its Lipschitz constant ``1 + h (L0 + L1 S)``.  ``bounds`` is
    :func:`box_bounds` of ``(inst, X)`` when already computed.
    """
    sup, t, dphi, spacing = box_bounds(inst, X) if bounds is None else bounds
    u = np.max(np.abs(t - step * dphi)) + spacing / 2 * (1 + step * (inst.L0 + inst.L1 * sup))
    return bool(u + step * inst.tau * (1 + _TAU_ROUNDING) <= X)


def certified_gradient_bound(inst: Instance, horizons, max_growths: int = 80) -> tuple[float, float]:
    """``(X, M)``: the smallest box half-width X on a geometric grid invariant under Theorem 8's
    step at every horizon where the theorem applies, and ``M = sqrt(d) sup_{[0,X]} |phi'|``.

    The grid starts at ``|x0|`` (the box must contain the start) and grows by 1.25.

    Raises
    ------
    InvalidParameter
        When no box up to ``1.25**max_growths`` times the first is invariant.
    """
    delta, _ = initial_gap(inst)
    X = max(abs(float(inst.x0)), 1e-3 / inst.L1)
    for _ in range(max_growths):
        bounds = box_bounds(inst, X)
        M = math.sqrt(inst.dim) * bounds[0]
        steps = []
        for K in horizons:
            try:
                steps.append(THM8.method_params(**_thm8_constants(inst, delta, M, K))["lr"])
            except InvalidConstant:  # K >= e^2 (L0 + L1 M)^2 fails: no run at this K
                continue
        if all(box_is_invariant(inst, X, h, bounds) for h in steps):
            return X, M
        X *= 1.25
    raise InvalidParameter(f"no invariant box found for {inst.describe()}")


def _thm7_constants(inst: Instance, delta: float, K: int) -> dict:
    return {"L0": inst.L0, "L1": inst.L1, "tau": inst.tau, "Delta": delta, "K": K}


def _thm8_constants(inst: Instance, delta: float, M: float, K: int) -> dict:
    return {"L0": inst.L0, "L1": inst.L1, "tau": inst.tau, "Delta": delta, "M": M, "K": K}


# ----------------------------------------------------------------------------- sweep
@dataclass
class HorizonRun:
    """The replicates of one horizon's run.

    Attributes
    ----------
    K : int
    values : ndarray
        The theorem's quantity at step K - 1, per replicate (+inf if diverged).
    clip_fraction : ndarray
        Fraction of the K steps that were clipped, per replicate.
    max_grad : ndarray or None
        ``max_{k < K} ||grad f(x_k)||`` per replicate (+inf if diverged), when tracked.
    config : dict
        Simulator arguments and the seed and size of every batch of replicates.
    """

    K: int
    values: np.ndarray
    clip_fraction: np.ndarray
    max_grad: np.ndarray | None
    config: dict


def sweep(thm: Theorem, inst: Instance, constants_at, horizons, R: int, base_seed: int, tag: str, track_max_grad: bool) -> list[HorizonRun]:
    """One run of ``R`` replicates per horizon with the theorem's parameters for that K.

    Parameters
    ----------
    thm : Theorem
    inst : Instance
    constants_at : callable K -> dict
        The theorem's constants at horizon K.
    horizons : sequence of int
    R : int
    base_seed : int
    tag : str
        Distinguishes this sweep's seeds (:func:`checks.measure.derive_seed`).
    track_max_grad : bool
        Record every step to measure ``max_k ||grad f(x_k)||`` (replicates are
        then run in batches; each batch has its own derived seed).
    """
    if isinstance(R, bool) or not isinstance(R, int) or R < 2:
        raise InvalidParameter(f"R must be an integer >= 2, got {R!r}")
    runs = []
    for K in horizons:
        K = int(K)
        setup = thm.simulation(**constants_at(K))
        per_replicate = (K + 1) * len(METRICS) * 8
        batch = max(1, min(R, _RECORD_BYTES // per_replicate)) if track_max_grad else R
        parts, batches = [], []
        for b, r0 in enumerate(range(0, R, batch)):
            n = min(batch, R - r0)
            seed = derive_seed(base_seed, tag, K, b)
            res = sims.simulate(
                method=setup["method"], K=K, R=n, seed=seed, record="all" if track_max_grad else [K - 1],
                method_params=setup["method_params"], avg_power=setup["avg_power"], **inst.simulate_kwargs(),
            )  # fmt: skip
            mx = None
            if track_max_grad:
                g = res.records["grad_norm"][:K]  # steps 0..K-1; nan after divergence
                mx = np.where(res.diverged & (res.diverged_step < K), math.inf, np.nanmax(g, axis=0))
            parts.append((res.values(setup["metric"], K - 1), res.values("clip_fraction", K, diverged_as=math.nan), mx))
            batches.append({"seed": seed, "R": n})
        config = {k: v for k, v in res.config.items() if k not in ("seed", "R", "record_steps")}
        config.update(batches=batches, record="all" if track_max_grad else [K - 1], read_step=K - 1, metric=setup["metric"])
        runs.append(
            HorizonRun(
                K=K,
                values=np.concatenate([p[0] for p in parts]),
                clip_fraction=np.concatenate([p[1] for p in parts]),
                max_grad=np.concatenate([p[2] for p in parts]) if track_max_grad else None,
                config=config,
            )
        )
    return runs


def leading_term_window(thm: Theorem, constants_at, horizons) -> list[int]:
    """The horizons (a suffix) over which the bound is exactly ``C K^r``, r the rate exponent.

    There every Min of the bound is on its asymptotic branch, so its leading
    term is the whole bound; consecutive log-log slopes of ``thm.predicted``
    equal r to rounding.
    """
    r = float(thm.rate_exponent())
    hs = sorted(int(K) for K in horizons)
    window = hs[-1:]
    for a, b in zip(reversed(hs[:-1]), reversed(hs[1:])):
        slope = math.log(thm.predicted(**constants_at(b)) / thm.predicted(**constants_at(a))) / math.log(b / a)
        if abs(slope - r) > 1e-9:
            break
        window.insert(0, a)
    return window


# ----------------------------------------------------------------------------- rows
def _robust_text(runs: list[HorizonRun], worst_K: int) -> str:
    """Median with its distribution-free 95% interval and the 90% quantile at the worst horizon."""
    run = next(r for r in runs if r.K == worst_K)
    med, lo, hi = quantile_ci(run.values, 0.5)
    q90 = quantile_ci(run.values, 0.9)[0]
    return f" Robust, at K={worst_K}: median {med:.4g} [{lo:.4g}, {hi:.4g}] (95%, order statistics), 90% quantile {q90:.4g}."


def value_row(check: str, thm: Theorem, inst: Instance, runs: list[HorizonRun], constants_at, *, bound_factor: float = 1.0, control: bool = False, note: str = "") -> Row:
    """Markov row of ``E X <= bound_factor * B(K)`` over the runs' horizons."""
    bounds = [bound_factor * thm.predicted(**constants_at(r.K)) for r in runs]
    labels = [f"K={r.K}" for r in runs]
    row = markov_row(
        check=check,
        theorem=thm.id,
        instance=inst.describe(),
        parameter=f"K in {{{', '.join(str(r.K) for r in runs)}}}" + (f", bound x {bound_factor:g}" if bound_factor != 1.0 else ""),
        samples_per_point=[r.values for r in runs],
        bounds=bounds,
        labels=labels,
        config={"noise": NOISE, "constants": [constants_at(r.K) for r in runs], "bound_factor": bound_factor, "runs": [r.config for r in runs]},
        control=control,
    )
    worst_K = runs[int(np.argmax([np.mean(r.values) / b for r, b in zip(runs, bounds)]))].K  # markov_row's worst point
    row.reason += _robust_text(runs, worst_K)
    if thm.method != "sgd":
        clipped = float(np.nanmean(np.concatenate([r.clip_fraction for r in runs])))
        row.reason += f" Clipped steps: {clipped:.3g} of all steps."
    row.reason += note
    return row


def rate_fit_row(check: str, thm: Theorem, inst: Instance, runs: list[HorizonRun], constants_at, profile: Profile, seed: int, *, exponent: float | None = None, control: bool = False) -> Row:
    """Rate row over the horizons where the bound is its leading term (``exponent``: the theorem's unless given)."""
    window = leading_term_window(thm, constants_at, [r.K for r in runs])
    theirs = float(thm.rate_exponent())
    exponent = theirs if exponent is None else exponent
    parameter = f"log-log slope vs exponent {exponent:g}"
    if len(window) < 2:
        return Row(
            check=check, theorem=thm.id, instance=inst.describe(), parameter=parameter, measured=None,
            predicted=exponent, verdict="not_applicable", control=control,
            reason=f"the bound is its leading term C K^{theirs:g} on fewer than two of the horizons "
            f"{[r.K for r in runs]} (window {window}): no rate to fit",
            config={"horizons": [r.K for r in runs], "window": window},
        )  # fmt: skip
    chosen = [r for r in runs if r.K in window]
    return rate_row(
        check=check,
        theorem=thm.id,
        instance=inst.describe(),
        parameter=parameter + f", window K in [{window[0]}, {window[-1]}]",
        horizons=window,
        samples=[r.values for r in chosen],
        exponent=exponent,
        tight=False,
        config={"window": window, "constants": [constants_at(K) for K in window], "runs": [r.config for r in chosen]},
        n_boot=profile.n_boot,
        seed=derive_seed(seed, check, "bootstrap"),
        control=control,
    )


# ----------------------------------------------------------------------------- Theorem 7
#: exp_wall with L0 <= 1/2, 128 L1 tau <= 10 and 32 L1 <= 10: eta = 1/sqrt(K) and the bound is
#: exactly C K^{-1/2} for every K >= 100; gradients stay below 1 (no clipping, min{g, g^2} = g^2).
THM7_INSTANCES = (
    Instance("near the minimum, eta = 1/sqrt(K) regime", "exp_wall", 0.5, 0.25, 0.25, 2.0, {"L0": 0.5, "L1": 0.25}, rate=True),
    Instance("start on the wall, |f'(x0)| = 100 L0/L1: clipping active", "exp_wall", 1.0, 1.0, 1.0, math.log(101.0), {"L0": 1.0, "L1": 1.0}),
    Instance("|f'(x0)| = 20, eta = 1/(128 L1 tau)", "cosh", 2.0, 1.0, 0.5, 3.0),
    Instance("not strongly convex at the minimum", "quartic", 0.64, 0.5, 0.1, 2.0, {"a": 0.01}),
    Instance("non-convex, starts outside the wells, pair (2, 3)", "double_well", 2.0, 3.0, 0.5, 2.0),
    Instance("three dimensions (noise uniform in the 3-ball)", "exp_wall", 0.5, 0.25, 0.25, 2.0, {"L0": 0.5, "L1": 0.25}, dim=3),
)


def _thm7_runs(inst: Instance, profile: Profile, seed: int, tag: str):
    delta, _ = initial_gap(inst)
    constants_at = lambda K: _thm7_constants(inst, delta, K)  # noqa: E731
    runs = sweep(THM7, inst, constants_at, profile.horizons, profile.replicates, seed, tag, track_max_grad=False)
    return runs, constants_at


def run_thm7(profile: Profile, seed: int, instances=THM7_INSTANCES) -> list[Row]:
    """Theorem 7 on each instance: one value row, plus a rate row where asked."""
    check = "iclr20_thm7_clipped_sgd/bounded_noise"
    rows = []
    for inst in instances:
        runs, constants_at = _thm7_runs(inst, profile, seed, f"thm7/{inst.describe()}")
        rows.append(value_row(check, THM7, inst, runs, constants_at))
        if inst.rate:
            rows.append(rate_fit_row(check, THM7, inst, runs, constants_at, profile, seed))
    return rows


def run_thm7_control(profile: Profile, seed: int) -> list[Row]:
    """Negative control: Theorem 7's bound divided by 100 must be violated."""
    check = "iclr20_thm7_clipped_sgd/control_bound_over_100"
    inst = THM7_INSTANCES[0]
    runs, constants_at = _thm7_runs(inst, profile, seed, f"thm7/{inst.describe()}")
    return [value_row(check, THM7, inst, runs, constants_at, bound_factor=0.01, control=True, note=" Deliberately wrong bound: must violate.")]


# ----------------------------------------------------------------------------- Theorem 8
THM8_INSTANCES = (
    Instance("near the minimum, h = 1/sqrt(K) regime", "exp_wall", 0.5, 0.25, 0.25, 2.0, {"L0": 0.5, "L1": 0.25}, rate=True),
    Instance("exponential growth, L0 = 2: short horizons fail K >= e^2 (L0 + L1 M)^2", "cosh", 2.0, 1.0, 0.5, 1.0),
    Instance("not strongly convex at the minimum", "quartic", 0.16, 1.0, 0.05, 2.0, {"a": 0.01}),
    Instance("non-convex, pair (2 + 16/(3 sqrt 3), 1)", "double_well", 2.0 + 16.0 / (3.0 * math.sqrt(3.0)), 1.0, 0.5, 1.5),
    # M = ||grad f(x0)|| = 0.10 < tau, not certified (no invariant box has sup |f'| <= M): not_applicable,
    # and the noise indeed pushes replicates out of the region at once.
    Instance("M = ||grad f(x0)|| below tau: replicates leave the region", "exp_wall", 0.5, 0.25, 0.25, 0.2, {"L0": 0.5, "L1": 0.25}, M=2 * math.expm1(0.05)),
)


def _thm8_runs(inst: Instance, profile: Profile, seed: int, tag: str):
    """Runs at the horizons where the theorem applies, with M certified (or the instance's).

    Returns
    -------
    runs : list of HorizonRun
    constants_at : callable K -> dict
    M : float
    skipped : list of int
        Horizons where ``K >= e^2 (L0 + L1 M)^2`` fails.
    certified : bool
        Whether ``||grad f(x_k)|| <= M`` is proved on every trajectory: M is the invariant box's
        bound, or a given M at least as large as it.
    """
    delta, _ = initial_gap(inst)
    try:
        box_M = certified_gradient_bound(inst, profile.horizons)[1]
    except InvalidParameter:  # no invariant box: a given M cannot be certified
        if inst.M is None:
            raise
        box_M = math.inf
    M = box_M if inst.M is None else inst.M
    certified = box_M <= M
    constants_at = lambda K: _thm8_constants(inst, delta, M, K)  # noqa: E731
    applicable, skipped = [], []
    for K in profile.horizons:
        try:
            THM8.evaluate(**constants_at(K))
            applicable.append(K)
        except InvalidConstant:
            skipped.append(K)
    runs = sweep(THM8, inst, constants_at, applicable, profile.replicates, seed, tag, track_max_grad=True)
    return runs, constants_at, M, skipped, certified


def _escapes(runs: list[HorizonRun], M: float) -> list[str]:
    """The horizons at which some replicate reached ``||grad f(x_k)|| > M``, described."""
    out = []
    for r in runs:
        n = int(np.sum(~(r.max_grad <= M)))
        if n:
            out.append(f"K={r.K} ({n} of {r.max_grad.size} replicates reach ||grad f|| > M, max {np.max(r.max_grad):.4g})")
    return out


def run_thm8(profile: Profile, seed: int, instances=THM8_INSTANCES) -> list[Row]:
    """Theorem 8 on each instance where its trajectory condition is proved (module docstring).

    Every replicate of every applicable horizon enters the average: the
    theorem bounds the unconditional expectation, so no run is ever selected
    by whether it stayed in the region.  Where M is not certified the row is
    ``not_applicable`` (whatever the runs did); where it is certified, a
    replicate reaching ``||grad f|| > M`` refutes the certificate, and the row
    violates.
    """
    check = "iclr20_thm8_sgd/bounded_noise"
    rows = []
    for inst in instances:
        runs, constants_at, M, skipped, certified = _thm8_runs(inst, profile, seed, f"thm8/{inst.describe()}")
        how = "certified by the invariant box" if certified else "given, not certified"
        escapes = _escapes(runs, M)
        excluded = f" Left out: K={skipped} (K >= e^2 (L0 + L1 M)^2 fails)." if skipped else ""
        base = dict(check=check, theorem=THM8.id, instance=inst.describe(), parameter=f"M={M:.4g} ({how})",
                    measured=None, predicted=None)  # fmt: skip
        config = {"M": M, "certified": certified, "skipped": skipped, "runs": [r.config for r in runs]}
        if not certified:
            observed = f" Observed: {'; '.join(escapes)}." if escapes else " Observed: no replicate left the region, which proves nothing."
            rows.append(Row(**base, verdict="not_applicable", config=config, reason=(
                f"||grad f(x_k)|| <= M is not proved on every trajectory (no invariant box with sqrt(d) sup |phi'| <= M = {M:.4g}): "
                "the theorem bounds the expectation over all trajectories, and averaging only the runs that stayed "
                "in the region would estimate a conditional expectation it does not bound." + observed + excluded)))  # fmt: skip
            continue
        if not runs:
            rows.append(Row(**base, verdict="not_applicable", config=config,
                            reason=f"K >= e^2 (L0 + L1 M)^2 fails at every horizon {list(profile.horizons)}." + excluded))  # fmt: skip
            continue
        if escapes:
            rows.append(Row(**base, verdict="violates", config=config, reason=(
                f"the invariant-box certificate M = {M:.4g} is refuted: {'; '.join(escapes)}." + excluded)))  # fmt: skip
            continue
        max_seen = max(float(np.max(r.max_grad)) for r in runs)
        note = f" M = {M:.4g} ({how}); max_k ||grad f(x_k)|| over all replicates {max_seen:.4g}." + excluded
        row = value_row(check, THM8, inst, runs, constants_at, note=note)
        row.parameter += f", M={M:.4g}"
        rows.append(row)
        if inst.rate:
            rows.append(rate_fit_row(check, THM8, inst, runs, constants_at, profile, seed))
    return rows


def run_thm8_control(profile: Profile, seed: int) -> list[Row]:
    """Negative controls on Theorem 8: the bound divided by 100, and the exponent -1 instead of -1/2."""
    check = "iclr20_thm8_sgd/control_wrong_bound_and_exponent"
    inst = THM8_INSTANCES[0]
    runs, constants_at, M, _, certified = _thm8_runs(inst, profile, seed, f"thm8/{inst.describe()}")
    if not certified or _escapes(runs, M):
        raise RuntimeError(f"the control instance's M must be certified and hold on every path: {inst.describe()}")
    return [
        value_row(check, THM8, inst, runs, constants_at, bound_factor=0.01, control=True, note=" Deliberately wrong bound: must violate."),
        rate_fit_row(check, THM8, inst, runs, constants_at, profile, seed, exponent=-1.0, control=True),
    ]


register(Check("iclr20_thm7_clipped_sgd/bounded_noise", THM7.id, run_thm7, "clipped SGD, noise uniform in the tau-ball: E avg_min_grad <= bound at each K, and the K^-1/2 rate"))
register(Check("iclr20_thm7_clipped_sgd/control_bound_over_100", THM7.id, run_thm7_control, "CONTROL: Theorem 7's bound divided by 100 must be violated", control=True))
register(Check("iclr20_thm8_sgd/bounded_noise", THM8.id, run_thm8, "SGD, noise uniform in the tau-ball, M certified: E avg_grad_norm_sq <= bound where the conditions hold, and the rate"))
register(Check("iclr20_thm8_sgd/control_wrong_bound_and_exponent", THM8.id, run_thm8_control, "CONTROL: Theorem 8's bound / 100 and exponent -1 must be violated", control=True))
