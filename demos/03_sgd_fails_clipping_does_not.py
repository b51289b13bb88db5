# %% [markdown]
# # SGD fails, clipping does not: the same noise fed to both
#
# NeurIPS 2020 (Zhang, Karimireddy, Veit, Kim, Reddi, Kumar, Sra), Remark 1: under noise with
# infinite variance, SGD with *any* fixed step has an infinite expected squared gradient, even on
# the simplest objective f(x) = x²/2. Clipped SGD, which caps the length of each step, does not
# have that problem. This demo feeds the *same* noise realisation to both methods, shows a single
# path, and then shows what "infinite expectation" means for many paths: medians look fine,
# means never settle.

# %%
import textwrap

import matplotlib.pyplot as plt
import numpy as np

import sims
from checks.stats import hill_tail_index, mean_ci
from demos import Slider, explore
from plots.core import method_color
from theory.catalog import get

REMARK = get("neurips20_remark1_sgd_failure")
print(REMARK.source)
print(textwrap.fill(REMARK.statement, 100))

ALPHA, LR, THRESHOLD = 1.5, 0.05, 1.0
COMMON = dict(objective="quadratic", noise="stable", noise_params={"alpha": ALPHA})
METHODS = {"SGD": dict(method="sgd", method_params={"lr": LR}),
           "clipped SGD": dict(method="clipped_sgd", method_params={"lr": LR, "threshold": THRESHOLD})}
COLOURS = {"SGD": method_color("sgd"), "clipped SGD": method_color("clipped_sgd")}

# %% [markdown]
# ## 1. One noise realisation, two methods
#
# The simulator's noise of replicate r at step k is a pure function of (seed, r, k), so two runs
# with the same seed see exactly the same noise (common random numbers). `sims.sample_noise`
# returns that noise, so we can replay both methods by hand, x ← x − η g for SGD and
# x ← x − η min{1, τ/|g|} g for clipped SGD with g = x + ξ, and check the simulator against it.
# We show the replicate (of the first 200) that meets the largest noise spike.

# %%
K, seed = 300, 4
replicates = [sims.sample_noise("stable", K, seed=seed, replicate=r, alpha=ALPHA) for r in range(200)]
shown = int(np.argmax([np.max(np.abs(xi)) for xi in replicates]))
xi = replicates[shown]
runs = {name: sims.simulate(K=K, R=shown + 1, seed=seed, record="all", record_x=True, **COMMON, **kw)
        for name, kw in METHODS.items()}

x_sgd, x_clip = [1.0], [1.0]  # the quadratic's default start
for noise in xi:
    g = x_sgd[-1] + noise
    x_sgd.append(x_sgd[-1] - LR * g)
    g = x_clip[-1] + noise
    x_clip.append(x_clip[-1] - LR * min(1.0, THRESHOLD / abs(g)) * g)
assert np.allclose(runs["SGD"].x[:, shown, 0], x_sgd, rtol=1e-12, atol=1e-12)
assert np.allclose(runs["clipped SGD"].x[:, shown, 0], x_clip, rtol=1e-12, atol=1e-12)
print(f"replicate {shown}: the simulator's paths equal the hand-written replay of sims.sample_noise")

fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True, num="one-noise-two-methods", clear=True)
top.plot(np.arange(K), xi, color="0.3", linewidth=0.8)
top.set_ylabel("noise ξ_k")
top.set_title(f"symmetric α-stable noise, α = {ALPHA}, replicate {shown} (largest spike {np.max(np.abs(xi)):.0f})")
for name, path in (("SGD", x_sgd), ("clipped SGD", x_clip)):
    bottom.plot(np.arange(K + 1), path, color=COLOURS[name], label=name)
bottom.set_ylabel("x_k = f'(x_k)")
bottom.set_xlabel("step k")
bottom.set_title(f"f = x²/2, step η = {LR}, threshold τ = {THRESHOLD}", fontsize=10)
bottom.legend()
fig.tight_layout()
kick = LR * np.max(np.abs(xi))
longest_clipped = np.max(np.abs(np.diff(x_clip)))
print(f"largest SGD kick: η·|ξ| up to {kick:.2f}; longest clipped step: {longest_clipped:.3f} <= η·τ = {LR * THRESHOLD}")
assert longest_clipped <= LR * THRESHOLD * (1 + 1e-12) and kick > 10 * LR * THRESHOLD

# %% [markdown]
# What to see: the spike throws SGD far away, and it then needs about 1/η steps to come back;
# clipped SGD barely notices it. Between spikes both behave alike.
#
# ## 2. Many replicates: medians against means
#
# SGD's iterate on this quadratic is x_K = (1 − η)^K x_0 − η Σ_k (1 − η)^(K−1−k) ξ_k: a constant
# plus a weighted sum of α-stable draws, hence α-stable up to that shift. So ‖∇f(x_K)‖² = x_K²
# has tail index α/2 = 0.75 < 1 and its expectation is infinite, for every step size. Below,
# 10 000 replicates of both methods on the same noise: the median and the mean over replicates
# along the run (left), and at the last step, the mean over the first r replicates as r grows
# (right).

