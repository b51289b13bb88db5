"""What every figure shares: style, colours, saving with a sidecar, and the sweep cache.

* One colour per method across all figures, from the Okabe-Ito palette
  (distinguishable under the common colour-vision deficiencies).
* Theory is drawn as lines, measurements as points with error bars.
* :func:`save_figure` writes ``NAME.png`` (README) and ``NAME.pdf`` (papers)
  plus ``NAME.json``: configuration, seeds, package versions, git revision.
* :class:`SweepCache` stores each expensive sweep result on disk under a key
  derived from its configuration and from the sources it depends on
  (:mod:`sandbox.cache`): re-plotting skips the simulations, an interrupted
  run resumes, an edit of the engine, a sampler, an objective or a figure's
  sweep recomputes, and a corrupt or misplaced entry is recomputed, never
  plotted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from sandbox.cache import SWEEP_SOURCES, ResultCache, cache_dir, digest_key, source_digest

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}

METHOD_COLORS = {
    "sgd": OKABE_ITO["vermillion"],
    "clipped_sgd": OKABE_ITO["blue"],
    "soft_clipped_sgd": OKABE_ITO["sky"],
    "normalized_sgd": OKABE_ITO["green"],
    "normalized_sgd_momentum": OKABE_ITO["green"],
    "clipped_momentum": OKABE_ITO["sky"],
    "cclip": OKABE_ITO["orange"],
    "acclip": OKABE_ITO["purple"],
    "adam": OKABE_ITO["black"],
    "l0l1_gd": OKABE_ITO["yellow"],
}
THEORY_STYLE = dict(color="0.35", linestyle="--", linewidth=1.5)


def method_color(name: str) -> str:
    """The colour of a method in every figure."""
    return METHOD_COLORS[name]


def style() -> None:
    """Apply the shared matplotlib style (headless backend, readable sizes)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 8.5,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "pdf.fonttype": 42,
        }
    )


def git_revision() -> str:
    """The project's git revision (with ``+dirty`` for uncommitted changes), or ``unknown``."""
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5).stdout.strip()
        # the figures themselves are outputs, not sources: their own changes do not make the revision dirty
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)figures"],
                               cwd=root, capture_output=True, text=True, timeout=5).stdout.strip()
        return (rev or "unknown") + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict:
    import matplotlib
    import numba
    import scipy
    import sympy

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sympy": sympy.__version__,
        "numba": numba.__version__,
        "matplotlib": matplotlib.__version__,
    }


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_figure(fig, name: str, out_dir: str | os.PathLike, config: dict) -> list[Path]:
    """Write ``name.png``, ``name.pdf`` and the sidecar ``name.json`` atomically.

    The sidecar records ``config`` (which must include the seeds), the
    package versions and the git revision, so the figure can be regenerated.
    """
    out = Path(out_dir)
    paths = []
    for ext in ("png", "pdf"):
        buf = io.BytesIO()
        # a fixed creation date keeps the PDF reproducible byte for byte
        meta = {"CreationDate": None} if ext == "pdf" else {"Software": None}
        fig.savefig(buf, format=ext, bbox_inches="tight", metadata=meta)
        _atomic_write_bytes(out / f"{name}.{ext}", buf.getvalue())
        paths.append(out / f"{name}.{ext}")
    sidecar = {"figure": name, "config": config, "versions": versions(), "git_revision": git_revision()}
    _atomic_write_bytes(out / f"{name}.json", json.dumps(sidecar, indent=1, default=_json_default).encode())
    paths.append(out / f"{name}.json")
    return paths


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


class SweepCache:
    """On-disk cache of sweep results (dicts of NumPy arrays).

    An entry's key covers the sweep's configuration and the digest of every
    source file of ``sims``, ``theory``, ``checks``, ``plots`` and ``sandbox``
    (:data:`sandbox.cache.SWEEP_SOURCES`), taken when the cache is created,
    that is, of the code the run has loaded.  Each entry is an ``.npz`` file
    storing its key and a checksum over the key and the arrays
    (:class:`sandbox.cache.ResultCache`): an entry that fails to load, was
    edited, or was copied over another is recomputed, never plotted.  An
    unusable directory gives one warning and the sweeps run uncached.

    Parameters
    ----------
    directory : path-like
        Where the entries live (created on the first write).
    refresh : bool
        Recompute every sweep, and store the fresh results.
    """

    def __init__(self, directory: str | os.PathLike, refresh: bool = False):
        self.directory = Path(directory)
        self.digest = source_digest(SWEEP_SOURCES)
        self._store = ResultCache(self.directory, refresh=refresh)

    @classmethod
    def default(cls, refresh: bool = False) -> "SweepCache":
        """The cache under ``sweeps`` in the project's cache root (:func:`sandbox.cache.cache_root`)."""
        return cls(cache_dir("sweeps"), refresh=refresh)

    def key(self, config: dict) -> str:
        """The SHA-256 (hexadecimal) of ``config`` and of the sources' digest."""
        return digest_key("sweep", config, self.digest)

    def get(self, config: dict, compute: Callable[[], dict]) -> dict:
        """The cached result for ``config``, computing and storing it when absent or not trustworthy."""
        key = self.key(config)
        name = key[:32]
        arrays = self._store.load_arrays(name, key)
        if arrays is None:
            arrays = {n: np.asarray(v) for n, v in compute().items()}
            self._store.save_arrays(name, key, arrays)
        return arrays


def check_rows(names, quick: bool, seed: int):
    """Rows of the named verification checks (cached with ``sandbox check``), with progress on stderr.

    Figures built on the checks' measurements use this, so a figure and
    ``sandbox check`` share one computation.
    """
    import sys
    import time

    from checks.core import PROFILES, all_checks, run_checks

    profile = PROFILES["quick" if quick else "default"]
    checks = all_checks()

    def on_start(check, i, n):
        print(f"      check {i + 1}/{n}: {check.name} ({profile.name} profile)", file=sys.stderr, flush=True)

    def on_rows(check, rows, cached, seconds):
        print(f"        {'cached' if cached else f'{seconds:.1f} s'}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    rows = run_checks([checks[n] for n in names], profile, seed, on_start=on_start, on_rows=on_rows)
    return profile, rows, time.perf_counter() - t0

