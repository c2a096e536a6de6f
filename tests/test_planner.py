"""Whole-plan ordering: creates and updates first by rank, deletes last by descending rank."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.planning import planner
from provisioner.planning.plan import Action, Change, Plan

if TYPE_CHECKING:
    from tests.conftest import Account

N1, N2 = "+33199000001", "+33199000002"
SCRIPT_A = "{branches: {a: {actions: [action: hangup@v1]}}}"
SCRIPT_B = "{branches: {b: {actions: [action: hangup@v1]}}}"

TWO_APPS = f"""
    version: 1
    apps:
      a: {{package: ACTIONS10, params: {{script: {SCRIPT_A}}}}}
      b: {{package: ACTIONS10, params: {{script: {SCRIPT_B}}}}}
    numbers:
      "{N1}": a
"""


def steps(plan: Plan) -> list[tuple[str, Action]]:
    return [(c.address, c.action) for c in plan.changes]


def app_hashes(account: Account) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for app in account.client.apps_get_list(True):
        out.setdefault(app["name"], []).append(app["hash"])
    return out


def did_owner(account: Account, number: str) -> str | None:
    for did in account.client.apps_get_dids(False):
        if did["intl_number"] == number:
            return did["app"]  # type: ignore[no-any-return]
    raise AssertionError(f"{number} not on the account")


def test_order_rule_on_hand_made_changes() -> None:
    ranks = {"media": 20, "app": 30, "number": 50}
    changes = [
        Change("app.old", "app", Action.DELETE),
        Change("number.1", "number", Action.ASSIGN),
        Change("media.m", "media", Action.DELETE),
        Change("app.new", "app", Action.CREATE),
        Change("media.n", "media", Action.CREATE),
        Change("number.2", "number", Action.UNASSIGN),
        Change("app.x", "app", Action.UPDATE),
    ]
    ordered = [c.address for c in planner.order(changes, ranks)]
    assert ordered == ["media.n", "app.new", "app.x", "number.1", "number.2", "app.old",
                       "media.m"]


def test_create_app_then_assign_its_numbers(account: Account,
                                            manifest: Callable[..., Path]) -> None:
    path = manifest(f"""
        version: 1
        numbers:
          "{N2}": line
          "{N1}": line
        apps:
          line: {{package: CALLTRACKING10, params: {{targets: [{{number: "+33123456789"}}]}}}}
    """)
    plan = account.plan(path)
    assert steps(plan) == [
        ("app.line", Action.CREATE),
        (f"number.{N2}", Action.ASSIGN),
        (f"number.{N1}", Action.ASSIGN),
    ]
    account.converge(path)
    line = app_hashes(account)["line"]
    assert did_owner(account, N1) == did_owner(account, N2) == line[0]
    assert account.plan(path).is_empty


def test_reassign_between_two_apps(account: Account, manifest: Callable[..., Path]) -> None:
    account.converge(manifest(TWO_APPS))
    moved = manifest(TWO_APPS.replace(f'"{N1}": a', f'"{N1}": b'))
    plan = account.plan(moved)
    assert steps(plan) == [(f"number.{N1}", Action.REASSIGN)]
    assert plan.changes[0].summary == "a -> b"
    account.converge(moved)
    assert did_owner(account, N1) == app_hashes(account)["b"][0]
    assert account.plan(moved).is_empty


def test_delete_app_after_moving_its_number_away(account: Account,
                                                 manifest: Callable[..., Path]) -> None:
    account.converge(manifest(TWO_APPS))
    text = TWO_APPS.replace(f"a: {{package: ACTIONS10, params: {{script: {SCRIPT_A}}}}}",
                            "a: {package: ACTIONS10, absent: true}")
    path = manifest(text.replace(f'"{N1}": a', f'"{N1}": b'))
    plan = account.plan(path)
    assert steps(plan) == [(f"number.{N1}", Action.REASSIGN), ("app.a", Action.DELETE)]
    account.converge(path)
    hashes = app_hashes(account)
    assert "a" not in hashes
    assert did_owner(account, N1) == hashes["b"][0]
    assert account.plan(path).is_empty


def test_package_change_replace_order(account: Account, manifest: Callable[..., Path]) -> None:
    before = manifest(f"""
        version: 1
        apps:
          a: {{package: ACTIONS10, params: {{script: {SCRIPT_A}}}}}
        numbers:
          "{N1}": a
          "{N2}": a
    """)
    account.converge(before)
    old = app_hashes(account)["a"][0]
    after = manifest(f"""
        version: 1
        apps:
          a: {{package: REALTIME10, params: {{url: "https://rt.example.com/x"}}}}
        numbers:
          "{N1}": a
    """)
    plan = account.plan(after)
    assert steps(plan) == [
        ("app.a", Action.REPLACE),
        (f"number.{N1}", Action.REASSIGN),
        (f"number.{N2}", Action.REASSIGN),
        ("app.a", Action.DELETE),
    ]
    # N2 is not in the manifest: it keeps its assignment, so it follows the replaced app.
    assert plan.changes[2].notes == ("follows app a, which is replaced",)
    assert plan.changes[2].calls[0].kwargs()["app_hash"].call == plan.changes[0].calls[0].id
    # the reassign targets the app the replace creates, through a Ref
    assign = plan.changes[1].calls[0]
    assert assign.kwargs()["app_hash"].call == plan.changes[0].calls[0].id
    account.converge(after)
    live = account.client.apps_get_list(True)
    assert [(a["name"], a["package"]["name"]) for a in live] == [("a", "REALTIME10")]
    assert live[0]["hash"] != old
    assert did_owner(account, N1) == live[0]["hash"]
    assert did_owner(account, N2) == live[0]["hash"]  # followed the app
    assert account.plan(after).is_empty
