# %% [markdown]
# # Why clipping helps when smoothness grows with the gradient
#
# The textbook analysis of gradient descent (GD) assumes bounded curvature, ‖∇²f‖ ≤ L, and then the
# fixed step 1/L is safe everywhere. Many objectives have no such L: their curvature grows where
# the gradient is large. Zhang, He, Sra and Jadbabaie (ICLR 2020) call f *(L0, L1)-smooth* if
#
#     ‖∇²f(x)‖ ≤ L0 + L1 ‖∇f(x)‖   for every x.
#
# They prove that clipped GD, whose step shrinks when the gradient is large, needs a number of
# iterations that does not depend on M, the largest gradient norm on the way down (their
# Theorem 3), while GD with any fixed step needs a number that grows with M (their Theorem 4).
#
# This demo shows both on two objectives, then computes the admissible (L0, L1) pairs of a
# function you type in.

# %%
import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

import sims
from checks.measure import iterations_to_eps
from demos import Slider, explore
from plots.core import OKABE_ITO, THEORY_STYLE, method_color
from sims.objectives import exp_wall_start
from theory import smoothness
from theory.catalog import get

THM3 = get("iclr20_thm3_clipped_gd")
print(THM3.source)
print(textwrap.fill(THM3.statement, 100))

# %% [markdown]
# ## 1. An exponential wall
#
# The objective `exp_wall` is f(x) = (L0/L1²)(e^{L1|x|} − 1 − L1|x|). Its curvature is exactly
# f'' = L0 + L1|f'|: it is (L0, L1)-smooth with equality everywhere. We start where the slope is
# |f'(x0)| = M = 1000, so the curvature there is L0 + L1·M = 1001.
#
# Fixed-step GD with step h overshoots the minimum at 0 and lands on the other side of the wall,
# at least as high, as soon as h > 2·x0/M; from there it explodes (the proof is in the docstring of
# `sims.objectives.exp_wall_start`). Clipped GD with Theorem 3's parameters, η = 1/(10 L0) and
# γ = min{10 L0, L0/L1}, takes the step min{η, ηγ/‖∇f‖}·∇f: never longer than ηγ, whatever M is.

# %%
L0, L1, M = 1.0, 1.0, 1000.0
x0 = exp_wall_start(M, L0, L1)
step_limit = 2 * x0 / M  # GD explodes above this step (derived in sims.objectives.exp_wall_start)
wall = dict(objective="exp_wall", noise="none", R=1, seed=0, x0=x0, record="all", record_x=True,
            objective_params={"L0": L0, "L1": L1})
clipped_params = THM3.method_params(L0=L0, L1=L1)
print(f"start x0 = {x0:.3f}, f'(x0) = {M:g}; GD explodes for steps above 2 x0/M = {step_limit:.4f}")
print(f"Theorem 3's clipped GD: lr = {clipped_params['lr']:g}, threshold = {clipped_params['threshold']:g}")

gd_steps = {"GD, step 1.5 × 2x0/M": 1.5 * step_limit, "GD, step 0.9 × 2x0/M": 0.9 * step_limit,
            "GD, step 1/(L0 + L1 M)": 1 / (L0 + L1 * M)}
runs = {label: sims.simulate(method="sgd", K=1000, method_params={"lr": h}, **wall) for label, h in gd_steps.items()}
runs["clipped GD (Theorem 3)"] = sims.simulate(method="clipped_sgd", K=1000, method_params=clipped_params, **wall)
first_hit = {label: iterations_to_eps(res, 1.0)[0] for label, res in runs.items()}
hits = {label: int(n) if np.isfinite(n) else None for label, n in first_hit.items()}

