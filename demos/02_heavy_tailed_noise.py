# %% [markdown]
# # Heavy-tailed noise: what α-stable samples look like and how to measure α
#
# Zhang, Karimireddy, Veit, Kim, Reddi, Kumar and Sra (NeurIPS 2020) observed that the noise of
# stochastic gradients in attention models is heavy-tailed: P(|ξ| > x) falls like x^(−α) with
# α < 2, so the noise has no variance, and they analyse clipped SGD under a bounded α-moment
# E|ξ|^α < ∞ instead of a bounded variance.
#
# The standard model of such noise is the symmetric α-stable law S(α, 0, σ), α ∈ (0, 2]:
# α = 2 is the Gaussian N(0, 2σ²), α = 1 the Cauchy law, and for α < 2 every moment of order
# α or more is infinite. `sims.sample_noise` draws exactly the numbers the simulator injects
# (the k-th draw is the noise of step k of replicate 0 with the same seed).

# %%
import matplotlib.pyplot as plt
import numpy as np

import sims
from checks.stats import block_sum_tail_index, hill_tail_index, loglog_slope
from demos import Slider, explore
from plots.core import OKABE_ITO, THEORY_STYLE

ALPHAS = (2.0, 1.7, 1.4, 1.1)
COLOURS = dict(zip(ALPHAS, (OKABE_ITO["black"], OKABE_ITO["purple"], OKABE_ITO["orange"], OKABE_ITO["vermillion"])))

# %% [markdown]
# ## 1. What the samples look like
#
# A thousand draws of each law from the same seed (the same underlying uniform numbers, so the
# rows are comparable draw by draw). Each row has its own vertical scale.

# %%
fig, axes = plt.subplots(len(ALPHAS), 1, figsize=(9, 7), sharex=True, num="stable-samples", clear=True)
spread = {}
for ax, alpha in zip(axes, ALPHAS):
    xi = sims.sample_noise("stable", 1000, seed=0, alpha=alpha)
    spread[alpha] = np.max(np.abs(xi)) / np.median(np.abs(xi))
    ax.plot(xi, color=COLOURS[alpha], linewidth=0.8)
    ax.set_ylabel(f"α = {alpha:g}")
    ax.set_title(f"largest |ξ| = {spread[alpha]:.0f} × the median |ξ|", fontsize=9, loc="right")
axes[-1].set_xlabel("draw k")
fig.suptitle("symmetric α-stable noise, scale σ = 1 (α = 2: Gaussian)")
fig.tight_layout()
for alpha in ALPHAS:
    print(f"α = {alpha:g}: the largest of 1000 draws is {spread[alpha]:7.1f} times the median size")
assert all(spread[a] < spread[b] for a, b in zip(ALPHAS, ALPHAS[1:]))  # the heavier the tail, the wilder

# %% [markdown]
# What to see: the Gaussian row is a uniform band; as α drops, most draws look just as tame but
# a few are enormous. Those rare jumps carry the infinite variance, and they are what SGD feels
# (see the demo `sgd-fails-clipping-does-not`).
#
# On a log density axis a Gaussian is a parabola and a power-law tail a straight line. Move α.

# %%
def draw_density(alpha=1.5):
    xi = sims.sample_noise("stable", 200_000, seed=1, alpha=alpha)
    gauss = sims.sample_noise("stable", 200_000, seed=1, alpha=2.0)
    bins = np.linspace(-20, 20, 161)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), num="stable-density", clear=True)
    left.hist(gauss, bins=bins, density=True, histtype="step", color=COLOURS[2.0], label="α = 2 (Gaussian)")
    left.hist(xi, bins=bins, density=True, histtype="step", color=OKABE_ITO["vermillion"], label=f"α = {alpha:.2f}")
    left.set_yscale("log")
    left.set_ylim(1e-5, 1)
    left.set_xlabel("ξ")
    left.set_ylabel("density (log scale)")
    left.legend(loc="upper right")
    size = np.sort(np.abs(xi))
    survival = 1 - np.arange(size.size) / size.size
    right.loglog(size, survival, color=OKABE_ITO["vermillion"], label=f"P(|ξ| > x), α = {alpha:.2f}")
    x_tail = np.geomspace(np.quantile(size, 0.99), size[-1], 20)
    right.loglog(x_tail, 0.01 * (x_tail / x_tail[0]) ** (-alpha), **THEORY_STYLE, label="slope −α")
    right.set_xlabel("x")
    right.set_xlim(1e-2, None)
    right.set_ylim(1 / size.size, 1.5)
    right.legend(loc="lower left")
    fig.tight_layout()


explore(draw_density, alpha=Slider(1.05, 2.0, 1.5))

