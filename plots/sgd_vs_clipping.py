"""sgd-vs-clipping: SGD and clipped SGD fed the same alpha-stable noise.

(a) median and 10-90 % bands of ||grad f(x_k)|| over replicates: paths of
SGD look fine in the median (docs/mathematics.md#pitfalls, item 5);
(b) the running mean of ||grad f(x_K)||^2 over the first r replicates: for
SGD it never settles (the second moment is infinite, NeurIPS20 Remark 1),
for clipped SGD it converges; the running medians of both are stable.
"""

from __future__ import annotations

import numpy as np

import sims

from .core import method_color
from .registry import Figure, register

ALPHA = 1.5


def make(quick: bool, seed: int, cache):
    import matplotlib.pyplot as plt

    K, R = (1000, 1000) if quick else (5000, 20000)
    common = dict(objective="quadratic", noise="stable", K=K, R=R, seed=seed,
                  objective_params={"dim": 1}, noise_params={"alpha": ALPHA, "scale": 1.0}, record=40)
    runs = {
        "sgd": dict(method="sgd", method_params={"lr": 0.05}),
        "clipped_sgd": dict(method="clipped_sgd", method_params={"lr": 0.05, "threshold": 1.0}),
    }
    config = {"alpha": ALPHA, **{k: v for k, v in common.items() if k not in ("seed",)}, "runs": runs}

    def compute():
        out = {}
        for name, kw in runs.items():
            res = sims.simulate(**common, **kw)
            out[f"{name}_steps"] = res.steps
            out[f"{name}_grad"] = res.values("grad_norm")  # final
            g = np.stack([res.values("grad_norm", step=int(k)) for k in res.steps])
            out[f"{name}_q"] = np.quantile(g, [0.1, 0.5, 0.9], axis=1)
        return out

    data = cache.get({"figure": "sgd-vs-clipping", "seed": seed, **config}, compute)
    labels = {"sgd": "SGD", "clipped_sgd": "clipped SGD (threshold 1)"}

    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.2))
    ax = axes[0]
    for name in runs:
        steps = data[f"{name}_steps"]
        q = data[f"{name}_q"]
        c = method_color(name)
        ax.plot(steps + 1, q[1], color=c, label=f"{labels[name]}: median")
        ax.fill_between(steps + 1, q[0], q[2], color=c, alpha=0.2, label=f"{labels[name]}: 10-90 %")
    # what the bands show at the last step, stated on the figure (the README quotes it)
    ratio = data["sgd_q"][:, -1] / data["clipped_sgd_q"][:, -1]
    ax.text(0.03, 0.03, f"at the last step, SGD / clipped SGD:\nmedian {ratio[1]:.2g}x, 90 % quantile {ratio[2]:.2g}x",
            transform=ax.transAxes, fontsize=8, va="bottom")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step $k+1$")
    ax.set_ylabel(r"$\|\nabla f(x_k)\|$")
    ax.set_title(rf"(a) $f=x^2/2$, symmetric $\alpha$-stable noise, $\alpha={ALPHA}$, step 0.05")
    ax.legend(fontsize=8, loc="upper right")

    ax = axes[1]
    r = np.arange(1, R + 1)
    for name in runs:
        g2 = data[f"{name}_grad"] ** 2
        c = method_color(name)
        ax.plot(r, np.cumsum(g2) / r, color=c, label=f"{labels[name]}: running mean")
        running_median = np.array([np.median(g2[:n]) for n in np.unique(np.geomspace(1, R, 60).astype(int))])
        ax.plot(np.unique(np.geomspace(1, R, 60).astype(int)), running_median, color=c, linestyle=":", label=f"{labels[name]}: running median")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("number of replicates $r$")
    ax.set_ylabel(rf"mean of $\|\nabla f(x_K)\|^2$ over the first $r$ replicates, $K={K}$")
    ax.set_title("(b) SGD's second moment is infinite: its mean never settles")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig, config


register(Figure("sgd-vs-clipping", "SGD vs clipped SGD on the same heavy-tailed noise: bands, and means that never settle", make))