fig, ax = plt.subplots(figsize=(7.5, 4.2), num="exp-wall", clear=True)
colours = [OKABE_ITO["vermillion"], OKABE_ITO["orange"], OKABE_ITO["yellow"], method_color("clipped_sgd")]
for (label, res), colour in zip(runs.items(), colours):
    g = res.records["grad_norm"][:, 0]
    ax.loglog(res.steps + 1, g, color=colour, label=label)
    if res.diverged[0]:
        last = np.flatnonzero(np.isfinite(g))[-1]
        ax.loglog(res.steps[last] + 1, g[last], "x", color=colour, markersize=10, mew=2)
        ax.annotate(f"overflow after step {last}", (res.steps[last] + 1, g[last]), textcoords="offset points",
                    xytext=(8, -4), color=colour)
ax.axhline(1.0, **THEORY_STYLE, label="target ‖∇f‖ = 1")
ax.set_ylim(1e-4, 1e7)
ax.set_xlabel("step k + 1")
ax.set_ylabel("‖∇f(x_k)‖")
ax.set_title(f"exp_wall (L0 = L1 = 1) started at f'(x0) = {M:g}")
ax.legend(loc="lower left")

for label, n in hits.items():
    print(f"{label:28s} " + (f"reaches ‖∇f‖ <= 1 at step {n}" if n is not None else
                              f"diverged: {runs[label].diverged[0]}, never reaches ‖∇f‖ <= 1"))
clip_run = runs["clipped GD (Theorem 3)"]
longest = np.max(np.abs(np.diff(clip_run.x[:, 0, 0])))
print(f"longest clipped step: {longest:.3f} <= lr × threshold = {clipped_params['lr'] * clipped_params['threshold']:g}")
for m in (10, 1e3, 1e5):
    print(f"  M = {m:>8g}: GD needs a step below 2 x0/M = {2 * exp_wall_start(m, L0, L1) / m:.2e}")
# The claims printed above and in the next cell, checked:
assert runs["GD, step 1.5 × 2x0/M"].diverged[0] and hits["GD, step 1.5 × 2x0/M"] is None
assert hits["GD, step 0.9 × 2x0/M"] is not None
assert hits["GD, step 1/(L0 + L1 M)"] > 5 * hits["clipped GD (Theorem 3)"]
assert longest <= clipped_params["lr"] * clipped_params["threshold"] * (1 + 1e-12)

# %% [markdown]
# What to see: the step 1.5 × 2x0/M overflows within a few steps. Just below the limit, GD is
# fine *on this wall*, but the limit 2x0/M = 2 ln(1 + M)/M shrinks with M, and the cautious step
# 1/(L0 + L1 M) (one over the curvature at the start) crawls once the curvature has dropped to L0.
# Clipped GD walks down the wall at a fixed pace and then converges, with parameters that do not
# mention M.
#
# Try it: move the step size and M. (Sliders appear in Jupyter with ipywidgets; in a terminal this
# cell draws the default values.)

# %%
def draw_wall(M=1000.0, step=0.01):
    start = exp_wall_start(M, L0, L1)
    setting = dict(wall, x0=start, K=2000)
    gd = sims.simulate(method="sgd", method_params={"lr": step}, **setting)
    clipped = sims.simulate(method="clipped_sgd", method_params=clipped_params, **setting)
    fig, ax = plt.subplots(figsize=(7.5, 4.0), num="exp-wall-explore", clear=True)
    ax.loglog(gd.steps + 1, gd.records["grad_norm"][:, 0], color=method_color("sgd"), label=f"GD, step {step:.2e}")
    ax.loglog(clipped.steps + 1, clipped.records["grad_norm"][:, 0], color=method_color("clipped_sgd"),
              label="clipped GD (Theorem 3)")
    finite = np.concatenate([r.records["grad_norm"][:, 0] for r in (gd, clipped)])
    ax.set_ylim(1e-4, 10 * np.max(finite[np.isfinite(finite)]))
    ax.set_xlabel("step k + 1")
    ax.set_ylabel("‖∇f(x_k)‖")
    ax.set_title(f"M = {M:.3g}: GD explodes above step 2x0/M = {2 * start / M:.2e}")
    ax.legend(loc="lower left")
    verdict = "diverged" if gd.diverged[0] else f"min ‖∇f‖ = {np.nanmin(gd.records['grad_norm']):.2e}"
    print(f"M = {M:.3g}, step {step:.2e}: GD {verdict}")


