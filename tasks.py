#!/usr/bin/env python3
"""Bootstrap for a fresh machine with only Python (>= 3.11) and pip.

    python3 tasks.py figures   # the main job: regenerate figures/ (installs into ./.venv first)
    python3 tasks.py test      # the test suite (installs into ./.venv first)

Each command creates the local virtual environment ``.venv`` on first use and
reinstalls the project only when ``pyproject.toml`` changes.  Extra
arguments go to pytest (``test``) or to ``sandbox figures`` (``figures``,
e.g. ``--quick`` or a figure name).
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
    # Main job: regenerate every figure into figures/ (cached sweeps and check rows: re-runs simulate nothing).
    return run("-m", "sandbox.cli", "figures", *argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
