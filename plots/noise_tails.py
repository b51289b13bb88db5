"""noise-tails: what the injected noise laws look like, and how well alpha can be estimated.

NeurIPS20 Figure 1 style: (a) histograms on a log density axis, (b) log-log
survival functions P(|X| > x) with the theoretical tail slopes -alpha, (c)
the block-sum tail-index estimate (docs/mathematics.md#measuring-tails-and-smoothness) against the true alpha.
"""

from __future__ import annotations

import numpy as np

import sims
from checks.stats import block_sum_tail_index

from .core import OKABE_ITO, THEORY_STYLE
from .registry import Figure, register

_LAWS = (
    ("stable", {"alpha": 1.2}, r"stable $\alpha=1.2$", OKABE_ITO["vermillion"], 1.2),
    ("stable", {"alpha": 1.5}, r"stable $\alpha=1.5$", OKABE_ITO["orange"], 1.5),
    ("stable", {"alpha": 1.8}, r"stable $\alpha=1.8$", OKABE_ITO["purple"], 1.8),
    ("stable", {"alpha": 1.5, "beta": 1.0}, r"stable $\alpha=1.5$, $\beta=1$", OKABE_ITO["yellow"], 1.5),
    ("student_t", {"df": 3.0}, r"Student-$t$, 3 d.o.f.", OKABE_ITO["green"], 3.0),
    ("log_tail", {"alpha": 1.5}, r"log_tail $\alpha=1.5$", OKABE_ITO["blue"], 1.5),
    ("gaussian", {}, "Gaussian", OKABE_ITO["black"], None),
)


def make(quick: bool, seed: int, cache):
    import matplotlib.pyplot as plt

    n = 20_000 if quick else 1_000_000
    alphas = np.round(np.linspace(1.1, 2.0, 7 if quick else 19), 3)
    n_est, n_per_est = (10, 4096) if quick else (50, 65536)
    config = {"n_samples": n, "alphas": alphas.tolist(), "estimates_per_alpha": n_est, "samples_per_estimate": n_per_est,
              "laws": [[name, params] for name, params, *_ in _LAWS]}

    def compute():
        out = {}
        for j, (name, params, *_rest) in enumerate(_LAWS):
            out[f"law{j}"] = sims.sample_noise(name, n, seed=seed + j, **params)
        est = np.array([[block_sum_tail_index(sims.sample_noise("stable", n_per_est, seed=seed + 1000 + 97 * i + r, alpha=a))
                         for r in range(n_est)] for i, a in enumerate(alphas)])
        out["estimates"] = est
        return out

    data = cache.get({"figure": "noise-tails", "seed": seed, **config}, compute)

    fig, axes = plt.subplots(1, 3, figsize=(14, 5.0))
    # (a) the density of |xi| on log-log axes, where a power law x^-(alpha+1) is a straight line
    # (on a log density against linear x a straight line would be an exponential tail)
    ax = axes[0]
    mags = [np.abs(data[f"law{j}"]) for j in range(len(_LAWS))]
    top = max(float(m.max()) for m in mags)
    edges = np.geomspace(1e-2, top * 1.01, 91)
    for m, (name, params, label, color, tail) in zip(mags, _LAWS):
        counts, _ = np.histogram(m, bins=edges)
        keep = counts >= 5  # sparser bins in the far tail are noise
        centres = np.sqrt(edges[:-1] * edges[1:])
        ax.loglog(centres[keep], counts[keep] / (m.size * np.diff(edges)[keep]), color=color, linewidth=1.3)
    ax.set_xlabel(r"$x$")
    ax.set_ylabel(r"density of $|\xi|$ at $x$")
    ax.set_title("(a) densities on log-log axes: a power-law tail\n"
                 r"$x^{-(\alpha+1)}$ is a straight line, the Gaussian falls off", fontsize=10)
    ax.annotate("log_tail: $|\\xi| \\geq 1$ by construction,\nits density starts at $x = 1$", xy=(1.05, 1.5), xytext=(0.03, 0.3), textcoords="axes fraction",
                fontsize=7.5, color=OKABE_ITO["blue"], arrowprops=dict(arrowstyle="->", color=OKABE_ITO["blue"], linewidth=0.8))

    ax = axes[1]
    left = min(float(np.quantile(m, 0.2)) for m in mags)  # where every law has left P = 1
    for m, (name, params, label, color, tail) in zip(mags, _LAWS):
        x = np.sort(m)
        surv = 1.0 - np.arange(x.size) / x.size
        keep = x >= left
        ax.loglog(x[keep], surv[keep], color=color, linewidth=1.3)
        if tail is not None:
            # the law's own tail slope, in its colour, from its 99 % quantile on
            x0 = np.quantile(x, 0.99)
            xs = np.array([x0, x0 * 100])
            ax.loglog(xs, 0.01 * (xs / x0) ** (-tail), color=color, linestyle="--", linewidth=1.0)
    ax.text(0.45, 0.86, "log_tail's tail is $x^{-\\alpha} / (1 + \\ln x)^2$:\nit bends below its dashed $x^{-\\alpha}$",
            transform=ax.transAxes, fontsize=7.5, color=OKABE_ITO["blue"])
    ax.set_xlim(left=left)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$P(|\\xi| > x)$")
    ax.set_ylim(1.0 / n, 1.5)
    ax.set_title("(b) survival functions; dashed, in each law's colour:\n"
                 r"its tail $x^{-\alpha}$ ($x^{-3}$ for Student-$t$) from its 99 % quantile", fontsize=10)

    ax = axes[2]
    est = data["estimates"]
    mean = est.mean(axis=1)
    sd = est.std(axis=1, ddof=1)
    ax.plot([1.0, 2.05], [1.0, 2.05], **THEORY_STYLE, label="truth $\\hat\\alpha = \\alpha$")
    ax.errorbar(alphas, mean, yerr=sd, fmt="o", color=OKABE_ITO["blue"], capsize=3,
                label=f"block-sum estimate (mean $\\pm$ 1 sd of {n_est},\n{n_per_est} samples each)")
    ax.set_xlabel("true $\\alpha$ of the stable noise")
    ax.set_ylabel("estimated $\\hat\\alpha$")
    ax.set_title("(c) tail-index estimator (Simsekli et al. 2019)")
    ax.legend(loc="upper left", fontsize=8)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=color, linewidth=1.5, label=label) for _, _, label, color, _ in _LAWS]
    fig.legend(handles=handles, loc="lower center", ncol=len(_LAWS), frameon=False, fontsize=8.5)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig, config


register(Figure("noise-tails", "histograms, survival functions and tail-index estimates of the injected noise laws", make))
