"""Memory a request needs, checked against what the machine has before anything is allocated.

:func:`sims.simulate` and :func:`sims.sample_noise` estimate the bytes of every
array they (and the compiled kernels) will allocate, and refuse a request that
needs more than the limit with one :class:`InsufficientMemory` error, instead
of starting an allocation that ends in a ``MemoryError`` or in swapping.

The limit is, in order of precedence:

1. the ``max_memory`` argument (bytes, or a size such as ``"16G"``);
2. the environment variable ``SANDBOX_MAX_MEMORY`` (same forms);
3. the memory available now: ``MemAvailable`` of ``/proc/meminfo`` on Linux,
   otherwise ``os.sysconf`` (available pages times the page size).

``"inf"`` (or ``"none"``) as the limit disables the check; so does a machine
where neither source of available memory exists.  Without an explicit limit,
requests of at most 64 MiB are not checked (reading the available memory
costs more than validating a small run).
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

from .params import InvalidParameter

__all__ = ["ENV_VAR", "InsufficientMemory", "available_memory", "check_memory", "format_bytes", "memory_limit", "parse_size"]

ENV_VAR = "SANDBOX_MAX_MEMORY"

# Requests up to this size are not compared with the available memory (an explicit limit still applies).
_NOT_CHECKED_BELOW = 64 * 2**20
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


class InsufficientMemory(InvalidParameter):
    """A request needs more memory than the limit (see :mod:`sims.memory`)."""


def parse_size(value: Any, name: str = "max_memory") -> float:
    """A memory size in bytes: a number, or text such as ``"512M"``, ``"16G"``, ``"1.5e9"``, ``"inf"``.

    Units are binary (K = 1024 bytes, M, G, T); ``"inf"`` and ``"none"`` mean no limit.

    Raises
    ------
    InvalidParameter
        When ``value`` is not a size > 0, naming ``name``.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("inf", "none", "unlimited"):
            return math.inf
        m = _SIZE.match(text)
        if m is not None:
            size = float(m.group(1)) * _UNITS[m.group(2).upper()]
            if size > 0:
                return size
    elif not isinstance(value, bool):
        try:
            size = float(value)
        except (TypeError, ValueError, OverflowError):
            size = math.nan
        if size > 0:  # +inf included: no limit
            return size
    raise InvalidParameter(
        f"{name} must be a size in bytes in (0, inf], e.g. 2e9, '512M', '16G' or 'inf' (no limit); got {value!r}"
    )


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation now, or None when the system does not say."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def memory_limit(max_memory: Any = None) -> tuple[float, str]:
    """The limit in bytes and where it comes from (for the error message).

    Parameters
    ----------
    max_memory : float, str or None
        Explicit limit; None falls back to ``SANDBOX_MAX_MEMORY``, then to
        :func:`available_memory`.
    """
    if max_memory is not None:
        return parse_size(max_memory), "limit max_memory"
    env = os.environ.get(ENV_VAR)
    if env is not None and env.strip():
        return parse_size(env, ENV_VAR), f"limit {ENV_VAR}"
    avail = available_memory()
    if avail is None:
        return math.inf, "unknown available memory"
    return float(avail), "memory available on this machine"


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units, e.g. ``'22.4 GiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def check_memory(needed: float, what: str, max_memory: Any = None) -> None:
    """Raise :class:`InsufficientMemory` when ``needed`` bytes exceed the limit.

    Parameters
    ----------
    needed : float
        Estimated bytes of the request.
    what : str
        The request and the sizes that drive its memory, for the message
        (e.g. ``"simulate with R = 3000, d = 1000000"``).
    max_memory : float, str or None
        See :func:`memory_limit`.
    """
    if max_memory is None and not os.environ.get(ENV_VAR, "").strip() and needed <= _NOT_CHECKED_BELOW:
        return  # small requests skip reading /proc/meminfo (~0.1 ms, more than a small run's validation)
    limit, source = memory_limit(max_memory)
    if needed > limit:
        raise InsufficientMemory(
            f"{what} needs about {format_bytes(needed)}, more than the {format_bytes(limit)} {source}; "
            f"make the request smaller, or set a larger limit with max_memory= (command line: --max-memory, "
            f"environment: {ENV_VAR}; 'inf' disables the check)"
        )
