"""End-to-end fixtures: the emulator served over real HTTP on 127.0.0.1, and the real CLI."""

from __future__ import annotations

import contextlib
import os
import re
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


@contextlib.contextmanager
def emulator_serve(*options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``provisioner emulator serve --port 0 OPTIONS`` in its own process; yields it and its
    JSON-RPC URL (read from its first line), and stops it afterwards."""
    proc = subprocess.Popen([*COMMAND, "emulator", "serve", "--port", "0", *options],
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:(\d+)/json-rpc/v1\.1/)", first)
        assert found, f"first line should name the URL: {first!r}"
        assert int(found.group(2)) > 0
        yield proc, found.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
