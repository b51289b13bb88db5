"""(L0, L1)-smoothness of explicit objectives: frontier, certificates, rejections, local Lipschitz lemma.

Definition (ICLR20: Zhang, He, Sra, Jadbabaie, ICLR 2020, arXiv 1905.11881; docs/mathematics.md#generalized-smoothness):
a twice differentiable ``f: R^d -> R`` is (L0, L1)-smooth if

    ||hess f(x)|| <= L0 + L1 ||grad f(x)||     for every x            (spectral norm).

For a C^1 function that is piecewise C^2 (Huber) the C^1 relaxation of ICLR20 replaces
``||hess f(x)||`` by ``limsup_{delta -> 0} ||grad f(x + delta) - grad f(x)|| / ||delta||``; see
:func:`frontier` for why the piecewise certificate computed here is the relaxed one.

The admissible pairs of a given f are ``{(L0, L1): L1 >= L1*(L0)}`` with the *frontier*

    L1*(L0) = sup_x (||hess f(x)|| - L0)_+ / ||grad f(x)||.

Where ``grad f(x) = 0`` the ratio is ``+inf`` unless ``||hess f(x)|| <= L0``, so the frontier is
finite only for ``L0 >= min_admissible_L0(f) = max ||hess f|| over stationary points``.

How results are obtained
------------------------
*Symbolic* (exact, sympy) for one variable, for separable sums ``f = sum_i f_i(x_i)`` and for radial
functions ``f = phi(||x||)``; each reduces to a one-variable supremum of
``r(t) = (|D2(t)| - L0) / |D1(t)|`` over intervals on which ``D1, D2`` are smooth:

* one variable: ``D1 = f'``, ``D2 = f''``;
* separable: ``L1*(L0) = max_i L1*_i(L0)`` when every other coordinate can make its own gradient
  vanish (a stationary point of ``f_j``, or ``f_j' -> 0`` at infinity).  Proof: with ``i`` the
  coordinate carrying the largest ``|f_i''|``, ``(max_i |f_i''| - L0) / ||grad f|| <=
  (|f_i''| - L0)_+ / |f_i'|``; conversely, putting the other coordinates where their gradient
  vanishes attains every value of the one-variable ratio of coordinate i;
* radial: with ``rho = ||x||``, ``||grad f|| = |phi'(rho)|`` and the Hessian has the eigenvalues
  ``phi''(rho)`` (radial direction) and ``phi'(rho)/rho`` (tangential, d - 1 times), so the ratio is
  the larger of the one-variable ratios with ``D2 = phi''`` and ``D2 = phi'/rho``.

On an interval where the ratio is differentiable its supremum is attained at a critical point
(``s (D2' D1 - D2 D1') + L0 D1' = 0`` with ``s = sign D2``), at a zero of ``D2`` (kink of ``|D2|``),
or approached at an end of the interval (``+-oo``, a zero of ``D1``, a breakpoint of a piecewise
f).  Rational equations are solved by exact real-root isolation up to degree
:data:`MAX_EXACT_DEGREE` and, above it, in closed form when they have two terms (the
equations of ``c x^n``: ``x^1000`` is exact; others fall back), others with ``solveset``;
limits with ``limit``.  The ratio is also evaluated at one point between consecutive special
points (this covers intervals on which it is constant).  If sympy cannot return a finite set
for one of these equations the computation falls back to the numerical search.  Candidates are
ranked by a 40-digit evaluation; the returned value is the exact expression of the winner.

*Numeric* otherwise (see :func:`frontier`).  Every result records how it was obtained
(:class:`Supremum`).

Domains.  An expression that is not real and twice differentiable on all of R (``1/x``,
``log(x)``, ``sqrt(x)``) is analysed on the open set where it and its first two derivatives are
real and continuous (sympy's ``continuous_domain``, symbolic path; points where the numeric
search evaluates a non-finite value are skipped): the definition is then read on that set, and
a supremum approached at its boundary is reported as a limit there (``1/x`` and ``log(x)`` have
``L1*(L0) = oo``: the ratio grows like ``1/|x|`` at 0).

Three outcomes and a time limit
-------------------------------
Every function that analyses an expression (:func:`gradient_and_hessian`,
:func:`min_admissible_L0`, :func:`frontier`, :func:`certify`, :func:`find_unbounded_path`,
:meth:`UnboundedPath.violation_point`) either returns its documented result, raises
:class:`CannotDecide` (with the reason: the time limit was reached, or sympy cannot
differentiate or evaluate the expression), or raises :class:`InvalidInput` (a ``ValueError``
naming the argument and its valid range) before any work starts.  It takes ``timeout=`` (seconds,
default :data:`DEFAULT_TIMEOUT`; ``None`` for no limit).  sympy cannot be interrupted reliably
inside a thread, so the work runs in a child process (forked, so that it starts in about 40 ms
and shares what this process has computed), which is killed at the limit; memoised results the
child computed are sent back with its answer.  Inside the child the exact computation may use
:data:`EXACT_SHARE` of the limit (a timer interrupts it, in the child only); the numeric search
then takes over with the rest.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import pickle
import signal
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import mpmath
import numpy as np
import sympy as sp
from scipy import optimize
from sympy.calculus.util import continuous_domain

__all__ = [
    "DEFAULT_TIMEOUT",
    "EXACT_SHARE",
    "MAX_EXACT_DEGREE",
    "InvalidInput",
    "CannotDecide",
    "Supremum",
    "Certificate",
    "UnboundedPath",
    "CheckedStep",
    "gradient_and_hessian",
    "min_admissible_L0",
    "frontier",
    "certify",
    "find_unbounded_path",
    "gronwall_gradient_bound",
    "local_lipschitz_constants",
    "recalled_local_lipschitz_constants",
    "descent_bound",
    "local_lipschitz_derivation",
]

#: Relative tolerance with which a *numeric* certificate compares the largest ratio it found with
#: L1.  It covers floating-point evaluation error of gradient, Hessian and eigenvalues; it is not
#: a safety margin (numeric certificates are "no violation found", never proofs).
NUMERIC_RTOL = 1e-9

#: Points with ||grad f|| below this are excluded from the numeric ratio search: there the ratio
#: is a 0/0 dominated by rounding.  Stationary points are handled separately and exactly as far as
#: floating point allows (:func:`min_admissible_L0`).
NUMERIC_GRAD_FLOOR = 1e-6

#: Default time limit, in seconds, of every function that analyses an expression.  The slowest
#: call in the test suite takes about 5 s on a loaded 2-core machine.
DEFAULT_TIMEOUT = 60.0

#: Share of the time limit that the exact (sympy) computation may use before the numeric search
#: takes over with the rest.
EXACT_SHARE = 0.5

#: Largest degree of a polynomial equation that the exact computation solves by root isolation
#: (two-term equations of any degree are solved in closed form; others fall back to the numeric
#: search).  Degree 24 takes about a second; the objectives of the simulator need at most 5.
MAX_EXACT_DEGREE = 24

_SYMBOLIC, _NUMERIC = "symbolic", "numeric"
_JUMP = "infinite: f or f' jumps"
_METHODS = ("auto", _SYMBOLIC, _NUMERIC)


# ============================================================================ results


@dataclass(frozen=True)
class Supremum:
    """A supremum together with how it was obtained.

    Attributes
    ----------
    value : sympy.Expr
        The supremum: an exact sympy number (method ``"symbolic"``), a ``sympy.Float`` (method
        ``"numeric"``), or ``sympy.oo``.
    method : str
        ``"symbolic"`` (exact, sympy) or ``"numeric"`` (multi-start search, see :func:`frontier`).
    maximiser : tuple or None
        Point where the supremum is attained or approached; coordinates may be ``+-oo`` for a
        supremum approached at infinity.  ``None`` when there is nothing to attain (no
        stationary point for :func:`min_admissible_L0`).
    how : str
        One sentence: attained, approached as a limit, infinite because of a stationary point...
    search_box : float or None
        Numeric only: half-width of the last box ``[-R, R]^d`` searched.
    stabilised : bool
        Numeric only: whether the supremum stopped growing over the last boxes and along rays
        (always True for symbolic results).
    """

    value: sp.Expr
    method: str
    maximiser: tuple | None
    how: str
    search_box: float | None = None
    stabilised: bool = True

    @property
    def is_finite(self) -> bool:
        return bool(self.value.is_finite)


@dataclass(frozen=True)
class Certificate:
    """Decision on a declared pair (L0, L1), with the evidence.

    Attributes
    ----------
    L0, L1 : sympy.Rational
        The pair, converted exactly from the given numbers.
    admissible : bool
        Symbolic: proven ``L1 >= L1*(L0)``.  Numeric: no ratio above ``L1 (1 + NUMERIC_RTOL)`` was
        found and the search stabilised.
    frontier : Supremum
        ``L1*(L0)`` and where it is attained or approached (the worst point for this pair).
    slack : sympy.Expr
        ``L1 - L1*(L0)`` (the worst margin in L1); ``-oo`` if the frontier is infinite.
    counterexample : tuple or None
        For a rejected pair, a point where ``||hess f|| > L0 + L1 ||grad f||``.
    margin : float or None
        ``L0 + L1 ||grad f|| - ||hess f||`` at the counterexample (negative), or at the frontier's
        maximiser for an admissible pair when that maximiser is a finite point.
    reason : str
        One sentence.
    """

    L0: sp.Expr
    L1: sp.Expr
    admissible: bool
    frontier: Supremum
    slack: sp.Expr
    counterexample: tuple | None
    margin: float | None
    reason: str


@dataclass(frozen=True)
class UnboundedPath:
    """Symbolic proof that f is not (L0, L1)-smooth for any pair.

    Along ``x(t)``, ``t -> direction``: ``lim h(t)^2 / ||grad f(x(t))||^2 = +oo`` and
    ``lim ||grad f(x(t))||^2 = grad_sq_limit > 0``, where ``h(t) = hess f(x(t))[i, i]`` is a
    diagonal entry, so ``|h| <= ||hess f||``.  Then for every (L0, L1),
    ``||hess f|| - L0 - L1 ||grad f|| >= ||grad f|| (|h| / ||grad f|| - L1) - L0 -> +oo``.

    Attributes
    ----------
    t : sympy.Symbol
        Path parameter.
    path : tuple of sympy.Expr
        ``x(t)``.
    direction : sympy.Expr
        ``sympy.oo`` or ``-sympy.oo``.
    hessian_entry : int
        The diagonal index i used as the lower bound of the spectral norm.
    ratio_sq_limit : sympy.Expr
        ``lim h^2 / ||grad f||^2`` (``+oo``).
    grad_sq_limit : sympy.Expr
        ``lim ||grad f||^2`` (positive or ``+oo``).
    origin : str
        How the path was found ("valley: grad_j f = 0 for j != i", "ray").
    """

    t: sp.Symbol
    path: tuple
    direction: sp.Expr
    hessian_entry: int
    ratio_sq_limit: sp.Expr
    grad_sq_limit: sp.Expr
    origin: str

    def violation_point(self, expr, symbols, L0, L1, max_doublings: int = 200, *, timeout=DEFAULT_TIMEOUT) -> tuple:
        """A point on the path where ``||hess f|| > L0 + L1 ||grad f||``.

        Parameters
        ----------
        expr, symbols
            The objective the path was found for.
        L0, L1 : float
            Any pair; the proof guarantees a violation far enough along the path.
        max_doublings : int
            The parameter is doubled at most this many times (1 to 10000).
        timeout : float or None
            Time limit in seconds (module docstring, "Three outcomes and a time limit").

        Returns
        -------
        tuple of sympy numbers
            The point; its margin, evaluated with 30 digits, is negative.

        Raises
        ------
        InvalidInput
            Before any work, for an argument outside its range.
        CannotDecide
            Time limit reached, or no violation within ``max_doublings`` (the path was not
            found for this objective).
        """
        L0, L1 = _exact_number(L0, "L0"), _exact_number(L1, "L1")
        expr, xs = _check_objective(expr, symbols)
        if isinstance(max_doublings, bool) or not isinstance(max_doublings, (int, np.integer)) or not 1 <= max_doublings <= 10_000:
            raise InvalidInput(f"max_doublings must be an integer in [1, 10000], got {max_doublings!r}")
        return _limited(_check_timeout(timeout), self._violation_point, expr, xs, L0, L1, int(max_doublings))

    def _violation_point(self, expr, xs, L0, L1, max_doublings: int) -> tuple:
        sign = 1 if self.direction == sp.oo else -1
        t_val = sp.Integer(1)
        margin = _Margin(expr, xs)
        for _ in range(max_doublings):
            point = tuple(sp.sympify(p).subs(self.t, sign * t_val) for p in self.path)
            value = _margin_or_none(margin, point, L0, L1)
            if value is not None and value < 0:
                return point
            t_val *= 2
        raise CannotDecide(f"no violation found along the path within {max_doublings} doublings (was the path found for this objective?)")


@dataclass(frozen=True)
class CheckedStep:
    """One step of a derivation, checked when it was built.

    Attributes
    ----------
    claim : str
        The statement.
    method : str
        How it was checked ("sympy: ...", "randomized: n points incl. edge values").
    holds : bool
        The outcome of the check.
    """

    claim: str
    method: str
    holds: bool


class InvalidInput(ValueError):
    """An argument outside its valid range; the message names the argument and the range."""


class CannotDecide(Exception):
    """The question could not be decided: time limit reached, or no method applies.

    Attributes
    ----------
    reason : str
        One sentence: which limit was reached, or what sympy or the numeric search could not do.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def __reduce__(self):  # pickled from the worker process to the caller
        return (CannotDecide, (self.reason,))


