"""The one place where numba options are set.

Every compiled kernel in :mod:`sims` is decorated with :func:`jit` (serial,
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
* ``cache``: numba invalidates a cached kernel only when *its own* source
  file changes, not when a kernel it calls (in another file) changes, so a
  stale engine could silently run an old method.  We therefore cache into a
  directory named after a digest of every kernel-defining source file of
  the package: any edit to a kernel gives a fresh cache.  The base directory is ``SANDBOX_NUMBA_CACHE_DIR``
  (default ``~/.cache/clipping-sandbox/numba``); ``SANDBOX_NUMBA_CACHE=0``
  disables caching.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba
import numba.core.config

CACHE = os.environ.get("SANDBOX_NUMBA_CACHE", "1") != "0"

JIT_OPTIONS = dict(nogil=True, cache=CACHE, error_model="numpy", fastmath=False)


def _source_digest() -> str:
    # Only the modules that define kernels: editing the CLI or the benchmark
    # must not throw the compiled kernels away.
    h = hashlib.sha256(numba.__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        text = path.read_bytes()
        if b"@jit" in text or path.name == "_numba.py":
            h.update(path.name.encode())
            h.update(text)
    return h.hexdigest()[:16]


_BASE = os.environ.get("SANDBOX_NUMBA_CACHE_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "clipping-sandbox", "numba"
)
CACHE_DIR = os.path.join(_BASE, _source_digest())


def jit(func):
    """Compile ``func`` with the project's options, caching under :data:`CACHE_DIR`.

    numba reads its cache directory when a function is decorated, so it is
    set only for the duration of the decoration and other libraries'
    caches are left alone.
    """
    saved = numba.core.config.CACHE_DIR
    numba.core.config.CACHE_DIR = CACHE_DIR
    try:
        return numba.njit(**JIT_OPTIONS)(func)
    finally:
        numba.core.config.CACHE_DIR = saved
