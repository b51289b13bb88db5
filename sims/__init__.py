"""Numba-accelerated simulators of first-order methods under (L0,L1)-smoothness and heavy-tailed noise.

Public API
----------
simulate
    Run R replicates of a method on an objective with injected noise.
sample_noise
    Draw from a registered noise law (the same numbers the simulator uses).
OBJECTIVES, METHODS, LAWS
    Registries of the available components and their parameters.
PowerSchedule
    ``coef * (k + offset)**power`` step-size / threshold schedules.
InvalidParameter
    Raised for every invalid input, before any work starts.
InsufficientMemory
    The :class:`InvalidParameter` raised when a request would not fit in the
    memory limit (``max_memory=``, ``SANDBOX_MAX_MEMORY`` or the available memory).
"""

from sandbox.schedules import PowerSchedule

from .engine import METRICS, SimulationResult, record_grid, simulate
from .methods import METHODS
from .noise import LAWS, sample_noise
from .objectives import OBJECTIVES
from .memory import InsufficientMemory
from .params import InvalidParameter

__all__ = [
    "simulate",
    "sample_noise",
    "record_grid",
    "SimulationResult",
    "METRICS",
    "OBJECTIVES",
    "METHODS",
    "LAWS",
    "PowerSchedule",
    "InvalidParameter",
    "InsufficientMemory",
]