class _SymbolicFailure(Exception):
    """sympy could not finish an exact computation; the caller falls back to numerics."""


class _ExactShareExpired(BaseException):
    """The exact computation used its share of the time limit (raised by a timer in the worker).

    A ``BaseException``, so that the ``except Exception`` clauses inside sympy do not swallow it.
    """


# ============================================================================ time limit
#
# The worker process: a fork of the caller (spawn where fork does not exist) that runs one
# call and sends back ("ok", result) or ("raise", exception), plus the memoised one-variable
# results it added.  The exact computation is interrupted by SIGALRM in the worker (its main
# thread) when it reaches _EXACT_DEADLINE.

_EXACT_DEADLINE: float | None = None  # time.monotonic() deadline of exact computations, worker only


def _check_timeout(timeout) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float, np.integer, np.floating)) or not (0 < float(timeout) < math.inf):
        raise InvalidInput(f"timeout must be a number of seconds > 0 (finite) or None, got {timeout!r}")
    return float(timeout)


@contextlib.contextmanager
def _exact_share():
    """Raise _ExactShareExpired in the body when the worker's exact deadline passes."""
    if _EXACT_DEADLINE is None or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield  # no share to enforce (in-process call, or no interval timers: Windows)
        return
    remaining = _EXACT_DEADLINE - time.monotonic()
    if remaining <= 0:
        raise _ExactShareExpired()

    def expire(signum, frame):
        raise _ExactShareExpired()

    previous = signal.signal(signal.SIGALRM, expire)
    # Repeats every 0.25 s in case a bare ``except:`` somewhere swallowed the first one.
    signal.setitimer(signal.ITIMER_REAL, remaining, 0.25)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _worker(connection, exact_seconds: float, func, args) -> None:
    global _EXACT_DEADLINE
    _EXACT_DEADLINE = time.monotonic() + exact_seconds
    known = (set(_SUP_CACHE), set(_PROBLEM_CACHE))
    try:
        answer = ("ok", func(*args))
    except Exception as exc:  # sent to the caller, which raises it
        answer = ("raise", exc)
    memo = (
        {k: v for k, v in _SUP_CACHE.items() if k not in known[0]},
        {k: v for k, v in _PROBLEM_CACHE.items() if k not in known[1]},
    )
    try:
        payload = pickle.dumps((answer, memo))
    except Exception:  # an unpicklable result or memo entry: send the answer alone
        try:
            payload = pickle.dumps((answer, ({}, {})))
        except Exception as exc:
            payload = pickle.dumps((("raise", CannotDecide(f"the worker's answer could not be sent back ({type(exc).__name__}: {exc})")), ({}, {})))
    connection.send_bytes(payload)
    connection.close()


def _limited(timeout: float | None, func, *args):
    """``func(*args)``, in a worker process killed after ``timeout`` seconds (None: in this process)."""
    if timeout is None:
        return func(*args)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_worker, args=(sender, EXACT_SHARE * timeout, func, args), name=f"theory.smoothness {func.__name__.lstrip('_')}")
    start = time.monotonic()
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise CannotDecide(f"no answer within the time limit (timeout={timeout:g} s)")
        try:
            answer, memo = pickle.loads(receiver.recv_bytes())
        except EOFError:
            process.join(max(0.0, timeout - (time.monotonic() - start)))
            raise CannotDecide(f"the worker process ended without an answer (exit code {process.exitcode})") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    _SUP_CACHE.update(memo[0])
    _PROBLEM_CACHE.update(memo[1])
    status, value = answer
    if status == "raise":
        raise value
    return value


# ============================================================================ validation


def _exact_number(value, name: str, *, allow_negative: bool = False) -> sp.Expr:
    """``value`` as an exact sympy number (floats are taken at their exact binary value)."""
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be a finite real number >= 0, got {value!r}")
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise InvalidInput(f"{name} must be a finite real number >= 0, got {value!r}")
        out = sp.Rational(Fraction(float(value)).numerator, Fraction(float(value)).denominator)
    elif isinstance(value, (int, np.integer)):
        out = sp.Integer(int(value))
    else:
        try:
            out = sp.sympify(value)
        except (sp.SympifyError, TypeError):
            raise InvalidInput(f"{name} must be a finite real number >= 0, got {value!r}") from None
        if out.free_symbols or not out.is_real or not out.is_finite:
            raise InvalidInput(f"{name} must be a finite real number >= 0, got {value!r}")
        if isinstance(out, sp.Float):
            out = sp.Rational(out)
    if not allow_negative and out < 0:
        raise InvalidInput(f"{name} must be a finite real number >= 0, got {value!r}")
    return out


def _exact_expr(expr: sp.Expr) -> sp.Expr:
    """Replace every Float by the Rational with its exact binary value (exact comparisons)."""
    return expr.xreplace({f: sp.Rational(f) for f in expr.atoms(sp.Float)})


def _check_objective(expr, symbols) -> tuple[sp.Expr, list[sp.Symbol]]:
    """Validate ``(expr, symbols)`` and return them with exact coefficients."""
    if isinstance(symbols, sp.Symbol):
        symbols = [symbols]
    try:
        xs = list(symbols)
    except TypeError:
        raise InvalidInput(f"symbols must be a list of sympy Symbols, got {symbols!r}") from None
    if not xs or not all(isinstance(s, sp.Symbol) for s in xs) or len(set(xs)) != len(xs):
        raise InvalidInput(f"symbols must be a non-empty list of distinct sympy Symbols, got {symbols!r}")
    if not all(s.is_real for s in xs):
        raise InvalidInput(f"symbols must be declared real (sympy.Symbol(..., real=True)), got {xs!r}")
    if isinstance(expr, str):
        raise InvalidInput(f"expr must be a sympy expression (not a string: sympify it with real symbols), got {expr!r}")
    try:
        expr = sp.sympify(expr, strict=True)
    except (sp.SympifyError, TypeError, ValueError):
        raise InvalidInput(f"expr must be a real-valued sympy expression, got {expr!r}") from None
    if not isinstance(expr, sp.Expr) or isinstance(expr, sp.MatrixBase) or expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo, sp.I) or expr.is_real is False:
        raise InvalidInput(f"expr must be a real-valued sympy expression without nan, infinities or I, got {expr!r}")
    extra = expr.free_symbols - set(xs)
    if extra:
        raise InvalidInput(f"expr has symbols {sorted(map(str, extra))} not in symbols {xs}")
    return _exact_expr(expr), xs


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise InvalidInput(f"method must be one of {_METHODS}, got {method!r}")
    return method


# ============================================================================ basic calculus


def gradient_and_hessian(expr, symbols, *, timeout=DEFAULT_TIMEOUT) -> tuple[list[sp.Expr], sp.Matrix]:
    """Gradient (list) and Hessian (matrix) of ``expr`` in ``symbols``.

    Parameters
    ----------
    expr : sympy.Expr
        The objective.
    symbols : list of sympy.Symbol
        Real coordinates.
    timeout : float or None
        Time limit in seconds (module docstring, "Three outcomes and a time limit").

    Returns
    -------
    (list of sympy.Expr, sympy.Matrix)

    Raises
    ------
    InvalidInput
        Before any work, for an argument outside its range.
    CannotDecide
        Time limit reached, or sympy leaves a derivative unevaluated (``floor``, an undefined
        function).
    """
    expr, xs = _check_objective(expr, symbols)
    return _limited(_check_timeout(timeout), _derivatives, expr, xs)