explore(draw_wall, M=Slider(10.0, 1e6, 1000.0, log=True), step=Slider(1e-5, 1.0, 0.01, log=True))

# %% [markdown]
# ## 2. The step-size dilemma of fixed-step GD, on x⁴
#
# f = x1⁴ + x2⁴ (the registry's `quartic` in two coordinates, so that no fixed step can land on
# the minimum in one lucky jump) is (16/L1², L1)-smooth for every L1 > 0, but not L-smooth. Start
# it at (c, c/2) with ‖∇f‖ = M. A coordinate at x moves to x(1 − 4hx²), so GD shrinks |x1| only if
# h < 1/(2c²) (derived here): the largest usable step falls like M^(−2/3). Near the minimum,
# where the curvature vanishes, that small step then needs many iterations.
#
# Below: iterations to reach ‖∇f‖ ≤ 0.1 against the fixed step, for starts with M from 10 to
# 10⁶; and the best fixed step of the grid against clipped GD with Theorem 3's parameters for the
# declared pair (L0, L1) = (16, 1).

# %%
quartic = sims.OBJECTIVES.get_component("quartic")
L0_q, L1_q = next(pair for pair in quartic.pairs(2, quartic.resolve({"dim": 2})) if pair[1] == 1.0)
Ms = np.array([1e1, 1e2, 1e3, 1e4, 1e5, 1e6])
c = (Ms / (4 * math.sqrt(1 + 1 / 64))) ** (1 / 3)  # ‖∇f(c, c/2)‖ = 4 c³ sqrt(1 + 1/64) = M
starts = np.column_stack([c, c / 2])
steps = np.geomspace(1e-4, 1.0, 31)
K, eps = 30_000, 0.1
setting = dict(objective="quartic", noise="none", K=K, R=Ms.size, seed=0, x0=starts, record="all",
               objective_params={"dim": 2})
iterations = np.empty((steps.size, Ms.size))
diverged = np.empty((steps.size, Ms.size), dtype=bool)
for i, h in enumerate(steps):
    res = sims.simulate(method="sgd", method_params={"lr": float(h)}, **setting)  # one replicate per start
    iterations[i], diverged[i] = iterations_to_eps(res, eps), res.diverged
clipped_q = THM3.method_params(L0=L0_q, L1=L1_q)
clipped_iterations = iterations_to_eps(sims.simulate(method="clipped_sgd", method_params=clipped_q, **setting), eps)
best = iterations.min(axis=0)
best_step = steps[iterations.argmin(axis=0)]

fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), num="quartic-step-dilemma", clear=True)
ax = axes[0]
shades = plt.cm.viridis(np.linspace(0, 0.9, Ms.size))
for j, (m, colour) in enumerate(zip(Ms, shades)):
    ok = np.isfinite(iterations[:, j])
    ax.loglog(steps[ok], iterations[ok, j], "o-", color=colour, markersize=3, label=f"M = {m:.0e}")
    ax.axvline(1 / (2 * c[j] ** 2), color=colour, linestyle=":", linewidth=1)
ax.set_xlabel("fixed step h")
ax.set_ylabel(f"iterations to ‖∇f‖ ≤ {eps:g}")
ax.set_title("(a) GD: iterations roughly ∝ 1/h from every start, until\nthe cliff at h = 1/(2c²) (dotted), which moves left with M")
ax.legend(fontsize=8, loc="upper right")
ax = axes[1]
ax.loglog(Ms, best, "D-", color=method_color("sgd"), label="GD, best fixed step of the grid (tuned per M)")
ax.loglog(Ms, clipped_iterations, "o-", color=method_color("clipped_sgd"), label="clipped GD, Theorem 3 (same for all M)")
ax.set_xlabel("gradient norm M at the start")
ax.set_ylabel(f"iterations to ‖∇f‖ ≤ {eps:g}")
ax.set_title("(b) the tuned step gets worse with M, clipping does not")
ax.legend(fontsize=8, loc="upper left")
fig.tight_layout()

