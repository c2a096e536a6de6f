"""End to end over HTTP: the real ``provisioner`` command against the served emulator."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import callr
import pytest

from .conftest import Served, cli_env, emulator_serve, provisioner

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
BASIC = {"CALLR_LOGIN": "sandbox", "CALLR_PASSWORD": "sandbox"}


def apps_of(served: Served) -> list[str]:
    state = served.emulator.snapshot()
    return sorted(a["name"] for a in state["accounts"][state["master"]]["apps"].values())


@pytest.mark.parametrize("credentials", [BASIC, {"CALLR_API_KEY": "sandbox"}],
                         ids=["basic", "api-key"])
def test_quickstart_validate_plan_apply_plan(served: Served,
                                             credentials: dict[str, str]) -> None:
    env = cli_env(**credentials)
    endpoint = ("--endpoint", served.url)
    valid = provisioner("validate", QUICKSTART, env=env)
    assert valid.returncode == 0, valid.stderr
    assert "Valid: 4 apps, 5 numbers." in valid.stdout
    plan = provisioner("plan", QUICKSTART, *endpoint, "--detailed-exitcode", env=env)
    assert plan.returncode == 2, plan.stderr
    who = "login sandbox" if "CALLR_LOGIN" in credentials else "API key"
    assert plan.stdout.splitlines()[0] == f"Target: CALLR account at {served.url} ({who})"
    assert "Plan: 4 to create, 0 to update, 0 to delete, 4 to assign." in plan.stdout
    assert apps_of(served) == []
    refused = provisioner("apply", QUICKSTART, *endpoint, env=env)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert apps_of(served) == []
    applied = provisioner("apply", QUICKSTART, *endpoint, "--yes", env=env)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete: 8 changes applied." in applied.stdout
    assert "sandbox-only-secret" not in applied.stdout + applied.stderr
    assert apps_of(served) == ["after-hours", "bot", "callback", "support-line"]
    again = provisioner("plan", QUICKSTART, *endpoint, "--detailed-exitcode", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


def test_endpoint_from_environment(served: Served) -> None:
    env = cli_env(CALLR_ENDPOINT=served.url, **BASIC)
    result = provisioner("plan", QUICKSTART, "--detailed-exitcode", env=env)
    assert result.returncode == 2, result.stderr
    assert served.url in result.stdout.splitlines()[0]


@pytest.mark.parametrize("credentials", [
    {"CALLR_API_KEY": "wrong-key"},
    {"CALLR_LOGIN": "sandbox", "CALLR_PASSWORD": "wrong"},
], ids=["api-key", "basic"])
def test_bad_credentials_exit_1_with_auth_message(served: Served,
                                                  credentials: dict[str, str]) -> None:
    for command in ("plan", "apply"):
        result = provisioner(command, QUICKSTART, "--endpoint", served.url, "--yes"
                             if command == "apply" else "--detailed-exitcode",
                             env=cli_env(**credentials))
        assert result.returncode == 1, result.stdout
        assert "Authentication failed" in result.stderr
        assert "error 22" in result.stderr
        assert "Traceback" not in result.stderr
        assert "wrong-key" not in result.stderr, "the key itself is never printed"
    assert apps_of(served) == []


def test_no_credentials_suggests_sandbox(served: Served) -> None:
    result = provisioner("plan", QUICKSTART, "--endpoint", served.url, env=cli_env())
    assert result.returncode == 1
    assert "--sandbox" in result.stderr and "Traceback" not in result.stderr


def test_fault_mid_apply_reports_and_next_apply_converges(served: Served) -> None:
    env = cli_env(**BASIC)
    served.emulator.faults.fail("apps.assign_did", skip=1, code=151, message="Injected fault")
    # One change at a time, so that the second assignment is the one that fails.
    failed = provisioner("apply", QUICKSTART, "--endpoint", served.url, "--yes",
                         "--parallelism", "1", env=env)
    assert failed.returncode == 1, failed.stdout
    report = failed.stderr
    assert "Apply failed. 7 applied, 1 failed, 0 skipped." in report
    assert re.search(r"! number\.\+33199000002: apps\.assign_did: error 151: Injected fault",
                     report)
    applied = report.split("Applied:")[1]
    # Assignments do not depend on each other: the ones after the failure are still made.
    assert "+ app.support-line" in applied and "+ number.+33199000001" in applied
    assert "+ number.+33199000003" in applied and "+ number.+33199000004" in applied
    assert "Traceback" not in report
    fixed = provisioner("apply", QUICKSTART, "--endpoint", served.url, "--yes", env=env)
    assert fixed.returncode == 0, fixed.stderr
    assert "Apply complete: 1 change applied." in fixed.stdout
    assert apps_of(served) == ["after-hours", "bot", "callback", "support-line"]
    final = provisioner("plan", QUICKSTART, "--endpoint", served.url, "--detailed-exitcode",
                        env=env)
    assert final.returncode == 0


@pytest.fixture
def emulator_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    with emulator_serve() as served:
        yield served


def test_emulator_serve_port_0_driven_by_sdk_and_cli(
        emulator_process: tuple[subprocess.Popen[str], str]) -> None:
    proc, url = emulator_process
    api = callr.Api("sandbox", "sandbox")
    api.set_api_url(url)
    assert isinstance(api.call("system.get_timestamp"), int)
    assert len(api.call("apps.get_dids", True)) == 20
    env = cli_env(**BASIC)
    applied = provisioner("apply", QUICKSTART, "--endpoint", url, "--yes", env=env)
    assert applied.returncode == 0, applied.stderr
    names = sorted(a["name"] for a in api.call("apps.get_list", True))
    assert names == ["after-hours", "bot", "callback", "support-line"]
    assert provisioner("plan", QUICKSTART, "--endpoint", url, "--detailed-exitcode",
                       env=env).returncode == 0
    assert proc.poll() is None, "the server keeps running until terminated"


def test_debug_logs_never_show_the_secret(served: Served) -> None:
    result = provisioner("-vv", "apply", QUICKSTART, "--endpoint", served.url, "--yes",
                         env=cli_env(**BASIC))
    assert result.returncode == 0, result.stderr
    assert "DEBUG provisioner.api.rpc: -> apps.create" in result.stderr, "debug logs are on"
    assert "sandbox-only-secret" not in result.stdout + result.stderr
    state = served.emulator.snapshot()
    bot = [a for a in state["accounts"][state["master"]]["apps"].values() if a["name"] == "bot"]
    assert bot[0]["p"]["password"] == "sandbox-only-secret", "sent in clear on the wire only"
