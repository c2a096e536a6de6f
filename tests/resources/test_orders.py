"""DID store orders: quoted in the plan, bought only with allow_purchase, then assigned; an order
is satisfied by the app's numbers that ``numbers:`` does not list, so a second plan is empty, and
takes the account's unassigned numbers of its area code and class before buying any.

Every account of the emulator starts with unassigned Paris numbers (area code 1), so the orders
meant to buy use Lyon (area code 2, ``+334 65 71 ...``: 5 GOLD numbers, then CLASSIC)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.applying.executor import Status
from provisioner.emulator import Emulator
from provisioner.emulator.store import add_did
from provisioner.errors import PurchaseNotAllowed
from provisioner.planning.engine import apply_plan
from provisioner.planning.plan import Action, Plan
from provisioner.render.text import render_plan, render_report
from tests.conftest import ENDPOINT, Account

Write = Callable[..., Path]
N1 = "+33199000001"
PARIS_FIRST = 33199005000  # the emulator's Paris area code (id 1): 5 GOLD numbers, then CLASSIC
LYON_FIRST = 33465710000  # Lyon (id 2): 5 GOLD numbers, then 45 CLASSIC

APPS = """
    version: 1
    apps:
      support-line: {package: ACTIONS10, params: {script: {branches: {
          a: {actions: [{action: hangup@v1}]}}}}}
      sales: {package: ACTIONS10, params: {script: {branches: {
          b: {actions: [{action: hangup@v1}]}}}}}