for m, n_gd, h, n_clip in zip(Ms, best, best_step, clipped_iterations):
    print(f"M = {m:8.0e}: best fixed step {h:.1e} needs {n_gd:6.0f} iterations; clipped GD needs {n_clip:4.0f}")
for x1, n_clip in zip(c, clipped_iterations):
    delta = 17 / 16 * x1**4  # f(c, c/2) - f*
    assert n_clip <= THM3.predicted(L0=L0_q, L1=L1_q, Delta=delta, eps=eps)
print("every clipped run is within Theorem 3's bound (derived constants; it grows with f(x0) - f*, not with M)")
# The claims, checked: the explosion limit is exact on the grid, the tuned step degrades with M,
# clipping wins by far at the largest M.
limit = 1 / (2 * c**2)
assert np.array_equal(diverged, steps[:, None] > limit[None, :])
assert np.all(np.diff(best) > 0)
growth = np.polyfit(np.log(Ms[-3:]), np.log(best[-3:]), 1)[0]
print(f"over the last three M the best GD count grows like M^{growth:.2f}")
assert 0.55 < growth < 0.8
assert best[-1] > 10 * clipped_iterations[-1] and best[0] < clipped_iterations[0]

# %% [markdown]
# What to see: in (a) the curves of all starts nearly coincide, roughly ∝ 1/h (the time spent
# in the flat region near the minimum dominates), and each stops at its cliff 1/(2c²), which
# moves left as M grows. So the best fixed step sits just left of the cliff, and in (b) it needs
# about M^(2/3) iterations: excellent for a small M, hopeless for a large one. Clipped GD pays a
# little at small M and needs at most about a thousand iterations here: it only has to walk the
# distance c at a pace of at most η·γ per step.
#
# ## 3. Where the pair (L0, L1) comes from
#
# For x⁴ in one variable, f'' = 12x² and |f'| = 4|x|³: the line L0 + L1·|f'| with L0 = 16/L1²
# touches the curvature at |x| = 2/L1 and stays above it elsewhere. `theory.smoothness.certify`
# proves it exactly (sympy), and rejects any smaller L0 with a counterexample. Move L1.

# %%
x = sp.Symbol("x", real=True)


def draw_certified_line(L1=1.0):
    L0 = 16 / L1**2
    certificate = smoothness.certify(x**4, [x], L0, L1)
    too_small = smoothness.certify(x**4, [x], 0.9 * L0, L1)
    assert certificate.admissible and not too_small.admissible and too_small.margin < 0
    xs = np.linspace(-4 / L1, 4 / L1, 400)
    fig, ax = plt.subplots(figsize=(6.5, 4.0), num="quartic-certified-line", clear=True)
    ax.plot(xs, 12 * xs**2, color=OKABE_ITO["blue"], label="curvature f''(x) = 12x²")
    ax.plot(xs, L0 + L1 * 4 * np.abs(xs) ** 3, color=OKABE_ITO["vermillion"],
            label=f"L0 + L1|f'(x)|, (L0, L1) = ({L0:.3g}, {L1:.3g})")
    ax.plot([-2 / L1, 2 / L1], [48 / L1**2] * 2, "ko", label="touching points |x| = 2/L1")
    ax.set_ylim(0, 3 * 48 / L1**2)
    ax.set_xlabel("x")
    ax.set_title("x⁴ is (16/L1², L1)-smooth for every L1")
    ax.legend(loc="upper center")
    print(f"L1 = {L1:.3g}: pair ({L0:.4g}, {L1:.3g}) {certificate.reason}; "
          f"({0.9 * L0:.4g}, {L1:.3g}) rejected at x = {float(too_small.counterexample[0]):.4g}")


