"""Theorems as executable objects (in the style of PEPit).

A :class:`Theorem` holds one published or derived convergence guarantee as
data: its assumptions (sympy symbols with declared ranges), the method as the
simulator's registry name, the prescribed parameters as sympy expressions in
the problem constants, the horizon ``K`` and the step ``k``, the bounded
quantity (named exactly as the simulator records it) and the bound itself.

Policy for constants (``docs/mathematics.md#policy-for-constants``)
-------------------------------------------------------------------
``constants == "published"``
    the bound is the paper's.  When only its order is published
    (``order_only=True``) the bound carries the unknown factor
    :data:`C_UNKNOWN` and cannot be evaluated numerically.
``constants == "derived"``
    the explicit constants were derived in this project, "consistent with"
    the cited result.  The derivation is stored next to the theorem as a tuple
    of :class:`Step` objects (inequalities with their justification) and every
    step is checked by :meth:`Step.verify` (symbolically when sympy can prove
    it, otherwise on many random inputs including edge values).

How a check produces a PEPit-style pair ``(measured, predicted)``
-----------------------------------------------------------------
1. ``setup = thm.simulation(K=..., **constants)`` gives the method name, its
   parameters as :class:`sandbox.schedules.PowerSchedule` objects or floats
   (pass them as ``method_params`` to ``sims.simulate``), ``avg_power``, the
   metric name to read, the statistic and the step to compare at.
2. Run the simulator on an instance satisfying the theorem's assumptions
   (``thm.function_class``, ``thm.noise``); a lower bound names its hard
   instance: ``thm.hard_instance(**constants)`` (objective, parameters, x0).
3. ``measured`` is ``thm.statistic`` of ``result.values(thm.quantity, step)``
   over replicates at the step ``thm.compare_at`` describes ("value": a
   deterministic run; "mean": the replicate mean; "second_moment": the mean
   of the square); for ``quantity == "iterations_to_eps"`` it is the first
   recorded step with ``grad_norm <= eps`` (record every step).
4. ``predicted = thm.predicted(**constants)``.
5. Compare by ``thm.kind``: "upper": measured <= predicted; "lower":
   measured >= predicted (for the worst case over ``thm.instances``);
   "tight": measured ~ predicted.  Statistical slack is the check's business.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Mapping

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from sandbox.intervals import IntervalMixin
from sandbox.names import COMPONENT_PARAMETERS, METHOD_NAMES, QUANTITIES
from sandbox.schedules import PowerSchedule


class InvalidConstant(ValueError):
    """A constant is missing, unknown, outside its range, or violates a condition.

    The message names the theorem, the constant and its valid range.
    """


class OrderOnly(ValueError):
    """The theorem publishes only an order: its bound has no numeric value."""


class DerivationError(AssertionError):
    """A derivation step failed its check; the message holds a counterexample."""


# ----------------------------------------------------------------------------- stable functions
class phi(sp.Function):
    """phi(s) = e^s - s - 1, the profile of the (L0, L1) descent model.

    A function of its own so that numeric checks evaluate it without the
    cancellation of ``exp(s) - s - 1`` at small s (see :func:`_phi_numpy`);
    :func:`elementary` rewrites it for symbolic simplification.
    """

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.Integer(0)

    def fdiff(self, argindex=1):
        return expm1(self.args[0])

    def _eval_is_nonnegative(self):
        if self.args[0].is_real:
            return True


def _phi_numpy(x):
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-3
    xs = np.where(small, x, 0.0)
    series = xs**2 / 2 * (1 + xs / 3 * (1 + xs / 4 * (1 + xs / 5)))
    with np.errstate(over="ignore"):
        direct = np.expm1(np.where(small, 1.0, x)) - np.where(small, 1.0, x)
    return np.where(small, series, direct)


_NUMERIC_MODULES = [{"phi": _phi_numpy}, "numpy"]


def elementary(expr: sp.Expr) -> sp.Expr:
    """``expr`` with phi, expm1 and log1p rewritten in exp and log."""
    expr = expr.replace(phi, lambda x: sp.exp(x) - x - 1)
    return expr.replace(expm1, lambda x: sp.exp(x) - 1).replace(log1p, lambda x: sp.log(1 + x))


def numeric(expr: sp.Expr, values: dict) -> float:
    """``expr`` at ``values`` ({symbol: float}) in double precision, stably."""
    syms = sorted(expr.free_symbols, key=str)
    missing = [str(x) for x in syms if x not in values]
    if missing:
        raise ValueError(f"no value for {missing} in {expr}")
    return float(_lambdify(tuple(syms), expr)(*(values[x] for x in syms)))


# ----------------------------------------------------------------------------- symbols
# One symbol object per name for the whole project: sympy treats symbols with
# different assumptions as different, so every module imports these.

L0, L1, L = sp.symbols("L0 L1 L", positive=True)
M, Delta, eps = sp.symbols("M Delta eps", positive=True)
K = sp.Symbol("K", positive=True, integer=True)
k = sp.Symbol("k", nonnegative=True, integer=True)
alpha = sp.Symbol("alpha", positive=True)
sigma, G, mu, tau, h = sp.symbols("sigma G mu tau h", positive=True)
d = sp.Symbol("d", positive=True, integer=True)
B = sp.Symbol("B", positive=True)
#: The unknown constant factor of a bound whose order only is published.
C_UNKNOWN = sp.Symbol("C", positive=True)


@dataclass(frozen=True)
class Constant(IntervalMixin):
    """A symbol with its declared range (kept as data and validated).

    Parameters
    ----------
    symbol : sympy.Symbol
        The symbol; its sympy assumptions must agree with the range.
    lo, hi : float
        Bounds of the valid interval (``math.inf`` allowed).
    lo_open, hi_open : bool
        Whether the bounds are excluded.
    integer : bool
        Whether the value must be a whole number.
    doc : str
        What the constant is.
    probe : tuple of float, optional
        Interval sampled by numeric checks when the range is unbounded
        (default: log-uniform over ``[1e-3, 1e3]`` for positive ranges).
    """

    symbol: sp.Symbol
    lo: float
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    integer: bool = False
    doc: str = ""
    probe: tuple[float, float] | None = None

    def __post_init__(self):
        if self.symbol.is_positive and (self.lo < 0 or (self.lo == 0 and not self.lo_open)):
            raise ValueError(f"{self.symbol} is declared positive but its range {self.range_text()} is not")
        if self.symbol.is_nonnegative and self.lo < 0:
            raise ValueError(f"{self.symbol} is declared nonnegative but its range {self.range_text()} is not")

    @property
    def name(self) -> str:
        return self.symbol.name

    def validate(self, value, owner: str) -> float:
        """``value`` as a float, or :class:`InvalidConstant` naming the range."""
        try:
            v = float(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond the float range
            raise InvalidConstant(f"{owner}: constant {self.name!r} must be a number in {self.range_text()}, got {value!r}") from None
        if not self.contains(v):
            raise InvalidConstant(f"{owner}: constant {self.name!r} must be in {self.range_text()}, got {value!r}")
        return v

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` values spread over the range, about 5 % of them at its ends."""
        lo, hi = self.lo, self.hi
        if self.probe is not None:
            a, b = self.probe
        elif math.isfinite(lo) and math.isfinite(hi):
            a, b = lo, hi
        elif lo >= 0:
            a, b = (1e-3, 1e3) if lo == 0 else (lo, lo * 1e3)
        else:
            a, b = -1e3, 1e3
        if a > 0 and b / a > 100:
            x = np.exp(rng.uniform(math.log(a), math.log(b), n))
        else:
            x = rng.uniform(a, b, n)
        ends = [self._edge(lo, self.lo_open, a, +1), self._edge(hi, self.hi_open, b, -1)]
        at_end = rng.random(n) < 0.05
        x[at_end] = rng.choice(ends, at_end.sum())
        if self.integer:
            x = np.clip(np.round(x), math.ceil(max(lo, a)), None)
        return x

    def _edge(self, bound: float, is_open: bool, probe_end: float, direction: int) -> float:
        """The range's end: the bound itself, a point just inside an open bound,
        or the probe's end for an infinite bound or an open bound at 0 (a scale)."""
        if not math.isfinite(bound) or (is_open and bound == 0.0):
            return probe_end
        if not is_open:
            return bound
        return bound + direction * (1.0 if self.integer else 1e-9 * max(1.0, abs(bound)))


