"""DID store orders through REST v2 (``/numbers/store``, EXPERIMENTAL: inferred bodies),
in-process: reserve, buy with the token, assign; only with allow_purchase; bought once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from provisioner.api.rest import RestClient
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator
from provisioner.errors import PlanError, PurchaseNotAllowed
from provisioner.planning import planfile, planseal
from provisioner.planning.engine import apply_plan
from provisioner.planning.plan import Action
from provisioner.render.codec import PlanFileError
from provisioner.render.text import render_plan
from tests.conftest import Account

APPS = """\
version: 1
apps:
  desk:
    package: ACTIONS10
    params: {script: "branches: {inbound-call: {actions: [{action: hangup@v1}]}}"}
numbers:
  order: {%s, quantity: 2, app: desk}
"""


@pytest.fixture
def rest_account(emulator: Emulator) -> Account:
    return Account(RestClient.open_rest(Credentials(api_key="sandbox"), "http://e.test/v2.0",
                                        transport=emulator.transport()))


def owned(account: Account) -> list[str]:
    return sorted(d["intl_number"] for d in account.client.call("apps.get_dids",
                                                                 only_available=False))


def test_order_by_prefix_buys_once_through_rest(
        rest_account: Account, account: Account, emulator: Emulator,
        manifest: Callable[..., Path]) -> None:
    path = manifest(APPS % 'prefix: "+334"')
    before = owned(account)
    plan = rest_account.plan(path)
    purchase = [c for c in plan.changes if c.action is Action.PURCHASE]
    assert len(purchase) == 1
    assert [c.method for c in purchase[0].calls] == [
        "did/store.reserve", "did/store.buy_order", "apps.assign_did", "apps.assign_did"]
    shown = render_plan(plan)
    assert "EXPERIMENTAL" in shown and "prefix +334" in shown
    with pytest.raises(PurchaseNotAllowed):
        apply_plan(plan, rest_account.client)
    assert owned(account) == before  # nothing bought without allow_purchase
    report = apply_plan(plan, rest_account.client, allow_purchase=True)
    assert report.ok, [(s.change.address, s.error) for s in report.steps if s.error]
    new = sorted(set(owned(account)) - set(before))
    assert len(new) == 2 and all(n.startswith("+334") for n in new)
    methods = emulator.stats()["methods"]
    assert methods["POST /numbers/store"] == 1 and methods["POST /numbers/store/{token}"] == 1
    assert rest_account.plan(path).is_empty  # the order is satisfied: never bought twice
    apps = {a["hash"]: a["name"] for a in account.client.call("apps.get_list",
                                                              with_numbers=False)}
    dids = account.client.call("apps.get_dids", only_available=False)
    assert sorted(d["intl_number"] for d in dids if apps.get(d["app"]) == "desk") == new


def test_order_by_area_name(rest_account: Account, manifest: Callable[..., Path]) -> None:
    plan = rest_account.plan(manifest(APPS % "area: lyon"))
    assert any(c.action is Action.PURCHASE and "area lyon" in c.summary for c in plan.changes)


def test_area_code_id_refused_through_rest_before_any_call(
        rest_account: Account, emulator: Emulator, manifest: Callable[..., Path]) -> None:
    path = manifest(APPS % "area_code_id: 1")
    with pytest.raises(PlanError) as refused:
        rest_account.plan(path)
    assert any(m.startswith(str(path)) and "area_code_id is a JSON-RPC store id" in m
               and "/numbers/store/prefixes" in m for m in refused.value.messages)
    assert emulator.stats()["total"] == 0


def test_unknown_prefix_and_prefix_through_json_rpc_are_refused(
        rest_account: Account, account: Account, emulator: Emulator,
        manifest: Callable[..., Path]) -> None:
    with pytest.raises(PlanError) as unknown:
        rest_account.plan(manifest(APPS % 'prefix: "+339"'))
    assert any("prefix '+339' is not in the number store" in m and "+331" in m
               for m in unknown.value.messages), unknown.value.messages
    with pytest.raises(PlanError) as rpc:
        account.plan(manifest(APPS % "area: paris"))
    assert any("through JSON-RPC write 'area_code_id'" in m for m in rpc.value.messages)
    assert not [m for m in emulator.stats()["methods"]
                if m.startswith(("POST", "DELETE", "PUT", "PATCH"))
                or m.startswith("did/store.") or m.startswith("apps.create")]


def test_saved_rest_purchase_relabelled_is_still_a_purchase(
        rest_account: Account, emulator: Emulator, manifest: Callable[..., Path],
        tmp_path: Path) -> None:
    """plancheck derives purchases from the ``did/store.*`` operations, which REST plans carry
    under the same names: a relabelled change is refused before any write."""
    out = tmp_path / "plan.json"
    planfile.save(rest_account.plan(manifest(APPS % 'prefix: "+334"')), out, "acct")
    body = json.loads(out.read_text())
    for item in body["changes"]:
        if item["action"] == "purchase":
            item["action"] = "assign"
    body[planseal.SEAL] = planseal.seal(body, None)
    out.write_text(json.dumps(body))
    with pytest.raises(PlanFileError, match="the change says assign but its calls purchase"):
        planfile.load(out, rest_account.client, "acct", {})
    assert not [m for m in emulator.stats()["methods"] if not m.startswith("GET")]


def test_lost_buy_answer_over_rest_buys_once(
        rest_account: Account, account: Account, emulator: Emulator,
        manifest: Callable[..., Path]) -> None:
    """REST v2 has no ``did/store.view_order``: recovery tells a bought order by its reserved
    numbers being on the account, so a lost answer never buys twice."""
    path = manifest(APPS % 'prefix: "+334"')
    before = owned(account)
    emulator.faults.lose_response("did/store.buy_order")
    report = apply_plan(rest_account.plan(path), rest_account.client, allow_purchase=True)
    assert report.ok, [(s.change.address, s.error) for s in report.steps if s.error]
    assert len(set(owned(account)) - set(before)) == 2
    assert rest_account.plan(path).is_empty


def test_bought_but_not_assigned_is_assigned_next_time_not_bought_again(
        rest_account: Account, account: Account, emulator: Emulator,
        manifest: Callable[..., Path]) -> None:
    path = manifest(APPS % "area: lyon")
    before = owned(account)
    emulator.faults.fail("apps.assign_did", times=10)
    failed = apply_plan(rest_account.plan(path), rest_account.client, allow_purchase=True)
    assert not failed.ok
    assert len(set(owned(account)) - set(before)) == 2
    emulator.faults.clear()
    plan = rest_account.plan(path)
    assert plan.counts() == {Action.ASSIGN: 2}  # the spare numbers, matched by the area's prefix
    assert apply_plan(plan, rest_account.client).ok
    assert len(set(owned(account)) - set(before)) == 2
    assert emulator.stats()["methods"]["POST /numbers/store/{token}"] == 1
    assert rest_account.plan(path).is_empty