explore(draw_certified_line, L1=Slider(0.2, 5.0, 1.0))

# %% [markdown]
# ## 4. Your function
#
# Type a function of x (and more variables if you like) as a sympy expression. The cell looks for
# a path along which ‖∇²f‖/‖∇f‖ is unbounded (then no pair works); otherwise it computes the
# frontier L1*(L0) = sup_x (‖∇²f(x)‖ − L0)₊ / ‖∇f(x)‖: every pair on or above the curve is
# admissible. Results say whether they are exact (sympy) or from a numerical search.

# %%
user_function = "x**4 + exp(x)"


def analyse(text, label):
    """Draw the frontier of an (L0, L1)-smooth function, or show why it has no pair."""
    expr = sp.sympify(text)
    plain = sorted(expr.free_symbols, key=str)
    variables = [sp.Symbol(s.name, real=True) for s in plain]
    expr = expr.subs(dict(zip(plain, variables)))
    path = smoothness.find_unbounded_path(expr, variables)
    if path is not None:
        reject(expr, variables, path, label)
        return
    lowest = smoothness.min_admissible_L0(expr, variables)
    if not lowest.is_finite:
        print(f"f = {expr}: the smallest admissible L0 is infinite (f is not C¹), so no (L0, L1) pair works")
        return
    L0_min = float(lowest.value)
    grid = L0_min * np.geomspace(1.05, 30, 8) if L0_min > 0 else np.geomspace(0.1, 100, 8)
    frontier = [smoothness.frontier(expr, variables, float(L0)) for L0 in grid]
    L1_star = np.array([float(s.value) for s in frontier])
    print(f"f = {expr}: smallest admissible L0 = {L0_min:.6g} ({lowest.how}); frontier by {frontier[0].method} computation")
    fig, ax = plt.subplots(figsize=(6.5, 4.2), num=label, clear=True)
    ax.fill_between(grid, L1_star, L1_star.max() * 1.6 + 1e-9, color=OKABE_ITO["green"], alpha=0.2,
                    label="admissible pairs (L1 ≥ L1*(L0))")
    ax.plot(grid, L1_star, "o-", color=OKABE_ITO["green"], label="frontier L1*(L0)")
    if L0_min > 0:
        ax.axvline(L0_min, **THEORY_STYLE, label="smallest L0: curvature at a stationary point")
    ax.set_xscale("log")
    ax.set_xlabel("L0")
    ax.set_ylabel("L1")
    ax.set_title(f"(L0, L1) pairs of f = {text}")
    positive = np.flatnonzero(L1_star > 0)
    if positive.size:
        L0_test, L1_test = float(grid[positive[0]]), float(L1_star[positive[0]])
        good = smoothness.certify(expr, variables, L0_test, 1.1 * L1_test)
        bad = smoothness.certify(expr, variables, L0_test, 0.9 * L1_test)
        assert good.admissible and not bad.admissible  # the claim printed below
        print(f"  ({L0_test:.4g}, {1.1 * L1_test:.4g}): admissible ({good.reason})")
        print(f"  ({L0_test:.4g}, {0.9 * L1_test:.4g}): rejected, ‖∇²f‖ > L0 + L1‖∇f‖ at "
              f"{tuple(round(float(v), 4) for v in bad.counterexample)} (margin {bad.margin:.3g})")
        ax.plot([L0_test, L0_test], [1.1 * L1_test, 0.9 * L1_test], linestyle="none", marker="o",
                markerfacecolor="none", color="k", label="pairs certified: above admitted, below rejected")
    else:
        print(f"  L1*(L0) = 0 on the whole grid: f is L-smooth, e.g. with L = {grid[0]:.4g}")
    ax.legend(fontsize=8, loc="upper right")


