"""Planning and applying through REST v2 (in-process), across protocols on one account."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Account

from provisioner.api.client import CallrClient
from provisioner.api.rest import RestClient
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator
from provisioner.errors import PlanError
from provisioner.migrate import readiness
from provisioner.planning import planfile
from provisioner.planning.plan import Action
from provisioner.render.codec import PlanFileError

SCENARIO = """\
version: 1
apps:
  front-desk:
    package: ACTIONS10
    params:
      script: |
        branches:
          inbound-call:
            actions:
              - action: hangup@v1
  after-hours:
    package: ACTIONS10
    params:
      format: YAML
      script: |
        description: closed
        branches:
          inbound-call:
            actions:
              - action: say@v2
                params: {what: We are closed}
              - action: hangup@v1
numbers:
  "+33199000001": front-desk
  "+33199000002": front-desk
  "+33199000003": after-hours
"""
LEGACY = """\
version: 1
apps:
  support-line:
    package: CALLTRACKING10
  bot:
    package: REALTIME10
    params: {url: "https://bot.example.com/callr"}
  desk:
    package: ACTIONS10
    params: {script: "branches: {inbound-call: {actions: [{action: hangup@v1}]}}"}
webhooks:
  - type: sms.mo
    endpoint: https://hooks.example.com/sms
"""


@pytest.fixture
def rest_account(emulator: Emulator) -> Account:
    return Account(RestClient.open_rest(Credentials(api_key="sandbox"), "http://e.test/v2.0",
                                        transport=emulator.transport()))


def test_rest_apply_then_no_changes_through_both_apis(
        rest_account: Account, account: Account, manifest: Callable[..., Path]) -> None:
    path = manifest(SCENARIO)
    plan = rest_account.converge(path)
    assert plan.api == "rest"
    assert plan.counts() == {Action.CREATE: 2, Action.ASSIGN: 3}
    assert rest_account.plan(path).is_empty
    assert account.plan(path).is_empty


def test_jsonrpc_apply_then_no_changes_through_rest(
        rest_account: Account, account: Account, manifest: Callable[..., Path]) -> None:
    path = manifest(SCENARIO)
    account.converge(path)
    assert rest_account.plan(path).is_empty
    moved = manifest(SCENARIO.replace('"+33199000003": after-hours', '"+33199000003": front-desk')
                     .replace("description: closed", "description: shut"))
    plan = rest_account.converge(moved)
    assert plan.counts() == {Action.UPDATE: 1, Action.REASSIGN: 1}
    assert account.plan(moved).is_empty


def test_legacy_manifest_refused_before_any_call(
        rest_account: Account, emulator: Emulator, manifest: Callable[..., Path]) -> None:
    path = manifest(LEGACY)
    with pytest.raises(PlanError) as refused:
        rest_account.plan(path)
    assert emulator.stats()["total"] == 0
    messages = refused.value.messages
    assert any("app.support-line" in m and "CALLTRACKING10" in m for m in messages)
    assert any("app.bot" in m and "REALTIME10" in m for m in messages)
    assert not any("app.desk" in m for m in messages)
    assert any("webhook" in m and "no REST v2 equivalent documented" in m for m in messages)
    assert all(m.startswith(str(path)) for m in messages[:-1])  # located


def test_jsonrpc_plan_carries_the_readiness_list(account: Account,
                                                 manifest: Callable[..., Path]) -> None:
    plan = account.plan(manifest(LEGACY))
    listed = plan.to_dict()["rest_v2_readiness"]
    assert sorted(item["address"] for item in listed) == [
        "app.bot", "app.support-line", "webhook.sms.mo->https://hooks.example.com/sms"]
    note = readiness.note(plan.readiness)
    assert "3 object(s)" in note[0]
    assert "1 app CALLTRACKING10, 1 app REALTIME10, 1 webhook" in note[0]
    assert "provisioner migrate" in note[1]
    assert "rest_v2_readiness" not in account.plan(manifest(SCENARIO)).to_dict()


def test_saved_plan_is_applied_only_through_its_api(
        rest_account: Account, account: Account, client: CallrClient,
        manifest: Callable[..., Path], tmp_path: Path) -> None:
    path = manifest(SCENARIO)
    saved = tmp_path / "plan.json"
    planfile.save(rest_account.plan(path), saved, "acct")
    with pytest.raises(PlanFileError, match="planned through the rest API"):
        planfile.load(saved, client, "acct", {})
    loaded = planfile.load(saved, rest_account.client, "acct", {})
    assert loaded.api == "rest" and len(loaded.changes) == 5
    planfile.save(account.plan(path), saved, "acct")
    with pytest.raises(PlanFileError, match="planned through the jsonrpc API"):
        planfile.load(saved, rest_account.client, "acct", {})


def test_lost_response_over_rest_converges(rest_account: Account, emulator: Emulator,
                                           manifest: Callable[..., Path]) -> None:
    path = manifest(SCENARIO)
    emulator.faults.lose_response("apps.create")
    emulator.faults.lose_response("apps.assign_did", drop=True)
    _, report = rest_account.apply(path)
    assert report.ok, [(s.change.address, s.error) for s in report.steps if s.error]
    assert rest_account.plan(path).is_empty
    names = [a["name"] for a in rest_account.client.call("apps.get_list", with_numbers=False)]
    assert sorted(names) == ["after-hours", "front-desk"]  # created once, not twice


def test_converges_whether_or_not_numbers_name_their_scenario(
        manifest: Callable[..., Path]) -> None:
    """The Number object's ``scenario`` field is INFERRED: assignments are read from the
    scenarios' ``numbers`` lists (CONFIRMED), so the plan is the same without it."""
    emu = Emulator(None, variants=["rest-numbers-without-scenario"])
    api = Account(RestClient.open_rest(Credentials(api_key="sandbox"), "http://e.test/v2.0",
                                       transport=emu.transport()))
    assert api.client.call("apps.get_dids", only_available=False)[0]["app"] is None
    path = manifest(SCENARIO)
    api.converge(path)
    assert api.plan(path).is_empty
    moved = manifest(SCENARIO.replace('"+33199000003": after-hours', '"+33199000003": front-desk'))
    assert api.converge(moved).counts() == {Action.REASSIGN: 1}
    assert api.plan(moved).is_empty
