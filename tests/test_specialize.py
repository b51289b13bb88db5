"""Generated kernels (sims.specialize): a cached kernel always belongs to the code it was compiled from.

numba's on-disk cache indexes a function by its source file and qualified name; every
generated module is a file named by the digest of its text and of the sources it imports,
so two combinations never share a cache entry, and editing a component's kernel gives a new
file, compiled anew (also by a later process sharing the cache).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import sims
from jit_mode import needs_jit
from sims import specialize

ROOT = Path(__file__).resolve().parents[1]


def _cache_file_stem(dispatcher) -> str:
    # numba's cache files of a function are named after its qualified name and its source file
    return dispatcher._cache._cache_file._index_name


@needs_jit
def test_built_ins_share_one_runner_and_other_families_never_share_a_file_or_cache_entry():
    obj, law = sims.OBJECTIVES["quadratic"], sims.LAWS["none"]
    a = specialize.runner(obj, sims.METHODS["sgd"], law)
    b = specialize.runner(obj, sims.METHODS["clipped_sgd"], law)
    # one compiled runner for the family of built-ins; the members' ids are their registry positions
    assert a.func is b.func
    methods = list(sims.METHODS.values())
    assert (a.args[1], b.args[1]) == (methods.index(sims.METHODS["sgd"]), methods.index(sims.METHODS["clipped_sgd"]))
    # components that are not the registry's entries: a family of their own each
    c = specialize.runner(obj, dataclasses.replace(sims.METHODS["sgd"], name="sgd_copy"), law)
    d = specialize.runner(obj, dataclasses.replace(sims.METHODS["clipped_sgd"], name="clipped_copy"), law)
    assert c.args == d.args == (0, 0, 0)
    runners = [f.func for f in (a, c, d)]
    files = {Path(f.py_func.__code__.co_filename) for f in runners}
    assert len(files) == 3 and all(f.exists() for f in files)
    assert len({_cache_file_stem(f) for f in runners}) == 3
    for f in files:
        # the file name is the digest of what it contains: each names its own components
        assert f.stem.startswith(specialize._PREFIX + "run_")
    # the same family is the same module (and so the same compiled function)
    assert specialize.runner(obj, sims.METHODS["adam"], sims.LAWS["stable"]).func is a.func


_KERNEL = '''
from sims._numba import jit


@jit(inline=True)
def step(k, h, X, G, M, V, clipped, T, u, w):
    for a in range(X.shape[0]):
        for i in range(X.shape[1]):
            X[a, i] -= FACTOR * h[0] * G[a, i]
        clipped[a] = 0.0


FACTOR = {factor}
'''

_RUN = textwrap.dedent('''
    import dataclasses, json, sys
    import numpy as np
    import sims
    from sims import specialize
    sys.path.insert(0, sys.argv[1])
    import user_method
    meth = dataclasses.replace(sims.METHODS["sgd"], step=user_method.step)
    kernels = specialize.method_kernels(meth)
    X, G = np.ones((2, 3)), np.full((2, 3), 2.0)
    E = np.empty((2, 0))
    kernels.method_steps(0, np.array([0.5]), X, G, E, E, np.empty(2), np.empty((2, 3)), np.empty(2), np.empty(2))
    print(json.dumps({"x": X[0, 0], "module": kernels.__name__}))
''')


def _run_user_method(directory: Path, cache: Path) -> dict:
    env = dict(os.environ, SANDBOX_NUMBA_CACHE_DIR=str(cache), SANDBOX_NUMBA_CACHE="1", PYTHONPATH=str(ROOT))
    env.pop("NUMBA_DISABLE_JIT", None)
    proc = subprocess.run([sys.executable, "-c", _RUN, str(directory)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_editing_a_kernel_recompiles_also_in_a_later_process(tmp_path):
    """A process sharing the kernel cache with an earlier one runs the edited kernel, not the cached one."""
    source = tmp_path / "user_method.py"
    cache = tmp_path / "numba"
    source.write_text(_KERNEL.format(factor=1.0))
    first = _run_user_method(tmp_path, cache)
    assert first["x"] == 1.0 - 0.5 * 2.0
    again = _run_user_method(tmp_path, cache)  # same source: same generated module, from the cache
    assert again == first
    source.write_text(_KERNEL.format(factor=3.0))  # a global the kernel reads: not even in its own source
    edited = _run_user_method(tmp_path, cache)
    assert edited["module"] != first["module"]
    assert edited["x"] == 1.0 - 3.0 * 0.5 * 2.0


def test_a_component_kernel_must_be_importable():
    @sims._numba.jit(inline=True)
    def local(k, h, X, G, M, V, clipped, T, u, w):  # not a module attribute: cannot be imported by name
        pass

    meth = dataclasses.replace(sims.METHODS["sgd"], step=local)
    with pytest.raises(TypeError, match="importable"):
        specialize.method_kernels(meth)


def test_objective_value_and_grad_is_the_engines_kernel():
    obj = sims.OBJECTIVES["quartic"]
    g = np.empty(2)
    assert obj.value_and_grad(obj.pack(obj.resolve({"dim": 2, "a": 2.0})), np.array([1.0, -2.0]), g) == 2.0 * 17
    assert g.tolist() == [8.0, -64.0]
