"""The one place where numba options are set.

Every compiled kernel in :mod:`sims` is decorated with :data:`jit` (serial,
GIL-free, cached on disk).  Parallelism over replicates is done by Python
threads calling these ``nogil`` kernels on disjoint blocks of replicates, so no
kernel uses ``parallel=True``: that keeps the on-disk cache safe (numba
#8085, #8578) and the results independent of the thread count.

Why these flags
---------------
* ``fastmath`` is *off*: its ``nnan``/``ninf`` flags delete ``isfinite``
  checks (numba #9383), and divergence detection under heavy-tailed noise
  depends on them.
* ``error_model="numpy"``: a division by zero yields inf/nan (recorded as
  divergence) instead of raising inside the kernel.
* ``cache``: on by default; set ``SANDBOX_NUMBA_CACHE=0`` to disable.  The
  cache directory follows numba's ``NUMBA_CACHE_DIR`` when it is set.
"""

from __future__ import annotations

import os

import numba

CACHE = os.environ.get("SANDBOX_NUMBA_CACHE", "1") != "0"

JIT_OPTIONS = dict(nogil=True, cache=CACHE, error_model="numpy", fastmath=False)

jit = numba.njit(**JIT_OPTIONS)
"""Decorator for every compiled kernel of the project."""
