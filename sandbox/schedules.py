"""Power-law step-size and threshold schedules, shared by the theorems and the simulator.

A theorem prescribes parameters such as ``eta_k = c / (mu (k + 1))`` or
``tau = sigma K^{1/(3 alpha - 2)}``; all of them are of the form

    value_k = coef * (k + offset) ** power,   k = 0, 1, ..., K - 1,

where ``coef`` may depend on the horizon ``K`` and on problem constants.  The
simulator evaluates this form inside its compiled loop, so a schedule costs no
memory proportional to ``K``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PowerSchedule:
    """``value_k = coef * (k + offset) ** power`` for ``k = 0, ..., K-1``.

    Parameters
    ----------
    coef : float
        Multiplier (already evaluated for the horizon K, if it depends on it).
    power : float
        Exponent of ``k + offset``; 0 gives a constant.
    offset : float
        Shift of the step counter; must be positive when ``power != 0``.
    """

    coef: float
    power: float = 0.0
    offset: float = 1.0

    def __post_init__(self):
        """Raise ``ValueError`` naming the field and its valid range for an invalid field."""
        for name in ("coef", "power", "offset"):
            value = getattr(self, name)
            try:
                finite = math.isfinite(float(value))
            except (TypeError, ValueError, OverflowError):
                finite = False
            if not finite:
                raise ValueError(f"PowerSchedule {name} must be a finite number, i.e. in (-inf, inf), got {value!r}")
        if self.power != 0.0 and self.offset <= 0.0:
            # (k + offset)^power at k = 0 is undefined or infinite for offset <= 0
            raise ValueError(f"PowerSchedule offset must be in (0, inf) when power != 0, got {self.offset!r}")

    def __call__(self, k):
        """Value(s) at step(s) ``k`` (NumPy broadcasting)."""
        k = np.asarray(k, dtype=np.float64)
        return self.coef * (k + self.offset) ** self.power

    def endpoints(self, K: int) -> tuple[float, float]:
        """Values at k = 0 and k = K - 1 (the extremes: the form is monotone in k)."""
        return float(self(0)), float(self(K - 1))