# The usual ranges, declared once.
POS = dict(lo=0.0, lo_open=True)
C_L0 = Constant(L0, doc="smoothness constant L0 of ||Hess f|| <= L0 + L1 ||grad f||", **POS)
C_L1 = Constant(L1, doc="smoothness constant L1 of ||Hess f|| <= L0 + L1 ||grad f||", **POS)
C_L = Constant(L, doc="Lipschitz constant of grad f (L-smooth)", **POS)
C_M = Constant(M, doc="sup of ||grad f|| on the sublevel set {f <= f(x0)}", **POS)
C_DELTA = Constant(Delta, doc="initial gap f(x0) - f*", **POS)
C_EPS = Constant(eps, doc="target accuracy of ||grad f||", **POS)
C_K = Constant(K, 1.0, integer=True, doc="horizon: number of steps", probe=(1.0, 1e8))
C_K_STEP = Constant(k, 0.0, integer=True, doc="step counter", probe=(1.0, 1e8))
C_ALPHA = Constant(alpha, 1.0, 2.0, lo_open=True, doc="order of the bounded noise moment, alpha in (1, 2]")
C_SIGMA = Constant(sigma, doc="central moment bound E||g - grad f||^alpha <= sigma^alpha", **POS)
C_G = Constant(G, doc="non-central moment bound E||g||^alpha <= G^alpha", **POS)
C_MU = Constant(mu, doc="strong convexity modulus", **POS)
C_TAU = Constant(tau, doc="almost-sure noise bound ||g - grad f|| <= tau", **POS)
C_H = Constant(h, doc="fixed step size of gradient descent", **POS)
C_D = Constant(d, 1.0, integer=True, doc="dimension", probe=(1.0, 1e4))