"""


def with_numbers(text: str) -> str:
    return APPS + "    numbers:\n" + "".join(f"      {line}\n" for line in text.splitlines())


ORDER = with_numbers("order: {area_code_id: 2, class: CLASSIC, quantity: 2, app: support-line}")


def owners(client: CallrClient) -> dict[str, str | None]:
    names = {app["hash"]: app["name"] for app in client.apps_get_list(True)}
    return {d["intl_number"]: names.get(d["app"]) if d["app"] else None
            for d in client.apps_get_dids(False)}


STORE = (range(PARIS_FIRST, PARIS_FIRST + 100), range(33465710000, 33465710050),
         range(33639980000, 33639980020))


def bought(client: CallrClient) -> dict[str, str | None]:
    """The account's numbers that came from the emulator's store catalogue."""
    return {n: app for n, app in owners(client).items()
            if any(int(n[1:]) in area for area in STORE)}


def purchase_apply(account: Account, path: Path) -> tuple[Plan, Any]:
    plan = account.plan(path)
    return plan, apply_plan(plan, account.client, allow_purchase=True)


def test_plan_shows_the_quote(account: Account, manifest: Write) -> None:
    account.converge(manifest(APPS))
    plan = account.plan(manifest(ORDER))
    (change,) = plan.changes
    assert change.action is Action.PURCHASE and change.kind == "order"
    assert change.summary == "buy 2 CLASSIC numbers in area code 2 for support-line"
    assert [(f.path, f.new) for f in change.fields] == [
        ("cost.monthly", "4.00 (account currency)"), ("cost.now", "4.00 (account currency)"),
        ("contract", "PREPAID, 1 month(s)")]
    assert [c.method for c in change.calls] == [
        "did/store.reserve", "did/store.buy_order", "apps.assign_did", "apps.assign_did"]
    reserve = change.calls[0].kwargs()
    assert (reserve["area_code_id"], reserve["class"], reserve["quantity"]) == (2, "CLASSIC", 2)
    text = render_plan(plan)
    assert "  $ " in text and 'cost.monthly: "4.00 (account currency)"' in text
    assert 'cost.now: "4.00 (account currency)"' in text
    assert "1 to purchase" in text


def test_a_quote_that_names_its_currency_shows_it() -> None:
    from provisioner.resources.orders import _cost

    quote = {"cost": {"amount_per_month": "250.00", "amount_prepaid_debit": "100.00",
                      "currency": "eur"}, "contract": {}, "available": 9}
    fields, _ = _cost(quote, 1)
    assert [f.new for f in fields[:2]] == ["2.50 EUR", "1.00 EUR"]


def test_purchase_needs_allow_purchase(account: Account, client: CallrClient,
                                       emulator: Emulator, manifest: Write) -> None:
    path = manifest(ORDER)
    plan = account.plan(path)  # also creates both apps: nothing of it may run
    before = emulator.snapshot()
    with pytest.raises(PurchaseNotAllowed) as info:
        apply_plan(plan, client)
    assert "--allow-purchase" in str(info.value)
    assert emulator.snapshot() == before
    assert client.apps_get_list(True) == []


def test_purchase_and_assign_to_an_app_created_in_the_same_apply(
        account: Account, client: CallrClient, manifest: Write) -> None:
    path = manifest(ORDER)
    plan, report = purchase_apply(account, path)
    assert report.ok, render_report(report)
    assert [c.action for c in plan.changes] == [Action.CREATE, Action.CREATE, Action.PURCHASE]
    new = bought(client)
    assert list(new.values()) == ["support-line", "support-line"]
    assert all(LYON_FIRST + 5 <= int(n[1:]) < LYON_FIRST + 50 for n in new)  # CLASSIC ones
    assert account.plan(path).is_empty


def test_order_counts_only_numbers_not_listed(account: Account, client: CallrClient,
                                              manifest: Write) -> None:
    listed = with_numbers(f'"{N1}": support-line\n'
                          "order: {area_code_id: 2, quantity: 1, app: support-line}")
    path = manifest(listed)
    plan = account.plan(path)
    assert [c.action for c in plan.changes][-2:] == [Action.ASSIGN, Action.PURCHASE]
    report = apply_plan(plan, client, allow_purchase=True)
    assert report.ok
    assert len(bought(client)) == 1
    assert account.plan(path).is_empty
    # an unlisted number already on the app satisfies the order: nothing more to buy
    kept = manifest(with_numbers("order: {area_code_id: 2, quantity: 2, app: support-line}"))
    assert account.plan(kept).is_empty


def test_order_tops_up_to_quantity(account: Account, client: CallrClient,
                                   manifest: Write) -> None:
    first = manifest(with_numbers("order: {area_code_id: 2, quantity: 1, app: sales}"))
    assert purchase_apply(account, first)[1].ok
    more = manifest(with_numbers("order: {area_code_id: 2, quantity: 3, app: sales}"))
    (change,) = account.plan(more).changes
    assert change.summary == "buy 2 CLASSIC numbers in area code 2 for sales"
    assert purchase_apply(account, more)[1].ok
    assert list(bought(client).values()) == ["sales"] * 3
    assert account.plan(more).is_empty


def test_orders_in_a_list(account: Account, client: CallrClient, manifest: Write) -> None:
    path = manifest(with_numbers(
        "order:\n"
        "  - {area_code_id: 1, class: GOLD, quantity: 1, app: support-line}\n"
        "  - {area_code_id: 2, quantity: 2, app: sales, mode: SEQUENTIAL}"
    ))
    plan = account.plan(path)
    purchases = [c for c in plan.changes if c.action is Action.PURCHASE]
    assert [c.summary for c in purchases] == [
        "buy 1 GOLD number in area code 1 for support-line",
        "buy 2 CLASSIC numbers in area code 2 for sales",
    ]
    assert purchases[0].fields[0].new == "15.00 (account currency)"
    _, report = purchase_apply(account, path)
    assert report.ok
    new = bought(client)
    gold = [n for n, app in new.items() if app == "support-line"]
    assert len(gold) == 1 and PARIS_FIRST <= int(gold[0][1:]) < PARIS_FIRST + 5
    # SEQUENTIAL takes the first CLASSIC numbers of Lyon (after its 5 GOLD ones)
    assert sorted(n for n, app in new.items() if app == "sales") == [
        "+33465710005", "+33465710006"]
    assert account.plan(path).is_empty


def test_quantity_larger_than_available(account: Account, client: CallrClient,
                                        manifest: Write) -> None:
    path = manifest(with_numbers("order: {area_code_id: 3, class: GOLD, quantity: 6, app: sales}"))
    plan = account.plan(path)
    purchase = plan.changes[-1]
    assert purchase.notes == ("only 5 available in the store: buying will fail",)
    assert "# only 5 available in the store" in render_plan(plan)
    report = apply_plan(plan, client, allow_purchase=True)
    assert not report.ok
    (failed,) = report.with_status(Status.FAILED)
    assert failed.change is purchase and failed.calls_made == 0
    assert "exceeds the 5 numbers available" in failed.error
    assert "Apply failed." in render_report(report)
    assert bought(client) == {}
    # the apps were created before the failure; only the purchase is left
    assert [c.action for c in account.plan(path).changes] == [Action.PURCHASE]


def test_fault_after_buying_converges_without_buying_twice(
        account: Account, client: CallrClient, emulator: Emulator, manifest: Write) -> None:
    account.converge(manifest(APPS))
    path = manifest(ORDER)
    emulator.faults.fail("apps.assign_did", skip=1)  # the first DID is assigned, not the second
    _, report = purchase_apply(account, path)
    assert not report.ok
    assert sorted(bought(client).values(), key=str) == [None, "support-line"]
    plan = account.plan(path)
    (change,) = plan.changes
    # the number bought by the failed apply is on the account, unassigned: it is assigned
    (unassigned,) = [n for n, app in bought(client).items() if app is None]
    assert (change.address, change.action) == (f"number.{unassigned}", Action.ASSIGN)
    assert "instead of buying" in change.notes[0]
    _, report = purchase_apply(account, path)
    assert report.ok
    assert sorted(bought(client).values()) == ["support-line", "support-line"]
    assert emulator.stats()["methods"]["did/store.buy_order"] == 1
    assert account.plan(path).is_empty


class SoldElsewhere(httpx.BaseTransport):
    """The emulator's transport, except that just before the first ``buy_order`` one number of
    the reservation is sold to another account: the buy is partial."""

    in_process = True  # no network: credentials may travel over the fake http endpoint

    def __init__(self, emulator: Emulator, other: str) -> None:
        self.emulator = emulator
        self.inner = emulator.transport()
        self.other = other
        self.sold: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if b"did/store.buy_order" in request.content and not self.sold:
            with self.emulator.store.request() as state:
                (reservation,) = state["reservations"].values()
                number = reservation["items"][-1]["intl_number"]
                add_did(state, state["accounts"][self.other], number, "CLASSIC", "GEOGRAPHIC")
                self.sold.append(number)
        return self.inner.handle_request(request)


def test_a_partial_buy_is_counted_and_only_the_rest_is_bought(
        client: CallrClient, emulator: Emulator, manifest: Write) -> None:
    """A BuyStatus with fewer successes than ordered fails the purchase at the missing one;
    the next plan buys only the rest: never more than the manifest asks for in total."""
    other = client.call("account/sub.create", properties={
        "account": {"company": "Other"}, "contact": {"emails": ["o@other.example"]}},
        options=None)["hash"]
    transport = SoldElsewhere(emulator, other)
    path = manifest(ORDER.replace("quantity: 2", "quantity: 3"))
    with CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=transport) as api:
        account = Account(api)
        _, report = purchase_apply(account, path)
        assert not report.ok and transport.sold
        assert sorted(bought(api).values()) == ["support-line", "support-line"]
        (change,) = account.plan(path).changes
        assert change.summary == "buy 1 CLASSIC number in area code 2 for support-line"
        assert purchase_apply(account, path)[1].ok
        assert sorted(bought(api).values()) == ["support-line"] * 3
        assert account.plan(path).is_empty
    assert emulator.stats()["methods"]["did/store.buy_order"] == 2


def test_unassigned_numbers_of_the_area_are_assigned_before_buying(
        account: Account, client: CallrClient, emulator: Emulator, manifest: Write) -> None:
    """The account's own free Paris numbers satisfy a Paris order; one the manifest lists as
    unassigned is kept out, and a GOLD order takes no CLASSIC number."""
    path = manifest(with_numbers('"+33199000001": null\n'
                                 "order:\n"
                                 "  - {area_code_id: 1, quantity: 2, app: sales}\n"
                                 "  - {area_code_id: 1, quantity: 1, app: support-line}\n"
                                 "  - {area_code_id: 1, class: GOLD, quantity: 1, app: sales}"))
    plan = account.plan(path)
    assigned = [(c.address, c.summary) for c in plan.changes if c.action is Action.ASSIGN]
    assert assigned == [("number.+33199000002", "to sales"), ("number.+33199000003", "to sales"),
                        ("number.+33199000004", "to support-line")]
    (purchase,) = [c for c in plan.changes if c.action is Action.PURCHASE]
    assert purchase.summary == "buy 1 GOLD number in area code 1 for sales"
    assert purchase_apply(account, path)[1].ok
    assert emulator.stats()["methods"]["did/store.buy_order"] == 1
    assert account.plan(path).is_empty


def test_replacing_the_app_keeps_its_numbers_without_buying(
        account: Account, client: CallrClient, manifest: Write) -> None:
    first = manifest(with_numbers("order: {area_code_id: 2, quantity: 1, app: sales}"))
    assert purchase_apply(account, first)[1].ok
    (number,) = bought(client)
    replaced = manifest(ORDER.replace(
        "sales: {package: ACTIONS10, params: {script: {branches: {\n"
        "          b: {actions: [{action: hangup@v1}]}}}}}",
        'sales: {package: CALLTRACKING10, params: {targets: [{number: "+33612345678"}]}}',
    ).replace("app: support-line", "app: sales").replace("quantity: 2", "quantity: 1"))
    plan = account.plan(replaced)
    assert Action.PURCHASE not in [c.action for c in plan.changes]
    assert (f"number.{number}", Action.REASSIGN) in [(c.address, c.action) for c in plan.changes]
    account.converge(replaced)
    assert bought(client) == {number: "sales"}
    assert account.plan(replaced).is_empty


def test_order_inside_a_subaccount(account: Account, client: CallrClient,
                                   manifest: Write) -> None:
    path = manifest("""
        version: 1
        subaccounts:
          "Client A":
            contact: {emails: [ops@client-a.example]}
            resources:
              apps:
                line: {package: ACTIONS10, params: {script: {branches: {
                    a: {actions: [{action: hangup@v1}]}}}}}
              numbers:
                order: {area_code_id: 1, quantity: 1, app: line}
    """)
    plan = account.plan(path)
    purchase = plan.changes[-1]
    assert purchase.action is Action.PURCHASE and purchase.account == "Client A"
    assert purchase.notes == ("no quote: the account does not exist yet",)
    with pytest.raises(PurchaseNotAllowed):
        apply_plan(plan, client)
    assert client.search_all("account/sub.search") == []
    assert apply_plan(plan, client, allow_purchase=True).ok
    (sub,) = client.search_all("account/sub.search")
    inside = client.as_account(sub["hash"])
    assert list(bought(inside).values()) == ["line"]
    assert bought(client) == {}
    assert account.plan(path).is_empty
