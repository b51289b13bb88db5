"""Noise laws injected into the gradient: ``g = grad f(x) + xi``.

Each law is one :class:`NoiseLaw` registry entry plus one compiled sampler.
All samplers draw from the counter-based generator of :mod:`sims.rng`, so a
draw is a pure function of ``(seed, replicate, step, coordinate)``.

Conventions (``../shared/reference/theory.md`` section 7)
---------------------------------------------------------
* ``stable``: i.i.d. coordinates ``S(alpha, beta, scale)`` in the S1
  parameterisation (scipy's default): characteristic function
  ``exp(-scale^alpha |t|^alpha (1 - i beta sign(t) tan(pi alpha / 2)))`` for
  alpha != 1.  ``alpha = 2`` is ``N(0, 2 scale^2)``; ``alpha = 1, beta = 0`` is
  Cauchy with scale ``scale``.  For alpha > 1 the mean is 0 for every beta.
* ``gaussian``: i.i.d. ``N(0, scale^2)`` coordinates (``scale`` is the
  standard deviation, unlike ``stable`` at alpha = 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._numba import jit
from .params import Component, InvalidParameter, Param, Registry
from .rng import check_seed, uniform_pair

_PI = math.pi
_HALF_PI = 0.5 * math.pi


@dataclass(frozen=True, kw_only=True)
class NoiseLaw(Component):
    """A registered noise law.

    Attributes
    ----------
    isotropic : bool
        True when the d coordinates are drawn jointly (rotation invariant),
        False when they are i.i.d.
    """

    kind: str = "noise law"
    isotropic: bool = False


_SCALE = Param("scale", 1.0, 0.0, math.inf, lo_open=True, doc="scale sigma of the noise")
_ALPHA = Param("alpha", 1.5, 0.0, 2.0, lo_open=True, doc="stability index")
_BETA = Param("beta", 0.0, -1.0, 1.0, doc="skewness (S1 parameterisation)")

LAWS = Registry(
    "noise law",
    [
        NoiseLaw(name="none", id=0, doc="no noise: exact gradients (deterministic theorems)"),
        NoiseLaw(name="gaussian", id=1, params=(_SCALE,), doc="i.i.d. N(0, scale^2) coordinates"),
        NoiseLaw(
            name="stable",
            id=2,
            params=(_ALPHA, _BETA, _SCALE),
            doc="i.i.d. alpha-stable S(alpha, beta, scale) coordinates, S1 parameterisation (alpha=2: N(0, 2 scale^2))",
        ),
    ],
)


# ----------------------------------------------------------------------------- kernels


@jit
def stable_from_uniforms(u1, u2, alpha, beta, scale):
    """One S1 alpha-stable draw by Chambers-Mallows-Stuck / Weron (1996).

    ``u1, u2`` are uniforms on (0, 1): ``V = pi (u1 - 1/2)``, ``W = -log u2``.
    alpha = 2 and alpha = 1 are handled by their exact special forms.
    """
    v = _PI * (u1 - 0.5)
    w = -math.log(u2)
    if alpha == 2.0:
        # sin(2V)/sqrt(cos V) * sqrt(W / cos V) = 2 sin(V) sqrt(W): N(0, 2)
        return scale * 2.0 * math.sin(v) * math.sqrt(w)
    if alpha == 1.0:
        if beta == 0.0:
            return scale * math.tan(v)
        hb = _HALF_PI + beta * v
        x = (hb * math.tan(v) - beta * math.log(_HALF_PI * w * math.cos(v) / hb)) / _HALF_PI
        return scale * x + beta * scale * math.log(scale) / _HALF_PI
    if beta == 0.0:
        av = alpha * v
        x = math.sin(av) / math.cos(v) ** (1.0 / alpha) * (math.cos(v - av) / w) ** ((1.0 - alpha) / alpha)
        return scale * x
    t = beta * math.tan(_HALF_PI * alpha)
    b = math.atan(t) / alpha
    s = (1.0 + t * t) ** (0.5 / alpha)
    avb = alpha * (v + b)
    x = s * math.sin(avb) / math.cos(v) ** (1.0 / alpha) * (math.cos(v - avb) / w) ** ((1.0 - alpha) / alpha)
    return scale * x


@jit
def normal_from_uniforms(u1, u2):
    """One standard normal draw by Box-Muller (cosine branch)."""
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * _PI * u2)


@jit
def fill_noise(law_id, p, seed, replicate, step, out):
    """Write the noise vector of ``(seed, replicate, step)`` into ``out``.

    ``p`` holds the law's parameters in declaration order.
    """
    d = out.shape[0]
    if law_id == 0:
        for i in range(d):
            out[i] = 0.0
    elif law_id == 1:
        for i in range(d):
            u1, u2 = uniform_pair(seed, replicate, step, i, 0)
            out[i] = p[0] * normal_from_uniforms(u1, u2)
    elif law_id == 2:
        for i in range(d):
            u1, u2 = uniform_pair(seed, replicate, step, i, 0)
            out[i] = stable_from_uniforms(u1, u2, p[0], p[1], p[2])


@jit
def _sample_block(law_id, p, seed, replicate, n, out):
    for k in range(n):
        fill_noise(law_id, p, seed, replicate, k, out[k])


# ----------------------------------------------------------------------------- public


def resolve_law(law, dim: int = 1, **params) -> tuple[NoiseLaw, dict[str, float]]:
    """Look up a law and validate its parameters (no compilation happens here)."""
    comp = LAWS.get_component(law)
    return comp, comp.resolve(params)


def sample_noise(law, n: int, *, seed: int, dim: int | None = None, replicate: int = 0, **params) -> np.ndarray:
    """Draw ``n`` noise values (or vectors) from a registered law.

    The k-th draw is exactly the noise that replicate ``replicate`` of
    :func:`sims.simulate` sees at step k with the same seed.

    Parameters
    ----------
    law : str
        Registry name, e.g. ``"stable"``; see ``sims.noise.LAWS``.
    n : int
        Number of draws, >= 1.
    seed : int
        Seed in [0, 2**64).
    replicate : int
        Which replicate's noise stream to return (default 0).
    dim : int, optional
        Dimension of each draw.  ``None`` returns a 1-D array of scalar draws
        for i.i.d. laws; isotropic laws always return shape ``(n, dim)``.
    **params
        The law's parameters (see its registry entry); defaults are used for
        the ones not given.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(n,)`` or ``(n, dim)``.

    Raises
    ------
    InvalidParameter
        For an unknown law, an out-of-range parameter, ``n < 1`` or
        ``dim < 1``; raised before any work starts.
    """
    comp, values = resolve_law(law, **params)
    seed = check_seed(seed)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidParameter(f"n must be an integer >= 1, got {n!r}")
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1):
        raise InvalidParameter(f"dim must be an integer >= 1, got {dim!r}")
    if isinstance(replicate, bool) or not isinstance(replicate, (int, np.integer)) or not 0 <= replicate < 2**32:
        raise InvalidParameter(f"replicate must be an integer in [0, 2**32), got {replicate!r}")
    d = 1 if dim is None else int(dim)
    out = np.empty((int(n), d), dtype=np.float64)
    _sample_block(comp.id, comp.pack(values), np.uint64(seed), int(replicate), int(n), out)
    if dim is None and not comp.isotropic:
        return out[:, 0]
    return out
