"""``--sandbox --api rest`` in-process, and the REST v2 readiness note of JSON-RPC plans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from terminal import run

pytestmark = pytest.mark.usefixtures("no_callr_env")

DATA = Path(__file__).resolve().parent / "data" / "rest"


def test_sandbox_through_rest_then_json_rpc(tmp_path: Path) -> None:
    state = ("--sandbox-state", tmp_path / "sandbox.json")
    applied = run("apply", DATA / "actions-only", *state, "--api", "rest", "--yes")
    assert applied.exit_code == 0, applied.stderr
    assert "sandbox account through REST v2" in applied.stdout
    for api in ("rest", "jsonrpc"):
        again = run("plan", DATA / "actions-only", *state, "--api", api, "--detailed-exitcode")
        assert again.exit_code == 0, again.stdout + again.stderr
        assert "No changes." in again.stdout


def test_json_rpc_plan_ends_with_the_readiness_note(tmp_path: Path) -> None:
    state = ("--sandbox-state", tmp_path / "sandbox.json")
    text = run("plan", DATA / "legacy.yaml", *state)
    assert text.exit_code == 0, text.stderr
    last = text.stdout.rstrip().splitlines()[-2:]
    assert last[0].startswith("REST v2 readiness: 3 object(s) cannot be managed")
    assert "1 app CALLTRACKING10, 1 app CLICKTOCALL10, 1 app REALTIME10" in last[0]
    assert "provisioner migrate" in last[1]
    data = json.loads(run("plan", DATA / "legacy.yaml", *state, "--format", "json").stdout)
    assert {(b["address"], b["detail"]) for b in data["rest_v2_readiness"]} == {
        ("app.support-line", "CALLTRACKING10"), ("app.callback", "CLICKTOCALL10"),
        ("app.bot", "REALTIME10")}
    ready = run("plan", DATA / "actions-only", *state)
    assert "REST v2 readiness" not in ready.stdout


def test_sandbox_rest_refuses_legacy_apps(tmp_path: Path) -> None:
    result = run("plan", DATA / "legacy.yaml", "--sandbox-state", tmp_path / "s.json",
                 "--api", "rest")
    assert result.exit_code == 1
    assert "legacy.yaml:4:3: app.support-line: package CALLTRACKING10" in result.stderr
    assert "nothing was changed" in result.stderr


def test_sandbox_ignores_an_endpoint_of_the_other_api(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLR_ENDPOINT", "https://api.callr.com/json-rpc/v1.1/")
    result = run("plan", DATA / "actions-only", "--sandbox-state", tmp_path / "s.json",
                 "--api", "rest")
    assert result.exit_code == 0, result.stderr
    assert "through REST v2" in result.stdout
    live = run("plan", DATA / "actions-only", "--api", "jsonrpc",
               "--endpoint", "https://api.callr.com/v2.0")
    assert live.exit_code == 1 and "--api jsonrpc needs a JSON-RPC endpoint" in live.stderr
