"""What every figure shares: style, colours, saving with a sidecar, and the sweep cache.

* One colour per method across all figures, from the Okabe-Ito palette
  (distinguishable under the common colour-vision deficiencies).
* Theory is drawn as lines, measurements as points with error bars.
* :func:`save_figure` writes ``NAME.png`` (README) and ``NAME.pdf`` (papers)
  plus ``NAME.json``: configuration, seeds, package versions, source digest
  and the images' checksums, all three byte-reproducible.
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
from pathlib import Path
from typing import Callable

import numpy as np

from sandbox.cache import SWEEP_SOURCES, ResultCache, cache_dir, digest_key, dumps_json, source_digest, write_bytes_atomic

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


def versions() -> dict:
    """Versions of everything the figure files' bytes depend on, for the sidecar.

    The numerical stack (Python, NumPy, SciPy, SymPy, numba, llvmlite) makes
    the numbers; matplotlib, fontTools (PDF font subsets) and Pillow (PNG
    encoding) make the bytes.
    """
    from importlib import metadata

    return {"python": platform.python_version(),
            **{dist: metadata.version(dist) for dist in ("numpy", "scipy", "sympy", "numba", "llvmlite", "matplotlib", "fonttools", "pillow")}}


def save_figure(fig, name: str, out_dir: str | os.PathLike, config: dict) -> list[Path]:
    """Write ``name.png``, ``name.pdf`` and the sidecar ``name.json``, together or not at all.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    name : str
        The file stem.
    out_dir : path-like
        The output directory (created if missing).
    config : dict
        What regenerates the figure, seeds included; JSON-encodable.

    Returns
    -------
    list of pathlib.Path
        The PNG, PDF and sidecar paths.

    Notes
    -----
    Reproducible: the same sources, configuration and package versions give
    the same bytes in all three files.  The images carry no date or software
    stamp, and the sidecar records, instead of a git revision (which changes
    with every commit, and with none when sources are edited), the digest of
    the source files every figure depends on (:func:`sandbox.cache.source_digest`
    over :data:`sandbox.cache.SWEEP_SOURCES`, which includes the Python, NumPy,
    numba and llvmlite versions) and the versions of the plotting stack.

    Complete: the old sidecar is removed first, each image is written
    atomically, and the new sidecar, with the SHA-256 of both images, is
    written last.  Whenever the process stops, a sidecar therefore sits only
    next to the images it describes (:func:`figure_complete`); images without
    a matching sidecar are the remains of an interrupted run, and
    ``sandbox figures`` regenerates them.
    """
    out = Path(out_dir)
    images = {}
    for ext in ("png", "pdf"):
        buf = io.BytesIO()
        # no creation date, no software stamp: the bytes depend on the content only
        meta = {"CreationDate": None} if ext == "pdf" else {"Software": None}
        fig.savefig(buf, format=ext, bbox_inches="tight", metadata=meta)
        images[f"{name}.{ext}"] = buf.getvalue()
    sidecar = {
        "figure": name,
        "config": config,
        "versions": versions(),
        "source_digest": source_digest(SWEEP_SOURCES),
        "files": {file: hashlib.sha256(data).hexdigest() for file, data in images.items()},
    }
    # encoded before anything on disk is touched: an unencodable config leaves the old figure whole
    text = (dumps_json(sidecar) + "\n").encode()
    side = out / f"{name}.json"
    side.unlink(missing_ok=True)  # from here until the new sidecar lands, the figure reads as incomplete
    paths = [write_bytes_atomic(out / file, data) for file, data in images.items()]
    paths.append(write_bytes_atomic(side, text))
    return paths


def figure_complete(out_dir: str | os.PathLike, name: str) -> bool:
    """Whether ``name``'s PNG and PDF in ``out_dir`` are the ones its sidecar describes.

    Parameters
    ----------
    out_dir : path-like
        The directory of the figure files.
    name : str
        The file stem.

    Returns
    -------
    bool
        True when ``name.json`` parses and records the SHA-256 of the
        ``name.png`` and ``name.pdf`` present (see :func:`save_figure`).
    """
    out = Path(out_dir)
    try:
        files = json.loads((out / f"{name}.json").read_bytes())["files"]
        expected = {f"{name}.png", f"{name}.pdf"}
        return set(files) == expected and all(hashlib.sha256((out / f).read_bytes()).hexdigest() == files[f] for f in expected)
    except (OSError, ValueError, KeyError, TypeError):
        return False


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

