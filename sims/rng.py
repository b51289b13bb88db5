"""Counter-based random numbers: Philox4x32-10 (Salmon et al., SC 2011).

A random value is a pure function of ``(seed, replicate, step, coordinate,
lane)``: the counter is ``(coordinate, lane, step, replicate)`` and the key is
the 64-bit seed.  Hence

* results do not depend on how replicates are split across threads;
* every method run with the same seed sees the same noise realisation
  (common random numbers);
* no generator state is carried between steps.

``lane`` separates independent draws needed for one (step, coordinate), e.g.
the attempts of a rejection sampler or the radial part of an isotropic vector.
One Philox call yields four 32-bit words, i.e. two uniform doubles with 52
random bits each.

Speed.  :func:`uniform_lanes` fills whole arrays of uniforms in loops that
LLVM vectorizes (with 512-bit registers where the CPU has them): the
32 x 32 -> 64-bit products of Philox are exactly what ``vpmuludq`` computes
(the operands are held in uint64 values whose high halves are known to be
zero), and the conversion of 52-bit integers to doubles needs no 64-bit
integer conversion instruction.  It calls :func:`uniform_pair` (inlined), so
the values are bit for bit the same.
"""

from __future__ import annotations

import numpy as np

from ._numba import jit, wide_vectors

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_SHIFT20 = np.uint64(20)
_SHIFT12 = np.uint64(12)
_TWO_M52 = 2.0**-52


@jit(inline=True)
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32 with 10 rounds on 32-bit words held in uint64 values.

    Returns the four output words (each < 2**32) as uint64.
    """
    c0 = np.uint64(c0) & _MASK32
    c1 = np.uint64(c1) & _MASK32
    c2 = np.uint64(c2) & _MASK32
    c3 = np.uint64(c3) & _MASK32
    k0 = np.uint64(k0) & _MASK32
    k1 = np.uint64(k1) & _MASK32
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        hi0 = p0 >> _SHIFT32
        lo0 = p0 & _MASK32
        hi1 = p1 >> _SHIFT32
        lo1 = p1 & _MASK32
        c0 = hi1 ^ c1 ^ k0
        c1 = lo1
        c2 = hi0 ^ c3 ^ k1
        c3 = lo0
        k0 = (k0 + _W0) & _MASK32
        k1 = (k1 + _W1) & _MASK32
    return c0, c1, c2, c3


@jit(inline=True)
def uniform_pair(seed, replicate, step, coord, lane):
    """Two independent uniforms on the open interval (0, 1).

    Each has 52 random bits: ``u = (m + 1/2) * 2**-52`` with ``m`` a 52-bit
    integer.  ``m + 1/2`` needs 53 significant bits, so it is exact in
    float64 and ``u`` lies in [2**-53, 1 - 2**-53]: 0 and 1 are never returned
    (safe for ``log(u)`` and ``log(1 - u)``).  (With 53-bit ``m`` the sum would
    round to 2**53 for the largest ``m`` and return exactly 1.0.)
    """
    s = np.uint64(seed)
    w0, w1, w2, w3 = philox4x32(coord, lane, step, replicate, s & _MASK32, s >> _SHIFT32)
    m1 = (w0 << _SHIFT20) | (w1 >> _SHIFT12)
    m2 = (w2 << _SHIFT20) | (w3 >> _SHIFT12)
    return (np.float64(m1) + 0.5) * _TWO_M52, (np.float64(m2) + 0.5) * _TWO_M52


@jit(refcount=False)
def uniform_lanes(seed, rep0, rep_inc, step0, step_inc, rows, d, lane, u1, u2):
    """Uniform pairs for ``rows * d`` lanes, in vectorized loops.

    Entry ``a*d + i`` of ``u1`` and ``u2`` is :func:`uniform_pair` of
    (replicate ``rep0 + a*rep_inc``, step ``step0 + a*step_inc``, coordinate
    ``i``, ``lane``), bit for bit.  ``u1`` and ``u2`` need at least
    ``rows * d`` entries.
    """
    wide_vectors()
    if d == 1:  # one flat loop over the rows, so that it vectorizes across them
        for a in range(rows):
            u1[a], u2[a] = uniform_pair(seed, rep0 + a * rep_inc, step0 + a * step_inc, 0, lane)
    else:
        for a in range(rows):
            rep = rep0 + a * rep_inc
            step = step0 + a * step_inc
            base = a * d
            for i in range(d):
                u1[base + i], u2[base + i] = uniform_pair(seed, rep, step, i, lane)


def check_seed(seed) -> int:
    """Validate a seed: an integer in [0, 2**64)."""
    from .params import InvalidParameter

    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise InvalidParameter(f"seed must be an integer in [0, 2**64), got {seed!r}")
    if not 0 <= int(seed) < 2**64:
        raise InvalidParameter(f"seed must be an integer in [0, 2**64), got {seed!r}")
    return int(seed)
