"""Synthetic objectives: one registry entry and one compiled kernel each.

Each :class:`Objective` carries its *defining* sympy expression
(:meth:`Objective.expression`); the compiled kernel is an optimised
implementation of that expression and is tested against it (value and
gradient), against finite differences, and its ``f*`` against a numerical
minimum.  The declared (L0, L1) pairs are certified by :mod:`theory`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy as sp

from ._numba import jit
from .params import Component, Param, Registry


@dataclass(frozen=True, kw_only=True)
class Objective(Component):
    """A registered objective ``f: R^d -> R``.

    Attributes
    ----------
    sympy_expr : callable ``(xs, params) -> sympy.Expr``
        The defining expression in the list of symbols ``xs`` (length d).
    f_star : callable ``(dim, params) -> float``
        The infimum of f.
    pairs : callable ``(dim, params) -> list of (L0, L1)``
        Declared (L0, L1)-smoothness pairs; an empty list declares that the
        objective is *not* (L0, L1)-smooth (e.g. Rosenbrock).
    x0 : callable ``(dim, params) -> ndarray``
        Default starting point.
    fixed_dim : int or None
        The dimension when the objective has no ``dim`` parameter.
    """

    kind: str = "objective"
    sympy_expr: Callable = field(repr=False)
    f_star: Callable = field(repr=False)
    pairs: Callable = field(repr=False)
    x0: Callable = field(repr=False)
    fixed_dim: int | None = None

    def dimension(self, values: dict[str, float]) -> int:
        """The dimension d for resolved parameter values."""
        return int(values["dim"]) if self.fixed_dim is None else self.fixed_dim

    def expression(self, values: dict[str, float]) -> tuple[sp.Expr, list[sp.Symbol]]:
        """``(f, xs)``: the defining sympy expression and its d real symbols."""
        xs = list(sp.symbols(f"x0:{self.dimension(values)}", real=True))
        return self.sympy_expr(xs, values), xs


_DIM = Param("dim", 1, 1, 10**6, integer=True, doc="dimension d")


def _quadratic_expr(xs, p):
    d = len(xs)
    return sp.Rational(1, 2) * sum(_quadratic_eig(i, d, p["L"], p["cond"]) * x**2 for i, x in enumerate(xs))


def _quadratic_eig(i, d, L, cond):
    # Eigenvalues spread geometrically from L (i = 0) down to L / cond (i = d - 1).
    return L if d == 1 else L * cond ** (-i / (d - 1))


OBJECTIVES = Registry(
    "objective",
    [
        Objective(
            name="quadratic",
            id=0,
            params=(
                _DIM,
                Param("L", 1.0, 0.0, math.inf, lo_open=True, doc="largest curvature"),
                Param("cond", 1.0, 1.0, math.inf, doc="condition number: curvatures spread geometrically from L to L/cond"),
            ),
            doc="f = 1/2 sum_i lambda_i x_i^2: the L-smooth baseline, (L0, L1) = (L, 0)",
            sympy_expr=_quadratic_expr,
            f_star=lambda d, p: 0.0,
            pairs=lambda d, p: [(p["L"], 0.0)],
            x0=lambda d, p: np.ones(d),
        ),
        Objective(
            name="quartic",
            id=1,
            params=(_DIM, Param("a", 1.0, 0.0, math.inf, lo_open=True, doc="coefficient")),
            doc="f = a sum_i x_i^4: (16a/L1^2, L1)-smooth for every L1 > 0, not L-smooth",
            sympy_expr=lambda xs, p: p["a"] * sum(x**4 for x in xs),
            f_star=lambda d, p: 0.0,
            pairs=lambda d, p: [(16.0 * p["a"] / l1**2, l1) for l1 in (0.5, 1.0, 2.0, 4.0)],
            x0=lambda d, p: np.ones(d),
        ),
    ],
)


# ----------------------------------------------------------------------------- kernels


@jit
def _quadratic(p, x, g):
    d = x.shape[0]
    L, cond = p[1], p[2]
    f = 0.0
    for i in range(d):
        lam = L if d == 1 else L * cond ** (-i / (d - 1))
        g[i] = lam * x[i]
        f += 0.5 * lam * x[i] * x[i]
    return f


@jit
def _quartic(p, x, g):
    a = p[1]
    f = 0.0
    for i in range(x.shape[0]):
        x2 = x[i] * x[i]
        g[i] = 4.0 * a * x2 * x[i]
        f += a * x2 * x2
    return f


@jit
def value_and_grad(obj_id, p, x, g):
    """f(x), writing grad f(x) into ``g``; dispatches on the registry id."""
    if obj_id == 0:
        return _quadratic(p, x, g)
    elif obj_id == 1:
        return _quartic(p, x, g)
    return math.nan
