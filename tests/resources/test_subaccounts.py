"""Sub-accounts: create with nested resources in one apply (Login-As with a Ref), edit, enable and
disable, retire (disable, archive, job), unarchive, hash pins, isolation, faults, secrets."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.applying.executor import Status
from provisioner.emulator import Emulator
from provisioner.errors import PlanError
from provisioner.planning.plan import Action, Ref
from provisioner.render import RENDERERS
from provisioner.render.text import generated_secrets
from tests.conftest import Account

Write = Callable[..., Path]
COMPANY = "Client A"
ADDRESS = 'subaccount["Client A"]'
FIRST_DID = "+33199001001"  # the emulator gives the first sub-account +33199001001..005
HOOK = "https://hooks.example.com/client-a"

RESOURCES = f"""
    resources:
      apps:
        support-line: {{package: ACTIONS10, params: {{script: {{branches: {{
            a: {{actions: [{{action: hangup@v1}}]}}}}}}}}}}
      numbers:
        "{FIRST_DID}": support-line
      webhooks:
        - {{type: call.inbound_hangup, endpoint: "{HOOK}"}}
"""


def sub(*, company: str = COMPANY, body: str = "", resources: str = RESOURCES,
        contact: str = "{emails: [ops@client-a.example], phones: [\"+33199000003\"]}",
        params: str = "{billing: {emails: [billing@client-a.example]}, "
                      "default: {locale: fr_FR, timezone: Europe/Paris}}",
        account: str = "{firstname: Jane, lastname: Doe}") -> str:
    """One sub-account entry (indented for ``subaccounts:``)."""
    lines = [f'  "{company}":', f"    account: {account}"]
    if contact:
        lines.append(f"    contact: {contact}")
    if params:
        lines.append(f"    params: {params}")
    lines += [f"    {line}" for line in body.splitlines() if line.strip()]
    lines += [line for line in resources.splitlines() if line.strip()]
    return "\n".join(lines) + "\n"


def manifest_of(*entries: str) -> str:
    return "version: 1\nsubaccounts:\n" + "".join(entries)


def subs(client: CallrClient) -> list[dict[str, Any]]:
    return client.search_all("account/sub.search", {"archived": None})


def the_sub(client: CallrClient, company: str = COMPANY) -> dict[str, Any]:
    (found,) = [s for s in subs(client) if s["account"]["company"] == company]
    return found


def owners(client: CallrClient) -> dict[str, str | None]:
    names = {app["hash"]: app["name"] for app in client.apps_get_list(True)}
    return {d["intl_number"]: names.get(d["app"]) if d["app"] else None
            for d in client.apps_get_dids(False)}


def actions(plan: Any) -> list[tuple[str, Action]]:
    return [(c.address, c.action) for c in plan.changes]


@pytest.fixture
def created(account: Account, manifest: Write) -> Path:
    path = manifest(manifest_of(sub()))
    account.converge(path)
    return path


def test_create_with_nested_resources_in_one_apply(account: Account, client: CallrClient,
                                                   emulator: Emulator, manifest: Write) -> None:
    path = manifest(manifest_of(sub()))
    plan = account.plan(path)
    assert actions(plan) == [
        (ADDRESS, Action.CREATE),
        (f"{ADDRESS}.app.support-line", Action.CREATE),
        (f"{ADDRESS}.number.{FIRST_DID}", Action.ASSIGN),
        (f"{ADDRESS}.webhook.call.inbound_hangup->{HOOK}", Action.CREATE),
    ]
    create = plan.changes[0].calls[0]
    assert create.method == "account/sub.create"
    assert create.kwargs()["properties"]["account"] == {
        "company": COMPANY, "firstname": "Jane", "lastname": "Doe"}
    nested = [call for change in plan.changes[1:] for call in change.calls]
    assert {call.login_as for call in nested} == {Ref(create.id, ("hash",))}
    assert [c.method for c in plan.changes[2].calls] == ["did.search", "apps.assign_did"]
    assert all(c.account == COMPANY for c in plan.changes[1:])

    account.converge(path)
    assert account.plan(path).is_empty

    live = the_sub(client)
    assert live["contact"]["emails"] == ["ops@client-a.example"]
    assert live["params"]["default"] == {"locale": "fr_FR", "timezone": "Europe/Paris"}
    assert not live["state"]["disabled"]
    inside = client.as_account(live["hash"])
    assert [a["name"] for a in inside.apps_get_list(True)] == ["support-line"]
    assert owners(inside)[FIRST_DID] == "support-line"
    assert [h["endpoint"] for h in inside.call("webhooks.get_list")] == [HOOK]
    # nothing leaked into the master account
    assert client.apps_get_list(True) == []
    assert client.call("webhooks.get_list") == []
    master = emulator.snapshot()["master"]
    assert emulator.snapshot()["accounts"][live["hash"]]["parent"] == master


def test_existing_subaccount_is_read_with_login_as(account: Account, client: CallrClient,
                                                   created: Path, manifest: Write) -> None:
    edited = RESOURCES.replace("    a: {actions", "    b: {actions")
    path = manifest(manifest_of(sub(resources=edited)))
    plan = account.plan(path)
    (change,) = plan.changes
    assert (change.address, change.action) == (f"{ADDRESS}.app.support-line", Action.UPDATE)
    (call,) = change.calls
    assert call.method == "apps.edit" and call.login_as == the_sub(client)["hash"]
    account.converge(path)
    assert account.plan(path).is_empty


def test_edit_contact_and_params(account: Account, client: CallrClient, created: Path,
                                 manifest: Write) -> None:
    before = the_sub(client)
    path = manifest(manifest_of(sub(
        contact="{emails: [noc@client-a.example], phones: [\"+33199000003\"]}",
        params="{billing: {emails: [billing@client-a.example]}, "
               "default: {locale: en_GB, timezone: Europe/London}}",
    )))
    plan = account.plan(path)
    (change,) = plan.changes
    assert (change.address, change.action) == (ADDRESS, Action.UPDATE)
    assert sorted((f.path, f.old, f.new) for f in change.fields) == [
        ("contact.emails[0]", "ops@client-a.example", "noc@client-a.example"),
        ("params.default.locale", "fr_FR", "en_GB"),
        ("params.default.timezone", "Europe/Paris", "Europe/London"),
    ]
    (call,) = change.calls
    assert call.method == "account/sub.edit" and call.kwargs()["hash"] == before["hash"]
    account.converge(path)
    after = the_sub(client)
    assert after["contact"]["emails"] == ["noc@client-a.example"]
    assert after["contact"]["phones"] == ["+33199000003"]
    assert after["params"]["default"] == {"locale": "en_GB", "timezone": "Europe/London"}
    assert after["params"]["billing"]["emails"] == ["billing@client-a.example"]
    assert account.plan(path).is_empty


def test_disable_then_enable(account: Account, client: CallrClient, created: Path,
                             manifest: Write) -> None:
    off = manifest(manifest_of(sub(body="enabled: false")))
    plan = account.plan(off)
    (change,) = plan.changes
    assert [(f.path, f.old, f.new) for f in change.fields] == [("enabled", True, False)]
    assert [c.method for c in change.calls] == ["account/sub.disable"]
    account.converge(off)
    assert the_sub(client)["state"]["disabled"] is True
    assert account.plan(off).is_empty

    on = manifest(manifest_of(sub(body="enabled: true")))
    assert [c.method for c in account.plan(on).calls()] == ["account/sub.enable"]
    account.converge(on)
    assert the_sub(client)["state"]["disabled"] is False
    assert account.plan(on).is_empty


def test_created_disabled(account: Account, client: CallrClient, manifest: Write) -> None:
    path = manifest(manifest_of(sub(body="enabled: false", resources="")))
    assert [c.method for c in account.plan(path).calls()] == [
        "account/sub.create", "account/sub.disable"]
    account.converge(path)
    assert the_sub(client)["state"]["disabled"] is True
    assert account.plan(path).is_empty


def test_account_name_change_is_a_warning_without_call(account: Account, created: Path,
                                                       manifest: Write) -> None:
    path = manifest(manifest_of(sub(account="{firstname: Janet, lastname: Doe}")))
    plan = account.plan(path)
    assert plan.is_empty
    assert len(plan.warnings) == 1
    assert "account.firstname cannot be changed after creation" in plan.warnings[0]
    assert ADDRESS in plan.warnings[0]
    assert "Warning: " in RENDERERS["text"](plan)


def test_retire_disables_archives_and_waits(account: Account, client: CallrClient,
                                            emulator: Emulator, created: Path,
                                            manifest: Write) -> None:
    sub_hash = the_sub(client)["hash"]
    path = manifest(manifest_of(sub(body="absent: true")))
    plan = account.plan(path)
    assert actions(plan) == [(ADDRESS, Action.DELETE)]  # nested resources are not planned
    assert [c.method for c in plan.calls()] == [
        "account/sub.disable", "account/sub.archive", "jobs.get"]
    wait = plan.changes[0].calls[2]
    assert wait.until is not None and wait.until.ready == ("DONE",)
    _, report = account.apply(path)
    assert report.ok
    assert report.results[wait.id]["status"] == "DONE"
    state = emulator.snapshot()["accounts"][sub_hash]["sub"]["state"]
    assert state["archived"] is True and state["disabled"] is True
    assert account.plan(path).is_empty
    # archived sub-accounts are not listed by a default search
    assert client.search_all("account/sub.search") == []


def test_retire_of_unknown_subaccount_is_no_change(account: Account, manifest: Write) -> None:
    path = manifest(manifest_of(sub(body="absent: true")))
    assert account.plan(path).is_empty


def test_redeclared_archived_subaccount_is_unarchived(account: Account, client: CallrClient,
                                                      created: Path, manifest: Write) -> None:
    sub_hash = the_sub(client)["hash"]
    account.converge(manifest(manifest_of(sub(body="absent: true"))))
    plan = account.plan(created)
    (change,) = plan.changes
    assert (change.address, change.action) == (ADDRESS, Action.UPDATE)
    assert [c.method for c in change.calls] == ["account/sub.unarchive", "account/sub.enable"]
    account.converge(created)
    assert [s["hash"] for s in subs(client)] == [sub_hash]  # brought back, not duplicated
    state = the_sub(client)["state"]
    assert state["archived"] is False and state["disabled"] is False
    assert account.plan(created).is_empty


def test_hash_pin(account: Account, client: CallrClient, created: Path, manifest: Write) -> None:
    sub_hash = the_sub(client)["hash"]
    path = manifest(manifest_of(sub(body=f"hash: {sub_hash}")))
    assert account.plan(path).is_empty
    edited = manifest(manifest_of(sub(body=f"hash: {sub_hash}\nenabled: false")))
    (call,) = account.plan(edited).calls()
    assert (call.method, call.kwargs()["hash"]) == ("account/sub.disable", sub_hash)


def test_hash_pin_unknown_hash(account: Account, manifest: Write) -> None:
    path = manifest(manifest_of(sub(body="hash: ZZZZ9999")))
    with pytest.raises(PlanError) as info:
        account.plan(path)
    assert "ZZZZ9999 is not a sub-account of this account" in str(info.value.messages)


def test_hash_pin_of_another_company(account: Account, client: CallrClient, created: Path,
                                     manifest: Write) -> None:
    sub_hash = the_sub(client)["hash"]
    path = manifest(manifest_of(sub(company="Client B", body=f"hash: {sub_hash}")))
    with pytest.raises(PlanError) as info:
        account.plan(path)
    (message,) = info.value.messages
    assert f"{sub_hash} is named 'Client A', not 'Client B'" in message


def test_create_without_contact_email(account: Account, client: CallrClient,
                                      manifest: Write) -> None:
    path = manifest(manifest_of(sub(contact="", resources="")))
    with pytest.raises(PlanError) as info:
        account.plan(path)
    assert "contact.emails" in info.value.messages[0]
    assert subs(client) == []


def test_login_as_isolation(account: Account, client: CallrClient, manifest: Write) -> None:
    b_resources = RESOURCES.replace("    a: {actions", "    b: {actions").replace(
        FIRST_DID, "+33199002001").replace("client-a", "client-b")
    path = manifest(manifest_of(
        sub(),
        sub(company="Client B", resources=b_resources,
            contact="{emails: [ops@client-b.example]}", params=""),
    ))
    account.converge(path)
    assert account.plan(path).is_empty
    a, b = the_sub(client, "Client A"), the_sub(client, "Client B")
    (app_a,) = client.as_account(a["hash"]).apps_get_list(True)
    (app_b,) = client.as_account(b["hash"]).apps_get_list(True)
    assert app_a["name"] == app_b["name"] == "support-line"
    assert app_a["hash"] != app_b["hash"]
    assert app_a["p"]["script"].startswith("branches:\n  a:")
    assert app_b["p"]["script"].startswith("branches:\n  b:")
    assert owners(client.as_account(b["hash"]))["+33199002001"] == "support-line"
    # editing one sub-account's app leaves the other's alone
    edited = manifest(manifest_of(
        sub(resources=RESOURCES.replace("    a: {actions", "    c: {actions")),
        sub(company="Client B", resources=b_resources,
            contact="{emails: [ops@client-b.example]}", params=""),
    ))
    assert actions(account.plan(edited)) == [(f"{ADDRESS}.app.support-line", Action.UPDATE)]
    account.converge(edited)
    script_a, script_b = (client.as_account(s["hash"]).apps_get_list(True)[0]["p"]["script"]
                          for s in (a, b))
    assert script_a.startswith("branches:\n  c:") and script_b.startswith("branches:\n  b:")


@pytest.mark.parametrize("method", ["apps.create", "apps.assign_did", "webhooks.subscribe"])
def test_fault_inside_new_subaccount_converges(account: Account, client: CallrClient,
                                               emulator: Emulator, manifest: Write,
                                               method: str) -> None:
    path = manifest(manifest_of(sub()))
    emulator.faults.fail(method)
    _, report = account.apply(path)
    assert not report.ok
    assert report.with_status(Status.APPLIED)[0].change.address == ADDRESS
    (failed,) = report.with_status(Status.FAILED)
    plan = account.plan(path)  # the sub-account now exists: read with Login-As, not created
    assert plan.changes and ADDRESS not in [c.address for c in plan.changes]
    assert failed.change.address in [c.address for c in plan.changes]
    assert {call.login_as for call in plan.calls()} == {subs(client)[0]["hash"]}
    account.converge(path)
    assert account.plan(path).is_empty
    (live,) = subs(client)
    inside = client.as_account(live["hash"])
    assert [a["name"] for a in inside.apps_get_list(True)] == ["support-line"]
    assert owners(inside)[FIRST_DID] == "support-line"
    assert len(inside.call("webhooks.get_list")) == 1


def test_lost_create_response_makes_no_duplicate(account: Account, client: CallrClient,
                                                 emulator: Emulator, manifest: Write) -> None:
    path = manifest(manifest_of(sub()))
    emulator.faults.lose_response("account/sub.create")
    _, report = account.apply(path)
    assert report.ok  # adopted by its company name, not created twice
    assert sum(s.recovered for s in report.steps) == 1
    assert len(subs(client)) == 1
    account.converge(path)
    assert len(subs(client)) == 1
    assert account.plan(path).is_empty


def test_generated_password_only_in_results(account: Account, manifest: Write) -> None:
    path = manifest(manifest_of(sub()))
    plan, report = account.apply(path)
    assert report.ok
    create = plan.changes[0].calls[0]
    password = report.results[create.id]["credentials"]["password"]
    assert isinstance(password, str) and len(password) >= 8
    for render in RENDERERS.values():
        assert password not in render(plan)
    (hint,) = generated_secrets(report, show=False)
    assert password not in hint
    assert ADDRESS in hint and "--show-generated-secrets" in hint
    (shown,) = generated_secrets(report, show=True)
    assert shown == f"{ADDRESS}: generated credentials.password: {password}"


def test_retire_an_already_disabled_subaccount(account: Account, client: CallrClient,
                                               created: Path, manifest: Write) -> None:
    account.converge(manifest(manifest_of(sub(body="enabled: false"))))
    path = manifest(manifest_of(sub(body="absent: true")))
    assert [c.method for c in account.plan(path).calls()] == [
        "account/sub.archive", "jobs.get"]
    account.converge(path)
    assert the_sub(client)["state"]["archived"] is True


def test_failed_job_poll_converges(account: Account, client: CallrClient, emulator: Emulator,
                                   created: Path, manifest: Write) -> None:
    path = manifest(manifest_of(sub(body="absent: true")))
    emulator.faults.fail("jobs.get")
    _, report = account.apply(path)
    (failed,) = report.with_status(Status.FAILED)
    assert failed.calls_made == 2  # disabled and archived; the wait failed
    time.sleep(0.1)  # the emulator's archive job takes job_delay (0.05 s) and ends on its own
    assert account.plan(path).is_empty
    assert the_sub(client)["state"]["archived"] is True


def test_nested_plan_errors_name_the_subaccount(account: Account, created: Path,
                                                manifest: Write) -> None:
    path = manifest(manifest_of(sub(resources=RESOURCES.replace(FIRST_DID, "+33199009999"))))
    with pytest.raises(PlanError) as info:
        account.plan(path)
    (message,) = info.value.messages
    assert message.startswith(f"{ADDRESS}.number +33199009999 (")
    assert ") is not on the account" in message


def test_create_shows_only_given_properties(account: Account, client: CallrClient,
                                            manifest: Write) -> None:
    path = manifest(manifest_of(sub(params="", account="{firstname: Jane}", resources="")))
    (change,) = account.plan(path).changes
    assert [(f.path, f.new) for f in change.fields] == [
        ("account.company", COMPANY), ("account.firstname", "Jane"),
        ("contact.emails", ["ops@client-a.example"]), ("contact.phones", ["+33199000003"])]
    assert "params" not in change.calls[0].kwargs()["properties"]
    account.converge(path)
    assert the_sub(client)["params"]["default"]["locale"] == "fr_FR"  # the API's default
    assert account.plan(path).is_empty
