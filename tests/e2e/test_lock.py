"""Runs that cannot collide: two real ``provisioner apply`` processes on one account.

The first apply is run on a pseudo-terminal, so it stops at its confirmation prompt while
holding the lock; the second, started meanwhile, must be refused at once, naming the first's
PID, before it reads or writes anything.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.applying.workspace import APPLY_LOCK, WORK_DIR
from tests.e2e.conftest import COMMAND, Served, cli_env, provisioner

pty = pytest.importorskip("pty")  # POSIX only

APPS = 4
SCRIPT = "{branches: {b: {actions: [{action: hangup@v1}]}}}"
MANIFEST = "version: 1\napps:\n" + "".join(
    f"  app{i}: {{package: ACTIONS10, params: {{script: {SCRIPT}}}}}\n" for i in range(APPS))


class Prompted:
    """``provisioner ARGS`` on a pseudo-terminal, in ``cwd``; bounded by ``timeout``."""

    def __init__(self, args: list[str], cwd: Path, timeout: float = 60.0) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([*COMMAND, *args], stdin=slave, stdout=slave,
                                     stderr=slave, cwd=cwd, env=cli_env(), close_fds=True)
        os.close(slave)
        self.output = b""
        self.deadline = time.monotonic() + timeout

    def wait_for(self, text: bytes) -> None:
        while text not in self.output:
            assert time.monotonic() < self.deadline, self.output.decode(errors="replace")
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.output += os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    raise AssertionError(self.output.decode(errors="replace")) from None

    def answer(self, text: str) -> None:
        os.write(self.master, text.encode() + b"\n")

    def finish(self) -> int:
        try:
            while self.proc.poll() is None and time.monotonic() < self.deadline:
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if ready:
                    try:
                        self.output += os.read(self.master, 4096)
                    except OSError:
                        break
            return self.proc.wait(timeout=max(1.0, self.deadline - time.monotonic()))
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        os.close(self.master)


def app_names(state: Path) -> list[str]:
    data = json.loads(state.read_text(encoding="utf-8"))
    accounts = data.get("accounts", {"": data})
    return sorted(app["name"] for account in accounts.values()
                  for app in (account.get("apps") or {}).values())


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "account.yaml").write_text(MANIFEST, encoding="utf-8")
    return tmp_path


def test_a_second_apply_is_refused_while_the_first_holds_the_lock(workdir: Path) -> None:
    first = Prompted(["apply", "--sandbox", "account.yaml"], workdir)
    try:
        first.wait_for(b"Enter a value")
        second = provisioner("apply", "--sandbox", "--yes", "account.yaml", env=cli_env(),
                             cwd=workdir)
        assert second.returncode == 1, second.stderr
        assert f"PID {first.proc.pid}" in second.stderr
        assert str(WORK_DIR / "apply.lock") in second.stderr
        assert "Traceback" not in second.stderr
        # The same sandbox state from another directory is the same account: refused too.
        elsewhere = workdir / "elsewhere"
        elsewhere.mkdir()
        state = workdir / WORK_DIR / "sandbox.json"
        third = provisioner("apply", "--sandbox-state", state, "--yes", workdir / "account.yaml",
                            env=cli_env(), cwd=elsewhere)
        assert third.returncode == 1, third.stderr
        assert f"PID {first.proc.pid}" in third.stderr
        first.answer("yes")
        assert first.finish() == 0, first.output.decode(errors="replace")
    finally:
        first.close() if first.proc.poll() is None else None
    assert app_names(state) == [f"app{i}" for i in range(APPS)]  # each app once
    again = provisioner("plan", "--sandbox", "--detailed-exitcode", "account.yaml",
                        env=cli_env(), cwd=workdir)
    assert again.returncode == 0, again.stdout + again.stderr  # the lock was released


def test_a_killed_holder_leaves_no_stale_lock(workdir: Path) -> None:
    first = Prompted(["apply", "--sandbox", "account.yaml"], workdir)
    try:
        first.wait_for(b"Enter a value")
        assert (workdir / APPLY_LOCK).read_text().split("\n")[0] == str(first.proc.pid)
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=10)
    finally:
        first.close()
    after = provisioner("apply", "--sandbox", "--yes", "account.yaml", env=cli_env(), cwd=workdir)
    assert after.returncode == 0, after.stderr
    assert app_names(workdir / WORK_DIR / "sandbox.json") == [f"app{i}" for i in range(APPS)]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_add_all_never_commits_the_work_folder(workdir: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=workdir, check=True, timeout=30)
    done = provisioner("apply", "--sandbox", "--yes", "account.yaml", env=cli_env(), cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert (workdir / WORK_DIR / "sandbox.json").exists()
    assert any((workdir / WORK_DIR / "journal").iterdir())
    subprocess.run([*git, "add", "-A"], cwd=workdir, check=True, timeout=30)
    staged = subprocess.run([*git, "diff", "--cached", "--name-only"], cwd=workdir, check=True,
                            timeout=30, capture_output=True, text=True).stdout.split()
    assert staged == ["account.yaml"]


def test_a_plan_after_a_collision_removes_the_extra_copies(served: Served, tmp_path: Path) -> None:
    """Two applies at once against a served emulator (from two directories: no common lock)
    left every app twice; the number went to the newer copy of app0. The next plan removes the
    extra copies, marked as duplicates, and one apply of that saved plan converges."""
    (tmp_path / "account.yaml").write_text(
        MANIFEST + 'numbers: {"+33199000001": app0}\n', encoding="utf-8")
    env = cli_env(CALLR_LOGIN="sandbox", CALLR_PASSWORD="sandbox")
    first = provisioner("apply", "--yes", "--endpoint", served.url, "account.yaml", env=env,
                        cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    with CallrClient.connect(Credentials("sandbox", "sandbox"), served.url) as client:
        script = "branches:\n  b:\n    actions:\n      - action: hangup@v1\n"
        copies = {i: client.apps_create("ACTIONS10", f"app{i}", {"script": script})["hash"]
                  for i in range(APPS)}
        did = next(d["hash"] for d in client.apps_get_dids(False)
                   if d["intl_number"] == "+33199000001")
        client.apps_assign_did(copies[0], did)
        originals = {app["name"]: app["hash"] for app in client.apps_get_list(False)
                     if app["hash"] not in copies.values()}
    plan = provisioner("plan", "--endpoint", served.url, "--no-color", "account.yaml",
                       "--out", "plan.json", env=env, cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    removed = {originals["app0"]} | {copies[i] for i in range(1, APPS)}
    for app_hash in removed:
        assert f"duplicate ACTIONS10 {app_hash}" in plan.stdout
    assert plan.stdout.count("# duplicate: 2 apps share this identity") == APPS
    done = provisioner("apply", "--endpoint", served.url, "plan.json", env=env,
                       cwd=tmp_path)  # the reviewed plan, exactly
    assert done.returncode == 0, done.stderr
    with CallrClient.connect(Credentials("sandbox", "sandbox"), served.url) as client:
        kept = sorted((app["name"], app["hash"]) for app in client.apps_get_list(False))
    assert kept == [("app0", copies[0])] + [(f"app{i}", originals[f"app{i}"])
                                            for i in range(1, APPS)]
    again = provisioner("plan", "--detailed-exitcode", "--endpoint", served.url, "account.yaml",
                        env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
