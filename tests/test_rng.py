"""Tests of the counter-based generator sims/rng.py (Philox4x32-10).

Known-answer vectors are Random123's ``kat_vectors`` for philox4x32 with 10
rounds (Salmon et al., SC 2011).  Statistical checks state their false-alarm
probability for a correct generator; seeds are fixed.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

import sims.rng as rng
from sims.params import InvalidParameter
from sims.rng import check_seed, philox4x32, uniform_pair

N_SIGMA = 6.0  # normal-approximation false alarm 2e-9 per check

# (counter c0..c3, key k0 k1, expected output words)
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.mark.parametrize("counter,key,expected", KAT)
def test_philox_known_answers(counter, key, expected):
    assert tuple(int(w) for w in philox4x32(*counter, *key)) == expected


def _documented_uniform(hi_word, lo_word) -> Fraction:
    """The documented map: 52 bits m = (hi << 20) | (lo >> 12), u = (m + 1/2) 2^-52 (exact rational)."""
    m = (hi_word << 20) | (lo_word >> 12)
    return (Fraction(m) + Fraction(1, 2)) / 2**52


@pytest.mark.parametrize("counter,key,expected", KAT)
def test_uniform_pair_maps_counter_and_key_as_documented(counter, key, expected):
    """Counter = (coord, lane, step, replicate), key = (seed low word, seed high word)."""
    coord, lane, step, replicate = counter
    seed = key[0] | (key[1] << 32)
    u1, u2 = uniform_pair(np.uint64(seed), replicate, step, coord, lane)
    for u, (hi, lo) in ((u1, expected[:2]), (u2, expected[2:])):
        # exact: m + 1/2 has 53 significant bits, so the double equals the rational
        assert Fraction(u) == _documented_uniform(hi, lo)


def _uniforms(seed, replicate, steps, coord=0, lane=0):
    """u1, u2 for a range of steps (Python loop over the compiled scalar generator)."""
    out = np.array([uniform_pair(np.uint64(seed), replicate, k, coord, lane) for k in steps])
    return out[:, 0], out[:, 1]


def test_uniforms_strictly_inside_unit_interval():
    u1, u2 = _uniforms(2024, 0, range(20_000))
    u = np.concatenate([u1, u2])
    assert u.min() > 0.0 and u.max() < 1.0
    # the extreme mantissas map to 2^-53 and 1 - 2^-53, never 0 or 1
    assert _documented_uniform(0, 0) == Fraction(1, 2**53)
    assert _documented_uniform(2**32 - 1, 2**32 - 1) == 1 - Fraction(1, 2**53)


def test_largest_mantissa_stays_below_one(monkeypatch):
    """Feed all-ones Philox words into uniform_pair's Python body: u must stay < 1."""
    ones = np.uint64(0xFFFFFFFF)
    monkeypatch.setattr(rng, "philox4x32", lambda *args: (ones, ones, ones, ones))
    u1, u2 = uniform_pair.py_func(0, 0, 0, 0, 0)
    assert u1 < 1.0 and u2 < 1.0


def test_chi_square_uniformity():
    """64 equiprobable bins, n = 40000 uniforms: chi-square(63) p-value > 1e-6 (false alarm 1e-6)."""
    u1, u2 = _uniforms(7, 3, range(20_000))
    counts = np.bincount((np.concatenate([u1, u2]) * 64).astype(int), minlength=64)
    assert stats.chisquare(counts).pvalue > 1e-6
    # the pair (u1, u2) of one call is jointly uniform on an 8 x 8 grid
    joint = np.bincount((u1 * 8).astype(int) * 8 + (u2 * 8).astype(int), minlength=64)
    assert stats.chisquare(joint).pvalue > 1e-6


def test_chi_square_check_has_power():
    """The same check rejects uniforms with the top bit stuck (u -> u/2 on half the draws)."""
    u1, _ = _uniforms(7, 3, range(20_000))
    skewed = np.where(np.arange(u1.size) % 2 == 0, u1, u1 / 2)
    counts = np.bincount((skewed * 64).astype(int), minlength=64)
    assert stats.chisquare(counts).pvalue < 1e-6


def test_neighbouring_counters_are_uncorrelated():
    """Correlation of u at neighbouring step, coordinate, lane, replicate and seed is ~0.

    Under independence the sample correlation of n pairs has standard error 1/sqrt(n).
    """
    n = 10_000
    steps = range(n + 1)
    base, pair = _uniforms(99, 0, steps)
    neighbours = {
        "step + 1": base[1:],
        "second uniform of the pair": pair[:-1],
        "coord + 1": _uniforms(99, 0, range(n), coord=1)[0],
        "lane + 1": _uniforms(99, 0, range(n), lane=1)[0],
        "replicate + 1": _uniforms(99, 1, range(n))[0],
        "seed + 1": _uniforms(100, 0, range(n))[0],
    }
    for name, other in neighbours.items():
        r = np.corrcoef(base[:n], other)[0, 1]
        assert abs(r) <= N_SIGMA / math.sqrt(n), (name, r)


def test_seed_validation():
    assert check_seed(0) == 0 and check_seed(2**64 - 1) == 2**64 - 1
    for bad in (-1, 2**64, 1.5, True, "3", None):
        with pytest.raises(InvalidParameter, match="seed"):
            check_seed(bad)