# ----------------------------------------------------------------------------- names
# QUANTITIES (what a theorem may bound, as the simulator records it, with the power q such that
# "accuracy eps" means quantity <= eps^q) and the simulator's component names come from the
# neutral module both packages import (sandbox.names).
KINDS = ("upper", "lower", "tight")
STATISTICS = ("value", "mean", "second_moment")


# ----------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Prescribed:
    """A prescribed method parameter ``coef * (k + offset) ** power``.

    ``coef`` may depend on the problem constants and the horizon ``K``;
    ``power`` and ``offset`` on the constants.  A constant parameter has
    ``power = 0``.  This is exactly :class:`sandbox.schedules.PowerSchedule`,
    which the simulator evaluates in its loop.
    """

    coef: sp.Expr
    power: sp.Expr = sp.Integer(0)
    offset: sp.Expr = sp.Integer(1)
    note: str = ""

    @property
    def expr(self) -> sp.Expr:
        """The parameter as one sympy expression in the constants, K and k."""
        return self.coef * (k + self.offset) ** self.power if self.power != 0 else sp.sympify(self.coef)


@dataclass(frozen=True)
class HardInstance:
    """A simulator objective used by a lower bound, chosen after the method's parameters.

    Parameters
    ----------
    objective : str
        The simulator's objective registry name.
    params : dict of str -> sympy.Expr
        Its parameters in terms of the theorem's constants.
    x0 : sympy.Expr
        Starting point (a scalar; the instance is one-dimensional).
    predicted : sympy.Expr
        What the theorem predicts on it (``sympy.oo``: never reaches eps).
    applies : sympy relational
        For which values of the method's parameter the instance is the one
        that forces the bound.
    description : str
    """

    objective: str
    params: Mapping[str, sp.Expr]
    x0: sp.Expr
    predicted: sp.Expr
    applies: sp.Basic
    description: str


# ----------------------------------------------------------------------------- derivations
# Claims are built unevaluated: sympy would otherwise turn a relation it can
# decide at construction into True and lose both sides.
def le(lhs, rhs):
    """The claim ``lhs <= rhs``."""
    return sp.Le(lhs, rhs, evaluate=False)


def ge(lhs, rhs):
    """The claim ``lhs >= rhs``."""
    return sp.Ge(lhs, rhs, evaluate=False)


def lt(lhs, rhs):
    """The claim ``lhs < rhs``."""
    return sp.Lt(lhs, rhs, evaluate=False)


def gt(lhs, rhs):
    """The claim ``lhs > rhs``."""
    return sp.Gt(lhs, rhs, evaluate=False)


def eq(lhs, rhs):
    """The claim ``lhs == rhs``."""
    return sp.Eq(lhs, rhs, evaluate=False)


