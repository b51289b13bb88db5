#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python (>= 3.11) and pip.

    python3 tasks.py figures   # the main job (installs into ./.venv first)
    python3 tasks.py test      # the test suite (installs into ./.venv first)

Each command creates the local virtual environment ``.venv`` on first use and
reinstalls the project only when ``pyproject.toml`` changes.  Extra
arguments after ``test`` go to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_environment() -> None:
    """Create .venv and install the project with its test extras, once per pyproject change."""
    if sys.version_info < (3, 11):
        sys.exit(f"tasks.py: Python >= 3.11 is required, this is {sys.version.split()[0]}")
    stamp = VENV / ".sandbox-installed"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("tasks.py: creating the virtual environment .venv", flush=True)
        venv.create(VENV, with_pip=True)
    print("tasks.py: installing the project and its dependencies into .venv (first run only)", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[test]"], cwd=ROOT, check=True)
    stamp.write_text(want)


def run(*cmd: str) -> int:
    return subprocess.run([str(PYTHON), *cmd], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"test", "figures"}:
        print(__doc__)
        return 2
    ensure_environment()
    if argv[0] == "test":
        return run("-m", "pytest", *argv[1:])
    # Main job.  Until the figure pipeline exists: SGD vs clipped SGD on the same heavy-tailed noise.
    common = ["-m", "sims.cli", "simulate", "--objective", "quadratic", "--noise", "stable", "--set", "alpha=1.3",
              "--set", "lr=0.05", "--K", "2000", "--R", "400", "--seed", "1"]
    rc = run(*common, "--method", "sgd")
    return rc or run(*common, "--method", "clipped_sgd", "--set", "threshold=1")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
