"""The project's one cache and file-output module.

Everything the project writes to disk goes through here: one cache root, one
atomic writer, one JSON encoder, one source digest, one validator of output
paths.  The module imports nothing heavy (NumPy is imported inside the
functions that need it), so that ``import sims`` stays fast.

Cache root
----------
``SANDBOX_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/clipping-sandbox``, else
``~/.cache/clipping-sandbox`` (:func:`cache_root`).  Under it:

* ``checks/``: the rows of each finished verification check (``sandbox check``
  and the figures built on checks), one JSON entry per (check, profile, seed);
* ``sweeps/``: the arrays of each figure's sweep, one ``.npz`` entry per sweep
  configuration;
* ``numba/<digest>/``: compiled kernels.  ``SANDBOX_NUMBA_CACHE_DIR`` moves the
  ``numba`` directory elsewhere; ``SANDBOX_NUMBA_CACHE=0`` disables it;
* ``unsaved/``: a command's final ``--json`` output that could not be written
  where asked (:func:`write_output_json`).

What each result depends on (its key)
-------------------------------------
A key is a SHA-256 of the result's identity (its configuration) and of
:func:`source_digest` over every file of the packages that can change it,
read recursively and by content, plus the Python, NumPy, numba and llvmlite
versions (the compiled code and the floating-point results depend on them):

* checks entries (:data:`CHECK_SOURCES`): ``sims`` (the engine, samplers,
  objectives and methods that produce the numbers), ``theory`` (the predicted
  values and prescribed parameters), ``checks`` including ``checks/cases``
  (the check itself, its statistics and verdict rules) and ``sandbox`` (the
  neutral modules every package imports);
* sweep entries (:data:`SWEEP_SOURCES`): the same plus ``plots``, where each
  figure's sweep is defined (some sweeps are built from check rows);
* compiled kernels (:data:`KERNEL_SOURCES`): the files of ``sims`` that define
  kernels (they contain ``@jit``) and ``sims/_numba.py``.  numba itself only
  notices edits to a kernel's own file, not to a kernel it calls in another
  file; naming the directory after this digest gives a fresh cache on any
  edit.  Editing the command line or the benchmark keeps the kernels.

Over-inclusion costs a recomputation; under-inclusion serves stale results,
so the selections are whole packages.

Integrity
---------
Every entry stores its key and a checksum over the key and its content
(:class:`ResultCache`).  An entry that does not parse, whose checksum does not
match (edited, truncated), or whose stored key is not the one asked for (an
entry copied over another) is recomputed, never served.

An unusable cache (a read-only directory, an entry replaced by a directory, a
full disk) never ends a run nor loses a computed result: the cache warns once
(:class:`CacheUnavailable`) and the run continues uncached.

JSON
----
:func:`json_default` converts NumPy scalars and arrays, dataclasses, paths,
sets and mappings.  Non-finite floats are written as the tokens ``NaN``,
``Infinity`` and ``-Infinity`` (what Python's :mod:`json` reads back), in every
file the project writes, so that cached rows round-trip exactly.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .errors import InvalidParameter

#: The directory that holds the project's packages; the digest reads sources under it.
#: Tests point it at a temporary copy of the tree.
SOURCE_ROOT = Path(__file__).resolve().parent.parent

CHECK_SOURCES = ("sims", "theory", "checks", "sandbox")
SWEEP_SOURCES = ("sims", "theory", "checks", "plots", "sandbox")
KERNEL_SOURCES = ("sims",)

#: Distributions whose versions enter every digest.
DIGEST_VERSIONS = ("numpy", "numba", "llvmlite")


# ----------------------------------------------------------------------------- locations


def cache_root() -> Path:
    """The project's cache directory.

    Returns
    -------
    pathlib.Path
        ``SANDBOX_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/clipping-sandbox``,
        else ``~/.cache/clipping-sandbox``.  Not created here.
    """
    explicit = os.environ.get("SANDBOX_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "clipping-sandbox"


def cache_dir(kind: str) -> Path:
    """The subdirectory ``kind`` (``checks``, ``sweeps``) of :func:`cache_root`."""
    return cache_root() / kind


def numba_cache_enabled() -> bool:
    """Whether compiled kernels are cached on disk (``SANDBOX_NUMBA_CACHE=0`` disables it)."""
    return os.environ.get("SANDBOX_NUMBA_CACHE", "1") != "0"


def numba_cache_base() -> Path:
    """Where the compiled-kernel caches live: ``SANDBOX_NUMBA_CACHE_DIR``, else ``<cache root>/numba``."""
    explicit = os.environ.get("SANDBOX_NUMBA_CACHE_DIR")
    return Path(explicit) if explicit else cache_dir("numba")


# ----------------------------------------------------------------------------- digest


def _version(dist: str) -> str:
    # the installed metadata, whether or not the package is imported yet: the same tree gives the
    # same digest in every process, and nothing heavy is imported to compute it
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def _source_files(base: Path) -> Iterable[Path]:
    if base.is_file():
        yield base
        return
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base).parts
        # byte code and hidden files (editor swap files, numba's index) are not sources
        if any(part == "__pycache__" or part.startswith(".") for part in rel):
            continue
        if path.suffix in (".pyc", ".pyo") or not path.is_file():
            continue
        yield path


def source_digest(
    parts: Iterable[str],
    *,
    root: str | os.PathLike | None = None,
    select: Callable[[Path, bytes], bool] | None = None,
) -> str:
    """A digest of the sources a result depends on and of the numerical stack.

    Parameters
    ----------
    parts : iterable of str
        Packages (directories, read recursively) or single files, relative to
        ``root``; e.g. :data:`CHECK_SOURCES`.
    root : path-like, optional
        The tree to read; default :data:`SOURCE_ROOT` (the installed project).
    select : callable ``(path, content) -> bool``, optional
        Keep only the files for which it returns True (the kernel cache keeps
        the kernel-defining files).

    Returns
    -------
    str
        32 hexadecimal digits: SHA-256 over each selected file's path relative
        to ``root`` and its content, and the Python, NumPy, numba and llvmlite
        versions.  Any change of content, any added, removed or renamed file
        gives another digest.

    Raises
    ------
    InvalidParameter
        When a part does not exist under ``root``.
    """
    root = Path(SOURCE_ROOT if root is None else root)
    h = hashlib.sha256()
    h.update(f"python {sys.version_info[:3]}\n".encode())
    for dist in DIGEST_VERSIONS:
        h.update(f"{dist} {_version(dist)}\n".encode())
    for part in parts:
        base = root / part
        if not base.exists():
            raise InvalidParameter(f"source_digest: {part!r} is not a file or package under {root}")
        for path in _source_files(base):
            data = path.read_bytes()
            if select is not None and not select(path, data):
                continue
            rel = path.relative_to(root).as_posix().encode()
            # lengths delimit the fields: no two different trees hash the same byte stream
            h.update(b"%d:%s%d:" % (len(rel), rel, len(data)))
            h.update(data)
    return h.hexdigest()[:32]


def digest_key(*identity: Any) -> str:
    """A stable SHA-256 (hexadecimal) of JSON-encodable values (a configuration, a digest...)."""
    return hashlib.sha256(canonical_json(list(identity)).encode()).hexdigest()


# ----------------------------------------------------------------------------- JSON


def json_default(obj: Any) -> Any:
    """The project's JSON conversion of non-native values (``default=`` of :func:`json.dumps`).

    NumPy scalars become Python numbers, arrays nested lists, dataclasses dicts,
    paths strings, sets sorted lists, other mappings dicts.

    Raises
    ------
    TypeError
        For any other type: an object would otherwise be written as its
        ``repr``, which can change between runs and would corrupt cache keys.
    """
    import dataclasses

    if type(obj).__module__ == "numpy" or hasattr(obj, "__array_interface__"):
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    if isinstance(obj, Mapping):
        return dict(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON: {obj!r}")


def dumps_json(payload: Any, indent: int | None = 1) -> str:
    """``payload`` as JSON text with the project's conventions (module docstring)."""
    return json.dumps(payload, indent=indent, default=json_default, allow_nan=True)