# %% [markdown]
# ## 2. Why the sample variance never settles
#
# For a law with a variance, the sample variance of n draws converges (law of large numbers).
# For α < 2 the sum of the squares ξ_i² is dominated by its largest terms and grows like
# n^(2/α) (generalized central limit theorem: ξ² has tail index α/2 < 1), so the sample
# variance *grows* like n^(2/α − 1), in jumps. Left: the running variance of one long stream.
# Right: the median over 200 independent streams of the variance of n draws, with its fitted
# slope (bootstrap 99.9 % interval, `checks.stats.loglog_slope`) against 2/α − 1.

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), num="sample-variance", clear=True)
lengths = [100, 1_000, 10_000]
streams = 200
for alpha in ALPHAS:
    xi = sims.sample_noise("stable", 100_000, seed=2, alpha=alpha)
    n = np.arange(1, xi.size + 1)
    running = (np.cumsum(xi**2) - np.cumsum(xi) ** 2 / n)[1:] / (n[1:] - 1)
    left.loglog(n[1:], running, color=COLOURS[alpha], label=f"α = {alpha:g}")

    variances = [sims.sample_noise("stable", m * streams, seed=3 + j, alpha=alpha).reshape(streams, m).var(axis=1, ddof=1)
                 for j, m in enumerate(lengths)]
    # False alarm of the check below: about 1e-3 per alpha (two-sided 99.9 % percentile interval).
    fit = loglog_slope(lengths, variances, statistic="median", n_boot=1000, confidence=0.999, seed=0)
    theory = 2 / alpha - 1
    right.loglog(lengths, [np.median(v) for v in variances], "o", color=COLOURS[alpha],
                 label=f"α = {alpha:g}: slope {fit.slope:.2f} [{fit.lower:.2f}, {fit.upper:.2f}]")
    right.loglog(lengths, np.median(variances[0]) * (np.array(lengths) / lengths[0]) ** theory, color=COLOURS[alpha],
                 linestyle="--", linewidth=1)
    print(f"α = {alpha:g}: median sample variance grows like n^{fit.slope:.3f} "
          f"(99.9 % interval [{fit.lower:.3f}, {fit.upper:.3f}]); theory 2/α − 1 = {theory:.3f}")
    assert fit.lower <= theory <= fit.upper
left.set_xlabel("number of draws n")
left.set_ylabel("sample variance of the first n draws")
left.set_title("one stream: Gaussian settles at 2σ² = 2, the others jump up")
left.legend(loc="upper left")
right.set_xlabel("number of draws n")
right.set_ylabel("median over 200 streams")
right.set_title("dashed: theory, slope 2/α − 1")
right.legend(loc="upper left", fontsize=8)
fig.tight_layout()

# %% [markdown]
# What to see: a Monte Carlo mean of a heavy-tailed quantity is not an estimate of anything
# finite; it is mostly the largest draw so far. Medians and quantiles stay meaningful, which is
# why the checks of this project compare medians, or use Markov's inequality, where means may
# not exist.
#
# ## 3. Estimating α from samples
#
# Two estimators from `checks.stats`:
#
# * the block-sum estimator (Simsekli, Sagun, Gürbüzbalaban, ICML 2019): a sum of m stable draws
#   is m^(1/α) times one draw, so comparing the mean of log|block sum| with the mean of log|ξ|
#   gives 1/α, for stable data, with no bias in 1/α;
# * Hill's estimator, from the largest √n draws, which assumes a Pareto tail.
#
# Twenty estimates from 10 000 draws each, per α.

# %%
true_alphas = np.round(np.linspace(1.1, 2.0, 10), 2)
repeats, n_draws = 20, 10_000
block = np.empty((true_alphas.size, repeats))
hill = np.empty((true_alphas.size, repeats))
for i, alpha in enumerate(true_alphas):
    for r in range(repeats):
        xi = sims.sample_noise("stable", n_draws, seed=100 + r, alpha=float(alpha))
        block[i, r], hill[i, r] = block_sum_tail_index(xi), hill_tail_index(xi)

fig, ax = plt.subplots(figsize=(6.5, 4.5), num="alpha-estimates", clear=True)
ax.plot([1.0, 2.1], [1.0, 2.1], **THEORY_STYLE, label="truth")
ax.errorbar(true_alphas - 0.01, block.mean(axis=1), yerr=block.std(axis=1, ddof=1), fmt="o", capsize=3,
            color=OKABE_ITO["blue"], label="block-sum (mean ± 1 sd)")
ax.errorbar(true_alphas + 0.01, hill.mean(axis=1), yerr=hill.std(axis=1, ddof=1), fmt="s", capsize=3,
            color=OKABE_ITO["orange"], label="Hill (mean ± 1 sd)")
ax.set_ylim(0.9, 3.0)
ax.annotate(f"Hill at α = 2: {hill[-1].mean():.1f}, off the chart", (1.05, 2.45), ha="left", va="top",
            color=OKABE_ITO["orange"])
ax.set_xlabel("true α")
ax.set_ylabel("estimated α")
ax.set_title(f"{repeats} estimates from {n_draws} draws each")
ax.legend(loc="upper left")

print(" true α   block-sum        Hill")
for alpha, b, h in zip(true_alphas, block, hill):
    print(f"  {alpha:4.2f}   {b.mean():.3f} ± {b.std(ddof=1):.3f}   {h.mean():.3f} ± {h.std(ddof=1):.3f}")
    # 1/alpha_hat is unbiased for 1/alpha: its mean over the repeats lies within 5 standard errors
    # (false alarm about 6e-7 per alpha under the normal approximation of a mean of 20).
    inverse = 1 / b
    assert abs(inverse.mean() - 1 / alpha) < 5 * inverse.std(ddof=1) / np.sqrt(repeats)
assert hill[-1].mean() > 4  # at alpha = 2 the Gaussian tail is not a power law: Hill overshoots

# %% [markdown]
# What to see: the block-sum estimate follows the truth over the whole range. Hill's estimate is
# fine for small α but climbs far above 2 near α = 2: the tail of a stable law only becomes a
# clean power law very far out when α is close to 2, and the Gaussian has no power-law tail at
# all. Use the estimator that matches your model, and never trust one number from one sample.
