"""iterations-vs-M: ICLR20's headline, iterations to ||grad f|| <= eps against the gradient scale M.

Setting of ICLR20 Thm 4 (``checks.cases.deterministic``): L0 = L1 = eps = 1,
fixed gap Delta, M on a log grid, and for every method the worst of the two
instances Thm 4 selects (the exponential wall started where |f'| = M, and the
Huber function with slope 2 eps and gap Delta).  Fixed-step GD with the best
step of a grid needs ~ M/log M iterations (Thm 4's lower bound, drawn); GD with
Thm 6's step ~ M (Thm 6's upper bound, drawn); clipped and normalized GD with
Thm 3's parameters need a number independent of M (Thm 3's bound, drawn).
For small M the best fixed step wins; the dotted line marks the M where
best-step GD overtakes clipped GD (log-log interpolation between grid points).
"""

from __future__ import annotations

import math

import numpy as np

from checks.cases import deterministic as det
from checks.measure import derive_seed
from theory.catalog import get

from .core import THEORY_STYLE, method_color
from .registry import Figure, register

_PRESCRIBED = (
    ("iclr20_thm3_clipped_gd", "clipped GD (Thm 3 parameters)", "clipped_sgd", "o"),
    ("iclr20_thm3_normalized_gd", "normalized GD (Thm 3 parameters)", "normalized_sgd", "s"),
    ("iclr20_thm6_gd_upper", "GD, Thm 6 step 1/(2(M L1 + L0))", "sgd", "^"),
)


def _crossover(Ms, a, b):
    """The first M where ``a`` overtakes ``b``, interpolated linearly in log-log coordinates; None if it does not."""
    r = np.log(np.asarray(a, dtype=float) / np.asarray(b, dtype=float))
    for k in range(r.size - 1):
        if r[k] < 0 <= r[k + 1]:
            t = -r[k] / (r[k + 1] - r[k])
            return float(np.exp(np.log(Ms[k]) + t * np.log(Ms[k + 1] / Ms[k])))
    return None


def make(quick: bool, seed: int, cache):
    import matplotlib.pyplot as plt

    Ms = np.geomspace(*det.THM4_M_RANGE, 4 if quick else 9)
    n_steps = 8 if quick else 24
    base = dict(det.THM4_CONSTANTS)
    config = {"constants": base, "M": Ms.tolist(), "step_grid_points": n_steps, "step_factors": det.step_factors(n_steps).tolist()}

    def compute():
        out = {"best_gd": np.empty(Ms.size), "best_h": np.empty(Ms.size)}
        for tid, *_ in _PRESCRIBED:
            out[tid] = np.empty(Ms.size)
        for i, M in enumerate(Ms):
            constants = dict(base, M=float(M))
            threshold = det.divergence_threshold(constants)
            best = (math.inf, math.nan)
            for factor in det.step_factors(n_steps):
                h = float(factor * threshold)
                _, hits = det.fixed_step_hits(constants, h, derive_seed(seed, "iterations-vs-M", float(M), h))
                best = min(best, (float(hits.T[0]), h))
            out["best_gd"][i], out["best_h"][i] = best
            for tid, *_ in _PRESCRIBED:
                hits = det.hits_on_thm4_instances(tid, constants, seed)
                out[tid][i] = max(float(v.T[0]) for v in hits.values())  # worst of the two instances
        return out

    data = cache.get({"figure": "iterations-vs-M", "seed": seed, **config}, compute)
    Mfine = np.geomspace(Ms[0], Ms[-1], 100)

    def bound(tid, M):
        thm = get(tid)
        consts = det.theorem_constants(tid, dict(base, M=float(M)))
        return thm.predicted(**consts)

    fig, ax = plt.subplots(figsize=(7.2, 5.0))
    ax.loglog(Ms, data["best_gd"], "D", color=method_color("sgd"), markersize=7, label="GD, best fixed step of the grid (measured)")
    ax.loglog(Mfine, [bound("iclr20_thm4_gd_lower", M) for M in Mfine], color=method_color("sgd"), linestyle="--",
              label=r"Thm 4 lower bound $L_1 M \Delta / (16 \epsilon^2 \log(1 + M L_1/L_0))$")
    for tid, label, method, marker in _PRESCRIBED:
        ax.loglog(Ms, data[tid], marker, color=method_color(method), markersize=6, fillstyle="none" if method == "sgd" else "full",
                  label=f"{label} (measured)")
    ax.loglog(Mfine, [bound("iclr20_thm6_gd_upper", M) for M in Mfine], color=method_color("sgd"), linestyle=":",
              label="Thm 6 upper bound for GD with its step")
    ax.loglog(Mfine, [bound("iclr20_thm3_clipped_gd", M) for M in Mfine], **{**THEORY_STYLE, "color": method_color("clipped_sgd")},
              label="Thm 3 upper bound, clipped GD (normalized GD: 2x)")
    M_cross = _crossover(Ms, data["best_gd"], data["iclr20_thm3_clipped_gd"])
    if M_cross is not None:
        ax.axvline(M_cross, color="0.5", linestyle=":", linewidth=1.0)
        ax.text(M_cross * 1.05, 0.03, f"best-step GD needs fewer iterations\nthan clipped GD for M < {M_cross:.3g}",
                transform=ax.get_xaxis_transform(), fontsize=7.5, color="0.3")
    ax.set_xlabel(r"gradient scale $M = \sup\{\|\nabla f(x)\| : f(x) \leq f(x_0)\}$")
    ax.set_ylabel(r"iterations to reach $\|\nabla f(x_k)\| \leq \epsilon$")
    ax.set_title(rf"Worst of ICLR20 Thm 4's two instances, $L_0=L_1=\epsilon=1$, $\Delta={base['Delta']:g}$" + "\n(all bounds derived here, consistent with ICLR20)", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper left")
    fig.tight_layout()
    return fig, config


register(Figure("iterations-vs-M", "ICLR20 headline: iterations vs gradient scale M for fixed-step GD, clipped and normalized GD, with Thm 3/4/6 bounds", make))
