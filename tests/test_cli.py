"""The ``provisioner`` command through click's CliRunner, and under a pseudo-terminal."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from terminal import run, run_in_pty

pytestmark = pytest.mark.usefixtures("no_callr_env")


ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
QUICKSTART_SECRET = "sandbox-only-secret"
Write = Callable[..., Path]

APP = """
    version: 1
    apps:
      bot: {package: REALTIME10, params: {url: "https://bot.example.com", password: pw-xyz-123}}
    numbers:
      "+33199000001": bot
"""

BAD = """\
version: 1
apps:
  a:
    package: NOPE
  b:
    package: ACTIONS10
    params: {format: XML}
numbers:
  "+33199000001": ghost
"""


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state" / "sandbox.json"


def sandbox_apps(state: Path) -> list[str]:
    if not state.exists():
        return []
    data = json.loads(state.read_text())
    return sorted(a["name"] for a in data["accounts"][data["master"]]["apps"].values())


def test_validate_ok_and_invalid(manifest: Write) -> None:
    ok = run("validate", QUICKSTART)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout == "Valid: 4 apps, 5 numbers.\n"
    bad = run("validate", manifest(BAD, "bad.yaml"))
    assert bad.exit_code == 1
    assert "Valid" not in bad.stdout


def test_manifest_errors_all_at_once_located(manifest: Write, state: Path) -> None:
    path = manifest(BAD, "bad.yaml")
    for command in (["validate"], ["plan", "--sandbox-state", state],
                    ["apply", "--yes", "--sandbox-state", state]):
        result = run(*command[:1], path, *command[1:])
        assert result.exit_code == 1, result.output
        located = [line for line in result.stderr.splitlines()
                   if re.match(r"^\S*bad\.yaml:\d+:\d+: ", line)]
        assert len(located) == 3, result.stderr
        assert re.search(r"bad\.yaml:4:14: apps\.a\.package: unknown package 'NOPE'",
                         result.stderr)
        assert re.search(r"bad\.yaml:7:\d+: apps\.b\.params\.format: ", result.stderr)
        assert re.search(r"bad\.yaml:9:\d+: numbers\.\"\+33199000001\": app 'ghost'",
                         result.stderr)
        assert "3 problems in the manifest; nothing was sent to the API." in result.stderr
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not state.exists(), "a manifest error stops before the sandbox is even opened"


def test_plan_detailed_exitcode(manifest: Write, state: Path) -> None:
    path = manifest(APP)
    changes = run("plan", path, "--sandbox-state", state, "--detailed-exitcode")
    assert changes.exit_code == 2, changes.output
    assert changes.stdout.splitlines()[0] == f"Target: sandbox account (state file {state})"
    assert "  + app.bot  REALTIME10" in changes.stdout
    assert "Plan: 1 to create, 0 to update, 0 to delete, 1 to assign." in changes.stdout
    assert run("plan", path, "--sandbox-state", state).exit_code == 0
    assert sandbox_apps(state) == [], "plan writes nothing"
    assert run("apply", path, "--sandbox-state", state, "--yes").exit_code == 0
    none = run("plan", path, "--sandbox-state", state, "--detailed-exitcode")
    assert none.exit_code == 0, none.output
    assert "No changes." in none.stdout
    error = run("plan", manifest(BAD), "--sandbox-state", state, "--detailed-exitcode")
    assert error.exit_code == 1


def test_plan_formats(manifest: Write, state: Path) -> None:
    path = manifest(APP)
    as_json = run("plan", path, "--sandbox-state", state, "--format", "json")
    assert as_json.exit_code == 0
    body = json.loads(as_json.stdout)
    assert [c["address"] for c in body["changes"]] == ["app.bot", "number.+33199000001"]
    assert body["target"].startswith("sandbox account")
    as_md = run("plan", path, "--sandbox-state", state, "--format", "markdown")
    assert as_md.exit_code == 0
    assert "| `+` | `app.bot` |" in as_md.stdout
    for out in (as_json.stdout, as_md.stdout):
        assert "pw-xyz-123" not in out


def test_apply_yes_then_plan_empty(manifest: Write, state: Path) -> None:
    path = manifest(APP)
    applied = run("apply", path, "--sandbox-state", state, "--yes")
    assert applied.exit_code == 0, applied.output
    # Progress goes to stderr, the plan and the result to stdout.
    assert "done: + app.bot  REALTIME10" in applied.stderr
    assert "done: + number.+33199000001  to bot" in applied.stderr
    assert "Apply complete: 2 changes applied." in applied.stdout
    assert "Journal: " in applied.stdout
    assert "pw-xyz-123" not in applied.output
    assert sandbox_apps(state) == ["bot"]
    again = run("plan", path, "--sandbox-state", state)
    assert again.exit_code == 0
    assert "No changes. The account matches the manifest." in again.stdout
    nothing = run("apply", path, "--sandbox-state", state)
    assert nothing.exit_code == 0, "an empty plan needs no confirmation"
    assert "No changes." in nothing.stdout


def test_apply_without_yes_and_no_terminal_refuses(manifest: Write, state: Path) -> None:
    started = time.monotonic()
    result = run("apply", manifest(APP), "--sandbox-state", state, input="y\n")
    assert time.monotonic() - started < 10
    assert result.exit_code == 1
    assert "  + app.bot  REALTIME10" in result.stdout, "the plan is shown before refusing"
    assert "no terminal" in result.stderr and "--yes" in result.stderr
    assert "Traceback" not in result.output
    assert sandbox_apps(state) == []


def test_apply_logs_never_show_secrets(manifest: Write, state: Path,
                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = run("-vv", "apply", manifest(APP), "--sandbox-state", state, "--yes")
    assert result.exit_code == 0, result.output
    assert any("apps.create" in r.getMessage() for r in caplog.records), "debug logs captured"
    assert "pw-xyz-123" not in caplog.text
    assert "pw-xyz-123" not in result.output


def test_default_sandbox_state_in_current_directory(manifest: Write, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    result = run("apply", manifest(APP), "--sandbox", "--yes")
    assert result.exit_code == 0, result.output
    assert (work / ".provisioner" / "sandbox.json").is_file()
    assert sandbox_apps(work / ".provisioner" / "sandbox.json") == ["bot"]
    assert "state file .provisioner/sandbox.json" in result.stdout.splitlines()[0]


def test_missing_credentials_suggest_sandbox(manifest: Write) -> None:
    result = run("plan", manifest(APP))
    assert result.exit_code == 1
    assert "CALLR_API_KEY" in result.stderr and "--sandbox" in result.stderr
    assert "Traceback" not in result.output
    applied = run("apply", manifest(APP), "--yes")
    assert applied.exit_code == 1 and "--sandbox" in applied.stderr


def test_quickstart_applied_then_planned_empty(state: Path) -> None:
    first = run("plan", QUICKSTART, "--sandbox-state", state, "--detailed-exitcode")
    assert first.exit_code == 2
    assert "Plan: 4 to create, 0 to update, 0 to delete, 4 to assign." in first.stdout
    assert QUICKSTART_SECRET not in first.output
    applied = run("apply", QUICKSTART, "--sandbox-state", state, "--yes")
    assert applied.exit_code == 0, applied.output
    assert QUICKSTART_SECRET not in applied.output
    assert sandbox_apps(state) == ["after-hours", "bot", "callback", "support-line"]
    again = run("plan", QUICKSTART, "--sandbox-state", state, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout


# -- the confirmation prompt, under a real pseudo-terminal ------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals need a POSIX system")
@pytest.mark.parametrize("answer", ["n", "y"])
def test_prompt_answered_other_than_yes_changes_nothing(manifest: Write, state: Path,
                                                        answer: str) -> None:
    """As Terraform's: only `yes`, typed in full, approves (`y` does not)."""
    code, out = run_in_pty(["apply", str(manifest(APP)), "--sandbox-state", str(state)],
                           answer, b"Enter a value:")
    assert "Apply these 2 changes? Only 'yes' will be accepted to approve." in out, out
    assert code == 1, out
    assert "Apply cancelled; nothing was changed." in out
    assert sandbox_apps(state) == []


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals need a POSIX system")
def test_prompt_answered_yes_applies(manifest: Write, state: Path) -> None:
    code, out = run_in_pty(["apply", str(manifest(APP)), "--sandbox-state", str(state)], "yes",
                           b"Enter a value:")
    assert "Only 'yes' will be accepted" in out, out
    assert code == 0, out
    assert "Apply complete: 2 changes applied." in out
    assert sandbox_apps(state) == ["bot"]
