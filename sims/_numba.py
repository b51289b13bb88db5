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
  directory named after :func:`sandbox.cache.source_digest` of every
  kernel-defining source file of the package (and of the Python, NumPy,
  numba and llvmlite versions): any edit to a kernel gives a fresh cache.
  The base directory is ``SANDBOX_NUMBA_CACHE_DIR`` (default
  ``<cache root>/numba``, see :mod:`sandbox.cache`); ``SANDBOX_NUMBA_CACHE=0``
  disables caching.

Inlined kernels: ``@jit(inline=True)``
--------------------------------------
A call between two numba functions costs more than the call: every array
argument is reference-counted with atomic instructions on entry and exit
(numba's reference-count pruning often cannot remove them in a kernel with
several return paths, such as a dispatcher over methods), and so is every
view created.  Measured here: ~60 ns per call of a two-line kernel taking
arrays, and ~90 ns of atomics per step in the engine's loop, against ~3 ns
once inlined.  ``inline=True`` compiles a small kernel for innermost loops
with numba's ``forceinline`` (LLVM ``alwaysinline``: numba links a callee's
bitcode into each caller, also when the callee comes from the on-disk cache,
and inlines it before pruning reference counts) and without reference
counting (numba's ``_nrt=False``): such a kernel must not allocate arrays,
it only reads and writes the arrays it is given, which its caller owns.
``refcount=False`` alone gives the second property without the first, for the
block-level kernels (noise, vectorized loops) that are called once per block.

Wide vectors: :func:`wide_vectors`
----------------------------------
On CPUs with AVX-512, LLVM prefers 256-bit vectors by default (a tuning
choice for mixed integer code); for the branch-free transcendental loops of
:mod:`sims.vecmath` and the Philox loops of :mod:`sims.rng`, 512-bit vectors
are measured 1.3-1.6x faster on this project's machines.  numba has no option
for it, so a kernel calls :func:`wide_vectors` first in its body: the call
emits no code, it adds ``"prefer-vector-width"="512"`` to the LLVM function
being compiled, and ``noinline`` so that the loops stay in a function with
that attribute (inlined into a caller without it, each 512-bit operation
would be split in two).  The attribute is per function, so no other kernel (nor any
other numba code in the process) is affected; on a CPU without AVX-512 it
changes nothing (LLVM never exceeds the widest legal vector).
(``NUMBA_CPU_FEATURES``, the alternative, is read once at numba's start-up and
would change every numba function in the process.)

Neither changes a result: every operation keeps its IEEE semantics (no
fast-math; FMAs are explicit ``llvm.fma`` calls), and a vector lane computes
exactly what the scalar code computes.

Running uncompiled: :func:`lowered_to`
--------------------------------------
With ``NUMBA_DISABLE_JIT=1`` (how coverage of the kernels is measured) every
kernel runs as plain Python.  A numba ``@intrinsic`` cannot be called from
Python, so each intrinsic the kernels use (bit casts, the fused multiply-add)
is written as a plain Python function computing exactly the same value, and
:func:`lowered_to` makes calls of it in compiled code lower to the intrinsic
(inlined at numba-IR level, so the generated code is the intrinsic's own).
``tests/test_uncompiled.py`` runs a simulation and the samplers both ways and
compares the results bit for bit.
"""

from __future__ import annotations

import functools
import inspect
import os
from pathlib import Path

import numba
import numba.core.config
import numpy as np
from numba import types
from numba.extending import intrinsic, overload

from sandbox.cache import KERNEL_SOURCES, numba_cache_base, numba_cache_enabled, source_digest

CACHE = numba_cache_enabled()

JIT_OPTIONS = dict(nogil=True, cache=CACHE, error_model="numpy", fastmath=False)


def _defines_compiled_code(path: Path, text: bytes) -> bool:
    # Only the modules whose code numba compiles (kernels, intrinsics, overloads): editing the
    # CLI or the benchmark must not throw the compiled kernels away.
    return path.name == "_numba.py" or any(mark in text for mark in (b"@jit", b"jit(", b"@intrinsic", b"overload", b"lowered_to"))


CACHE_DIR = os.path.join(numba_cache_base(), source_digest(KERNEL_SOURCES, select=_defines_compiled_code))


def jit(func=None, *, inline: bool = False, refcount: bool = True, dispatch: bool = False):
    """Compile ``func`` with the project's options, caching under :data:`CACHE_DIR`.

    Use as ``@jit`` or with options:

    * ``refcount=False``: compiled without numba's reference counting (its
      ``_nrt=False``).  Passing arrays to such a kernel and making views in it
      then costs no atomic operation; the kernel must not allocate arrays (nor
      return a new one): it only reads and writes arrays that its caller owns.
    * ``inline=True``: additionally inlined into every caller by LLVM (module
      docstring); for the small kernels of innermost loops.
    * ``dispatch=True``: a thin dispatch layer between kernels, whose body
      numba inserts into each caller before compiling it (numba's
      ``inline="always"``).  numba re-optimizes every kernel a function calls
      inside that function's own module, so each separately compiled layer
      above the heavy vectorized loops adds their whole optimization again to
      the cold start; a layer that is never compiled on its own adds nothing.

    numba reads its cache directory when a function is decorated, so it is
    set only for the duration of the decoration and other libraries'
    caches are left alone.
    """
    if func is None:
        return lambda f: jit(f, inline=inline, refcount=refcount, dispatch=dispatch)
    if numba.core.config.DISABLE_JIT:
        return _uncompiled(func)
    options = dict(JIT_OPTIONS)
    if inline or not refcount:
        options["_nrt"] = False
    if inline:
        options["forceinline"] = True
    if dispatch:
        options["inline"] = "always"
    saved = numba.core.config.CACHE_DIR
    numba.core.config.CACHE_DIR = CACHE_DIR
    try:
        return numba.njit(**options)(func)
    finally:
        numba.core.config.CACHE_DIR = saved


def _uncompiled(func):
    """``func`` run as plain Python (``NUMBA_DISABLE_JIT=1``), with NumPy's floating-point
    warnings off: compiled with ``error_model="numpy"``, overflow, invalid operations and
    division by zero give inf/nan silently, and so must the same code run uncompiled."""

    @functools.wraps(func)
    def run(*args):
        with np.errstate(all="ignore"):
            return func(*args)

    run.py_func = func  # as on a numba dispatcher
    return run


def wide_vectors() -> None:
    """Let LLVM vectorize the calling kernel's loops with 512-bit registers.

    Call it first in the kernel's body.  A no-op in pure Python and on CPUs
    without AVX-512.  See the module docstring.
    """


def _attach_function_attributes(hint, *attributes: str) -> None:
    """Compile calls of ``hint`` to no code, adding ``attributes`` to the calling LLVM function."""

    @intrinsic
    def mark(typingctx):
        def codegen(context, builder, signature, args):
            # set.add: llvmlite's AttributeSet.add accepts only a fixed list of names,
            # not key="value" string attributes; the text goes verbatim into the IR.
            for attribute in attributes:
                set.add(builder.function.attributes, attribute)
            return context.get_dummy_value()

        return types.none(), codegen

    # inlined at numba-IR level, so that the intrinsic is lowered inside the caller's function
    @overload(hint, inline="always")
    def implementation():
        return lambda: mark()


# noinline: the attribute decides code generation for the function that finally contains the
# loop; inlined into a caller without it, the 512-bit operations would be split in two.
_attach_function_attributes(wide_vectors, '"prefer-vector-width"="512"', '"min-legal-vector-width"="512"', "noinline")


# Typing function of an overload, per arity: it returns the implementation, a call of the
# intrinsic (numba's strict overloads need named parameters, not *args).
_FORWARDERS = {
    1: lambda lowering: (lambda x: (lambda x: lowering(x))),
    3: lambda lowering: (lambda a, b, c: (lambda a, b, c: lowering(a, b, c))),
}


def lowered_to(lowering):
    """Decorator: the decorated pure-Python function compiles to the ``@intrinsic`` ``lowering``.

    Parameters
    ----------
    lowering : numba intrinsic
        Takes the same positional arguments as the decorated function.

    Returns
    -------
    callable
        A decorator that returns the function unchanged: Python callers (and
        kernels run with ``NUMBA_DISABLE_JIT=1``) call it as it is, kernels
        compiled by numba call ``lowering`` instead.  The two must compute the
        same value bit for bit (module docstring).
    """

    def decorate(python_impl):
        arity = len(inspect.signature(python_impl).parameters)
        if arity not in _FORWARDERS:
            raise TypeError(f"lowered_to supports functions of {sorted(_FORWARDERS)} arguments, got {arity}")
        overload(python_impl, inline="always")(_FORWARDERS[arity](lowering))
        return python_impl

    return decorate
