"""End-to-end fixtures: the emulator served over real HTTP on 127.0.0.1, and the real CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from serving import RPC_PATH, serving

from provisioner.emulator import Emulator

SCRIPT = shutil.which("provisioner", path=str(Path(sys.executable).parent))
COMMAND = [SCRIPT] if SCRIPT else [sys.executable, "-m", "provisioner"]
"""The installed console script, or the module when the script is not on the venv's path."""


@dataclass
class Served:
    emulator: Emulator
    url: str


@pytest.fixture
def served() -> Iterator[Served]:
    emu = Emulator(None, media_delay=0.05, job_delay=0.05)
    with serving(emu) as base:
        yield Served(emu, base + RPC_PATH)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLR_")}
    env.update(extra)
    return env


def provisioner(*args: str | Path, env: dict[str, str],
                cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``provisioner`` command, stdin closed (no terminal), 120 s at most, in a
    scratch directory unless told otherwise (apply writes its journal under the current one)."""
    if cwd is None:
        cwd = Path(tempfile.mkdtemp(prefix="provisioner-e2e-"))
    return subprocess.run([*COMMAND, *map(str, args)], env=env, cwd=cwd, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=120,
                          check=False)
