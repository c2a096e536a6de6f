"""The numbers kind: assign, reassign, unassign, kept numbers, freed-by-delete, faults."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from provisioner.api.client import CallrClient
from provisioner.applying.executor import Status
from provisioner.emulator import Emulator
from provisioner.errors import PlanError
from provisioner.planning.plan import Action
from provisioner.render.text import render_plan

if TYPE_CHECKING:
    from tests.conftest import Account

Write = Callable[..., Path]
N1, N2, N3 = "+33199000001", "+33199000002", "+33199000003"

APPS = """
    version: 1
    apps:
      a: {package: ACTIONS10, params: {script: {branches: {a: {actions: [{action: hangup@v1}]}}}}}
      b: {package: ACTIONS10, params: {script: {branches: {b: {actions: [{action: hangup@v1}]}}}}}
"""


def owners(client: CallrClient) -> dict[str, str | None]:
    names = {app["hash"]: app["name"] for app in client.apps_get_list(True)}
    return {d["intl_number"]: names.get(d["app"]) if d["app"] else None
            for d in client.apps_get_dids(False)}


def steps(account: Account, path: Path) -> list[tuple[str, Action, str]]:
    return [(c.address, c.action, c.summary) for c in account.plan(path).changes]


def numbers(text: str) -> str:
    return APPS + "    numbers:\n" + "".join(f"      {line}\n" for line in text.splitlines())


def test_assign(account: Account, client: CallrClient, manifest: Write) -> None:
    account.converge(manifest(APPS))
    path = manifest(numbers(f'"{N1}": a\n"{N2}": b'))
    assert steps(account, path) == [(f"number.{N1}", Action.ASSIGN, "to a"),
                                    (f"number.{N2}", Action.ASSIGN, "to b")]
    out = render_plan(account.plan(path))
    assert f"  + number.{N1}  to a" in out
    assert "Plan: 0 to create, 0 to update, 0 to delete, 2 to assign." in out
    account.converge(path)
    assert owners(client)[N1] == "a" and owners(client)[N2] == "b"
    assert account.plan(path).is_empty


def test_reassign_between_apps(account: Account, client: CallrClient, manifest: Write) -> None:
    account.converge(manifest(numbers(f'"{N1}": a')))
    path = manifest(numbers(f'"{N1}": b'))
    assert steps(account, path) == [(f"number.{N1}", Action.REASSIGN, "a -> b")]
    assert f"  ~ number.{N1}  a -> b" in render_plan(account.plan(path))
    account.converge(path)
    assert owners(client)[N1] == "b"
    assert account.plan(path).is_empty


def test_unassign_with_null(account: Account, client: CallrClient, manifest: Write) -> None:
    account.converge(manifest(numbers(f'"{N1}": a\n"{N2}": a')))
    path = manifest(numbers(f'"{N1}": null\n"{N2}": a'))
    assert steps(account, path) == [(f"number.{N1}", Action.UNASSIGN, "from a")]
    plan = account.plan(path)
    assert [c.method for c in plan.changes[0].calls] == ["apps.remove_did"]
    assert f"  - number.{N1}  from a" in render_plan(plan)
    account.converge(path)
    assert owners(client)[N1] is None and owners(client)[N2] == "a"
    assert account.plan(path).is_empty


def test_null_on_an_unassigned_number_is_no_change(account: Account,
                                                   manifest: Write) -> None:
    plan = account.plan(manifest(numbers(f'"{N3}": null')))
    assert [c.address for c in plan.changes] == ["app.a", "app.b"]


def test_number_not_on_the_account_is_a_plan_error(account: Account, emulator: Emulator,
                                                   manifest: Write) -> None:
    before = emulator.snapshot()
    with pytest.raises(PlanError) as info:
        account.plan(manifest(numbers('"+33299999999": a')))
    assert "number +33299999999 (" in str(info.value)
    assert ") is not on the account" in str(info.value)
    assert emulator.snapshot() == before


def test_number_absent_from_manifest_keeps_its_assignment(account: Account,
                                                          client: CallrClient,
                                                          manifest: Write) -> None:
    account.converge(manifest(numbers(f'"{N1}": a\n"{N2}": b')))
    path = manifest(numbers(f'"{N2}": b'))
    assert account.plan(path).is_empty
    account.converge(path)
    assert owners(client)[N1] == "a"


def test_freed_by_deleting_app(account: Account, client: CallrClient, manifest: Write) -> None:
    account.converge(manifest(numbers(f'"{N1}": a\n"{N2}": a\n"{N3}": b')))
    path = manifest("""
        version: 1
        apps:
          a: {package: ACTIONS10, absent: true}
          b: {package: ACTIONS10, params: {script: {branches: {
              b: {actions: [{action: hangup@v1}]}}}}}
    """)
    plan = account.plan(path)
    assert [(c.address, c.action, c.calls) for c in plan.changes] == [
        (f"number.{N1}", Action.UNASSIGN, ()),
        (f"number.{N2}", Action.UNASSIGN, ()),
        ("app.a", Action.DELETE, plan.changes[2].calls),
    ]
    assert [c.method for c in plan.changes[2].calls] == ["apps.delete"]
    out = render_plan(plan)
    assert f"  - number.{N1}  from a\n      # freed by deleting app a" in out
    assert "  - app.a  ACTIONS10 " in out and "      # absent: true" in out
    assert "Plan: 0 to create, 0 to update, 1 to delete, 2 to unassign." in out
    account.converge(path)
    assert owners(client)[N1] is None and owners(client)[N2] is None
    assert owners(client)[N3] == "b"
    assert account.plan(path).is_empty


def test_null_on_a_number_of_a_deleted_app_is_freed_without_call(account: Account,
                                                                 manifest: Write) -> None:
    account.converge(manifest(numbers(f'"{N1}": a')))
    path = manifest(f"""
        version: 1
        apps: {{a: {{package: ACTIONS10, absent: true}}}}
        numbers: {{"{N1}": null}}
    """)
    plan = account.plan(path)
    assert [(c.address, c.action, len(c.calls)) for c in plan.changes] == [
        (f"number.{N1}", Action.UNASSIGN, 0), ("app.a", Action.DELETE, 1)]
    assert plan.changes[0].notes == ("freed by deleting app a",)


def test_failed_assign_mid_apply_then_converges(account: Account, client: CallrClient,
                                                emulator: Emulator, manifest: Write) -> None:
    path = manifest(f"""
        version: 1
        apps:
          a: {{package: ACTIONS10, params: {{script: {{branches: {{
              a: {{actions: [{{action: hangup@v1}}]}}}}}}}}}}
          b: {{package: REALTIME10, params: {{url: "https://b.example.com"}}}}
        numbers:
          "{N1}": a
          "{N2}": b
          "{N3}": a
    """)
    emulator.faults.fail("apps.assign_did", code=151, message="Injected fault")
    _, report = account.apply(path)
    # Assignments are independent: one fails, the other two are still made.
    statuses = {s.change.address: s.status for s in report.steps}
    assert statuses["app.a"] is statuses["app.b"] is Status.APPLIED
    numbers = [statuses[f"number.{n}"] for n in (N1, N2, N3)]
    assert sorted(numbers) == sorted([Status.APPLIED, Status.APPLIED, Status.FAILED])
    [failed] = report.with_status(Status.FAILED)
    assert "error 151" in failed.error
    replan = account.plan(path)
    assert [(c.address, c.action) for c in replan.changes] == [
        (failed.change.address, Action.ASSIGN)]
    account.converge(path)
    assert sorted(a["name"] for a in client.apps_get_list(True)) == ["a", "b"]
    assert (owners(client)[N1], owners(client)[N2], owners(client)[N3]) == ("a", "b", "a")
    assert account.plan(path).is_empty