@dataclass(frozen=True)
class Step:
    """One step of a derivation: an inequality with its justification.

    Parameters
    ----------
    because : str
        The justification in words.
    claim : sympy relational, optional
        ``lhs <= rhs``, ``lhs >= rhs``, ``lhs < rhs``, ``lhs > rhs`` or
        ``Eq(lhs, rhs)`` in the symbols listed in ``where``.
    given : tuple of sympy relationals
        Hypotheses restricting the domain beyond the ranges in ``where``.
    where : tuple of Constant
        The range of every free symbol of ``claim`` and ``given``.
    witness : callable ``(rng) -> None``, optional
        A randomized numeric test for a step that is not a single algebraic
        inequality (e.g. an expectation over random distributions, a
        recursion run step by step); it raises ``AssertionError`` on failure.
    """

    because: str
    claim: sp.Basic | None = None
    given: tuple = ()
    where: tuple[Constant, ...] = ()
    witness: Callable[[np.random.Generator], None] | None = field(default=None, repr=False)

    def __post_init__(self):
        if (self.claim is None) == (self.witness is None):
            raise ValueError(f"step {self.because!r}: give exactly one of claim and witness")
        if self.claim is not None:
            if not isinstance(self.claim, sp.core.relational.Relational):
                raise ValueError(f"step {self.because!r}: claim must be a relation built with le/ge/lt/gt/eq, got {self.claim!r}")
            declared = {c.symbol for c in self.where}
            free = set(self.claim.free_symbols).union(*(g.free_symbols for g in self.given))
            missing = free - declared
            if missing:
                raise ValueError(f"step {self.because!r}: no range declared for {sorted(map(str, missing))}")

    def verify(self, rng: np.random.Generator, n: int = 4000) -> str:
        """Check the step; return how: ``"symbolic"``, ``"numeric"`` or ``"witness"``.

        Raises
        ------
        DerivationError
            With a counterexample when the claim fails at a sampled point,
            or when too few sampled points satisfy ``given``.
        """
        if self.witness is not None:
            self.witness(rng)
            return "witness"
        if self._proved_symbolically():
            return "symbolic"
        self._check_numerically(rng, n)
        return "numeric"

    def _proved_symbolically(self) -> bool:
        c = self.claim
        if isinstance(c, sp.Equality):
            return sp.simplify(elementary(c.lhs - c.rhs)) == 0
        slack = c.rhs - c.lhs if isinstance(c, (sp.LessThan, sp.StrictLessThan)) else c.lhs - c.rhs
        strict = isinstance(c, (sp.StrictLessThan, sp.StrictGreaterThan))
        return bool(slack.is_positive) if strict else bool(slack.is_nonnegative)

    def _check_numerically(self, rng: np.random.Generator, n: int) -> None:
        syms = [c.symbol for c in self.where]
        draws = 8 * n
        values = [c.sample(rng, draws) for c in self.where]
        ok = np.ones(draws, dtype=bool)
        with np.errstate(all="ignore"):
            for g in self.given:
                ok &= np.broadcast_to(np.asarray(_lambdify(syms, g)(*values), dtype=bool), (draws,))
            if ok.sum() < n // 4:
                raise DerivationError(f"step {self.because!r}: only {ok.sum()} of {draws} samples satisfy the hypotheses")
            pts = [v[ok] for v in values]
            lhs = np.broadcast_to(np.asarray(_lambdify(syms, self.claim.lhs)(*pts), dtype=float), pts[0].shape)
            rhs = np.broadcast_to(np.asarray(_lambdify(syms, self.claim.rhs)(*pts), dtype=float), pts[0].shape)
        # relative tolerance for double-precision rounding; no absolute slack
        tol = 1e-9 * (np.abs(lhs) + np.abs(rhs)) + 1e-300
        c = self.claim
        if isinstance(c, sp.Equality):
            bad = ~(np.abs(lhs - rhs) <= tol)
        elif isinstance(c, (sp.LessThan, sp.StrictLessThan)):
            bad = ~(lhs <= rhs + tol)
        else:
            bad = ~(lhs + tol >= rhs)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            point = {str(s): float(p[i]) for s, p in zip(syms, pts)}
            raise DerivationError(
                f"step {self.because!r} fails: {c} at {point}: lhs = {lhs[i]!r}, rhs = {rhs[i]!r}"
            )


_LAMBDIFY_CACHE: dict = {}


def _lambdify(syms, expr):
    key = (tuple(syms), expr)
    if key not in _LAMBDIFY_CACHE:
        _LAMBDIFY_CACHE[key] = sp.lambdify(syms, expr, _NUMERIC_MODULES)
    return _LAMBDIFY_CACHE[key]