def _derivatives(expr, xs) -> tuple[list[sp.Expr], sp.Matrix]:
    grad = [sp.diff(expr, x) for x in xs]
    hess = sp.Matrix([[sp.diff(g, y) for y in xs] for g in grad])
    if any(h.has(sp.Derivative) for h in hess):
        raise CannotDecide(f"sympy cannot differentiate {expr} twice (a derivative is left unevaluated)")
    return grad, hess


def _num(value, digits: int = 30) -> float:
    """A sympy value as a float, with ``+-inf`` for ``+-oo``."""
    value = sp.sympify(value)
    if value == sp.oo:
        return math.inf
    if value == -sp.oo:
        return -math.inf
    out = sp.N(value, digits)
    if not out.is_real:
        raise _SymbolicFailure(f"non-real value {value}")
    return float(out)


def _approx(value) -> mpmath.mpf:
    """A sympy value as a 40-digit mpmath number (``+-inf`` for ``+-oo``), for ranking."""
    value = sp.sympify(value)
    if value in (sp.oo, -sp.oo):
        return mpmath.inf if value == sp.oo else -mpmath.inf
    approx = sp.N(value, 40)
    if not approx.is_real:
        raise _SymbolicFailure(f"non-real value {value}")
    return mpmath.mpf(str(approx))


def _sign(value) -> int:
    """Exact sign of a closed-form real number (high-precision evaluation, exact tie-break)."""
    value = sp.sympify(value)
    if value in (sp.oo, -sp.oo):
        return 1 if value == sp.oo else -1
    if value.is_Rational:  # exact, however small (L0 = 1e-300 compares with a curvature 0)
        return int(bool(value > 0)) - int(bool(value < 0))
    approx = sp.N(value, 60)
    if not approx.is_real:
        raise _SymbolicFailure(f"non-real value {value}")
    if abs(approx) > sp.Float(10) ** -45:
        return 1 if approx > 0 else -1
    if value.equals(0):
        return 0
    raise _SymbolicFailure(f"cannot decide the sign of {value}")


class _Margin:
    """``L0 + L1 ||grad f|| - ||hess f||`` at finite points, evaluated with 30 significant digits.

    For piecewise objectives (Abs, Piecewise, ...) ``||hess f||`` is the C^1 relaxation's value:
    the largest of the Hessian norms at the point and just beside it on both sides of every
    axis (offset 1e-40, exact arithmetic), i.e. the largest one-sided value at a breakpoint.
    Derivatives are computed once per objective.
    """

    _DIGITS = 30

    def __init__(self, expr, xs):
        if expr.has(*_NONSMOOTH):
            expr = sp.piecewise_fold(expr.rewrite(sp.Piecewise))
        self.xs = xs
        self.grad, self.hess = _derivatives(expr, xs)
        self.piecewise = expr.has(sp.Piecewise)

    def _hessian_norm(self, point) -> mpmath.mpf:
        entries = self.hess.subs(dict(zip(self.xs, point))).evalf(self._DIGITS + 10)
        with mpmath.workdps(self._DIGITS + 10):
            matrix = mpmath.matrix([[mpmath.mpf(str(v)) for v in row] for row in entries.tolist()])
            return max(abs(v) for v in mpmath.eigsy(matrix, eigvals_only=True))

    def __call__(self, point, L0, L1) -> float:
        sub = dict(zip(self.xs, point))
        g = math.sqrt(sum(_num(gi.subs(sub)) ** 2 for gi in self.grad))
        points = [tuple(point)]
        if self.piecewise:
            offset = sp.Rational(1, 10**40)
            points += [tuple(p + (sign * offset if j == i else 0) for j, p in enumerate(point)) for i in range(len(self.xs)) for sign in (1, -1)]
        h = max(self._hessian_norm(q) for q in points)
        with mpmath.workdps(self._DIGITS):
            return float(mpmath.mpf(str(sp.N(L0, self._DIGITS))) + mpmath.mpf(str(sp.N(L1, self._DIGITS))) * mpmath.mpf(g) - h)


# ============================================================================ one-variable engine


_NONSMOOTH = (sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min)


def _intervals(region) -> list[sp.Interval]:
    """The non-degenerate intervals of a union of intervals and points."""
    if region is sp.S.EmptySet or isinstance(region, sp.FiniteSet):
        return []
    if isinstance(region, sp.Interval):
        return [region] if region.measure > 0 else []
    if isinstance(region, sp.Union):
        return [iv for arg in region.args for iv in _intervals(arg)]
    raise _SymbolicFailure(f"cannot split the region {region}")


def _smooth_pieces(expr, x, domain) -> list[tuple[sp.Expr, sp.Interval]]:
    """Split ``domain`` into intervals on each of which ``expr`` is one smooth formula.

    Abs, sign, Heaviside, Max and Min are rewritten as Piecewise and folded to the top.
    Returns ``[(formula, interval), ...]`` sorted from left to right; the formula is valid on the
    closure of its interval.
    """
    e = expr
    if e.has(*_NONSMOOTH):
        e = e.rewrite(sp.Piecewise)
    e = sp.piecewise_fold(e)
    if e.has(*_NONSMOOTH):
        raise _SymbolicFailure("non-smooth function left after rewriting")
    if not isinstance(e, sp.Piecewise):
        if e.has(sp.Piecewise):
            raise _SymbolicFailure("nested Piecewise")
        return [(e, iv) for iv in _intervals(domain)]
    pieces, covered = [], sp.S.EmptySet
    for formula, cond in e.args:
        if formula.has(sp.Piecewise):
            raise _SymbolicFailure("nested Piecewise")
        cond_set = domain if cond is sp.true else cond.as_set()
        region = sp.Intersection(cond_set, domain) - covered
        covered = sp.Union(covered, cond_set)
        pieces += [(formula, iv) for iv in _intervals(region)]
    return sorted(pieces, key=lambda p: _num(p[1].start))


def _real_roots(poly: sp.Poly) -> list[sp.Expr]:
    """Real roots of a polynomial with rational coefficients (without multiplicity).

    Up to degree MAX_EXACT_DEGREE by sympy's exact root isolation.  Above it only polynomials
    with at most two terms, ``c1 x^a + c2 x^b`` (``x^1000`` gives such equations), whose roots
    are 0 (if b > 0) and the real m-th roots of ``-c2/c1``, m = a - b; others raise
    _SymbolicFailure (isolating the roots of a dense polynomial of high degree, and evaluating
    expressions in them, can take hours).
    """
    if poly.degree() <= MAX_EXACT_DEGREE:
        return poly.real_roots()
    terms = poly.terms()  # by decreasing degree
    if len(terms) > 2:
        raise _SymbolicFailure(f"equation of degree {poly.degree()} > MAX_EXACT_DEGREE = {MAX_EXACT_DEGREE} with {len(terms)} terms")
    (a,), c1 = terms[0]
    b, c2 = (terms[1][0][0], terms[1][1]) if len(terms) == 2 else (a, 0)
    roots = [sp.Integer(0)] if b > 0 or c2 == 0 else []
    if c2 != 0:
        m, r = a - b, -sp.Rational(c2) / sp.Rational(c1)
        if m % 2 == 1:
            roots.append(sp.sign(r) * sp.root(abs(r), m))
        elif r > 0:
            roots += [sp.root(r, m), -sp.root(r, m)]
    return roots


def _finite_solutions(equation, x, interval) -> list[sp.Expr]:
    """Real solutions in ``interval``; ``[]`` if the equation holds identically there.

    Rational equations are solved by exact real-root isolation of the numerator (radicals or
    ``CRootOf``), others by ``solveset``.  Raises _SymbolicFailure when sympy returns anything
    but a finite set or the whole interval.
    """
    eq = sp.together(equation)
    if eq == 0:
        return []
    numer, denom = sp.fraction(eq)
    if numer.is_polynomial(x) and denom.is_polynomial(x):
        poly = sp.Poly(numer, x)
        if poly.is_zero:
            return []
        if poly.domain.is_QQ or poly.domain.is_ZZ:  # root isolation needs rational coefficients
            roots = set(_real_roots(poly))
            return [r for r in roots if interval.contains(r) is sp.true and denom.subs(x, r) != 0]
        if poly.degree() > MAX_EXACT_DEGREE:
            raise _SymbolicFailure(f"equation of degree {poly.degree()} > MAX_EXACT_DEGREE = {MAX_EXACT_DEGREE}")
    sol = sp.solveset(eq, x, interval)
    if isinstance(sol, sp.FiniteSet):
        return list(sol)
    if sol is sp.S.EmptySet:
        return []
    if sol == interval:
        return []  # holds identically: the quantity is constant there, covered by sample points
    raise _SymbolicFailure(f"solveset returned {type(sol).__name__} for {equation}")


def _value_at(expr, x, point, side: str):
    """``expr`` at a finite point of the closure of its piece: substitution, else a one-sided limit."""
    value = expr.subs(x, point)
    if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or not value.is_finite:
        return _one_sided(expr, x, point, side)
    return value


@dataclass(frozen=True)
class _Piece:
    """One smooth piece of a one-variable problem: ratio (|d2| - L0)/|d1| on ``interval``."""

    d1: sp.Expr
    d2: sp.Expr
    interval: sp.Interval


@dataclass(frozen=True)
class _Candidate:
    value: sp.Expr
    point: sp.Expr
    how: str
    approx: mpmath.mpf  # value to 40 digits: candidates are ranked by it


def _one_sided(expr, x, point, side: str):
    """Value of ``expr`` at ``point`` approached from ``side`` ('+' or '-'), as a limit."""
    if point in (sp.oo, -sp.oo):
        lim = sp.limit(expr, x, point)
    else:
        lim = sp.limit(expr, x, point, side)
    if lim.has(sp.AccumBounds, sp.nan, sp.zoo) or not (lim.is_real or lim in (sp.oo, -sp.oo)):
        raise _SymbolicFailure(f"limit of {expr} at {point}{side} is {lim}")
    return lim


def _end_sides(interval) -> list[tuple[sp.Expr, str]]:
    """Finite and infinite ends of an interval, with the side from which they are approached."""
    return [(interval.start, "+"), (interval.end, "-")]


def _piece_zeros_d1(piece: _Piece, x) -> list[tuple[sp.Expr, str]]:
    """Zeros of d1 on the closure of the piece, each with the sides lying inside the piece."""
    iv = piece.interval
    closure = sp.Interval(iv.start, iv.end)
    if closure.start == -sp.oo or closure.end == sp.oo:
        closure = sp.Interval(iv.start, iv.end, iv.start == -sp.oo, iv.end == sp.oo)
    out = []
    for z in _finite_solutions(piece.d1, x, closure):
        sides = [s for s, inside in (("-", z != iv.start), ("+", z != iv.end)) if inside]
        out.append((z, sides))
    return out


