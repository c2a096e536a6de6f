"""Apply under the API's other answers, and recovery that must not be healed by a re-apply.

Each test makes ONE apply and checks the account right after it: a second apply would heal an
object the first one never made, and hide the bug.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials, RetryPolicy
from provisioner.applying.executor import RECOVERY_PAUSES, Executor, Status
from provisioner.applying.journal import read
from provisioner.emulator import Emulator
from provisioner.manifest.desired import load
from provisioner.planning.engine import apply_plan, build_plan
from tests.conftest import ENDPOINT, Account

Write = Callable[..., Path]
N1, N2 = "+33199000001", "+33199000002"
SUB = """\
    version: 1
    subaccounts:
      Acme:
        account: {firstname: Jane, lastname: Doe}
        contact: {emails: [ops@acme.example]}
        params:
          billing: {emails: [billing@acme.example]}
          default: {locale: fr_FR, timezone: Europe/Paris}
        resources:
          apps:
            desk: {package: ACTIONS10}
          numbers: {"+33199001001": desk}
    """


def connect(emu: Emulator) -> CallrClient:
    return CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                               transport=emu.transport())


def once(emu: Emulator, path: Path, parallelism: int | None = None) -> Any:
    with connect(emu) as client:
        plan = build_plan(load([path], {}), client, "t")
        return plan, apply_plan(plan, client, parallelism=parallelism)


def master(emu: Emulator) -> dict[str, Any]:
    state = emu.snapshot()
    return state["accounts"][state["master"]]  # type: ignore[no-any-return]


def subs(emu: Emulator) -> list[dict[str, Any]]:
    state = emu.snapshot()
    return [state["accounts"][h] for h in master(emu)["subs"]]


# -- sub-accounts --------------------------------------------------------------------------------

def test_a_create_without_hash_still_provisions_inside_in_the_same_apply(
        manifest: Write) -> None:
    emu = Emulator(None, media_delay=0.0, job_delay=0.0, variants=["sub-create-without-hash"])
    _, report = once(emu, manifest(SUB))
    assert report.ok, [s.error for s in report.steps]
    (sub,) = subs(emu)
    assert [a["name"] for a in sub["apps"].values()] == ["desk"]
    (app_hash,) = sub["apps"]
    assert {d["intl_number"]: d["app"] for d in sub["dids"].values()}["+33199001001"] == app_hash
    notes = [n for s in report.steps for n in s.notes]
    assert any("account/sub.search" in n for n in notes)


def test_params_default_refused_is_sent_without_it_and_remembered(manifest: Write) -> None:
    emu = Emulator(None, media_delay=0.0, job_delay=0.0, variants=["strict-sub-params"])
    two = SUB.rstrip(" ") + ("    " "  Beta:\n        contact: {emails: [b@b.example]}\n"
                 "        params: {default: {locale: fr_FR}}\n")
    _, report = once(emu, manifest(two), parallelism=1)
    assert report.ok, [s.error for s in report.steps]
    assert len(subs(emu)) == 2
    notes = [n for s in report.steps for n in s.notes]
    assert any("refused by the API" in n for n in notes)
    assert any("refused it earlier" in n for n in notes)  # the second create knew
    failures = emu.stats()["methods"]
    assert failures["account/sub.create"] == 3  # one refusal, then each without default


def test_a_billing_only_change_sends_billing_only(account: Account, client: CallrClient,
                                                   manifest: Write) -> None:
    account.converge(manifest(SUB))
    path = manifest(SUB.replace("billing@acme", "invoices@acme"))
    (change,) = account.plan(path).changes
    (edit,) = change.calls
    assert edit.method == "account/sub.edit"
    assert set(edit.kwargs()["properties"]["params"]) == {"billing"}


# -- moving a number -----------------------------------------------------------------------------

TWO_APPS = """\
    version: 1
    apps:
      one: {package: ACTIONS10}
      two: {package: ACTIONS10}
    numbers: {"%s": %s, "%s": %s}
    """


def test_a_refused_move_falls_back_to_remove_then_assign(manifest: Write) -> None:
    emu = Emulator(None, media_delay=0.0, job_delay=0.0, variants=["assign-requires-free-did"])
    _, report = once(emu, manifest(TWO_APPS % (N1, "one", N2, "one")))
    assert report.ok
    emu.reset_stats()
    _, report = once(emu, manifest(TWO_APPS % (N1, "two", N2, "two")), parallelism=1)
    assert report.ok, [s.error for s in report.steps]
    by_name = {a["hash"]: a["name"] for a in master(emu)["apps"].values()}
    owners = {d["intl_number"]: by_name.get(d["app"]) for d in master(emu)["dids"].values()}
    assert owners[N1] == owners[N2] == "two"
    notes = [n for s in report.steps for n in s.notes]
    assert len(notes) == 2 and all("not routed for" in n and " s" in n for n in notes)
    # refused once, then remembered: the second move goes straight to remove + assign
    assert emu.stats()["methods"]["apps.assign_did"] == 3
    assert emu.stats()["methods"]["apps.remove_did"] == 2


# -- recovery must bite: a lost write that did NOT run, with a look-alike on the account ----------

@pytest.mark.parametrize(("method", "lookalike", "text", "check"), [
    ("apps.create",
     lambda c: c.apps_create("REALTIME10", "desk", {"url": "https://x.example/rt"}),
     'version: 1\napps: {desk: {package: ACTIONS10}}\n',
     lambda acc: sorted(a["package"]["name"] for a in acc["apps"].values()) == ["ACTIONS10"]),
    ("webhooks.subscribe",
     lambda c: c.call("webhooks.subscribe", type="sms.mo", endpoint="https://other.example/h",
                      options=None),
     "version: 1\nwebhooks: [{type: sms.mo, endpoint: 'https://h.example/h'}]\n",
     lambda acc: sorted(h["endpoint"] for h in acc["webhooks"].values())
     == ["https://h.example/h", "https://other.example/h"]),
])
def test_a_lost_create_that_did_not_run_is_made_in_one_apply(
        method: str, lookalike: Callable[[CallrClient], Any], text: str,
        check: Callable[[dict[str, Any]], bool], manifest: Write) -> None:
    emu = Emulator(None, media_delay=0.0, job_delay=0.0)
    with connect(emu) as client:
        lookalike(client)
        plan = build_plan(load([manifest(text)], {}), client, "t")
        emu.faults.lose_request(method)
        report = apply_plan(plan, client)
    assert report.ok, [s.error for s in report.steps]
    assert [s.recovered for s in report.steps if s.recovered] == [1]
    assert check(master(emu)), master(emu)


def test_a_lost_sub_create_that_did_not_run_is_not_taken_for_a_look_alike(
        manifest: Write) -> None:
    emu = Emulator(None, media_delay=0.0, job_delay=0.0)
    text = ("version: 1\nsubaccounts:\n  Acme:\n    contact: {emails: [ops@acme.example]}\n"
            "    resources:\n      apps: {desk: {package: ACTIONS10}}\n")
    with connect(emu) as client:
        plan = build_plan(load([manifest(text)], {}), client, "t")
        # same company, made by someone else between plan and apply
        client.call("account/sub.create", properties={
            "account": {"company": "Acme"}, "contact": {"emails": ["other@else.example"]}},
            options=None)
        emu.faults.lose_request("account/sub.create")
        report = apply_plan(plan, client)
    assert report.ok, [s.error for s in report.steps]
    mine = [s for s in subs(emu) if s["sub"]["contact"]["emails"] == ["ops@acme.example"]]
    assert len(mine) == 1 and [a["name"] for a in mine[0]["apps"].values()] == ["desk"]
    other = [s for s in subs(emu) if s not in mine]
    assert len(other) == 1 and other[0]["apps"] == {}


# -- a failure deep in the references ------------------------------------------------------------

def test_a_failure_three_references_deep_skips_and_journals_every_dependent(
        manifest: Write, tmp_path: Path) -> None:
    emu = Emulator(None, media_delay=0.0, job_delay=0.0)
    emu.faults.fail("account/sub.create", code=-32603, message="Internal error")
    with connect(emu) as client:
        plan = build_plan(load([manifest(SUB)], {}), client, "t")
        report = apply_plan(plan, client, journal_dir=tmp_path / "journal")
    by_address = {s.change.address: s for s in report.steps}
    failed = by_address["subaccount.Acme"]
    assert failed.status is Status.FAILED
    dependents = ['subaccount["Acme"].app.desk', 'subaccount["Acme"].number.+33199001001']
    assert set(dependents) <= set(by_address)
    for address in dependents:
        step = by_address[address]
        assert step.status is Status.SKIPPED, address
        assert step.reason == "subaccount.Acme failed"
    assert report.journal is not None
    records = [r for r in read(report.journal) if r.get("change") in dependents]
    assert {r["change"] for r in records} == set(dependents)
    assert all(r["outcome"] == "skipped" and "Acme" in r["message"] for r in records)
    assert subs(emu) == []


# -- money: a failed assignment after buying ---------------------------------------------------

ASSIGN_TRIES = 1 + len(RECOVERY_PAUSES) + 1
"""Calls of a write whose every answer is HTTP 503, without client retries: the try, then one
re-send per re-reading of the account (``Executor._recover``)."""
ORDER_TWO = """\
    version: 1
    apps:
      line: {package: ACTIONS10}
    numbers:
      order: {area_code_id: 2, class: CLASSIC, quantity: 2, app: line}
    """


def test_an_assignment_failing_after_the_buy_never_buys_twice(manifest: Write) -> None:
    """``emulator serve --fail-method apps.assign_did``: the first apply buys two numbers and
    fails to assign the first; the second assigns the bought numbers without buying again."""
    emu = Emulator(None, media_delay=0.0, job_delay=0.0)
    # the try, then each re-send of the recovery after re-reading the account
    emu.faults.unavailable("apps.assign_did", times=ASSIGN_TRIES)
    path = manifest(ORDER_TWO)
    with CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=emu.transport(), retry=RetryPolicy(attempts=1)) as client:
        plan = build_plan(load([path], {}), client, "t")
        first = Executor(client, sleep=lambda _: None).run(plan)
        assert [s.change.kind for s in first.with_status(Status.FAILED)] == ["order"]
        second = apply_plan(build_plan(load([path], {}), client, "t"), client,
                            allow_purchase=True)
        assert second.ok
        assert build_plan(load([path], {}), client, "t").is_empty
    methods = emu.stats()["methods"]
    assert (methods["did/store.reserve"], methods["did/store.buy_order"]) == (1, 1)
    assert methods["apps.assign_did"] == 2
    lyon = [d for d in master(emu)["dids"].values() if d["intl_number"].startswith("+334")]
    assert len(lyon) == 2 and all(d["app"] for d in lyon)
