"""The apply journal: one JSON-lines file per apply, every call's outcome, no secret."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from provisioner.api.client import CallrClient
from provisioner.applying.journal import JOURNAL_DIR, Journal, identity, read
from provisioner.emulator import Emulator
from provisioner.planning.engine import apply_plan
from provisioner.planning.plan import Plan
from provisioner.sensitive import KNOWN, Secret
from tests.conftest import Account
from tests.terminal import run

Write = Callable[..., Path]
SECRET = "hunter2-webhook-secret"
SIP_SECRET = "s1p-p4ssw0rd-value"
MANIFEST = f"""
    version: 1
    apps:
      a: {{package: ACTIONS10, params: {{script: {{branches: {{inbound-call: {{actions: [
          {{action: say@v2, params: {{what: a}}}}]}}}}}}}}}}
      b: {{package: ACTIONS10, params: {{script: {{branches: {{inbound-call: {{actions: [
          {{action: say@v2, params: {{what: b}}}}]}}}}}}}}}}
    numbers:
      "+33199000001": a
    webhooks:
      - type: sms.mo
        endpoint: https://hooks.example.com/j
        options: {{hmac_algo: SHA256, hmac_secret: {SECRET}}}
"""


def only_journal(directory: Path) -> Path:
    (path,) = directory.iterdir()
    return path


def test_journal_of_an_apply_with_a_failure_and_a_lost_answer(
        account: Account, client: CallrClient, emulator: Emulator, manifest: Write,
        tmp_path: Path) -> None:
    plan = account.plan(manifest(MANIFEST))
    emulator.faults.fail("apps.create", code=151, message="Injected fault")  # app.a
    emulator.faults.lose_response("webhooks.subscribe")
    report = apply_plan(plan, client, parallelism=1, journal_dir=tmp_path / "journal")
    path = only_journal(tmp_path / "journal")
    assert report.journal == path
    assert re.fullmatch(rf"\d{{8}}T\d{{6}}\.\d{{6}}Z-{plan.fingerprint()}\.jsonl", path.name)
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    header, *calls, summary = read(path)
    assert header["type"] == "header"
    assert (header["target"], header["fingerprint"], header["changes"]) == (
        "test account", plan.fingerprint(), 4)
    assert header["started"] and header["version"]
    outcomes = {(c["change"], c["method"]): (c["outcome"], c["code"], c["message"])
                for c in calls}
    assert outcomes == {
        ("app.a", "apps.create"): ("failed", 151, "Injected fault"),
        ("app.b", "apps.create"): ("ok", None, ""),
        ("number.+33199000001", "apps.assign_did"): ("skipped", None, "app.a failed"),
        ("webhook.sms.mo->https://hooks.example.com/j", "webhooks.subscribe"):
            ("recovered", None, "adopted"),
    }
    assert all(c["type"] == "call" and c["duration_ms"] >= 0 for c in calls)
    by_change = {c["change"]: c for c in calls}
    assert by_change["app.b"]["identity"] == {"name": "b", "package": "ACTIONS10"}
    assert by_change["app.b"]["call"] == "app.b:create"
    assert by_change["webhook.sms.mo->https://hooks.example.com/j"]["identity"] == {
        "type": "sms.mo", "endpoint": "https://hooks.example.com/j"}
    assert summary == {"type": "summary", "finished": summary["finished"], "applied": 2,
                       "failed": 1, "skipped": 1, "ok": False}


def test_identity_keeps_names_and_drops_secrets() -> None:
    args = {"properties": {"username": "alice", "password": Secret(SIP_SECRET)},
            "options": {"hmac_secret": Secret(SECRET)}, "name": Secret("x"), "id": 7,
            "params": {"password": "clear"}}
    assert identity(args) == {"id": 7, "properties.username": "alice"}


def test_lines_are_readable_while_the_apply_runs(tmp_path: Path) -> None:
    journal = Journal(tmp_path, Plan("t"))
    journal.call("app.a", "app.a:create", "apps.create", "ok", duration=0.01,
                 args={"name": "a", "params": {"secret": Secret(SECRET)}})
    lines = read(journal.path)  # not closed yet: every line is already flushed
    assert [line["type"] for line in lines] == ["header", "call"]
    with journal.path.open("a", encoding="utf-8") as handle:
        handle.write('{"type": "call", "chan')  # what a kill mid-write leaves
    assert len(read(journal.path)) == 2
    assert SECRET not in journal.path.read_text(encoding="utf-8")


def test_cli_apply_journals_under_the_current_directory(
        tmp_path: Path, manifest: Write, monkeypatch: pytest.MonkeyPatch,
        no_callr_env: None) -> None:
    monkeypatch.chdir(tmp_path)
    path = manifest(MANIFEST)
    result = run("apply", "--yes", "--sandbox-state", tmp_path / "state.json", path)
    assert result.exit_code == 0, result.output + result.stderr
    journal = only_journal(tmp_path / JOURNAL_DIR)
    assert f"Journal: {journal}" in result.output
    lines = read(journal)
    assert [line["outcome"] for line in lines[1:-1]] == ["ok"] * 4
    assert lines[-1]["ok"] is True
    assert SECRET not in journal.read_text(encoding="utf-8")


def test_journals_are_private_and_mask_values_from_the_environment(tmp_path: Path) -> None:
    KNOWN.add("hookpath-Z9z9", "HOOK_PATH")
    previous = os.umask(0)  # even a permissive umask gives 0600
    try:
        journal = Journal(tmp_path, Plan("t"))
    finally:
        os.umask(previous)
    journal.call("webhook.x", "webhook.x:subscribe", "webhooks.subscribe", "failed",
                 message="echoed https://hooks.example.com/hookpath-Z9z9/in",
                 args={"type": "call.inbound_hangup",
                       "endpoint": "https://hooks.example.com/hookpath-Z9z9/in"})
    journal.close({"applied": 0}, ok=False)
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    call = read(journal.path)[1]
    assert call["identity"]["endpoint"] == "https://hooks.example.com/(sensitive: HOOK_PATH)/in"
    assert "hookpath-Z9z9" not in journal.path.read_text(encoding="utf-8")
