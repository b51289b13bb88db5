"""dimension: GClip vs CClip vs ACClip vs Adam as the dimension grows (NeurIPS20's dimension claim).

The data are the rows of the ``<theorem>/dimension`` checks
(:mod:`checks.cases.dimension`): the mean error E f(xbar_K) - f* of each
method on f = mu ||x||^2/2 under i.i.d.-coordinate and isotropic stable noise,
for d on a geometric grid.  GClip and CClip use the theorems' prescribed
schedules; ACClip and Adam get the same step-size schedule and their own
defaults otherwise.  One row of panels per family of coordinate scales the
checks provide (how B relates to the B_i is the check's reading, named in the
panel titles), one column per noise.  Dashed: the theorems' exponents in d,
anchored at the smallest d.  Control rows (deliberately wrong claims on the
same data) are not drawn.
"""

from __future__ import annotations

import numpy as np

from checks.cases.dimension import CCLIP, GCLIP_COORD, READING

from .core import check_rows, method_color
from .registry import Figure, register

_NOISE_LABELS = {"stable": "i.i.d. coordinates", "stable_isotropic": "isotropic"}
_FAMILY_LABELS = {"l2_norm": r"$B=\|(B_i)\|_2$ fixed", "coordinate": r"every $B_i$ fixed ($B$ grows with $d$)"}
# GClip as a large ring drawn over CClip's small filled square: where the two coincide, both show
_NAMES = {"cclip": "CClip", "clipped_sgd": "GClip", "acclip": "ACClip", "adam": "Adam"}
_STYLE = {
    "cclip": dict(marker="s", markersize=5, zorder=3),
    "clipped_sgd": dict(marker="o", markersize=10, fillstyle="none", markeredgewidth=1.4, zorder=4),
    "acclip": dict(marker="^", markersize=6, zorder=3),
    "adam": dict(marker="D", markersize=5, zorder=3),
}


def _normalisation(row) -> str:
    return row.parameter.split("normalisation=")[1].split(",")[0]


def make(quick: bool, seed: int, cache):
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    names = [f"{CCLIP}/dimension", f"{GCLIP_COORD}/dimension"]
    profile, rows, _ = check_rows(names, quick, seed)
    rows = [r for r in rows if not r.control]  # controls assert wrong claims on the same data
    config = {"profile": profile.name, "checks": names}
    # whatever families and noises the checks provide, in their order: one row of panels per family
    families = list(dict.fromkeys(_normalisation(r) for r in rows))
    noises = list(dict.fromkeys(r.config["simulations"][0]["noise"] for r in rows))

    fig, axes = plt.subplots(len(families), len(noises), figsize=(5.5 * len(noises), 3.9 * len(families) + 0.8), squeeze=False)
    for i, family in enumerate(families):
        for j, noise in enumerate(noises):
            ax = axes[i, j]
            for r in rows:
                cfg = r.config
                if _normalisation(r) != family or cfg["simulations"][0]["noise"] != noise:
                    continue
                dims = np.array(cfg["dims"], dtype=float)
                own = "cclip" if r.theorem == CCLIP else "clipped_sgd"
                for method, stats in ((own, cfg[own]), (cfg["companion"]["method"], cfg["companion"])):
                    ax.loglog(dims, stats["mean"], linestyle="-", color=method_color(method), **_STYLE[method])
                ax.loglog(dims, cfg[own]["mean"][0] * (dims / dims[0]) ** r.predicted, color=method_color(own), linestyle="--",
                          linewidth=1.2, label=f"{_NAMES[own]} bound's exponent: $d^{{{r.predicted:.2g}}}$")
            ax.set_title(f"{_NOISE_LABELS.get(noise, noise)} noise, {_FAMILY_LABELS.get(family, READING.get(family, family))}", fontsize=10)
            ax.set_xlabel("dimension $d$")
            ax.set_ylabel(r"mean of $f(\bar x_K) - f^*$")
            ax.legend(fontsize=7.5, loc="upper left", title="dashed: anchored at the smallest $d$", title_fontsize=7.5)
    handles = [Line2D([], [], color=method_color(m), linestyle="-", label=_NAMES[m], **st) for m, st in _STYLE.items()]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, fontsize=9)
    fig.suptitle(f"Error against the dimension at K = {rows[0].config['K']} (moment order α = {rows[0].config['alpha']:g}, "
                 f"{profile.name} profile)", fontsize=11)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig, config


register(Figure("dimension", "GClip vs CClip vs ACClip vs Adam as the dimension grows, i.i.d. and isotropic heavy-tailed noise", make))