def reject(expr, variables, path, label):
    """Print the unbounded path and draw the smoothness condition failing along it."""
    where = ", ".join(f"{v} = {p}" for v, p in zip(variables, path.path))
    print(f"f = {expr} is NOT (L0, L1)-smooth for any pair: along {where}, {path.t} -> {path.direction} "
          f"({path.origin}), ‖∇f‖² -> {path.grad_sq_limit} and (∇²f)_ii² / ‖∇f‖² -> {path.ratio_sq_limit}")
    grad, hess = smoothness.gradient_and_hessian(expr, variables)
    grad_norm_at = sp.lambdify(variables, sp.sqrt(sum(g**2 for g in grad)))
    hess_at = sp.lambdify(variables, hess)

    def norms(point):
        point = [float(v) for v in point]
        return grad_norm_at(*point), np.linalg.norm(np.asarray(hess_at(*point), dtype=float), 2)

    # L0 above the curvature at Rosenbrock's minimiser, so that the failure is far out along the path
    pairs = ((2e3, 10.0), (2e4, 100.0))
    points = [path.violation_point(expr, variables, L0, L1) for L0, L1 in pairs]
    for (L0, L1), point in zip(pairs, points):
        g, h = norms(point)
        print(f"  (L0, L1) = ({L0:g}, {L1:g}) fails at ({', '.join(map(sp.sstr, point))}): "
              f"‖∇²f‖ = {h:.4g} > L0 + L1‖∇f‖ = {L0 + L1 * g:.4g}")
        assert h > L0 + L1 * g
    # every candidate path has a coordinate equal to t: read t off the violation points
    t_index = next(i for i, p in enumerate(path.path) if p == path.t)
    t_far = max(abs(float(point[t_index])) for point in points)
    sign = 1 if path.direction == sp.oo else -1
    ts = sign * np.geomspace(1.2, max(1e3, 8 * t_far), 80)
    on_path = [[p.subs(path.t, t) for p in path.path] for t in ts]
    g, h = np.array([norms(point) for point in on_path]).T
    fig, ax = plt.subplots(figsize=(6.5, 4.2), num=label, clear=True)
    ax.loglog(np.abs(ts), h, color=OKABE_ITO["blue"], label="‖∇²f‖ along the path")
    for (L0, L1), colour in zip(pairs, (OKABE_ITO["orange"], OKABE_ITO["vermillion"])):
        ax.loglog(np.abs(ts), L0 + L1 * g, color=colour, linestyle="--", label=f"L0 + L1‖∇f‖, (L0, L1) = ({L0:g}, {L1:g})")
    ax.set_xlabel(f"{'−' if sign < 0 else ''}{path.t}, on the path ({', '.join(map(sp.sstr, path.path))})")
    ax.set_ylabel("curvature and the (L0, L1) lines")
    ax.set_title("the curvature outgrows every line L0 + L1‖∇f‖")
    ax.legend(fontsize=8)


analyse(user_function, "frontier-your-function")

# %% [markdown]
# ## 5. The cautionary example: Rosenbrock
#
# f = (1 − x)² + 100(y − x²)² is the classic test function, and it is *not* (L0, L1)-smooth:
# along its valley y = x² the gradient is only 2|1 − x|, while the curvature across the valley
# grows like 800x². So none of the guarantees above apply to it, however large L0 and L1 are.

# %%
analyse("(1 - x)**2 + 100*(y - x**2)**2", "rosenbrock-valley")

# %% [markdown]
# What to see: along the valley the curvature grows like t² while L0 + L1‖∇f‖ grows like t, so
# every pair fails far enough out; `find_unbounded_path` found the valley by solving ∂f/∂y = 0.
# Try your own functions above: `2*cosh(x)`, `x**4/4 - x**2/2`, `x**2 + y**4`, `exp(x*y)`.