def canonical_json(payload: Any) -> str:
    """Compact JSON with sorted keys: equal values give equal text (keys and checksums)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=json_default, allow_nan=True)


# ----------------------------------------------------------------------------- atomic writes


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Readers see the old file or the new one, never a half-written one.  The
    temporary file (``.NAME.<random>.tmp`` in the same directory) is removed
    on any failure, KeyboardInterrupt included.  Missing parent directories
    are created.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OSError
        When the file cannot be written (the target is a directory, the
        place is read-only, the disk is full...).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp"
    try:
        # the name is chosen before the file exists, so an interrupt at any point leaves nothing
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_json_atomic(path: str | os.PathLike, payload: Any, indent: int | None = 1) -> Path:
    """Write ``payload`` as JSON (:func:`dumps_json`) atomically (:func:`write_bytes_atomic`)."""
    # encode first: an unencodable payload fails before anything is touched on disk
    return write_bytes_atomic(path, (dumps_json(payload, indent=indent) + "\n").encode())


def write_output_json(path: str | os.PathLike, payload: Any, indent: int | None = 1) -> str | None:
    """Write a command's final ``--json`` output, rescuing it when ``path`` fails.

    The output is written after the work; if ``path`` cannot be written then
    (disk full, directory removed meanwhile), the payload goes to
    ``<cache root>/unsaved/<name>-<UTC time>-<pid><suffix>`` instead, so that
    nothing computed is lost.

    Returns
    -------
    str or None
        ``None`` when ``path`` was written; else the one error line to print,
        naming ``path``, the reason and where the payload was saved (or that
        it could not be saved anywhere).
    """
    try:
        write_json_atomic(path, payload, indent=indent)
        return None
    except OSError as exc:
        failure = f"could not write {os.fspath(path)} ({exc.strerror or exc})"
    import time

    target = Path(path)
    rescue = cache_root() / "unsaved" / f"{target.stem}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}{target.suffix or '.json'}"
    try:
        write_json_atomic(rescue, payload, indent=indent)
    except OSError as exc:
        return f"{failure}; saving it to {rescue} failed too ({exc.strerror or exc}): the output is lost"
    return f"{failure}; the output was saved to {rescue} instead"


# ----------------------------------------------------------------------------- output paths


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(path.anchor or ".")


def check_output_path(path: Any, option: str = "--json", *, directory: bool = False) -> Path:
    """Check, before any work, that a run will be able to write its output at ``path``.

    Parameters
    ----------
    path : str or path-like
        The file (or, with ``directory=True``, the directory) to be written.
        Missing parent directories are allowed (they will be created).
    option : str
        The option or parameter named in the error (``--json``, ``--out``).
    directory : bool
        Whether ``path`` names a directory that will receive files.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InvalidParameter
        When ``path`` is empty or not a path, is a directory (for a file) or a
        file (for a directory), lies under an existing file, or lies in a
        place where no file can be created (read-only); the message names
        ``option`` and the reason.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidParameter(f"{option} must be a path, got {path!r}")
    if not os.fspath(path):
        raise InvalidParameter(f"{option} must be a non-empty path, got an empty string")
    path = Path(path)
    want = "directory" if directory else "file"
    if path.is_dir() and not directory:
        raise InvalidParameter(f"{option} {str(path)!r} is a directory; give a file path")
    if path.exists() and directory and not path.is_dir():
        raise InvalidParameter(f"{option} {str(path)!r} is a file; give a directory")
    place = _nearest_existing(path if directory else path.parent)
    if not place.is_dir():
        raise InvalidParameter(f"{option} {str(path)!r} lies under {str(place)!r}, which is not a directory")
    # probe by creating (and removing) a file where the output or its first missing parent will go:
    # permission bits do not tell the whole story (read-only file systems; root ignores them)
    probe = place / f".sandbox-write-probe.{os.urandom(6).hex()}.tmp"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        os.unlink(probe)
    except OSError as exc:
        raise InvalidParameter(
            f"{option} {str(path)!r}: cannot write a {want} there ({os.strerror(exc.errno) if exc.errno else exc})"
        ) from None
    if not directory and path.exists() and not os.access(path, os.W_OK):
        raise InvalidParameter(f"{option} {str(path)!r}: the existing file is not writable")
    return path