def _inner_point(a, b) -> sp.Expr:
    """A point strictly between ``a < b`` (either may be infinite)."""
    if a == -sp.oo and b == sp.oo:
        return sp.Integer(0)
    if a == -sp.oo:
        return b - 1
    if b == sp.oo:
        return a + 1
    return (a + b) / 2


def _is_constant_piece(piece: _Piece) -> bool:
    """f is constant on the piece (d1 vanishes identically, hence so does d2)."""
    return piece.d1 == 0 or sp.expand(piece.d1) == 0


def _stationary_curvatures(pieces: Sequence[_Piece], x) -> list[tuple[sp.Expr, sp.Expr]]:
    """``(z, |d2(z)|)`` for every zero z of d1; at breakpoints the largest one-sided value.

    A piece on which f is constant contributes one of its points with curvature 0 (every point
    of it is stationary; the one-sided curvatures at its ends belong to the neighbouring pieces).
    """
    out = []
    for piece in pieces:
        if _is_constant_piece(piece):
            out.append((_inner_point(piece.interval.start, piece.interval.end), sp.Integer(0)))
            continue
        for z, sides in _piece_zeros_d1(piece, x):
            values = [sp.Abs(_value_at(piece.d2, x, z, s)) for s in sides]
            out.append((z, max(values, key=_num)))
    return out


def _piece_candidates(piece: _Piece, x, L0) -> list[_Candidate]:
    """Every value the supremum of the ratio on one piece can take (see the module docstring).

    None on a piece where f is constant: there ``||hess f|| = 0 <= L0`` holds at every point.
    """
    if _is_constant_piece(piece):
        return []
    iv, d1, d2 = piece.interval, piece.d1, piece.d2
    ratio = (sp.Abs(d2) - L0) / sp.Abs(d1)
    interior = sp.Interval.open(iv.start, iv.end)
    zeros1 = _piece_zeros_d1(piece, x)
    zeros2 = _finite_solutions(d2, x, interior)
    d1p, d2p = sp.diff(d1, x), sp.diff(d2, x)
    critical = []
    for s in (1, -1):
        critical += _finite_solutions(s * (d2p * d1 - d2 * d1p) + L0 * d1p, x, interior)
    zero_points = {z for z, _ in zeros1}
    ratio_mp = sp.lambdify(x, ratio, "mpmath")

    def at(p, how):
        # Ranking by a 40-digit evaluation is far cheaper than evaluating the exact expression
        # (CRootOf); the exact value is kept for the winner.
        with mpmath.workdps(40):
            approx = mpmath.re(ratio_mp(mpmath.mpf(str(sp.N(p, 40)))))
        return _Candidate(ratio.subs(x, p), p, how, approx)

    out = []
    for p in set(critical) | set(zeros2):
        if p not in zero_points:
            out.append(at(p, f"attained at {p}"))
    # Approached at zeros of d1 (from the sides inside the piece): +oo if |d2| > L0 there, -oo
    # (irrelevant) if |d2| < L0, a limit to compute if |d2| = L0.
    for z, sides in zeros1:
        for side in sides:
            excess = _sign(sp.Abs(_value_at(d2, x, z, side)) - L0)
            if excess < 0:
                continue
            lim = sp.oo if excess > 0 else _one_sided(ratio, x, z, side)
            how = f"infinite: |hess| > L0 where grad = 0 (at {z})" if lim == sp.oo else f"limit at {z}{side}"
            out.append(_Candidate(lim, z, how, _approx(lim)))
    # The ends of the piece: limits at +-oo; finite ends (breakpoints) by substitution, the piece's
    # formula being valid on the closure (one-sided value of the C^1 relaxation).
    for end, side in _end_sides(iv):
        if end in zero_points:
            continue
        value = _one_sided(ratio, x, end, side) if end in (sp.oo, -sp.oo) else _value_at(ratio, x, end, side)
        out.append(_Candidate(value, end, f"limit at {end}" if end in (sp.oo, -sp.oo) else f"one-sided value at {end}{side}", _approx(value)))
    # One sample point between consecutive special points: covers pieces on which the ratio is
    # constant (the critical-point equation then holds identically).
    special = sorted({iv.start, iv.end, *zero_points, *zeros2, *critical}, key=_num)
    for a, b in zip(special[:-1], special[1:]):
        p = _inner_point(a, b)
        out.append(at(p, f"attained at {p}"))
    return out


def _best(candidates: list[_Candidate]) -> _Candidate:
    """Largest candidate; the positive part is applied by the caller."""
    return max(candidates, key=lambda c: c.approx)


@dataclass(frozen=True)
class _OneDimProblem:
    """A one-variable reduction: pieces plus what the separable combination needs."""

    x: sp.Symbol
    pieces: tuple[_Piece, ...]
    #: where the gradient of this part vanishes or tends to zero (None if it stays away from 0)
    vanishing_point: sp.Expr | None
    #: a breakpoint at which f or f' jumps (f is then not C^1), or None
    jump: sp.Expr | None


def _c2_intervals(formula, x, interval) -> list[sp.Interval]:
    """The intervals of ``interval`` on which ``formula`` and its first two derivatives are real
    and continuous: where the objective is defined (``1/x``: both sides of 0; ``log x``: x > 0).

    Functions that sympy knows to be real and finite with their derivatives (polynomials,
    ``cosh``, ``sqrt(1 + x^2)``) need no check.  If sympy cannot compute the set, the whole
    interval is kept (the computation then fails later, or evaluates a non-finite value, and
    falls back to numerics).
    """
    derivatives = [sp.diff(formula, x, k) for k in range(3)]
    if formula.is_polynomial(x) or all(d.is_real and d.is_finite for d in derivatives):
        return [interval]
    region = interval
    try:
        for derivative in derivatives:
            region = continuous_domain(derivative, x, region)
        out = _intervals(region)
    except Exception:  # sympy's domain computation is incomplete for special functions
        return [interval]
    if not out:
        raise _SymbolicFailure(f"{formula} is nowhere twice differentiable on {interval}")
    return out


def _one_dim_problem(formula, x, domain, radial: bool = False) -> _OneDimProblem:
    """Build the one-variable problem for ``formula(x)`` on ``domain``."""
    smooth = _smooth_pieces(formula, x, domain)
    jump = None
    for (fa, ia), (fb, ib) in zip(smooth[:-1], smooth[1:]):
        b = ia.end
        for k in (0, 1):
            left = _one_sided(sp.diff(fa, x, k), x, b, "-")
            right = _one_sided(sp.diff(fb, x, k), x, b, "+")
            if _sign(left - right) != 0:
                jump = b
    if radial:
        start = _one_sided(sp.diff(smooth[0][0], x), x, sp.Integer(0), "+")
        if _sign(start) != 0:
            jump = sp.Integer(0)  # phi'(0+) != 0: the gradient of phi(||x||) jumps at the origin
    pieces = []
    for formula_k, iv in smooth:
        d1 = sp.diff(formula_k, x)
        for sub in _c2_intervals(formula_k, x, iv):
            pieces.append(_Piece(d1, sp.diff(d1, x), sub))
            if radial:
                pieces.append(_Piece(d1, d1 / x, sub))
    vanishing = None
    stationary = _stationary_curvatures(pieces, x)
    if stationary:
        vanishing = stationary[0][0]
    else:
        for piece in pieces:
            for end, side in _end_sides(piece.interval):
                if end in (sp.oo, -sp.oo) and _one_sided(piece.d1, x, end, side) == 0:
                    vanishing = end
    return _OneDimProblem(x, tuple(pieces), vanishing, jump)


def _one_dim_min_L0(problem: _OneDimProblem) -> tuple[sp.Expr, sp.Expr | None]:
    """``(max |d2| over zeros of d1, where)``; ``(0, None)`` without stationary points."""
    if problem.jump is not None:
        return sp.oo, problem.jump
    stationary = _stationary_curvatures(problem.pieces, problem.x)
    if not stationary:
        return sp.Integer(0), None
    z, value = max(stationary, key=lambda zv: _num(zv[1]))
    return sp.nsimplify(value) if value.is_Rational else sp.radsimp(value), z


_SUP_CACHE: dict[tuple, _Candidate] = {}


def _one_dim_sup(problem: _OneDimProblem, L0) -> _Candidate:
    """Supremum of the positive part of the ratio over all pieces (memoised per problem and L0)."""
    key = (problem, L0)
    if key not in _SUP_CACHE:
        _SUP_CACHE[key] = _one_dim_sup_uncached(problem, L0)
    return _SUP_CACHE[key]


def _one_dim_sup_uncached(problem: _OneDimProblem, L0) -> _Candidate:
    if problem.jump is not None:
        return _Candidate(sp.oo, problem.jump, f"{_JUMP} at {problem.jump} (f is not C^1)", mpmath.inf)
    candidates = [c for piece in problem.pieces for c in _piece_candidates(piece, problem.x, L0)]
    if not candidates:
        return _Candidate(sp.Integer(0), sp.Integer(0), "f is constant: hess = 0 <= L0 everywhere", mpmath.mpf(0))
    best = _best(candidates)
    if best.approx <= 0:
        return _Candidate(sp.Integer(0), best.point, f"ratio <= 0 everywhere (largest value {mpmath.nstr(best.approx, 6)} at {best.point})", mpmath.mpf(0))
    return best


# ============================================================================ structure detection


def _separable_parts(expr, xs) -> list[sp.Expr] | None:
    """``[f_0(x_0), ..., f_{d-1}(x_{d-1})]`` if ``expr = const + sum_i f_i(x_i)``, else None."""
    parts = [sp.Integer(0)] * len(xs)
    index = {x: i for i, x in enumerate(xs)}
    terms = sp.Add.make_args(expr)
    if any(len(term.free_symbols) > 1 for term in terms):
        terms = sp.Add.make_args(sp.expand(expr))  # e.g. a * (x0**2 + x1**2)
    for term in terms:
        symbols = term.free_symbols
        if len(symbols) > 1:
            return None
        if symbols:
            i = index[next(iter(symbols))]
            parts[i] = parts[i] + term
    return parts


