"""SIGKILL in the middle of an apply: the journal stays readable and the next apply converges.

The emulator runs in its own process (``provisioner emulator serve``) with a response latency,
so an apply of ~30 objects takes long enough to be killed after its first journaled calls; the
calls in flight at the kill run on the server with nobody to read their answers.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.applying.journal import JOURNAL_DIR, read
from tests.e2e.conftest import COMMAND, cli_env, provisioner

APPS = 10
NUMBERS = 3
HOOKS = 8
SUBSCRIBERS = 9


def manifest_text() -> str:
    lines = ["version: 1", "apps:"]
    lines += [f"  app{i}: {{package: ACTIONS10, params: {{script: {{branches: {{\n"
              f"      s{i}: {{actions: [{{action: hangup@v1}}]}}}}}}}}}}" for i in range(APPS)]
    lines.append("numbers:")
    lines += [f'  "+331990000{i + 1:02d}": app{i % APPS}' for i in range(NUMBERS)]
    lines.append("webhooks:")
    lines += [f"  - {{type: sms.mo, endpoint: \"https://hooks.example.com/{i}\"}}"
              for i in range(HOOKS)]
    lines += ["sip:", "  subscribers:"]
    lines += [f"    user{i}: {{codecs: [PCMU]}}" for i in range(SUBSCRIBERS)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """``provisioner emulator serve`` on a free port, every response 40 ms late."""
    env = cli_env(PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [*COMMAND, "emulator", "serve", "--port", "0", "--state", str(tmp_path / "state.json"),
         "--latency-ms", "40", "--media-delay", "0.05"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        found = re.search(r"http://\S+/json-rpc/v1\.1/", banner)
        assert found, banner
        yield found.group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait_for_calls(directory: Path, count: int, timeout: float = 20.0) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in directory.glob("*.jsonl") if directory.exists() else ():
            if sum(1 for line in read(path) if line.get("type") == "call") >= count:
                return path
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} journaled calls after {timeout}s")


def test_kill_mid_apply_then_converge(server: str, tmp_path: Path) -> None:
    path = tmp_path / "account.yaml"
    path.write_text(manifest_text(), encoding="utf-8")
    env = cli_env(CALLR_LOGIN="sandbox", CALLR_PASSWORD="sandbox")
    args = [*COMMAND, "apply", "--yes", "--endpoint", server, str(path)]
    killed = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        journal = wait_for_calls(tmp_path / JOURNAL_DIR, 3)
    finally:
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(timeout=10)
    assert killed.returncode == -signal.SIGKILL
    lines = read(journal)
    assert lines[0]["type"] == "header"
    assert all(line["type"] == "call" for line in lines[1:]), "no summary: it was killed"
    assert len(lines) - 1 < APPS + NUMBERS + HOOKS + SUBSCRIBERS, "killed before the end"
    assert len(journal.read_text(encoding="utf-8").splitlines()) == len(lines)

    again = provisioner("apply", "--yes", "--endpoint", server, path, env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    check = provisioner("plan", "--detailed-exitcode", "--endpoint", server, path, env=env,
                        cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr

    with CallrClient.connect(Credentials("sandbox", "sandbox"), server) as client:
        apps = Counter(app["name"] for app in client.apps_get_list(False))
        hooks = Counter(hook["endpoint"] for hook in client.call("webhooks.get_list"))
        users = Counter(sub["username"] for sub in client.search_all("sip/subscriber.search"))
    assert apps == {f"app{i}": 1 for i in range(APPS)}
    assert hooks == {f"https://hooks.example.com/{i}": 1 for i in range(HOOKS)}
    assert users == {f"user{i}": 1 for i in range(SUBSCRIBERS)}
