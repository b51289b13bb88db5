"""Valid intervals of parameters and constants, shared by :mod:`theory` and :mod:`sims` (both import this neutral module).

Both ``sims.params.Param`` (simulator parameters) and
``theory.theorem.Constant`` (theorem constants) describe a value by an
interval with open or closed ends, optionally restricted to integers; this
mixin gives them one notation and one membership test.
"""

from __future__ import annotations

import math


class IntervalMixin:
    """Interval behaviour for a class with attributes ``lo, hi, lo_open, hi_open, integer``."""

    lo: float
    hi: float
    lo_open: bool
    hi_open: bool
    integer: bool

    def range_text(self) -> str:
        """The valid interval in mathematical notation, e.g. ``(0, 2]`` or ``integer in [1, inf)``."""
        left = "(" if (self.lo_open or self.lo == -math.inf) else "["
        right = ")" if (self.hi_open or self.hi == math.inf) else "]"

        def fmt(v: float) -> str:
            return ("-inf" if v < 0 else "inf") if math.isinf(v) else f"{v:g}"

        return ("integer in " if self.integer else "") + f"{left}{fmt(self.lo)}, {fmt(self.hi)}{right}"

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval; nan and +-inf never do."""
        if not math.isfinite(value):
            return False
        if self.integer and value != math.floor(value):
            return False
        above = value > self.lo if self.lo_open else value >= self.lo
        below = value < self.hi if self.hi_open else value <= self.hi
        return bool(above and below)
