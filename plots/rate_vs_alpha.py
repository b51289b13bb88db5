"""rate-vs-alpha (headline): measured convergence exponents against the theorems' curves.

The data are the verification rows of ``sandbox check`` (same runs, same
cache): for each alpha of the profile, the log-log slope over separate runs
per horizon K with its interval at ``RATE_CONFIDENCE`` (99.9 %; studentized subsampling, see
:mod:`checks.cases.heavy_tail` and :func:`checks.stats.loglog_slope`), on

* designated tight instances (stable noise of index a = alpha: symmetric and
  skewed for strongly convex GClip, skewed for non-convex GClip, where the
  clipping bias carries the rate);
* easier instances (index a > alpha: faster than the bound, compliance);
* thresholds other than prescribed (fixed: faster with symmetric noise, no
  convergence with skewed noise -- the bias floor; growing faster: figure data);

against the theorem's exponent as a function of alpha (lines).  Plain SGD has
no finite mean squared gradient for alpha < 2 (NeurIPS20 Remark 1; the
measured tail index of its gradient is below 2): it is marked, not drawn as a
number.
"""

from __future__ import annotations

import numpy as np

from checks.cases.heavy_tail import RATE_CONFIDENCE
from theory.catalog import get
from theory.theorem import alpha as ALPHA

from .core import OKABE_ITO, THEORY_STYLE, check_rows, method_color
from .registry import Figure, register

_PANELS = (
    ("neurips20_gclip_nonconvex", ("neurips20_gclip_nonconvex/rates",),
     r"clipped SGD, non-convex: $\frac{1}{K}\sum_k \min\{\|\nabla f(x_k)\|, \|\nabla f(x_k)\|^2\}$"),
    ("neurips20_gclip_strongly_convex", ("neurips20_gclip_strongly_convex/rates", "neurips20_gclip_strongly_convex/controls"),
     r"clipped SGD, strongly convex: $f(\bar x_K) - f^*$"),
    ("liu_zhou25_nsgd_momentum", ("liu_zhou25_nsgd_momentum/rates",),
     r"normalized SGD with momentum: $\frac{1}{K}\sum_k \|\nabla f(x_k)\|$"),
)
# (substring of the row's instance, theorems it applies to (None: all), label, marker, filled, colour key); first match wins
_SERIES = (
    ("CONTROL: FIXED threshold", None, "fixed threshold, skewed noise: bias floor (control, violates)", "X", True, "vermillion"),
    ("CONTROL", None, None, None, None, None),  # the exponent controls are about wrong claims, not data: not drawn
    ("vs the instance exponent", None, None, None, None, None),  # same data as the a > alpha row
    ("FIXED threshold", None, "fixed threshold, symmetric noise", "s", False, "black"),
    ("(k+1)^(1/alpha + 0.5)", None, "threshold growing faster than prescribed (figure data, no verdict)", "D", False, "purple"),
    ("tight shape, index a = alpha, beta = 1", None, "designated tight instance: index a = α, skewed", "o", True, "blue"),
    ("tight shape, index a = alpha, beta = 0", ("neurips20_gclip_strongly_convex",),
     "designated tight instance: index a = α, symmetric", "o", False, "blue"),
    ("tight shape, index a = alpha, beta = 0", None, "index a = α, symmetric (not designated tight for this theorem)", "o", False, "blue"),
    ("index a = alpha, beta = 0", None, "index a = α, symmetric (outside the moment assumption)", "o", False, "green"),
    ("beta = 1", None, "index a = (α+2)/2 > α, skewed", "^", True, "green"),
    ("beta = 0", None, "index a = (α+2)/2 > α, symmetric", "^", False, "green"),
    ("> alpha", None, "easier instance: index a = (α+2)/2 > α", "^", False, "sky"),
)


def _series(instance: str, theorem: str):
    for key, theorems, *rest in _SERIES:
        if key in instance and (theorems is None or theorem in theorems):
            return rest
    return ("other", ".", True, "black")


def _alpha_of(row) -> float:
    return float(row.parameter.split("alpha=")[1].split(",")[0])


def make(quick: bool, seed: int, cache):
    import matplotlib.pyplot as plt

    names = [n for _, ns, _ in _PANELS for n in ns] + ["neurips20_remark1_sgd_failure/tail_index"]
    profile, rows, _ = check_rows(names, quick, seed)
    config = {"profile": profile.name, "checks": names, "alphas": list(profile.alphas), "horizons": list(profile.horizons)}

    fig, axes = plt.subplots(1, 3, figsize=(16, 6.6), sharex=True)
    grid = np.linspace(1.02, 2.0, 200)
    sgd_infinite = sorted(_alpha_of(r) for r in rows if r.check.endswith("tail_index") and not r.control and r.verdict == "complies"
                          and r.measured_ci and r.measured_ci[1] < 2.0)
    for ax, (tid, check_names, title) in zip(axes, _PANELS):
        thm = get(tid)
        expo = thm.rate_exponent()
        ax.plot(grid, [float(expo.subs(ALPHA, a)) for a in grid],
                **THEORY_STYLE, label="theorem's exponent")
        seen = set()
        offsets = {}
        for r in rows:
            if r.check not in check_names or r.measured is None or r.measured_ci is None:
                continue
            label, marker, filled, color = _series(r.instance, tid)
            if label is None:
                continue
            a = _alpha_of(r)
            k = offsets.setdefault(label, len(offsets))
            x = a + 0.012 * (k - 2)  # small horizontal offsets keep overlapping series readable
            c = OKABE_ITO[color]
            ax.errorbar(x, r.measured, yerr=[[r.measured - r.measured_ci[0]], [r.measured_ci[1] - r.measured]], fmt=marker,
                        color=c, mfc=c if filled else "white", capsize=2, markersize=6,
                        label=None if label in seen else label)
            seen.add(label)
        if sgd_infinite and tid != "liu_zhou25_nsgd_momentum":
            # above the frame, outside the data area: a mark at an alpha, not a measured exponent
            ax.plot(sgd_infinite, [1.035] * len(sgd_infinite), "v", color=method_color("sgd"), markersize=8, clip_on=False,
                    transform=ax.get_xaxis_transform(), zorder=5,
                    label=r"SGD (above the frame): $E\|\nabla f\|^2 = \infty$ at this $\alpha$, no exponent exists")
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.set_xlabel(r"tail index $\alpha$ (moment order of the assumption)")
        ax.set_title(title, fontsize=9.5, pad=28)
        ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False)
    axes[0].set_ylabel(f"exponent $r$ of $K^r$ (log-log slope, {100 * RATE_CONFIDENCE:g} % interval)")
    horizons = ", ".join(f"{k:g}" for k in profile.horizons)
    fig.suptitle(f"Convergence exponents against the tail index α: log-log slopes over separate runs per horizon "
                 f"K = {horizons} ({profile.name} profile)", fontsize=11)
    fig.tight_layout()
    return fig, config


register(Figure("rate-vs-alpha", "headline: measured convergence exponents vs alpha against the theorems (clipped SGD, NSGD-M, SGD)", make))