# ----------------------------------------------------------------------------- theorem
@dataclass(frozen=True)
class Complexity:
    """Iteration complexity in the accuracy eps.

    Attributes
    ----------
    exponent : sympy.Expr
        ``c`` such that the number of iterations grows like ``eps^c`` as
        eps -> 0 (``oo`` when the quantity does not converge).
    expression : sympy.Expr or None
        An explicit iteration count in ``eps`` and the constants when
        available: the bound itself for complexity theorems; the solution of
        ``bound(K) = eps^q`` when the bound is a single power of K.
    """

    exponent: sp.Expr
    expression: sp.Expr | None


@dataclass(frozen=True, kw_only=True)
class Theorem:
    """A convergence guarantee as data, with its symbolic and numeric accessors.

    Attributes
    ----------
    id : str
        Short lower-case identifier, e.g. ``iclr20_thm3_clipped_gd``.
    source : str
        Paper, theorem / remark number and arXiv id.
    statement : str
        One paragraph in words.
    function_class, noise : str
        The assumptions in words; their constants are in ``symbols``.
    symbols : tuple of Constant
        Every constant the theorem uses, with its range.
    conditions : tuple of (sympy relational, str)
        Conditions linking several constants (validated by :meth:`evaluate`).
    method : str or None
        The simulator's method registry name (None: "any algorithm").
    parameters : dict of str -> Prescribed
        Prescribed method parameters, keyed by the simulator's parameter names.
    quantity : str
        What is bounded, named as the simulator records it (``QUANTITIES``).
    statistic : str
        How the quantity is aggregated over the noise: "value"
        (deterministic), "mean" (expectation) or "second_moment".
    bound : sympy.Expr
        The bound (in K for rates, in eps for ``iterations_to_eps``).
    kind : str
        "upper", "lower" or "tight".
    constants : str
        "published" or "derived".
    order_only : bool
        Only the order is published: ``bound`` contains :data:`C_UNKNOWN`.
    consistent_with : str
        For derived constants: the published result they are consistent with.
    derivation : tuple of Step
        For derived constants: the checked steps.
    avg_power : float
        Weight power p of the averaged iterate (``f_gap_avg_iterate``).
    compare_at : str
        Which recorded step the bound speaks about.
    instances : tuple of HardInstance
        Hard instances of a lower bound.
    notes : str
    """

    id: str
    source: str
    statement: str
    function_class: str
    noise: str
    symbols: tuple[Constant, ...]
    method: str | None
    quantity: str
    bound: sp.Expr
    kind: str
    constants: str
    conditions: tuple = ()
    parameters: Mapping[str, Prescribed] = field(default_factory=dict)
    statistic: str = "mean"
    order_only: bool = False
    consistent_with: str = ""
    derivation: tuple[Step, ...] = ()
    avg_power: float = 0.0
    compare_at: str = "the last recorded step K"
    instances: tuple[HardInstance, ...] = ()
    notes: str = ""

    def __post_init__(self):
        problems = []
        if self.id != self.id.lower() or " " in self.id:
            problems.append("id must be lower case without spaces")
        if self.kind not in KINDS:
            problems.append(f"kind must be one of {KINDS}")
        if self.quantity not in QUANTITIES:
            problems.append(f"quantity must be one of {tuple(QUANTITIES)}")
        if self.statistic not in STATISTICS:
            problems.append(f"statistic must be one of {STATISTICS}")
        if self.method is not None and self.method not in METHOD_NAMES:
            problems.append(f"method must be one of {METHOD_NAMES} or None")
        elif self.method is not None and set(self.parameters) - set(COMPONENT_PARAMETERS["method"][self.method]):
            problems.append(f"prescribed parameters must be parameters of {self.method!r}: {COMPONENT_PARAMETERS['method'][self.method]}")
        for inst in self.instances:
            declared_params = COMPONENT_PARAMETERS["objective"].get(inst.objective)
            if declared_params is None or set(inst.params) - set(declared_params):
                problems.append(f"hard instance {inst.objective!r}: not an objective with parameters {sorted(inst.params)}")
        if self.constants not in ("published", "derived"):
            problems.append("constants must be 'published' or 'derived'")
        if self.constants == "derived" and (not self.derivation or not self.consistent_with):
            problems.append("derived constants need a derivation and a 'consistent_with' citation")
        if self.order_only != (C_UNKNOWN in self.bound.free_symbols):
            problems.append("order_only must be True exactly when the bound contains C_UNKNOWN")
        declared = {c.symbol for c in self.symbols} | {C_UNKNOWN, k}
        used = set(self.bound.free_symbols)
        for p in self.parameters.values():
            used |= p.expr.free_symbols
        for rel, _ in self.conditions:
            used |= rel.free_symbols
        if used - declared:
            problems.append(f"undeclared symbols {sorted(map(str, used - declared))}")
        if problems:
            raise ValueError(f"theorem {self.id!r}: " + "; ".join(problems))

    # ------------------------------------------------------------------ validation
    def _ranges(self) -> dict[str, Constant]:
        return {c.name: c for c in self.symbols}

    def _values(self, needed: set, given: dict) -> dict:
        """Validated {symbol: float} for the symbols in ``needed``."""
        owner = f"theorem {self.id!r}"
        ranges = self._ranges()
        unknown = sorted(set(given) - set(ranges))
        if unknown:
            raise InvalidConstant(f"{owner}: unknown constant(s) {', '.join(map(repr, unknown))}; valid: {', '.join(ranges)}")
        values = {ranges[n].symbol: ranges[n].validate(v, owner) for n, v in given.items()}
        missing = sorted(s.name for s in needed if s not in values)
        if missing:
            texts = ", ".join(f"{n} in {ranges[n].range_text()}" for n in missing)
            raise InvalidConstant(f"{owner}: missing constant(s): {texts}")
        for rel, text in self.conditions:
            if rel.free_symbols <= set(values) and not bool(rel.subs(values)):
                raise InvalidConstant(f"{owner}: condition {rel} ({text}) fails for the given constants")
        return values

    # ------------------------------------------------------------------ bound
    def evaluate(self, **constants) -> float:
        """The numeric bound for concrete constants.

        Raises
        ------
        InvalidConstant
            On an unknown, missing or out-of-range constant, a failed condition, or
            valid constants so extreme that the bound leaves the double-precision range.
        OrderOnly
            When only the order of the bound is published.
        """
        if self.order_only:
            raise OrderOnly(f"theorem {self.id!r} publishes only the order {self.bound}: no numeric bound")
        values = self._values(self.bound.free_symbols, constants)
        return self._in_double_precision("the bound", lambda: numeric(self.bound, values), constants)

    def _in_double_precision(self, what: str, compute: Callable[[], object], constants: Mapping):
        """``compute()``, or :class:`InvalidConstant` when it leaves the double-precision range.

        Valid constants can still be extreme enough (``eps=1e-200``, ``mu=1e-300``)
        that ``what`` overflows, underflows to a division by zero, or gives a
        schedule with an infinite coefficient; the message names ``what`` and the
        most extreme constant given (the one farthest from 1 in magnitude).
        """
        try:
            return compute()
        except (InvalidConstant, OrderOnly):  # ValueErrors of their own, with their own messages
            raise
        except (OverflowError, ZeroDivisionError, ValueError) as exc:
            magnitudes = {}
            for name, value in constants.items():
                try:
                    magnitudes[name] = abs(math.log10(abs(float(value))))
                except (TypeError, ValueError, OverflowError):
                    magnitudes[name] = 0.0
            worst = max(magnitudes, key=magnitudes.get) if magnitudes else None
            hint = f"; the most extreme constant is {worst}={constants[worst]}: take it closer to 1 (within its valid range)" if worst else ""
            raise InvalidConstant(
                f"theorem {self.id!r}: {what} cannot be evaluated in double precision (magnitudes 1e-308 to 1e308) for "
                + ", ".join(f"{k}={v}" for k, v in constants.items())
                + f" ({type(exc).__name__}){hint}"
            ) from None

    def predicted(self, **constants) -> float:
        """What a check compares its measurement with: the bound's value.

        For rates pass ``K`` (compare at ``self.compare_at``); for complexity
        results pass ``eps`` (compare with the first step reaching eps).
        """
        return self.evaluate(**constants)

    def hard_instance(self, **constants) -> dict:
        """The hard instance a lower bound selects for these constants (incl. the method's step).

        Returns
        -------
        dict
            ``objective`` (simulator name), ``params`` (floats), ``x0``,
            ``predicted`` (iterations to eps on it; ``inf`` when the method
            never gets there) and ``description``.
        """
        if not self.instances:
            raise InvalidConstant(f"theorem {self.id!r} has no hard instances")
        needed = set().union(*(i.applies.free_symbols | i.x0.free_symbols | i.predicted.free_symbols for i in self.instances))
        values = self._values(needed | self.bound.free_symbols, constants)
        for inst in self.instances:
            if bool(inst.applies.subs(values)):
                return {
                    "objective": inst.objective,
                    "params": {name: numeric(e, values) for name, e in inst.params.items()},
                    "x0": numeric(inst.x0, values),
                    "predicted": math.inf if inst.predicted == sp.oo else numeric(inst.predicted, values),
                    "description": inst.description,
                }
        raise InvalidConstant(f"theorem {self.id!r}: no hard instance applies to {constants}")

    # ------------------------------------------------------------------ parameters
    def schedule(self, name: str, **constants) -> PowerSchedule | float:
        """The prescribed parameter ``name`` for concrete constants (and ``K``).

        Returns a float for a constant parameter and a
        :class:`sandbox.schedules.PowerSchedule` for one that varies with k;
        either is what the simulator takes as a method parameter.
        """
        if name not in self.parameters:
            valid = ", ".join(self.parameters) or "none"
            raise InvalidConstant(f"theorem {self.id!r}: no prescribed parameter {name!r}; valid: {valid}")
        p = self.parameters[name]
        parts = (sp.sympify(p.coef), sp.sympify(p.power), sp.sympify(p.offset))
        needed = set().union(*(e.free_symbols for e in parts))
        values = self._values(needed, constants)

        def compute():
            coef, power, offset = (numeric(e, values) for e in parts)
            return coef if power == 0.0 else PowerSchedule(coef, power, offset)

        return self._in_double_precision(f"parameter {name!r}", compute, constants)

    def method_params(self, **constants) -> dict:
        """All prescribed parameters, ready for ``sims.simulate(method_params=...)``."""
        return {name: self.schedule(name, **constants) for name in self.parameters}

    def simulation(self, **constants) -> dict:
        """Method, parameters, averaging power, metric and step to compare at."""
        return {
            "method": self.method,
            "method_params": self.method_params(**constants),
            "avg_power": self.avg_power,
            "metric": self.quantity,
            "statistic": self.statistic,
            "compare_at": self.compare_at,
        }

    # ------------------------------------------------------------------ asymptotics
    def _alpha_range(self) -> Constant:
        return self._ranges().get("alpha", C_ALPHA)

    @cached_property
    def _exponents(self) -> tuple[sp.Expr, sp.Expr]:
        """(rate exponent in K, complexity exponent in eps), computed once per theorem."""
        if self.bound == sp.oo:
            return sp.oo, sp.oo
        arange = self._alpha_range()
        if self.quantity == "iterations_to_eps":
            c = sp.simplify(_power_exponent(self.bound, eps, 0, arange))
            return sp.simplify(1 / c), c
        r = sp.simplify(_power_exponent(self.bound, K, sp.oo, arange))
        if _sign_over(r, arange) >= 0:
            return r, sp.oo
        return r, sp.simplify(QUANTITIES[self.quantity][1] / r)

    @cached_property
    def _complexity_expression(self) -> sp.Expr | None:
        if self.quantity == "iterations_to_eps":
            return self.bound
        r, c = self._exponents
        if c == sp.oo:
            return None
        lead = _dominant(self.bound, K, sp.oo, self._alpha_range()) * K ** (-r)
        lead = sp.powsimp(sp.expand(sp.powdenest(sp.expand_power_base(lead, force=True), force=True)), force=True)
        lead = sp.simplify(lead)
        if lead.has(K):
            return None
        q = QUANTITIES[self.quantity][1]
        return sp.simplify(sp.powdenest((eps**q / lead) ** (1 / r), force=True))

    def rate_exponent(self) -> sp.Expr:
        """Exponent r with bound ~ K^r as K -> oo (a sympy expression in alpha).

        The limit of log(bound)/log(K) as K -> oo (see :func:`_power_exponent`:
        exact structural rules, else sympy's limit of K d/dK log(bound)).
        For complexity theorems, r = 1/c with c the complexity exponent (the
        rate of min_k ||grad f(x_k)||).
        """
        return self._exponents[0]

    def complexity(self) -> Complexity:
        """Iteration complexity in eps (see :class:`Complexity`).

        The exponent is q/r with r the rate exponent and q the quantity's
        power of eps (``QUANTITIES``); for complexity theorems it is
        lim log(bound)/log(eps) as eps -> 0.
        """
        return Complexity(self._exponents[1], self._complexity_expression)

    def complexity_exponent(self) -> sp.Expr:
        """Only the exponent of :meth:`complexity` (cheaper: no explicit expression)."""
        return self._exponents[1]

    def dimension_exponent(self) -> sp.Expr:
        """Exponent of the dimension d in the bound (0: dimension-free)."""
        return _power_exponent(self.bound, d, sp.oo, self._alpha_range())

    # ------------------------------------------------------------------ derivation
    def verify_derivation(self, seed: int = 0, n: int = 4000) -> list[str]:
        """Check every step; return how each was checked (raises on failure)."""
        rng = np.random.default_rng(seed)
        return [step.verify(rng, n) for step in self.derivation]

    @property
    def derivation_status(self) -> str:
        if self.constants == "published":
            return "published order only (no numeric constants)" if self.order_only else "published constants"
        return f"derived here ({len(self.derivation)} checked steps), consistent with {self.consistent_with}"


