"""smoothness-vs-gradnorm: local smoothness along trajectories against the gradient norm.

ICLR20 Figure 1 style.  For each objective, trajectories of GD, clipped GD and
SGD from several starting points; at each recorded iterate x_k we plot against
||grad f(x_k)||

* the exact ||hess f(x_k)|| (spectral norm, from the objective's sympy
  definition): by (L0, L1)-smoothness it lies under the certified line
  L0 + L1 ||grad f||;
* ICLR20's trajectory estimate ||grad f(x_k + s/2) - grad f(x_k)|| / (||s||/2),
  s = x_{k+1} - x_k (what one can measure in a network): a secant, so it can sit
  above the line when the step is long.

The last panel shows the admissible frontier L1*(L0) computed by
:func:`theory.smoothness.frontier` on one L0 range for every objective, its
vertical asymptote at :func:`theory.smoothness.min_admissible_L0`, and the
objectives' declared pairs.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import sims
from theory.smoothness import frontier, min_admissible_L0

from .core import OKABE_ITO, THEORY_STYLE, method_color
from .registry import Figure, register

_CASES = (
    ("quartic", {"dim": 1}, (0.3, 1.0, 2.0, 3.0), "$f = x^4$"),
    ("exp_wall", {"dim": 1, "L0": 1.0, "L1": 1.0}, (1.0, 3.0, 5.0, 7.0), r"exponential wall, $(L_0, L_1) = (1, 1)$"),
    ("double_well", {"dim": 1}, (0.2, 1.5, 2.5, 3.5), r"$f = (x^2 - 1)^2/4$ (non-convex)"),
)
_RUNS = (
    ("sgd", "none", {"lr": 0.01}, "GD, step 0.01"),
    ("clipped_sgd", "none", {"lr": 0.1, "threshold": 1.0}, "clipped GD, step 0.1, threshold 1"),
    ("sgd", "stable", {"lr": 0.003}, r"SGD, step 0.003, $\alpha=1.5$ noise"),
)
# In one dimension the exact ||hess f|| is the same function of ||grad f|| for every method, so the
# methods' points coincide wherever their trajectories visit the same gradient norms: nested
# markers (a large ring, a smaller ring, a dot) keep every method visible where they overlap.
_MARKERS = (
    dict(marker="o", markersize=9, fillstyle="none", markeredgewidth=1.0),
    dict(marker="o", markersize=5.5, fillstyle="none", markeredgewidth=1.0),
    dict(marker="o", markersize=2.5),
)
#: The frontier panel's L0 range, the same for every objective (each curve runs to the panel's edges).
_L0_RANGE = (0.3, 3000.0)
_FRONTIER_COLORS = (OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["green"], OKABE_ITO["purple"])


def _hessian_norms(obj, values, X):
    expr, xs = obj.expression(values)
    # |x| in a definition differentiates to DiracDelta terms; they carry no mass off the kinks
    # (and exp_wall is C^2 at 0), so they are dropped for pointwise evaluation.
    H = sp.hessian(expr, xs).applyfunc(lambda e: e.replace(sp.DiracDelta, lambda *a: sp.S.Zero))
    f = sp.lambdify(xs, H, "numpy")
    return np.array([np.linalg.norm(np.array(f(*x), dtype=float), 2) for x in X])


def make(quick: bool, seed: int, cache):
    import matplotlib.pyplot as plt

    K = 300 if quick else 2000
    n_l0 = 8 if quick else 24
    config = {"K": K, "cases": [[c[0], c[1], list(c[2])] for c in _CASES], "runs": [[r[0], r[1], r[2]] for r in _RUNS],
              "noise_params": {"alpha": 1.5, "scale": 1.0}, "frontier_points": n_l0}

    def compute():
        out = {}
        for name, params, starts, _ in _CASES:
            obj = sims.OBJECTIVES[name]
            values = obj.resolve(params)
            for j, (method, noise, mparams, _) in enumerate(_RUNS):
                res = sims.simulate(name, method, noise, K=K, R=len(starts), seed=seed + j, x0=np.array(starts)[:, None],
                                    record="geometric", objective_params=params, method_params=mparams,
                                    noise_params={"alpha": 1.5, "scale": 1.0} if noise == "stable" else {}, record_x=True)
                g = res.records["grad_norm"].ravel()
                est = res.records["local_smoothness"].ravel()
                X = res.x.reshape(-1, res.x.shape[-1])
                keep = np.isfinite(g) & (g > 1e-12)
                out[f"{name}/{j}/g"] = g[keep]
                out[f"{name}/{j}/est"] = est[keep]
                out[f"{name}/{j}/hess"] = _hessian_norms(obj, values, X[keep])
            expr, xs = obj.expression(values)
            pairs = np.array(obj.pairs(1, values), dtype=float)
            out[f"{name}/pairs"] = pairs
            L0_min = float(min_admissible_L0(expr, xs).value)  # the frontier is infinite below it
            L0s = np.geomspace(*_L0_RANGE, n_l0)
            L0s = np.concatenate([[L0_min] if L0_min > _L0_RANGE[0] else [], L0s[L0s > L0_min]])
            out[f"{name}/frontier_L0"] = L0s
            out[f"{name}/frontier_L1"] = np.array([float(frontier(expr, xs, float(v)).value) for v in L0s])
            out[f"{name}/min_L0"] = np.array(L0_min)
        return out

    data = cache.get({"figure": "smoothness-vs-gradnorm", "seed": seed, **config}, compute)

    from matplotlib.lines import Line2D

    def run_color(method, noise):
        return method_color(method) if noise == "none" else OKABE_ITO["orange"]

    fig, axes = plt.subplots(1, 4, figsize=(17, 4.6))
    for ax, (name, params, starts, title) in zip(axes, _CASES):
        gmax, gmin = 1e-12, np.inf
        for j, ((method, noise, _, label), mk) in enumerate(zip(_RUNS, _MARKERS)):
            c = run_color(method, noise)
            g, est, hess = data[f"{name}/{j}/g"], data[f"{name}/{j}/est"], data[f"{name}/{j}/hess"]
            ax.loglog(g, hess, linestyle="none", color=c, alpha=0.8, **mk)
            ok = np.isfinite(est) & (est > 0)
            ax.loglog(g[ok], est[ok], "x", color=c, markersize=4, alpha=0.6)
            gmax, gmin = max(gmax, g.max()), min(gmin, g.min())
        L0, L1 = data[f"{name}/pairs"][len(data[f"{name}/pairs"]) // 2 if name != "exp_wall" else 0]
        gs = np.geomspace(gmin, gmax * 2, 200)
        ax.loglog(gs, L0 + L1 * gs, **THEORY_STYLE)
        ax.text(0.03, 0.97, f"dashed: certified $L_0 + L_1\\|\\nabla f\\|$\nwith $(L_0, L_1) = ({L0:.3g}, {L1:.3g})$",
                transform=ax.transAxes, va="top", fontsize=8)
        ax.set_xlabel(r"$\|\nabla f(x_k)\|$")
        ax.set_ylabel("local smoothness")
        ax.set_title(title)
    ax = axes[-1]
    for (name, _, _, title), color in zip(_CASES, _FRONTIER_COLORS):
        L0s, L1s = data[f"{name}/frontier_L0"], data[f"{name}/frontier_L1"]
        ok = np.isfinite(L1s) & (L1s > 0)
        ax.loglog(L0s[ok], L1s[ok], color=color, label=title)
        L0_min = float(data[f"{name}/min_L0"])
        if L0_min > _L0_RANGE[0]:
            ax.axvline(L0_min, color=color, linestyle=":", linewidth=1.2)
        pairs = data[f"{name}/pairs"]
        ax.loglog(pairs[:, 0], np.maximum(pairs[:, 1], 1e-3), "o", color=color, fillstyle="none", markersize=7)
    ax.set_xlim(*_L0_RANGE)
    ax.set_xlabel("$L_0$")
    ax.set_ylabel(r"$L_1^*(L_0) = \sup_x (\|\nabla^2 f\| - L_0)_+ / \|\nabla f\|$")
    ax.set_title("admissible frontier $L_1^*(L_0)$ (theory)", fontsize=10.5)
    frontier_handles = ax.get_legend_handles_labels()[0] + [
        Line2D([], [], color="0.3", marker="o", fillstyle="none", linestyle="", label="declared pairs of the objective"),
        Line2D([], [], color="0.3", linestyle=":", label=r"smallest admissible $L_0$ ($L_1^* = \infty$ left of it)"),
    ]
    ax.legend(handles=frontier_handles, fontsize=6.5, loc="lower left")

    handles = [Line2D([], [], color=run_color(m, n), linestyle="", label=label, **mk) for (m, n, _, label), mk in zip(_RUNS, _MARKERS)]
    handles += [Line2D([], [], color="0.3", marker="x", linestyle="", label="ICLR20 trajectory estimate, in the method's colour (a secant)")]
    fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.045), ncol=4, fontsize=8.5, frameon=False)
    fig.text(0.5, 0.005, r"rings and dots: the exact $\|\nabla^2 f(x_k)\|$ at each recorded iterate (under the dashed line); "
             "in one dimension it is one curve for every method, so the markers nest where the trajectories overlap",
             ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig, config


register(Figure("smoothness-vs-gradnorm", "local smoothness along trajectories vs gradient norm, with certified (L0, L1) lines and frontiers", make))