# %%
R = 10_000
many = {name: sims.simulate(K=500, R=R, seed=seed, record=40, **COMMON, **kw) for name, kw in METHODS.items()}
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.4), num="medians-vs-means", clear=True)
print(f"‖∇f(x_K)‖² over {R} replicates at K = 500:")
summary = {}
for name, res in many.items():
    squares = res.records["grad_norm"] ** 2  # (recorded steps, replicates)
    left.loglog(res.steps + 1, np.median(squares, axis=1), color=COLOURS[name], label=f"{name}: median")
    left.loglog(res.steps + 1, np.mean(squares, axis=1), color=COLOURS[name], linestyle="--", label=f"{name}: mean")
    final = squares[-1]
    r = np.arange(1, R + 1)
    right.loglog(r, np.cumsum(final) / r, color=COLOURS[name], linestyle="--", label=f"{name}: running mean")
    checkpoints = np.unique(np.geomspace(1, R, 50).astype(int))
    right.loglog(checkpoints, [np.median(final[:n]) for n in checkpoints], color=COLOURS[name],
                 label=f"{name}: running median")
    estimate = mean_ci(final)
    summary[name] = dict(median=np.median(final), mean=estimate.mean, share=final.max() / final.sum(),
                         tail=hill_tail_index(final))
    s = summary[name]
    print(f"  {name:12s} median {s['median']:.4f}   mean {s['mean']:.4f} (95 % t-interval "
          f"[{estimate.lower:.4f}, {estimate.upper:.4f}])   largest replicate = {100 * s['share']:.1f} % of the sum   "
          f"Hill tail index {s['tail']:.2f}")
left.set_xlabel("step k + 1")
left.set_ylabel("‖∇f(x_k)‖² over the replicates")
left.set_title("solid: median, dashed: mean")
left.legend(fontsize=8)
right.set_xlabel("number of replicates r")
right.set_ylabel("statistic of the first r replicates at K = 500")
right.set_title("SGD's running mean jumps and never settles")
right.legend(fontsize=8)
fig.tight_layout()

# The claims of the next cell, checked.  False alarms: Hill's estimate from the top 100 of 10^4
# values has a standard error of about 0.075 at 0.75, so a miss of 0.3 has probability ~1e-3; a
# largest share below 2 % at tail index 0.75 (where the sum is of the order of its largest term)
# and above 1 % for clipped SGD (light-tailed, 10^4 comparable terms) are far in the tails.
assert abs(summary["SGD"]["tail"] - ALPHA / 2) < 0.3 and summary["clipped SGD"]["tail"] > 2
assert summary["SGD"]["share"] > 0.02 and summary["clipped SGD"]["share"] < 0.01

# %% [markdown]
# What to see: SGD's *median* settles at a small noise floor, just like clipped SGD's: a typical
# path is fine, because SGD's failure is a statement about moments, not about paths. Its *mean*
# is carried by a handful of replicates (one of them holds a large share of the whole sum), and
# its t-interval is meaningless; Hill's estimate of the tail index of ‖∇f‖² is near α/2 = 0.75,
# below 1. Clipped SGD's mean settles at about twice its median, as for the square of any
# light-tailed quantity, and its estimated tail index is large.
#
# Move α and the threshold: at α = 2 (Gaussian noise) SGD's mean settles too.

# %%
def draw_medians_and_means(alpha=1.5, threshold=1.0):
    common = dict(objective="quadratic", noise="stable", noise_params={"alpha": alpha}, K=500, R=2000, seed=seed, record=30)
    fig, ax = plt.subplots(figsize=(7, 4.2), num="medians-vs-means-explore", clear=True)
    for name, kw in (("SGD", dict(method="sgd", method_params={"lr": LR})),
                     ("clipped SGD", dict(method="clipped_sgd", method_params={"lr": LR, "threshold": threshold}))):
        res = sims.simulate(**common, **kw)
        squares = res.records["grad_norm"] ** 2
        ax.loglog(res.steps + 1, np.median(squares, axis=1), color=COLOURS[name], label=f"{name}: median")
        ax.loglog(res.steps + 1, np.mean(squares, axis=1), color=COLOURS[name], linestyle="--", label=f"{name}: mean")
        print(f"α = {alpha:.2f}, {name}: mean/median of ‖∇f(x_K)‖² = {np.mean(squares[-1]) / np.median(squares[-1]):.1f}")
    ax.set_xlabel("step k + 1")
    ax.set_ylabel("‖∇f(x_k)‖² over 2000 replicates")
    ax.set_title(f"α = {alpha:.2f}, threshold τ = {threshold:.2f}")
    ax.legend(fontsize=8)


explore(draw_medians_and_means, alpha=Slider(1.1, 2.0, 1.5), threshold=Slider(0.1, 10.0, 1.0, log=True))