# ----------------------------------------------------------------------------- asymptotic helpers
def _sign_over(expr: sp.Expr, alpha_range: Constant) -> int:
    """The sign of ``expr`` (free of the limit variable) over the alpha range.

    Uses sympy's assumptions first, then a dense grid of alpha values; raises
    if the sign changes (the dominant term would depend on alpha).
    """
    expr = sp.cancel(sp.together(expr))
    if expr.is_zero:
        return 0
    if expr.is_positive:
        return 1
    if expr.is_negative:
        return -1
    free = expr.free_symbols
    if free - {alpha}:
        raise ValueError(f"cannot decide the sign of {expr}: depends on {sorted(map(str, free - {alpha}))}")
    grid = np.linspace(alpha_range.lo, alpha_range.hi, 201)[1:]
    vals = np.broadcast_to(np.asarray(sp.lambdify(alpha, expr, "numpy")(grid), dtype=float), grid.shape)
    if np.all(np.abs(vals) < 1e-14):
        return 0
    if np.all(vals > 0):
        return 1
    if np.all(vals < 0):
        return -1
    raise ValueError(f"the sign of {expr} changes over alpha in {alpha_range.range_text()}")


def _dominant(expr: sp.Expr, var: sp.Symbol, point, alpha_range: Constant) -> sp.Expr:
    """``expr`` with every Min/Max replaced by its dominant argument as var -> point."""
    if not expr.has(var) or expr.is_Atom:
        return expr
    args = [_dominant(a, var, point, alpha_range) for a in expr.args]
    if isinstance(expr, (sp.Min, sp.Max)):
        exps = [_power_exponent(a, var, point, alpha_range) for a in args]
        # As var -> oo a larger exponent means eventually larger values; as
        # var -> 0 the reverse.  Keep the arguments with the extreme exponent.
        want = (1 if isinstance(expr, sp.Max) else -1) * (1 if point == sp.oo else -1)
        keep = [0]
        for i in range(1, len(args)):
            s = _sign_over(exps[i] - exps[keep[0]], alpha_range)
            if s == want:
                keep = [i]
            elif s == 0:
                keep.append(i)
        kept = [args[i] for i in keep]
        if len(kept) == 1:
            return kept[0]
        if any(a.has(var) for a in kept):
            raise ValueError(f"cannot order {kept} asymptotically in {var}")
        return expr.func(*kept)
    return expr.func(*args)