def _radial_profile(expr, xs, rho) -> sp.Expr | None:
    """``phi(rho)`` if ``expr = phi(||x||)`` (d >= 2), checked by invariance under plane rotations."""
    if len(xs) < 2:
        return None
    grad = [sp.diff(expr, x) for x in xs]
    # Rotations in the coordinate planes (i, i+1) generate SO(d); f is invariant under all of
    # them iff every generator x_{i+1} d_i f - x_i d_{i+1} f vanishes identically.
    for i in range(len(xs) - 1):
        if sp.simplify(xs[i + 1] * grad[i] - xs[i] * grad[i + 1]) != 0:
            return None
    return expr.subs({x: (rho if i == 0 else 0) for i, x in enumerate(xs)}, simultaneous=True)


# ============================================================================ symbolic drivers


def _symbolic_frontier(expr, xs, L0) -> Supremum:
    """Exact frontier for one variable, separable sums and radial functions."""
    d = len(xs)
    parts = _separable_parts(expr, xs)
    if parts is not None:
        problems = [_cached_problem(part, x) for part, x in zip(parts, xs)]
        sups = [_one_dim_sup(p, L0) for p in problems]
        i = max(range(d), key=lambda k: sups[k].approx)
        best = sups[i]
        others_vanish = all(problems[j].vanishing_point is not None for j in range(d) if j != i)
        if not others_vanish:
            raise _SymbolicFailure("a separable part has a gradient bounded away from zero")
        point = tuple(best.point if j == i else problems[j].vanishing_point for j in range(d))
        how = best.how if d == 1 else f"{best.how} (coordinate {i}; the other coordinates where their gradient vanishes)"
        return Supremum(best.value, _SYMBOLIC, point, how)
    rho = sp.Symbol("rho", real=True)
    profile = _radial_profile(expr, xs, rho)
    if profile is None:
        raise _SymbolicFailure("neither separable nor radial")
    problem = _one_dim_problem(profile, rho, sp.Interval(0, sp.oo), radial=True)
    best = _one_dim_sup(problem, L0)
    point = (best.point,) + (sp.Integer(0),) * (d - 1)
    return Supremum(best.value, _SYMBOLIC, point, f"{best.how} (radial, along rho = ||x||)")


def _symbolic_min_L0(expr, xs) -> Supremum:
    d = len(xs)
    parts = _separable_parts(expr, xs)
    if parts is not None:
        problems = [_cached_problem(part, x) for part, x in zip(parts, xs)]
        mins = [_one_dim_min_L0(p) for p in problems]
        i = max(range(d), key=lambda k: _num(mins[k][0]))
        if mins[i][1] is None:
            return Supremum(sp.Integer(0), _SYMBOLIC, None, "no stationary point")
        if any(p.vanishing_point is None for p in problems) and d > 1:
            raise _SymbolicFailure("a separable part never has zero gradient: f has no stationary point")
        point = tuple(mins[i][1] if j == i else problems[j].vanishing_point for j in range(d))
        return Supremum(mins[i][0], _SYMBOLIC, point, "max of |hess| over stationary points")
    rho = sp.Symbol("rho", real=True)
    profile = _radial_profile(expr, xs, rho)
    if profile is None:
        raise _SymbolicFailure("neither separable nor radial")
    value, where = _one_dim_min_L0(_one_dim_problem(profile, rho, sp.Interval(0, sp.oo), radial=True))
    if where is None:
        return Supremum(sp.Integer(0), _SYMBOLIC, None, "no stationary point")
    return Supremum(value, _SYMBOLIC, (where,) + (sp.Integer(0),) * (d - 1), "radial: max of |hess| over stationary spheres")


_PROBLEM_CACHE: dict[str, _OneDimProblem] = {}
_CANONICAL = sp.Symbol("t", real=True)


def _cached_problem(part, x) -> _OneDimProblem:
    """One-variable problems of identical separable parts are built once (keyed by expression)."""
    canonical = part.xreplace({x: _CANONICAL})
    key = sp.srepr(canonical)
    if key not in _PROBLEM_CACHE:
        _PROBLEM_CACHE[key] = _one_dim_problem(canonical, _CANONICAL, sp.S.Reals)
    return _PROBLEM_CACHE[key]


# ============================================================================ numeric search


def _real(values, n: int) -> np.ndarray:
    """Values of a lambdified expression as ``n`` floats; nan where they are not real."""
    a = np.asarray(values)
    if np.iscomplexobj(a):
        a = np.where(a.imag == 0, a.real, np.nan)
    return np.broadcast_to(a.astype(float), (n,))


