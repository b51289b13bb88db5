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
:func:`theory.smoothness.frontier`, with the objectives' declared pairs.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import sims
from theory.smoothness import frontier

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
            lo = max(pairs[:, 0].min() * 0.5, 1e-2) if pairs[:, 0].min() > 0 else 0.05
            L0s = np.geomspace(lo, max(pairs[:, 0].max(), 1.0) * 20, n_l0)
            out[f"{name}/frontier_L0"] = L0s
            out[f"{name}/frontier_L1"] = np.array([float(frontier(expr, xs, float(v)).value) for v in L0s])
        return out

    data = cache.get({"figure": "smoothness-vs-gradnorm", "seed": seed, **config}, compute)

    fig, axes = plt.subplots(1, 4, figsize=(17, 4.3))
    for ax, (name, params, starts, title) in zip(axes, _CASES):
        gmax, gmin = 1e-12, np.inf
        for j, (method, noise, _, label) in enumerate(_RUNS):
            c = method_color(method) if noise == "none" else OKABE_ITO["orange"]
            g, est, hess = data[f"{name}/{j}/g"], data[f"{name}/{j}/est"], data[f"{name}/{j}/hess"]
            ax.loglog(g, hess, ".", color=c, markersize=3, alpha=0.7)
            ok = np.isfinite(est) & (est > 0)
            ax.loglog(g[ok], est[ok], "o", color=c, markersize=4, fillstyle="none", alpha=0.5)
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
        ax.loglog(L0s[ok], L1s[ok], color=color, label=f"frontier, {title}")
        pairs = data[f"{name}/pairs"]
        ax.loglog(pairs[:, 0], np.maximum(pairs[:, 1], 1e-3), "o", color=color, fillstyle="none", markersize=7)
    ax.set_xlabel("$L_0$")
    ax.set_ylabel(r"$L_1^*(L_0) = \sup_x (\|\nabla^2 f\| - L_0)_+ / \|\nabla f\|$")
    ax.set_title("admissible frontier (theory); circles: declared pairs")
    ax.legend(fontsize=6.5, loc="lower left")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=(method_color(m) if n == "none" else OKABE_ITO["orange"]), marker="s", linestyle="", label=label)
               for m, n, _, label in _RUNS]
    handles += [Line2D([], [], color="0.3", marker=".", linestyle="", label=r"exact $\|\nabla^2 f(x_k)\|$ (under the line)"),
                Line2D([], [], color="0.3", marker="o", fillstyle="none", linestyle="", label="ICLR20 trajectory estimate (a secant)")]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=8.5, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig, config


register(Figure("smoothness-vs-gradnorm", "local smoothness along trajectories vs gradient norm, with certified (L0, L1) lines and frontiers", make))