def _power_exponent(expr: sp.Expr, var: sp.Symbol, point, alpha_range: Constant) -> sp.Expr:
    """lim log(expr)/log(var) as var -> point (var -> oo or var -> 0+).

    Structural rules where they are exact (products add exponents, powers
    with var-free exponents scale them, a sum of positive terms takes the
    dominant exponent, Min/Max their dominant argument); anything else by
    sympy: lim var * d/dvar log(expr) (l'Hospital), then ``sympy.limit``.
    """
    expr = _dominant(expr, var, point, alpha_range)
    if not expr.has(var):
        return sp.Integer(0)
    if expr == var:
        return sp.Integer(1)
    if expr.is_Mul:
        return sp.cancel(sp.Add(*(_power_exponent(f, var, point, alpha_range) for f in expr.args)))
    if expr.is_Pow and not expr.exp.has(var):
        return sp.cancel(expr.exp * _power_exponent(expr.base, var, point, alpha_range))
    if expr.is_Add and all(term.is_positive for term in expr.args):
        exps = [_power_exponent(term, var, point, alpha_range) for term in expr.args]
        want = 1 if point == sp.oo else -1  # the term that dominates has the largest (oo) / smallest (0) exponent
        best = exps[0]
        for e in exps[1:]:
            if _sign_over(e - best, alpha_range) == want:
                best = e
        return best
    elasticity = sp.simplify(var * sp.diff(expr, var) / expr)
    if elasticity.has(var):
        elasticity = sp.limit(elasticity, var, point, "+")
    return sp.simplify(elasticity)
