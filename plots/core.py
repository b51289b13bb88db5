"""What every figure shares: style, colours, saving with a sidecar, and the sweep cache.

* One colour per method across all figures, from the Okabe-Ito palette
  (distinguishable under the common colour-vision deficiencies).
* Theory is drawn as lines, measurements as points with error bars.
* :func:`save_figure` writes ``NAME.png`` (README) and ``NAME.pdf`` (papers)
  plus ``NAME.json``: configuration, seeds, package versions, git revision.
* :class:`SweepCache` stores each expensive sweep result on disk under a key
  derived from its configuration: re-plotting is instant, an interrupted run
  resumes, and a corrupt entry (bad checksum or unreadable) is recomputed,
  never plotted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

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


@dataclass
class SweepCache:
    """On-disk cache of sweep results (dicts of NumPy arrays), keyed by configuration.

    Each entry is an ``.npz`` file whose name is a hash of the configuration
    and which stores a SHA-256 of its arrays; an entry that fails to load or
    whose checksum does not match is deleted and recomputed.
    """

    directory: Path

    @classmethod
    def default(cls) -> "SweepCache":
        base = os.environ.get("SANDBOX_CACHE_DIR") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "clipping-sandbox"
        )
        return cls(Path(base) / "sweeps")

    @staticmethod
    def key(config: dict) -> str:
        return hashlib.sha256(json.dumps(config, sort_keys=True, default=_json_default).encode()).hexdigest()[:32]

    @staticmethod
    def _checksum(arrays: dict) -> str:
        h = hashlib.sha256()
        for name in sorted(arrays):
            a = np.ascontiguousarray(arrays[name])
            h.update(name.encode())
            h.update(str(a.dtype).encode())
            h.update(str(a.shape).encode())
            h.update(a.tobytes())
        return h.hexdigest()

    def get(self, config: dict, compute: Callable[[], dict]) -> dict:
        """The cached result for ``config``, computing and storing it when absent or corrupt."""
        path = self.directory / f"{self.key(config)}.npz"
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as z:
                    arrays = {n: z[n] for n in z.files if n != "__checksum__"}
                    stored = str(z["__checksum__"])
                if stored == self._checksum(arrays):
                    return arrays
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                pass
            path.unlink(missing_ok=True)  # corrupt: recompute, never plot it
        arrays = {n: np.asarray(v) for n, v in compute().items()}
        buf = io.BytesIO()
        np.savez(buf, __checksum__=np.array(self._checksum(arrays)), **arrays)
        _atomic_write_bytes(path, buf.getvalue())
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

