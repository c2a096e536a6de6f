"""``provisioner doctor``: a read-only probe that tells which way each API guess turned out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from api.scripted import VirtualClock
from terminal import run

from provisioner.api.client import CallrClient
from provisioner.api.methods import METHODS
from provisioner.api.rpc import Credentials
from provisioner.doctor import Report, examine
from provisioner.emulator import Emulator, FaultProfile
from provisioner.emulator.variants import VARIANTS, missing_methods

pytestmark = pytest.mark.usefixtures("no_callr_env")
Write = Callable[..., Path]

WEBHOOKS = """
    version: 1
    webhooks:
      - {type: sms.mo, endpoint: "https://hooks.example.com/sms"}
"""
APPS = """
    version: 1
    apps:
      bot: {package: REALTIME10, params: {url: "https://bot.example.com"}}
"""


def rows(report: Report) -> dict[str, tuple[str, str]]:
    return {row.check: (row.result, row.detail) for row in report.rows}


def connect(emu: Emulator, password: str = "sandbox") -> CallrClient:
    return CallrClient.connect(Credentials("sandbox", password),
                               "http://emulator/json-rpc/v1.1/", transport=emu.transport())


def test_a_plain_emulator_passes_every_check_and_nothing_is_written() -> None:
    emu = Emulator()
    before = json.dumps(emu.snapshot(), sort_keys=True)
    with connect(emu) as api:
        report = examine(api)
    found = rows(report)
    assert report.ok and not report.missing
    assert found["authentication"][0] == "ok"
    assert found["apps.get_list"] == ("ok", "[C] answers")
    assert found["did.get"][0] == "ok"  # exists: a dummy hash gets "not found", not -32601
    assert found["search page size"] == ("ok", "100 accepted")
    assert found["login-as"][0] == "skipped"
    assert "calls" in found["latency"][1]
    assert json.dumps(emu.snapshot(), sort_keys=True) == before
    written = {m for m in emu.stats()["methods"] if not METHODS[m].read_only}
    assert written == set()


def test_missing_methods_and_small_pages_are_named() -> None:
    emu = Emulator(variants=["no-sip", "no-webhook-list", "small-pages"])
    with connect(emu) as api:
        report = examine(api)
    found = rows(report)
    assert report.ok  # no manifest: nothing is needed
    assert "webhooks.get_list" in report.missing and "sip/subscriber.search" in report.missing
    assert found["webhooks.get_list"][0] == "missing"
    assert found["webhooks.get_event_types"][0] == "ok"
    assert found["search page size"] == ("note", "50 accepted (100 refused)")


def test_login_as_and_unknown_packages() -> None:
    emu = Emulator()
    with connect(emu) as api:
        properties = {"account": {"company": "Acme"}, "contact": {"emails": ["a@b.example"]}}
        sub = api.call("account/sub.create", properties=properties, options=None)
        app = api.apps_create("REALTIME10", "forwarder", None)
        with emu.store.request() as state:  # a package the tool does not know (real accounts)
            state["accounts"][state["master"]]["apps"][app["hash"]]["package"]["name"] = (
                "CALLFORWARDING10")
        report = examine(api)
    found = rows(report)
    assert found["login-as"] == ("ok", f"into Acme ({sub['hash']}), 1 of 1")
    assert found["app packages"] == ("note", "not managed by the tool: CALLFORWARDING10 (1 app)")


def test_bad_credentials_fail_at_once_with_http_401() -> None:
    emu = Emulator(variants=["http-auth-errors"])
    with connect(emu, password="wrong") as api:
        report = examine(api)
    assert not report.ok
    assert [row.check for row in report.rows] == ["authentication"]
    assert "HTTP 401" in report.rows[0].detail


def test_cli_sandbox_plain_exits_0(tmp_path: Path) -> None:
    result = run("doctor", "--sandbox-state", tmp_path / "s.json")
    assert result.exit_code == 0, result.output
    assert "missing" not in result.stdout
    assert "search page size" in result.stdout


def test_cli_names_missing_methods_under_variants_and_exits_0_without_manifests(
        tmp_path: Path) -> None:
    result = run("doctor", "--sandbox-state", tmp_path / "s.json",
                 "--sandbox-variant", "no-sip,no-webhook-list")
    assert result.exit_code == 0, result.output
    missing = next(line for line in result.stdout.splitlines()
                   if line.startswith("Missing methods:"))
    assert "webhooks.get_list" in missing and "sip/trunk/termination.search" in missing
    assert "variants: no-sip, no-webhook-list" in result.stdout


def test_cli_exits_1_when_the_manifests_need_a_missing_method(
        tmp_path: Path, manifest: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVISIONER_SANDBOX_VARIANTS", "no-sip,no-webhook-list")
    needs_webhooks = run("doctor", manifest(WEBHOOKS), "--sandbox-state", tmp_path / "s.json")
    assert needs_webhooks.exit_code == 1, needs_webhooks.output
    assert "The manifests need missing methods: webhooks.get_list" in needs_webhooks.stderr
    apps_only = run("doctor", manifest(APPS), "--sandbox-state", tmp_path / "s.json")
    assert apps_only.exit_code == 0, apps_only.output
    assert "manifests: app" in apps_only.stdout


def test_cli_refuses_an_unknown_sandbox_variant(tmp_path: Path) -> None:
    result = run("doctor", "--sandbox-state", tmp_path / "s.json", "--sandbox-variant", "nope")
    assert result.exit_code == 1
    assert "unknown variant nope" in result.stderr


@pytest.mark.parametrize("variants", [[name] for name in sorted(VARIANTS)] + [sorted(VARIANTS)],
                         ids=[*sorted(VARIANTS), "all"])
def test_doctor_works_under_every_variant(variants: list[str]) -> None:
    emu = Emulator(variants=variants)
    emu.provision_numbers(60)
    with connect(emu) as api:
        report = examine(api)
    reads = {name for name, row in METHODS.items() if row.read_only}
    assert report.authenticated and report.ok
    assert report.missing == missing_methods(frozenset(variants)) & reads
    size = rows(report)["search page size"]
    assert ("50 accepted" in size[1]) == ("small-pages" in variants)


def test_a_rate_limited_account_shows_the_lowered_rate() -> None:
    clock = VirtualClock()  # the emulator's rate limit and the client's waits in virtual time
    emu = Emulator(fault_profile=FaultProfile(rate_limit=5, seed=1), clock=clock.time)
    with CallrClient.connect(Credentials("sandbox", "sandbox"), "http://emulator/json-rpc/v1.1/",
                             transport=emu.transport(), max_rps=50, clock=clock.time,
                             sleep=clock.sleep) as api:
        report = examine(api)
    result, detail = rows(report)["rate limit"]
    assert report.authenticated and emu.stats()["faults"].get("rate_limited")
    assert result == "note" and "lowered from at most 50 requests/s" in detail
    with connect(Emulator()) as api:
        assert rows(examine(api))["rate limit"] == ("ok", "no HTTP 429 (no rate cap)")


def test_a_method_refused_to_this_account_is_shown_refused() -> None:
    emu = Emulator()
    emu.faults.fail("account/sub.get_quota", code=100, message="Feature not allowed")
    with connect(emu) as api:
        report = examine(api)
    assert rows(report)["account/sub.get_quota"] == (
        "refused", "[C] error 100: Feature not allowed")
    assert report.ok