# ----------------------------------------------------------------------------- result cache


class CacheUnavailable(UserWarning):
    """The cache could not be read or written; the run continues without it."""


class ResultCache:
    """A directory of verified cache entries (JSON payloads or dicts of NumPy arrays).

    Each entry is stored under a file name, with its key (the SHA-256 of what
    the result depends on: :func:`digest_key`) and a checksum over the key and
    the content.  :meth:`load_json` and :meth:`load_arrays` return ``None`` for
    a missing entry and for one that must not be served (unparsable, checksum
    mismatch, another key); :meth:`save_json` and :meth:`save_arrays` return
    False, after one :class:`CacheUnavailable` warning per cache, when the
    directory cannot be written.

    Parameters
    ----------
    directory : path-like
        Where the entries live; created on the first write.
    refresh : bool
        Serve nothing, store everything: a run that recomputes every result
        and leaves the cache up to date (``--no-cache``, ``--force``).
    """

    def __init__(self, directory: str | os.PathLike, refresh: bool = False):
        self.directory = Path(directory)
        self.refresh = refresh
        self.usable = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.directory)!r})"

    def _path(self, name: str, suffix: str) -> Path:
        return self.directory / f"{name.replace('/', '__').replace(os.sep, '__')}{suffix}"

    def _unusable(self, exc: BaseException) -> None:
        if self.usable:
            self.usable = False
            warnings.warn(
                f"cache {self.directory} is unusable ({exc}); running without it: results are computed, not stored",
                CacheUnavailable,
                stacklevel=3,
            )

    def _discard(self, path: Path) -> None:
        try:
            path.unlink()
        except OSError:
            pass  # a read-only or odd entry: it fails its check again next time, it is never served

    @staticmethod
    def _json_checksum(key: str, payload: Any) -> str:
        return hashlib.sha256((key + "\n" + canonical_json(payload)).encode()).hexdigest()

    def load_json(self, name: str, key: str) -> Any | None:
        """The payload stored as ``name`` under ``key``, or None (missing or not trustworthy)."""
        if self.refresh:
            return None
        path = self._path(name, ".json")
        try:
            entry = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):  # unreadable (a directory...) or not JSON
            return None
        if (
            isinstance(entry, dict)
            and entry.get("key") == key
            and "payload" in entry
            and entry.get("checksum") == self._json_checksum(key, entry["payload"])
        ):
            return entry["payload"]
        self._discard(path)
        return None

    def save_json(self, name: str, key: str, payload: Any) -> bool:
        """Store ``payload`` as ``name`` under ``key``; False when the cache is unusable."""
        if not self.usable:
            return False
        # round-trip through the canonical text, so that the checksum is that of what a reader will see
        payload = json.loads(canonical_json(payload))
        entry = {"key": key, "checksum": self._json_checksum(key, payload), "payload": payload}
        try:
            write_json_atomic(self._path(name, ".json"), entry)
        except OSError as exc:
            self._unusable(exc)
            return False
        return True

    @staticmethod
    def _arrays_checksum(key: str, arrays: Mapping[str, Any]) -> str:
        import numpy as np

        h = hashlib.sha256(key.encode())
        for name in sorted(arrays):
            a = np.ascontiguousarray(arrays[name])
            h.update(f"\n{name}|{a.dtype.str}|{a.shape}\n".encode())
            h.update(a.tobytes())
        return h.hexdigest()

    def load_arrays(self, name: str, key: str) -> dict | None:
        """The arrays stored as ``name`` under ``key``, or None (missing or not trustworthy)."""
        import zipfile

        import numpy as np

        path = self._path(name, ".npz")
        if self.refresh or not os.path.lexists(path):
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {n: z[n] for n in z.files if n not in ("__checksum__", "__key__")}
                stored_key = str(z["__key__"])
                stored = str(z["__checksum__"])
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            stored_key = stored = None
        if stored_key == key and stored == self._arrays_checksum(key, arrays):
            return arrays
        self._discard(path)
        return None

    def save_arrays(self, name: str, key: str, arrays: Mapping[str, Any]) -> bool:
        """Store ``arrays`` as ``name`` under ``key``; False when the cache is unusable."""
        import io

        import numpy as np

        if not self.usable:
            return False
        arrays = {n: np.asarray(v) for n, v in arrays.items()}
        buf = io.BytesIO()
        np.savez(buf, __key__=np.array(key), __checksum__=np.array(self._arrays_checksum(key, arrays)), **arrays)
        try:
            write_bytes_atomic(self._path(name, ".npz"), buf.getvalue())
        except OSError as exc:
            self._unusable(exc)
            return False
        return True
