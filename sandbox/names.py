"""Names shared by :mod:`sims` and :mod:`theory`: metrics, quantities, built-in components.

:mod:`theory` never imports :mod:`sims` (nor numba); both import this module,
so neither keeps a copy of the other's names.  :mod:`sims` checks its
registries against :data:`COMPONENT_PARAMETERS` when it is imported (a
mismatch is an error at import, not a test that can be forgotten), and its
engine records exactly :data:`METRICS`.
"""

from __future__ import annotations

#: What the engine records at each recorded step k (``sims.SimulationResult.records``), with the
#: power q such that "accuracy eps" means metric <= eps^q where a theorem may bound the metric
#: (None: not a theorem quantity).  Described in full in the docstring of :mod:`sims.engine`.
METRICS: dict[str, tuple[str, int | None]] = {
    "grad_norm": ("||grad f(x_k)||", 1),
    "f_gap": ("f(x_k) - f*", 1),
    "min_grad_norm": ("min_{j<=k} ||grad f(x_j)||", 1),
    "avg_min_grad": ("(1/(k+1)) sum_{j<=k} min{||grad f(x_j)||, ||grad f(x_j)||^2}", 2),
    "avg_grad_norm": ("(1/(k+1)) sum_{j<=k} ||grad f(x_j)||", 1),
    "avg_grad_norm_sq": ("(1/(k+1)) sum_{j<=k} ||grad f(x_j)||^2", 2),
    "clip_fraction": ("(1/k) sum_{j<k} c_j, c_j the clipped fraction of step j", None),
    "f_gap_avg_iterate": ("f(xbar_k) - f*, xbar_k weighted by w_j = (j+1)^p", 1),
    "local_smoothness": ("||grad f(x_k + s/2) - grad f(x_k)|| / (||s||/2), s = x_{k+1} - x_k", None),
}

#: Quantities a theorem may bound: the metrics with a power, and the iteration count to
#: reach ||grad f(x_k)|| <= eps (derived from the grad_norm records).
QUANTITIES: dict[str, tuple[str, int | None]] = {
    **{name: entry for name, entry in METRICS.items() if entry[1] is not None},
    "iterations_to_eps": ("first k with ||grad f(x_k)|| <= eps", None),
}

#: The built-in components of each kind and their parameter names, in the order their kernels
#: read them.  The definitions (ranges, kernels, facts) are in sims.objectives, sims.methods
#: and sims.noise; adding a built-in adds its line here.
COMPONENT_PARAMETERS: dict[str, dict[str, tuple[str, ...]]] = {
    "objective": {
        "quadratic": ("dim", "L", "cond"),
        "quartic": ("dim", "a"),
        "norm_quartic": ("dim", "cond"),
        "cosh": ("dim",),
        "exp_wall": ("dim", "L0", "L1"),
        "huber": ("dim", "slope", "L"),
        "double_well": ("dim",),
        "rosenbrock": ("b",),
        "pseudo_huber": ("dim", "delta"),
    },
    "method": {
        "sgd": ("lr",),
        "clipped_sgd": ("lr", "threshold", "clip_offset"),
        "soft_clipped_sgd": ("lr", "threshold"),
        "normalized_sgd": ("lr", "norm_offset"),
        "normalized_sgd_momentum": ("lr", "momentum"),
        "clipped_momentum": ("lr", "threshold", "momentum", "mix"),
        "cclip": ("lr", "threshold"),
        "acclip": ("lr", "momentum", "moment_decay", "moment_order", "eps"),
        "adam": ("lr", "momentum", "moment_decay", "eps"),
        "l0l1_gd": ("L0", "L1"),
    },
    "noise law": {
        "none": (),
        "gaussian": ("scale",),
        "stable": ("alpha", "beta", "scale"),
        "stable_isotropic": ("alpha", "scale"),
        "student_t": ("df", "scale"),
        "pareto": ("alpha", "scale"),
        "log_tail": ("alpha", "scale"),
        "bounded": ("radius",),
    },
}
METHOD_NAMES: tuple[str, ...] = tuple(COMPONENT_PARAMETERS["method"])
LAW_PARAMETERS: dict[str, tuple[str, ...]] = COMPONENT_PARAMETERS["noise law"]
