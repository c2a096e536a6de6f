"""``provisioner release NUMBER...``: the only way a number leaves the account, never plan/apply."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from terminal import run, run_in_pty

pytestmark = pytest.mark.usefixtures("no_callr_env")


Write = Callable[..., Path]
N1, N2 = "+33199000001", "+33199000002"

APP = f"""
    version: 1
    apps:
      line: {{package: ACTIONS10, params: {{script: {{branches: {{inbound-call: {{actions: [
          {{action: say@v2, params: {{what: a}}}}]}}}}}}}}}}
    numbers:
      "{N1}": line
"""


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state" / "sandbox.json"
    result = run("release", "--yes", "--sandbox-state", path, "+33100000000")
    assert result.exit_code == 1  # creates the sandbox; the number is not on the account
    return path


def dids(state: Path, account: str | None = None) -> dict[str, str | None]:
    """Number -> assigned app name (None when unassigned), read from the sandbox state."""
    data = json.loads(state.read_text())
    acc = data["accounts"][account or data["master"]]
    names = {h: app["name"] for h, app in acc["apps"].items()}
    return {d["intl_number"]: names.get(d["app"]) if d["app"] else None
            for d in acc["dids"].values()}


def test_release_yes_removes_the_did(state: Path, manifest: Write) -> None:
    assert run("apply", "--yes", "--sandbox-state", state, manifest(APP)).exit_code == 0
    assert dids(state)[N1] == "line"
    result = run("release", "--yes", "--sandbox-state", state, N1, "+33 1 99 00 00 02")
    assert result.exit_code == 0, result.output
    assert f"{N1} (assigned to line) will leave the account" in result.output
    assert f"{N2} (assigned to no app) will leave the account" in result.output
    assert f"Released {N1}." in result.output and f"Released {N2}." in result.output
    assert N1 not in dids(state) and N2 not in dids(state)
    assert len(dids(state)) == 18
    again = run("release", "--yes", "--sandbox-state", state, N1)
    assert again.exit_code == 1
    assert f"not on the account: {N1}" in again.stderr


def test_unknown_number_releases_nothing(state: Path) -> None:
    result = run("release", "--yes", "--sandbox-state", state, N1, "+33199999999")
    assert result.exit_code == 1
    assert "not on the account: +33199999999; nothing was released" in result.stderr
    assert "Released" not in result.output
    assert N1 in dids(state) and len(dids(state)) == 20


def test_no_terminal_and_no_yes_refuses(state: Path) -> None:
    result = run("release", "--sandbox-state", state, N1)
    assert result.exit_code == 1
    assert "no terminal" in result.stderr and "--yes" in result.stderr
    assert N1 in dids(state)


def test_release_inside_a_subaccount(state: Path, manifest: Write) -> None:
    path = manifest("""
        version: 1
        subaccounts:
          "Client A":
            contact: {emails: [ops@client-a.example]}
    """)
    assert run("apply", "--yes", "--sandbox-state", state, path).exit_code == 0
    data = json.loads(state.read_text())
    (sub_hash,) = data["accounts"][data["master"]]["subs"]
    assert run("release", "--yes", "--sandbox-state", state, "+33199001001").exit_code == 1
    result = run("release", "--yes", "--subaccount", sub_hash, "--sandbox-state", state,
                 "+33199001001")
    assert result.exit_code == 0, result.stderr
    assert "+33199001001" not in dids(state, sub_hash)
    assert len(dids(state, sub_hash)) == 4
    assert len(dids(state)) == 20


def test_plan_and_apply_never_release(state: Path, manifest: Write) -> None:
    assert run("apply", "--yes", "--sandbox-state", state, manifest(APP)).exit_code == 0
    gone = manifest("""
        version: 1
        apps:
          line: {package: ACTIONS10, absent: true}
    """)
    planned = run("plan", "--format", "json", "--sandbox-state", state, gone)
    assert planned.exit_code == 0
    plan = json.loads(planned.output)
    methods = [call["method"] for change in plan["changes"] for call in change["calls"]]
    assert methods == ["apps.delete"]
    freed = [c for c in plan["changes"] if c["kind"] == "number"]
    assert [(c["address"], c["action"], c["calls"]) for c in freed] == [
        (f"number.{N1}", "unassign", [])]
    text = run("plan", "--sandbox-state", state, gone).output
    assert f"  - number.{N1}  from line" in text and "# freed by deleting app line" in text
    applied = run("apply", "--yes", "--sandbox-state", state, gone)
    assert applied.exit_code == 0, applied.stderr
    assert "cancel_subscription" not in applied.output
    assert dids(state)[N1] is None  # still on the account, unassigned
    assert len(dids(state)) == 20
    assert run("plan", "--detailed-exitcode", "--sandbox-state", state, gone).exit_code == 0


# -- typing the number back, under a real pseudo-terminal --------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals need a POSIX system")
@pytest.mark.parametrize(("typed", "released"), [("+33 1 99 00 00 01", True),
                                                 ("+33199000002", False)])
def test_typing_the_number_back(state: Path, typed: str, released: bool) -> None:
    code, out = run_in_pty(["release", "--sandbox-state", str(state), N1], typed,
                           b"to release it:")
    assert f"Type {N1} to release it:" in out, out
    assert code == (0 if released else 1), out  # a skipped number fails the command
    assert (f"Released {N1}." in out) is released
    assert ("the number typed did not match" in out) is not released
    assert (N1 in dids(state)) is not released
