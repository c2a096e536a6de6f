"""The saved-plan workflow as Terraform users expect it (issue 13): `apply plan.json` asks
nothing, target flags named on a mismatch, unsafe plans saved honestly, `show`, `apply --format
json` and `apply -q`; and the tampered-plan refusals through the real command (issue 11)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from serving import RPC_PATH, root_logging_restored, serving
from terminal import run

from provisioner.emulator import Emulator, FaultProfile
from provisioner.planning import planseal
from provisioner.planning.planfile import target_flags
from tests.scenarios import scenario_writer

Write = Callable[..., Path]
APP = """
version: 1
apps:
  bot: {package: ACTIONS10, params: {script: a}}
  desk: {package: ACTIONS10, params: {script: d}}
"""
APPS_12 = "version: 1\napps:\n" + "".join(
    f"  app{i:02}: {{package: ACTIONS10, params: {{script: s{i}}}}}\n" for i in range(12))


@pytest.fixture
def manifest(manifest: Callable[..., Path]) -> Callable[..., Path]:
    """The conftest writer; each ``script: WORD`` becomes a real scenario (tests/scenarios.py)."""
    return scenario_writer(manifest)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, no_callr_env: None) -> Iterator[None]:
    monkeypatch.delenv(planseal.KEY_VARIABLE, raising=False)
    with root_logging_restored():
        yield


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state.json"


def apps_in(state: Path) -> list[str]:
    data = json.loads(state.read_text())
    return sorted(a["name"] for a in data["accounts"][data["master"]]["apps"].values())


def saved(tmp_path: Path, state: Path, path: Path, *flags: str) -> Path:
    out = tmp_path / "plan.json"
    result = run("plan", "--sandbox-state", state, "--out", out, *flags, path)
    assert out.exists(), result.output
    return out


def test_saved_plan_applies_without_a_question_and_lists_its_calls(
        tmp_path: Path, state: Path, manifest: Write) -> None:
    out = saved(tmp_path, state, manifest(APP))
    applied = run("apply", "--sandbox-state", state, out)  # no --yes, no terminal
    assert applied.exit_code == 0, applied.output
    assert "Calls to make" in applied.stdout
    assert "1. apps.create  [app.bot]" in applied.stdout
    assert "Enter a value" not in applied.output
    assert apps_in(state) == ["bot", "desk"]
    stale = run("apply", "--sandbox-state", state, out)
    assert stale.exit_code == 1 and "was created since the plan" in stale.stderr


def test_a_mismatched_target_names_the_flags_that_match(tmp_path: Path, state: Path,
                                                         manifest: Write) -> None:
    out = saved(tmp_path, state, manifest(APP))
    other = run("apply", "--sandbox-state", tmp_path / "other.json", out)
    assert other.exit_code == 1
    assert f"Apply it with --sandbox --sandbox-state {state.resolve()}" in other.stderr
    assert target_flags("https://api.example.com/json-rpc login:ops") == (
        "--endpoint https://api.example.com/json-rpc and the credentials of ops")
    assert target_flags("https://x.example/rpc api-key-sha256:0123abcd").startswith(
        "--endpoint https://x.example/rpc and the API key whose sha256 starts with 0123abcd")


def test_unsafe_plan_saved_does_not_claim_it_will_run(tmp_path: Path, state: Path,
                                                      manifest: Write) -> None:
    assert run("apply", "--sandbox-state", state, "--yes", manifest(APPS_12)).exit_code == 0
    gone = manifest("version: 1\npolicy: {prune: [apps]}\napps: {}\n")
    planned = run("plan", "--sandbox-state", state, "--out", tmp_path / "u.json", gone)
    assert planned.exit_code == 3
    assert "It is unsafe" in planned.stderr and "unless --force" in planned.stderr
    assert "makes exactly these calls" not in planned.stderr
    refused = run("apply", "--sandbox-state", state, tmp_path / "u.json")
    assert refused.exit_code == 3 and len(apps_in(state)) == 12


def test_emptied_unsafe_exits_3_through_the_command(tmp_path: Path, state: Path,
                                                    manifest: Write) -> None:
    assert run("apply", "--sandbox-state", state, "--yes", manifest(APPS_12)).exit_code == 0
    gone = manifest("version: 1\npolicy: {prune: [apps]}\napps: {}\n")
    run("plan", "--sandbox-state", state, "--out", tmp_path / "u.json", gone)
    body = json.loads((tmp_path / "u.json").read_text())
    body["unsafe"] = {"$tuple": []}
    body[planseal.SEAL] = planseal.seal(body, None)
    (tmp_path / "u.json").write_text(json.dumps(body))
    refused = run("apply", "--sandbox-state", state, tmp_path / "u.json")
    assert refused.exit_code == 3, refused.output
    assert "100% of the 12 live objects" in refused.stderr
    assert len(apps_in(state)) == 12


def test_protect_is_read_again_from_manifests_given_with_the_plan(
        tmp_path: Path, state: Path, manifest: Write) -> None:
    assert run("apply", "--sandbox-state", state, "--yes", manifest(APP)).exit_code == 0
    out = saved(tmp_path, state, manifest(
        "version: 1\napps: {desk: {package: ACTIONS10, absent: true}}\n"))
    protected = manifest(APP.replace("script: d}", "script: d}, protect: true"))
    refused = run("apply", "--sandbox-state", state, out, protected)
    assert refused.exit_code == 1, refused.output
    assert "app.desk is protected" in refused.stderr
    assert apps_in(state) == ["bot", "desk"]
    assert run("apply", "--sandbox-state", state, out).exit_code == 0  # as approved
    assert apps_in(state) == ["bot"]


def test_show_renders_a_saved_plan_without_the_account(tmp_path: Path, state: Path,
                                                       manifest: Write) -> None:
    out = saved(tmp_path, state, manifest(APP))
    state.unlink(missing_ok=True)
    text = run("show", out)
    assert text.exit_code == 0, text.output
    assert "+ app.bot" in text.stdout and "Plan: 2 to create" in text.stdout
    markdown = run("show", "--format", "markdown", out)
    assert markdown.stdout.startswith("### CALLR plan for")
    body = json.loads(run("show", "--format", "json", out).stdout)
    assert [c["address"] for c in body["changes"]] == ["app.bot", "app.desk"]
    assert not state.exists(), "show reads no account"
    tampered = json.loads(out.read_text())
    tampered["changes"][0]["address"] = "app.other"
    out.write_text(json.dumps(tampered))
    refused = run("show", out)
    assert refused.exit_code == 1 and "modified after it was made" in refused.stderr


def test_show_env_values_as_references(tmp_path: Path, state: Path, manifest: Write,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "tok-91aa0c")
    out = saved(tmp_path, state, manifest("""
        version: 1
        apps: {bot: {package: REALTIME10, params: {url: "https://b.example.com/?t=${env:BOT_TOKEN}"}}}
    """))
    shown = run("show", out)
    assert "tok-91aa0c" not in shown.output and "tok-91aa0c" not in out.read_text()
    assert "(sensitive: BOT_TOKEN)" in shown.stdout


# -- apply --format json and -q, against the emulator served over HTTP -------------------------


@pytest.fixture
def emulator_url(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CALLR_LOGIN", "sandbox")
    monkeypatch.setenv("CALLR_PASSWORD", "sandbox")
    with serving(emulator) as base:
        yield base + RPC_PATH


def report(result: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(result.stdout)
    return body


def test_apply_json_report(emulator: Emulator, emulator_url: str, manifest: Write) -> None:
    path = manifest(APP + "numbers: {\"+33199000001\": desk}\n")
    emulator.faults.fail("apps.create", code=33, message="Injected refusal", skip=1)
    result = run("apply", "--endpoint", emulator_url, "--parallelism", "1", "--yes", "--format",
                 "json", path)
    assert result.exit_code == 1
    body = report(result)
    assert body["ok"] is False
    assert body["summary"] == {"applied": 1, "failed": 1, "skipped": 1}
    assert [s["address"] for s in body["applied"]] == ["app.bot"]
    [failed] = body["failed"]
    assert (failed["address"], failed["code"]) == ("app.desk", 33)
    assert "Injected refusal" in failed["error"]
    assert body["skipped"][0]["address"] == "number.+33199000001"
    assert "app.desk" in body["skipped"][0]["reason"]
    assert body["journal"]
    again = run("apply", "--endpoint", emulator_url, "--yes", "--format", "json", path)
    assert report(again)["ok"] is True and report(again)["summary"]["failed"] == 0
    nothing = run("apply", "--endpoint", emulator_url, "--format", "json", path)
    assert report(nothing)["summary"] == {"applied": 0, "failed": 0, "skipped": 0}


@pytest.mark.parametrize("quiet", [False, True])
def test_quiet_apply_prints_no_retry_warnings(emulator: Emulator, emulator_url: str,
                                              manifest: Write, quiet: bool) -> None:
    emulator.faults.configure(FaultProfile(fail_rate=0.3, seed=7))
    flags = ["-q"] if quiet else []
    result = run("apply", "--endpoint", emulator_url, "--parallelism", "1", "--yes", *flags,
                 manifest(APPS_12))
    assert result.exit_code == 0, result.output
    assert ("retry" in result.stderr) is not quiet, result.stderr
    assert result.stdout.startswith("Apply complete: 12 changes applied.") is quiet


def test_plan_key_seals_the_file_end_to_end(tmp_path: Path, state: Path, manifest: Write,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(planseal.KEY_VARIABLE, "ci-secret-6d0f")
    out = saved(tmp_path, state, manifest(APP))
    assert json.loads(out.read_text())[planseal.SEAL]["algorithm"] == "hmac-sha256"
    assert "ci-secret-6d0f" not in out.read_text()
    monkeypatch.delenv(planseal.KEY_VARIABLE)
    shown = run("show", out)
    assert shown.exit_code == 0 and "the seal was not verified" in shown.stderr
    refused = run("apply", "--sandbox-state", state, out)
    assert refused.exit_code == 1 and "set the same PROVISIONER_PLAN_KEY" in refused.stderr
    monkeypatch.setenv(planseal.KEY_VARIABLE, "ci-secret-6d0f")
    assert run("apply", "--sandbox-state", state, out).exit_code == 0
    assert apps_in(state) == ["bot", "desk"]


MALFORMED: dict[str, Callable[[dict[str, Any]], None]] = {
    "changes": lambda body: body.update(changes="x"),
    "call args": lambda body: body["changes"][0]["calls"][0].update(args="x"),
    "basis kind": lambda body: body.update(basis=[{"account": "", "kind": "bogus",
                                                    "address": "a", "fingerprint": "f"}]),
    "target": lambda body: body.pop("target"),
    "guards": lambda body: body.update(guards={"": "x"}),
    "secret ref": lambda body: body["changes"][0]["calls"][0]["args"].append(
        ["params", {"$secret": "nowhere:x"}]),
}


@pytest.mark.parametrize("what", sorted(MALFORMED))
def test_a_malformed_resealed_plan_is_a_clean_error(tmp_path: Path, state: Path,
                                                    manifest: Write, what: str) -> None:
    out = saved(tmp_path, state, manifest(APP))
    body = json.loads(out.read_text())
    MALFORMED[what](body)
    body[planseal.SEAL] = planseal.seal(body, None)
    out.write_text(json.dumps(body))
    applied = run("apply", "--sandbox-state", state, out)
    assert applied.exit_code == 1 and "Error: " in applied.stderr, applied.output
    assert not state.exists() or apps_in(state) == []
    shown = run("show", out)  # show reads no guards: it may render; it never crashes
    assert shown.exit_code in (0, 1) and isinstance(shown.exception, SystemExit | None)


@pytest.mark.parametrize("show", [False, True])
def test_apply_json_report_names_generated_secrets(state: Path, manifest: Write,
                                                   show: bool) -> None:
    path = manifest("""
        version: 1
        subaccounts:
          Acme: {account: {firstname: Ada, lastname: Lovelace}, contact: {emails: [a@b.example]}}
    """)
    flags = ["--show-generated-secrets"] if show else []
    result = run("apply", "--sandbox-state", state, "--yes", "--format", "json", *flags, path)
    assert result.exit_code == 0, result.output
    [generated] = report(result)["generated_secrets"]
    assert generated["address"] == "subaccount.Acme"
    assert generated["path"] == "credentials.password"
    assert ("value" in generated) is show
    assert not show or generated["value"] not in ("", "(sensitive)")
