"""SIGINT and SIGTERM in the middle of an apply: the changes in flight finish, the journal's
last line says the apply was interrupted, with the counts, and the command says so too."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from provisioner.applying.journal import JOURNAL_DIR, read
from tests.e2e.conftest import COMMAND, cli_env
from tests.e2e.test_kill import manifest_text, server, wait_for_calls

__all__ = ["server"]  # the served emulator fixture, 40 ms per answer


@pytest.mark.parametrize(("sig", "name", "code"), [(signal.SIGTERM, "SIGTERM", 143),
                                                   (signal.SIGINT, "SIGINT", 130)])
def test_an_interrupted_apply_journals_its_counts(server: str, tmp_path: Path,
                                                  sig: signal.Signals, name: str,
                                                  code: int) -> None:
    path = tmp_path / "account.yaml"
    path.write_text(manifest_text(), encoding="utf-8")
    env = cli_env(CALLR_LOGIN="sandbox", CALLR_PASSWORD="sandbox")
    proc = subprocess.Popen([*COMMAND, "apply", "--yes", "--parallelism", "1", "--endpoint",
                             server, str(path)], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    try:
        journal = wait_for_calls(tmp_path / JOURNAL_DIR, 3)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == code, stderr
    lines = read(journal)
    last = lines[-1]
    assert last["type"] == "interrupted" and last["signal"] == name and last["ok"] is False
    counted = last["applied"] + last["failed"] + last["skipped"] + last["not_started"]
    assert counted == lines[0]["changes"]
    assert last["applied"] >= 3 and last["not_started"] > 0, last
    calls = {line["change"] for line in lines if line["type"] == "call"}
    assert len(calls) == last["applied"] + last["failed"], ("each finished change is counted",
                                                            calls, last)
    assert (f"Apply interrupted by {name}: {last['applied']} applied, {last['failed']} failed, "
            f"{last['skipped']} skipped, {last['not_started']} not started") in stderr
    assert "Traceback" not in stderr
