"""dimension: GClip vs CClip vs ACClip vs Adam as the dimension grows (NeurIPS20's dimension claim).

The data are the rows of the ``<theorem>/dimension`` checks
(:mod:`checks.cases.dimension`): the mean error E f(xbar_K) - f* of each
method on f = mu ||x||^2/2 under i.i.d.-coordinate and isotropic stable noise
(index 1.8, moment order alpha = 1.5), for d on a geometric grid.  GClip and
CClip use the theorems' prescribed schedules; ACClip and Adam get the same
step-size schedule and their own defaults otherwise.  Two families: B =
||(B_i)||_alpha held fixed (where CClip's claim is d-free) and every
coordinate scale fixed (B grows like d^(1/alpha)).  Dashed: the theorems'
exponents in d, anchored at the smallest d.
"""

from __future__ import annotations

import numpy as np

from checks.cases.dimension import CCLIP, GCLIP_COORD

from .core import check_rows, method_color
from .registry import Figure, register

_NOISES = (("stable", "i.i.d. coordinates"), ("stable_isotropic", "isotropic"))
_FAMILIES = (("B = ||(B_i)||_alpha fixed", r"$B=\|(B_i)\|_\alpha$ fixed"), ("every B_i equal and fixed", r"every $B_i$ fixed ($B \propto d^{1/\alpha}$)"))
_STYLE = {"clipped_sgd": ("GClip", "o"), "cclip": ("CClip", "s"), "acclip": ("ACClip", "^"), "adam": ("Adam", "D")}


def make(quick: bool, seed: int, cache):
    import matplotlib.pyplot as plt

    names = [f"{CCLIP}/dimension", f"{GCLIP_COORD}/dimension"]
    profile, rows, _ = check_rows(names, quick, seed)
    config = {"profile": profile.name, "checks": names}

    fig, axes = plt.subplots(2, 2, figsize=(11, 8.2), sharex=True)
    for i, (family_key, family_label) in enumerate(_FAMILIES):
        for j, (noise, noise_label) in enumerate(_NOISES):
            ax = axes[i, j]
            for r in rows:
                cfg = r.config
                if family_key not in r.instance or cfg["simulations"][0]["noise"] != noise:
                    continue
                dims = np.array(cfg["dims"], dtype=float)
                own = "cclip" if r.theorem == CCLIP else "clipped_sgd"
                for method, stats in ((own, cfg[own]), (cfg["companion"]["method"], cfg["companion"])):
                    label, marker = _STYLE[method]
                    ax.loglog(dims, stats["mean"], marker + "-", color=method_color(method), label=label, markersize=6)
                ax.loglog(dims, cfg[own]["mean"][0] * (dims / dims[0]) ** r.predicted, color=method_color(own), linestyle="--",
                          linewidth=1.2, label=f"{_STYLE[own][0]} bound's exponent: $d^{{{r.predicted:.2g}}}$")
            ax.set_title(f"{noise_label} noise, {family_label}", fontsize=10)
            ax.set_xlabel("dimension $d$")
            ax.set_ylabel(r"mean of $f(\bar x_K) - f^*$")
            ax.legend(fontsize=7.5)
    fig.suptitle(f"Error vs dimension at K = {rows[0].config['K']} (alpha = {rows[0].config['alpha']:g}, {profile.name} profile)", fontsize=11)
    fig.tight_layout()
    return fig, config


register(Figure("dimension", "GClip vs CClip vs ACClip vs Adam as the dimension grows, i.i.d. and isotropic heavy-tailed noise", make))