class _NumericObjective:
    """Vectorised gradient / Hessian norms of an expression (numpy and scipy.special via lambdify).

    Points where the gradient or Hessian is not real and finite (outside the domain of f, or
    overflow) are skipped by the search (nan).  Raises CannotDecide when the expression has no
    numeric form.
    """

    def __init__(self, expr, xs):
        grad, hess = _derivatives(expr, xs)
        self.d = len(xs)
        try:
            self._grad = sp.lambdify(xs, grad, ["scipy", "numpy"])
            self._hess = sp.lambdify(xs, hess.tolist(), ["scipy", "numpy"])
            self.norms(np.zeros((1, self.d)))  # a function without a vectorised form fails here
        except CannotDecide:
            raise
        except Exception as exc:
            raise CannotDecide(f"{expr} cannot be evaluated numerically ({type(exc).__name__}: {exc})") from None

    def norms(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(||grad f||, ||hess f||_2)`` at the rows of ``X`` (shape (n, d)); non-finite -> nan."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        n = X.shape[0]
        cols = [X[:, i] for i in range(self.d)]
        with np.errstate(all="ignore"):
            G = np.stack([_real(g, n) for g in self._grad(*cols)], axis=1)
            H = np.empty((n, self.d, self.d))
            for i, row in enumerate(self._hess(*cols)):
                for j, h in enumerate(row):
                    H[:, i, j] = _real(h, n)
            gnorm = np.sqrt(np.sum(G * G, axis=1))
            finite = np.isfinite(H).all(axis=(1, 2)) & np.isfinite(gnorm)
            hnorm = np.full(n, np.nan)
            if finite.any():
                hnorm[finite] = np.max(np.abs(np.linalg.eigvalsh(H[finite])), axis=1)
        gnorm[~finite] = np.nan
        return gnorm, hnorm

    def point_norms(self, x: np.ndarray) -> tuple[float, float]:
        """``(||grad f||, ||hess f||_2)`` at one point (fast path for the local optimiser)."""
        with np.errstate(all="ignore"):
            try:
                G, H = np.array(self._grad(*x)), np.array(self._hess(*x))
                if np.iscomplexobj(G) or np.iscomplexobj(H):  # complex outside the domain of f
                    if np.any(G.imag != 0) or np.any(H.imag != 0):
                        return math.nan, math.nan
                    G, H = G.real, H.real
                g = math.sqrt(sum(float(v) ** 2 for v in G))
                H = H.astype(float)
            except (OverflowError, ValueError, TypeError, ZeroDivisionError):  # undefined there
                return math.nan, math.nan
            if not (math.isfinite(g) and np.isfinite(H).all()):
                return math.nan, math.nan
            return g, float(np.max(np.abs(np.linalg.eigvalsh(H))))

    def gradient(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.array([_real(g, 1)[0] for g in self._grad(*x)])

    def hessian(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.array([[_real(h, 1)[0] for h in row] for row in self._hess(*x)])


def _structured_directions(d: int) -> np.ndarray:
    """Unit vectors along the axes and the diagonals of coordinate planes (both signs).

    Ridges of the ratio often lie on these (coordinate axes of separable-like or diagonal
    objectives), where random sampling in a large box rarely lands.
    """
    eye = np.eye(d)
    out = [s * e for e in eye for s in (1.0, -1.0)]
    out += [(s1 * eye[i] + s2 * eye[j]) / math.sqrt(2.0) for i in range(d) for j in range(i + 1, d) for s1 in (1.0, -1.0) for s2 in (1.0, -1.0)]
    return np.array(out)


def _sample_box(rng, d: int, R: float, n: int) -> np.ndarray:
    """Points of the box ``[-R, R]^d`` at all scales.

    A third uniform in the box, a third on random directions with log-uniform radii in
    ``[R 1e-4, R]``, and the structured directions at 40 log-spaced radii in the same range.
    """
    third = n // 3
    uniform = rng.uniform(-R, R, size=(third, d))
    directions = rng.standard_normal(size=(third, d))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    radii = R * 10.0 ** rng.uniform(-4.0, 0.0, size=(third, 1))
    structured = _structured_directions(d)
    grid = R * np.logspace(-4.0, 0.0, 40)
    lines = (grid[:, None, None] * structured[None, :, :]).reshape(-1, d)
    return np.vstack([uniform, directions * radii, lines])


# Box schedule of the numeric search: half-widths BOX0 * GROWTH**k, k < N_BOXES.
_BOX0, _GROWTH, _N_BOXES = 1.0, 4.0, 10
_SAMPLES_PER_DIM, _N_STARTS = 400, 6


def _numeric_min_L0(num: _NumericObjective, seed: int = 0) -> Supremum:
    """Largest ||hess|| over stationary points found by multi-start least squares on grad f."""
    rng = np.random.default_rng(seed)
    found, R = [], _BOX0
    for k in range(5):
        R = _BOX0 * _GROWTH**k
        X = _sample_box(rng, num.d, R, _SAMPLES_PER_DIM * num.d)
        gnorm, _ = num.norms(X)
        order = np.argsort(np.where(np.isfinite(gnorm), gnorm, np.inf))[:_N_STARTS]
        for x0 in X[order]:
            with np.errstate(all="ignore"):
                try:
                    res = optimize.least_squares(num.gradient, x0, jac=num.hessian, xtol=1e-15, ftol=1e-15, gtol=1e-15)
                except ValueError:  # left the domain of f (non-finite residuals): no stationary point here
                    continue
            if np.all(np.isfinite(res.x)) and np.linalg.norm(num.gradient(res.x)) <= 1e-9:
                found.append(res.x)
    if not found:
        return Supremum(sp.Integer(0), _NUMERIC, None, "no stationary point found", R, True)
    found = np.array(found)
    _, hnorm = num.norms(found)
    if np.all(np.isnan(hnorm)):
        return Supremum(sp.Integer(0), _NUMERIC, None, "no stationary point with a finite Hessian found", R, False)
    i = int(np.nanargmax(hnorm))
    # Stationary points found outside the second-largest box must not carry a larger curvature
    # (x^2 y^2: every point of the axes is stationary, with curvature growing without bound).
    inner = np.max(np.abs(found), axis=1) <= R / _GROWTH
    inner_max = np.nanmax(hnorm[inner]) if np.any(inner & np.isfinite(hnorm)) else -np.inf
    if hnorm[i] > inner_max * (1 + NUMERIC_RTOL) and not inner[i]:
        return Supremum(
            sp.Float(hnorm[i]), _NUMERIC, tuple(map(float, found[i])),
            "max of ||hess|| over stationary points found; it grows with the search box (inconclusive: may be infinite)", R, False,
        )
    return Supremum(sp.Float(hnorm[i]), _NUMERIC, tuple(map(float, found[i])), "max of ||hess|| over stationary points found", R, True)


def _numeric_sup_ratio(num: _NumericObjective, L0: float, seed: int = 0) -> Supremum:
    """Multi-start maximisation of the ratio over growing boxes, with checks along rays.

    In each box: evaluate the ratio at the sampled points (:func:`_sample_box`) and along rays
    (structured and random directions, the maximiser's direction) out to ``2^40 R``; run
    Nelder-Mead (unbounded, relative tolerance) from the best few points.  Stop when two
    consecutive boxes did not increase the best value by more than ``NUMERIC_RTOL``.
    """
    rng = np.random.default_rng(seed)

    def ratio(X):
        gnorm, hnorm = num.norms(X)
        with np.errstate(all="ignore"):
            r = (hnorm - L0) / gnorm
        r[~(gnorm >= NUMERIC_GRAD_FLOOR) | ~np.isfinite(r)] = np.nan
        return r

    def ratio_at(x):
        gnorm, hnorm = num.point_norms(x)
        return (hnorm - L0) / gnorm if gnorm >= NUMERIC_GRAD_FLOOR else math.nan

    best_value, best_x, history, R, stabilised = -math.inf, None, [], _BOX0, False
    random_directions = rng.standard_normal(size=(4, num.d))
    ray_directions = np.vstack([_structured_directions(num.d), random_directions / np.linalg.norm(random_directions, axis=1, keepdims=True)])
    for k in range(_N_BOXES):
        R = _BOX0 * _GROWTH**k
        directions = ray_directions if best_x is None or not np.any(best_x) else np.vstack([ray_directions, best_x / np.linalg.norm(best_x)])
        rays = (R * 2.0 ** np.arange(0, 41))[:, None, None] * directions[None, :, :]
        X = np.vstack([_sample_box(rng, num.d, R, _SAMPLES_PER_DIM * num.d), rays.reshape(-1, num.d)] + ([best_x[None, :]] if best_x is not None else []))
        r = ratio(X)
        if not np.all(np.isnan(r)):
            order = np.argsort(np.where(np.isfinite(r), -r, np.inf))[:_N_STARTS]
            for x0 in X[order]:
                # Scaled by the starting value so that Nelder-Mead's absolute fatol is relative.
                scale = max(abs(ratio_at(x0)), 1e-300)
                res = optimize.minimize(
                    lambda x: -ratio_at(x) / scale if math.isfinite(ratio_at(x)) else math.inf,
                    x0, method="Nelder-Mead",
                    options={"xatol": 1e-12 * max(1.0, float(np.max(np.abs(x0)))), "fatol": 1e-14, "maxiter": 300 * num.d},
                )
                for x in (x0, res.x):
                    value = ratio_at(x)
                    if value > best_value:
                        best_value, best_x = value, np.array(x, dtype=float)
        history.append(best_value)
        if k >= 2 and history[-1] <= history[-3] + NUMERIC_RTOL * abs(history[-3]) + 1e-15:
            stabilised = True
            break
    if best_x is None:
        return Supremum(sp.Integer(0), _NUMERIC, None, "no point with ||grad f|| >= floor", R, stabilised)
    how = "largest ratio found"
    if not stabilised:
        how += " (search did NOT stabilise: the supremum may be larger or infinite)"
    elif num.point_norms(best_x)[0] < 10 * NUMERIC_GRAD_FLOOR:
        # The ratio grows towards a stationary point: its limit there is out of reach numerically.
        stabilised, how = False, how + " next to the gradient floor (inconclusive: the limit at a stationary point may be infinite)"
    elif not math.isfinite(ratio_at(2.0 * best_x)):
        # Beyond the maximiser the objective overflows: the supremum may lie past the float range.
        stabilised, how = False, how + " at the edge of the floating-point range (inconclusive)"
    elif ratio_at(0.5 * best_x) > best_value * (1 + NUMERIC_RTOL) + 1e-15:
        # Still growing towards the origin (1/|x|-like singularities the search cannot follow).
        stabilised, how = False, how + "; the ratio is larger at half the maximiser (inconclusive: may be infinite)"
    else:
        beside = best_x + np.diag(1e-7 * (1.0 + np.abs(best_x)))
        if any(math.isnan(num.point_norms(p)[0]) for p in np.vstack([beside, 2 * best_x - beside])):
            # Next to a point where f is undefined: the supremum may be approached at that boundary.
            stabilised, how = False, how + " at the boundary of the domain of f (inconclusive: may be infinite)"
    if best_value <= 0:
        return Supremum(sp.Integer(0), _NUMERIC, tuple(map(float, best_x)), f"ratio <= 0 at every point tried (largest {best_value:.6g})", R, stabilised)
    return Supremum(sp.Float(best_value), _NUMERIC, tuple(map(float, best_x)), how, R, stabilised)


# ============================================================================ public API


def _exact_attempt(method: str, compute, *args):
    """``compute(*args)`` (an exact computation) if ``method`` allows it; None to fall back to numerics.

    sympy failing in any way (an unsolved equation, an exception from inside sympy, the exact
    share of the time limit used up) means that no exact result is available: ``"auto"`` falls
    back to the numeric search, ``"symbolic"`` raises CannotDecide with the reason.
    """
    if method == _NUMERIC:
        return None
    try:
        with _exact_share():
            return compute(*args)
    except (CannotDecide, InvalidInput):
        raise
    except _ExactShareExpired:
        failure = "the exact computation used its share of the time limit"
    except _SymbolicFailure as exc:
        failure = str(exc)
    except Exception as exc:  # raised inside sympy: no exact result for this expression
        failure = f"sympy raised {type(exc).__name__}: {exc}"
    if method == _SYMBOLIC:
        raise CannotDecide(f"no exact computation available for this objective ({failure}); use method='numeric'")
    return None


def min_admissible_L0(expr, symbols, method: str = "auto", *, timeout=DEFAULT_TIMEOUT) -> Supremum:
    """Smallest L0 for which some L1 works: ``max ||hess f||`` over stationary points.

    Parameters
    ----------
    expr : sympy.Expr
        The objective, in ``symbols``: real-valued, without nan, infinities or ``I``.
    symbols : list of sympy.Symbol
        Real coordinates.
    method : {"auto", "symbolic", "numeric"}
        ``"auto"`` tries the exact computation and falls back to the numeric search.
    timeout : float or None
        Time limit in seconds (module docstring, "Three outcomes and a time limit").

    Returns
    -------
    Supremum
        ``value`` is 0 when f has no stationary point; ``oo`` when f is not C^1.  A numeric
        value with ``stabilised=False`` grew with the search box (it may be infinite).

    Raises
    ------
    InvalidInput
        Before any work, for an argument outside its range.
    CannotDecide
        Time limit reached, or sympy cannot differentiate or evaluate the expression.
    """
    expr, xs = _check_objective(expr, symbols)
    return _limited(_check_timeout(timeout), _min_admissible_L0, expr, xs, _check_method(method))


def _min_admissible_L0(expr, xs, method: str) -> Supremum:
    exact = _exact_attempt(method, _symbolic_min_L0, expr, xs)
    return exact if exact is not None else _numeric_min_L0(_NumericObjective(expr, xs))


def frontier(expr, symbols, L0, method: str = "auto", *, timeout=DEFAULT_TIMEOUT) -> Supremum:
    """The admissible frontier ``L1*(L0) = sup_x (||hess f(x)|| - L0)_+ / ||grad f(x)||``.

    Symbolic for one variable, separable sums and radial functions (module docstring); piecewise
    objectives are split into smooth pieces.  For a C^1, piecewise C^2 f (Huber) this computes
    the frontier of the C^1 relaxation: at interior points of pieces the relaxed condition is the
    C^2 one, and at a breakpoint b the limsup difference quotient of f' equals the larger
    one-sided |f''(b+-)|, which the piece computation includes as one-sided limits of the ratio.
    If f or f' jumps the value is ``oo`` (not C^1).

    Numeric otherwise (or if sympy cannot solve an equation, or uses up its share of the time
    limit): in boxes ``[-R, R]^d``,
    ``R = 1, 4, 16, ...`` (at most 4^9) the ratio is evaluated at 400·d points at all scales
    (uniform, random directions and axes/diagonals at log-spaced radii) and along rays out to
    ``2^40 R``; Nelder-Mead runs from the best few.  The search has *stabilised* when two
    consecutive boxes did not raise the best value by more than NUMERIC_RTOL (relative) and the
    maximiser is neither next to the gradient floor nor at the edge of the floating-point range
    (both would make the value inconclusive).  Points with ``||grad f|| < NUMERIC_GRAD_FLOOR``
    are excluded; stationary points enter through :func:`min_admissible_L0` (``L0`` below it
    gives ``oo``).

    Parameters
    ----------
    expr : sympy.Expr
        The objective, in ``symbols``: real-valued, without nan, infinities or ``I``.
    symbols : list of sympy.Symbol
        Real coordinates.
    L0 : float or sympy number
        ``L0 >= 0``; floats are used at their exact binary value.
    method : {"auto", "symbolic", "numeric"}
    timeout : float or None
        Time limit in seconds (module docstring, "Three outcomes and a time limit").

    Returns
    -------
    Supremum

    Raises
    ------
    InvalidInput
        Before any work, for an argument outside its range.
    CannotDecide
        Time limit reached, or sympy cannot differentiate or evaluate the expression.
    """
    expr, xs = _check_objective(expr, symbols)
    L0 = _exact_number(L0, "L0")
    return _limited(_check_timeout(timeout), _frontier, expr, xs, L0, _check_method(method))


def _frontier(expr, xs, L0, method: str) -> Supremum:
    exact = _exact_attempt(method, _symbolic_frontier, expr, xs, L0)
    if exact is not None:
        return exact
    num = _NumericObjective(expr, xs)
    stationary = _numeric_min_L0(num)
    if _num(stationary.value) > _num(L0) * (1 + NUMERIC_RTOL):
        return Supremum(
            sp.oo, _NUMERIC, stationary.maximiser,
            f"infinite: stationary point with ||hess|| = {_num(stationary.value):.10g} > L0",
            stationary.search_box, True,
        )
    sup = _numeric_sup_ratio(num, _num(L0))
    if not stationary.stabilised and sup.stabilised:
        # Stationary points may carry curvatures above L0 beyond the search: inconclusive.
        return Supremum(sup.value, _NUMERIC, sup.maximiser, f"{sup.how}; {stationary.how}", sup.search_box, False)
    return sup


def certify(expr, symbols, L0, L1, method: str = "auto", *, timeout=DEFAULT_TIMEOUT) -> Certificate:
    """Decide whether ``(L0, L1)`` is admissible: ``||hess f|| <= L0 + L1 ||grad f||`` everywhere.

    Parameters
    ----------
    expr : sympy.Expr
        The objective, in ``symbols``: real-valued, without nan, infinities or ``I``.
    symbols : list of sympy.Symbol
        Real coordinates.
    L0, L1 : float or sympy number
        The declared pair, both >= 0 (floats at their exact binary value).
    method : {"auto", "symbolic", "numeric"}
        See :func:`frontier`.
    timeout : float or None
        Time limit in seconds for the whole decision (module docstring, "Three outcomes and a
        time limit").

    Returns
    -------
    Certificate
        Symbolic: exact comparison ``L1 >= L1*(L0)``.  Numeric: admissible when the search
        stabilised and found no ratio above ``L1 (1 + NUMERIC_RTOL)``.  A rejected pair comes
        with a counterexample point whose margin is negative (or None if none was found).

    Raises
    ------
    InvalidInput
        Before any work, for an argument outside its range.
    CannotDecide
        Time limit reached, or sympy cannot differentiate or evaluate the expression.
    """
    expr, xs = _check_objective(expr, symbols)
    L0, L1 = _exact_number(L0, "L0"), _exact_number(L1, "L1")
    return _limited(_check_timeout(timeout), _certify, expr, xs, L0, L1, _check_method(method))


def _certify(expr, xs, L0, L1, method: str) -> Certificate:
    sup = _frontier(expr, xs, L0, method)
    slack = -sp.oo if sup.value == sp.oo else L1 - sup.value
    if sup.method == _SYMBOLIC:
        admissible = sup.value != sp.oo and _sign(L1 - sup.value) >= 0
        reason = "exact: L1 >= L1*(L0)" if admissible else "exact: L1 < L1*(L0)"
    else:
        within = sup.value != sp.oo and _num(sup.value) <= _num(L1) * (1 + NUMERIC_RTOL) + 1e-15
        admissible = bool(within and sup.stabilised)
        reason = (
            "numeric: no violation found and the search stabilised" if admissible
            else "numeric: the search did not stabilise" if within
            else "numeric: violation found"
        )
    if admissible:
        margin = None
        if sup.maximiser is not None and all(_num(c) not in (math.inf, -math.inf) for c in sup.maximiser):
            margin = _margin_or_none(_Margin(expr, xs), sup.maximiser, L0, L1)
        return Certificate(L0, L1, True, sup, slack, None, margin, reason)
    if sup.how.startswith(_JUMP):
        # f' is discontinuous there: the difference quotient of grad f is unbounded.
        return Certificate(L0, L1, False, sup, slack, sup.maximiser, -math.inf, reason)
    point = _counterexample(expr, xs, L0, L1, sup)
    margin = None if point is None else _Margin(expr, xs)(point, L0, L1)
    return Certificate(L0, L1, False, sup, slack, point, margin, reason)


def _margin_or_none(margin, point, L0, L1) -> float | None:
    """The margin at ``point``, or None where it cannot be evaluated (a boundary of the domain)."""
    try:
        return margin(point, L0, L1)
    except (_SymbolicFailure, ValueError, TypeError, OverflowError, ZeroDivisionError):
        return None


def _counterexample(expr, xs, L0, L1, sup: Supremum) -> tuple | None:
    """A finite point with negative margin, at or near where the frontier's supremum is approached.

    Tries the maximiser itself (a stationary point with ``||hess|| > L0``, an attained
    maximum), then the sequence approaching it: ``+-2^k`` for infinite coordinates and
    ``c +- 2^-k`` for finite ones, k = 0, ..., 63.
    """
    if sup.maximiser is None:
        return None
    margin = _Margin(expr, xs)
    centre = [sp.sympify(c) for c in sup.maximiser]
    finite = [c not in (sp.oo, -sp.oo) for c in centre]
    candidates = [tuple(centre)] if all(finite) else []
    for k in range(64):
        for side in (1, -1):
            candidates.append(tuple(
                c + side * sp.Rational(1, 2**k) if ok else sp.sign(c) * sp.Integer(2) ** k
                for c, ok in zip(centre, finite)
            ))
    for point in candidates:
        value = _margin_or_none(margin, point, L0, L1)
        if value is not None and value < 0:
            return point
    return None


def find_unbounded_path(expr, symbols, *, timeout=DEFAULT_TIMEOUT) -> UnboundedPath | None:
    """Look for a path proving that f is not (L0, L1)-smooth for any pair.

    Candidate paths, with ``t -> +-oo``:

    * valleys: ``x_i = t`` and the other coordinates solving ``d f / d x_j = 0`` (``j != i``),
      solved exactly by sympy (e.g. Rosenbrock: ``(t, t^2)``);
    * rays ``t e_i`` and ``t (1, ..., 1)``.

    For each path and each diagonal Hessian entry ``h`` the limits of ``h^2 / ||grad f||^2`` and
    ``||grad f||^2`` are computed with ``sympy.limit``; the first path with ``+oo`` and a positive
    limit is returned (see :class:`UnboundedPath` for why this proves the claim).

    Parameters
    ----------
    expr : sympy.Expr
        The objective.
    symbols : list of sympy.Symbol
        Real coordinates.
    timeout : float or None
        Time limit in seconds (module docstring, "Three outcomes and a time limit").

    Returns
    -------
    UnboundedPath or None
        None if no candidate path proves unboundedness (which proves nothing).  A path or a
        limit on which sympy fails is skipped.

    Raises
    ------
    InvalidInput
        Before any work, for an argument outside its range.
    CannotDecide
        Time limit reached before every candidate path was examined, or sympy cannot
        differentiate the expression.
    """
    expr, xs = _check_objective(expr, symbols)
    return _limited(_check_timeout(timeout), _find_unbounded_path, expr, xs)


def _find_unbounded_path(expr, xs) -> UnboundedPath | None:
    grad, hess = _derivatives(expr, xs)
    t = sp.Symbol("t", real=True)
    d = len(xs)
    paths = []
    if d > 1:
        for i in range(d):
            others = [x for j, x in enumerate(xs) if j != i]
            equations = [grad[j].subs(xs[i], t) for j in range(d) if j != i]
            try:
                solutions = sp.solve(equations, others, dict=True)
            except Exception:  # sympy cannot solve for this valley: skip it
                solutions = []
            for sol in solutions:
                path = tuple(t if j == i else sp.simplify(sol.get(xs[j], xs[j])) for j in range(d))
                if all(p.free_symbols <= {t} and not p.has(sp.I) for p in path):
                    paths.append((path, f"valley: grad_j f = 0 for j != {i}, x_{i} = t"))
    paths += [(tuple(t if j == i else sp.Integer(0) for j in range(d)), f"ray along e_{i}") for i in range(d)]
    if d > 1:
        paths.append((tuple([t] * d), "ray along (1, ..., 1)"))
    for path, origin in paths:
        sub = dict(zip(xs, path))
        grad_sq = sp.simplify(sum(g.subs(sub) ** 2 for g in grad))
        for direction in (sp.oo, -sp.oo):
            try:
                g_lim = sp.limit(grad_sq, t, direction)
            except Exception:  # sympy cannot take this limit: the path proves nothing
                continue
            if not (g_lim == sp.oo or (g_lim.is_positive and g_lim.is_finite)):
                continue
            for i in range(d):
                h = sp.simplify(hess[i, i].subs(sub))
                try:
                    r_lim = sp.limit(h**2 / grad_sq, t, direction)
                except Exception:  # sympy cannot take this limit: the path proves nothing
                    continue
                if r_lim == sp.oo:
                    return UnboundedPath(t, path, direction, i, r_lim, g_lim, origin)
    return None


# ============================================================================ local Lipschitz lemma


def _positive_symbols():
    L0, L1, g0, s, c = sp.symbols("L0 L1 g0 s c", positive=True)
    return L0, L1, g0, s, c


def gronwall_gradient_bound(L0, L1, grad_norm, distance) -> sp.Expr:
    """``(L0 + L1 ||grad f(x)||) (exp(L1 s) - 1) / L1`` bounds ``||grad f(y) - grad f(x)||``, s = ||y - x||.

    Derived here by Grönwall's inequality (standard; see :func:`local_lipschitz_derivation`).
    Valid for every distance when f is (L0, L1)-smooth on the segment [x, y].  For ``L1 = 0`` it
    is the limit ``L0 s``.

    Parameters
    ----------
    L0, L1, grad_norm, distance : float or sympy expression
        Non-negative numbers, or sympy symbols.

    Returns
    -------
    sympy.Expr
    """
    L0, L1, g0, s = (_nonnegative_input(v, n) for v, n in ((L0, "L0"), (L1, "L1"), (grad_norm, "grad_norm"), (distance, "distance")))
    if L1 == 0:
        return L0 * s
    return (L0 + L1 * g0) * (sp.exp(L1 * s) - 1) / L1


def _nonnegative_input(value, name):
    """A sympy expression; numbers must be finite and >= 0 (symbols are accepted as they are)."""
    try:
        out = sp.sympify(value)
    except (sp.SympifyError, TypeError):
        raise InvalidInput(f"{name} must be a number >= 0 or a sympy expression, got {value!r}") from None
    if not out.free_symbols:
        if not (out.is_real and out.is_finite) or out < 0:
            raise InvalidInput(f"{name} must be a finite number >= 0, got {value!r}")
    elif out.is_negative:
        raise InvalidInput(f"{name} must be >= 0, got {value!r}")
    return out


def _phi(c):
    """``(e^c - 1)/c``, the derivative-free constant of the lemma."""
    return (sp.exp(c) - 1) / c


def local_lipschitz_constants(c) -> tuple[sp.Expr, sp.Expr]:
    """``(A, B)`` with ``||grad f(y) - grad f(x)|| <= (A L0 + B L1 ||grad f(x)||) ||y - x||`` when ``||y - x|| <= c / L1``.

    Derived here (Grönwall, :func:`local_lipschitz_derivation`): ``A = B = (e^c - 1)/c``.  The
    form recalled in docs/mathematics.md#local-lipschitz-lemma-and-descent-model (:func:`recalled_local_lipschitz_constants`) has the same
    B and a larger A, so it follows from this one.

    Parameters
    ----------
    c : float or sympy expression
        ``c > 0``.

    Returns
    -------
    (sympy.Expr, sympy.Expr)
    """
    c = _positive_input(c, "c")
    return _phi(c), _phi(c)


def recalled_local_lipschitz_constants(c) -> tuple[sp.Expr, sp.Expr]:
    """The recalled form ``A = 1 + e^c - (e^c - 1)/c``, ``B = (e^c - 1)/c`` (weaker; implied by ours).

    Parameters
    ----------
    c : float or sympy expression
        ``c > 0``.

    Returns
    -------
    (sympy.Expr, sympy.Expr)
    """
    c = _positive_input(c, "c")
    return 1 + sp.exp(c) - _phi(c), _phi(c)


def _positive_input(value, name):
    out = _nonnegative_input(value, name)
    if out == 0 or out.is_zero:
        raise InvalidInput(f"{name} must be > 0, got {value!r}")
    return out


def descent_bound(f_x, grad_norm, step, L0, L1, c=None) -> sp.Expr:
    """Upper bound on ``f(x - h grad f(x))`` for an (L0, L1)-smooth f (derived here).

    With ``g = ||grad f(x)||`` and ``s = h g`` (the length of the step):

    * ``c=None`` (exponential form, any step):
      ``f(x) - h g^2 + (L0 + L1 g) / L1^2 * (e^{L1 s} - 1 - L1 s)``, obtained by integrating
      :func:`gronwall_gradient_bound` along the step.  It is the model of Vankov et al. 2024
      (arXiv 2410.10800); see docs/mathematics.md#local-lipschitz-lemma-and-descent-model.
    * ``c`` given (requires ``L1 h g <= c``): the linearised form
      ``f(x) - h g^2 + (A L0 + B L1 g) h^2 g^2 / 2`` with ``A = B = (e^c - 1)/c`` from
      :func:`local_lipschitz_constants` (it is >= the exponential form there).

    Clipped and normalized steps satisfy ``h g <= c / L1`` by construction.

    Parameters
    ----------
    f_x : float or sympy expression
        ``f(x)``.
    grad_norm, step : float or sympy expression
        ``g >= 0`` and ``h >= 0``.
    L0, L1 : float or sympy expression
        The pair, ``L0 >= 0``, ``L1 > 0``.
    c : float or sympy expression, optional
        Radius constant, ``c > 0``.

    Returns
    -------
    sympy.Expr
    """
    try:
        f_x = sp.sympify(f_x, strict=True)
    except (sp.SympifyError, TypeError, ValueError):
        raise InvalidInput(f"f_x must be a finite real number or a sympy expression, got {f_x!r}") from None
    if not isinstance(f_x, sp.Expr) or (not f_x.free_symbols and not (f_x.is_real and f_x.is_finite)):
        raise InvalidInput(f"f_x must be a finite real number or a sympy expression, got {f_x!r}")
    g, h = _nonnegative_input(grad_norm, "grad_norm"), _nonnegative_input(step, "step")
    L0, L1 = _nonnegative_input(L0, "L0"), _positive_input(L1, "L1")
    if c is None:
        s = L1 * h * g
        return f_x - h * g**2 + (L0 + L1 * g) / L1**2 * (sp.exp(s) - 1 - s)
    A, B = local_lipschitz_constants(c)
    if not (L1 * h * g - _positive_input(c, "c")).free_symbols and L1 * h * g > c:
        raise InvalidInput(f"c: the linearised descent bound needs L1 * step * grad_norm <= c, got {L1 * h * g} > {c}")
    return f_x - h * g**2 + (A * L0 + B * L1 * g) * h**2 * g**2 / 2


def _nonneg_by_derivatives(expr, c, order: int) -> bool:
    """``expr(c) >= 0`` on c >= 0: its first ``order`` derivatives vanish at 0 and the next is >= 0.

    The last derivative is shown non-negative by sympy's sign inference with c positive.
    """
    for k in range(order):
        if sp.simplify(sp.diff(expr, c, k).subs(c, 0)) != 0:
            return False
    top = sp.factor(sp.simplify(sp.diff(expr, c, order)))
    return bool(top.is_nonnegative)


def local_lipschitz_derivation() -> list[CheckedStep]:
    """The local Lipschitz lemma and descent inequality, derived here and checked step by step.

    Setting (docs/mathematics.md#local-lipschitz-lemma-and-descent-model; derived here, standard): f is (L0, L1)-smooth, x, y with
    ``s = ||y - x||``, ``e = (y - x)/s``, ``g0 = ||grad f(x)||`` and
    ``u(t) = ||grad f(x + t e) - grad f(x)||``.

    1. ``u(t) <= int_0^t ||hess f(x + tau e)|| dtau <= int_0^t (L0 + L1 (g0 + u(tau))) dtau``
       (fundamental theorem of calculus, the smoothness condition, the triangle inequality).
    2. Grönwall: ``u <= v`` where ``v' = L0 + L1 g0 + L1 v``, ``v(0) = 0``; sympy solves the ODE:
       ``v(t) = (L0 + L1 g0)(e^{L1 t} - 1)/L1``.
    3. ``(e^a - 1)/a`` is increasing, so for ``L1 s <= c``: ``v(s) <= (L0 + L1 g0) s (e^c - 1)/c``,
       i.e. ``A = B = (e^c - 1)/c``.
    4. the recalled ``A = 1 + e^c - (e^c - 1)/c`` is >= ours (so its statement also holds).
    5. Descent: ``f(x - h g) - f(x) + h ||g||^2 <= int_0^1 v(t h ||g||) h ||g|| dt
       = (L0 + L1 ||g||)/L1^2 (e^{L1 s} - 1 - L1 s)``, ``s = h ||g||``; and for ``L1 s <= c`` this is
       ``<= (A L0 + B L1 ||g||) s^2 / 2``.

    Returns
    -------
    list of CheckedStep
        Each step's check is run when this function is called.
    """
    L0, L1, g0, s, c = _positive_symbols()
    t, tau, a = sp.symbols("t tau a", positive=True)
    v = sp.Function("v")
    steps = []

    ode = sp.dsolve(sp.Eq(v(t).diff(t), L0 + L1 * g0 + L1 * v(t)), v(t), ics={v(0): 0})
    v_sol = gronwall_gradient_bound(L0, L1, g0, t)
    steps.append(CheckedStep(
        "the comparison ODE v' = L0 + L1 (g0 + v), v(0) = 0 has v = (L0 + L1 g0)(e^{L1 t} - 1)/L1",
        "sympy: dsolve, difference simplified to 0",
        sp.simplify(ode.rhs - v_sol) == 0,
    ))
    integral = sp.integrate((L0 + L1 * (g0 + v_sol.subs(t, tau))), (tau, 0, t))
    steps.append(CheckedStep(
        "v solves the integral equation v(t) = int_0^t (L0 + L1 (g0 + v)) (Grönwall's comparison function)",
        "sympy: integrate, difference simplified to 0",
        sp.simplify(integral - v_sol) == 0,
    ))
    phi_increasing = sp.diff(_phi(a), a) * a**2  # = a e^a - e^a + 1
    steps.append(CheckedStep(
        "(e^a - 1)/a is increasing on a > 0: its derivative times a^2 is a e^a - e^a + 1 >= 0",
        "sympy: vanishes at 0 and its derivative a e^a is >= 0",
        _nonneg_by_derivatives(sp.simplify(phi_increasing), a, 1),
    ))
    linear = gronwall_gradient_bound(L0, L1, g0, s) - (L0 + L1 * g0) * s * _phi(L1 * s)
    steps.append(CheckedStep(
        "(L0 + L1 g0)(e^{L1 s} - 1)/L1 = (L0 + L1 g0) s (e^{L1 s} - 1)/(L1 s) <= (L0 + L1 g0) s (e^c - 1)/c for L1 s <= c",
        "sympy: identity simplified to 0; the inequality is monotonicity of (e^a - 1)/a",
        sp.simplify(linear) == 0,
    ))
    A_recalled, B_recalled = recalled_local_lipschitz_constants(c)
    A_ours, B_ours = local_lipschitz_constants(c)
    steps.append(CheckedStep(
        "the recalled A = 1 + e^c - (e^c - 1)/c >= (e^c - 1)/c, same B: c (A - A_ours) = c(1 + e^c) - 2(e^c - 1) >= 0",
        "sympy: value and first derivative vanish at 0, second derivative c e^c >= 0",
        sp.simplify(B_recalled - B_ours) == 0 and _nonneg_by_derivatives(sp.expand(c * (A_recalled - A_ours)), c, 2),
    ))
    gnorm, h = sp.symbols("G h", positive=True)
    descent_integral = sp.integrate(gronwall_gradient_bound(L0, L1, gnorm, t * h * gnorm) * h * gnorm, (t, 0, 1))
    exact_form = descent_bound(0, gnorm, h, L0, L1) + h * gnorm**2
    steps.append(CheckedStep(
        "int_0^1 v(t h G) h G dt = (L0 + L1 G)/L1^2 (e^{L1 h G} - 1 - L1 h G): the exponential descent bound",
        "sympy: integrate, difference simplified to 0",
        sp.simplify(descent_integral - exact_form) == 0,
    ))
    psi = (sp.exp(a) - 1 - a) / a**2
    psi_increasing = sp.simplify(sp.diff(psi, a) * a**3)  # = a e^a - 2 e^a + 2 + a
    steps.append(CheckedStep(
        "(e^a - 1 - a)/a^2 is increasing on a > 0 and (e^c - 1 - c)/c^2 <= (e^c - 1)/(2c)",
        "sympy: both numerators vanish to second order at 0 with third/second derivative >= 0",
        _nonneg_by_derivatives(psi_increasing, a, 2)
        and _nonneg_by_derivatives(sp.expand(c * (sp.exp(c) - 1) - 2 * (sp.exp(c) - 1 - c)), c, 2),
    ))
    # exponential form <= linearised form when L1 h G <= c: (L0 + L1 G)/L1^2 * psi(L1 s) (L1 s)^2
    # <= (L0 + L1 G) s^2 psi(c) <= (A L0 + B L1 G) s^2 / 2.
    exp_minus_lin = exact_form - (L0 + L1 * gnorm) * (h * gnorm) ** 2 * psi.subs(a, L1 * h * gnorm)
    steps.append(CheckedStep(
        "(L0 + L1 G)/L1^2 (e^{L1 s} - 1 - L1 s) = (L0 + L1 G) s^2 psi(L1 s), psi(a) = (e^a - 1 - a)/a^2",
        "sympy: identity simplified to 0",
        sp.simplify(exp_minus_lin) == 0,
    ))
    return steps
