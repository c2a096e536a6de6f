"""Running the real command: through click's runner, or on a pseudo-terminal to test what it
asks a person."""

from __future__ import annotations

import inspect
import os
import select
import subprocess
import sys
import time
from typing import Any

import pytest
from click.testing import CliRunner, Result

from provisioner.cli import main


def run(*args: Any, input: str | None = None) -> Result:
    """``provisioner ARGS`` in-process, stdout and stderr apart whatever the click version."""
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    else:
        runner = CliRunner()  # click >= 8.2 keeps result.stderr apart
    return runner.invoke(main, [str(a) for a in args], input=input)


def run_in_pty(args: list[str], answer: str, prompt: bytes,
               timeout: float = 60.0) -> tuple[int, str]:
    """Run ``python -m provisioner ARGS`` with a pty as its terminal; type ``answer`` once
    ``prompt`` shows. Returns the exit code and everything the terminal showed."""
    pty = pytest.importorskip("pty")  # POSIX only
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLR_")}
    proc = subprocess.Popen([sys.executable, "-m", "provisioner", *args], stdin=slave,
                            stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    output = b""
    answered = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
                if not answered and prompt in output:
                    os.write(master, answer.encode() + b"\n")
                    answered = True
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, output.decode(errors="replace").replace("\r\n", "\n")
