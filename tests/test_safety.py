"""Safety thresholds: the pure rule (``safety.assess``), the engine setting ``Plan.unsafe``, and
the CLI exiting 3 on an unsafe plan unless ``--force``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from provisioner.models.policy import Safety
from provisioner.planning.plan import Action, Change, Plan
from provisioner.planning.safety import assess
from tests.conftest import Account
from tests.terminal import run

Write = Callable[..., Path]


def plan_of(*changes: tuple[str, Action], account: str = "") -> Plan:
    return Plan("test", tuple(Change(f"{kind}.{i}", kind, action, account=account)
                              for i, (kind, action) in enumerate(changes)))


def deletes(kind: str, n: int, account: str = "") -> Plan:
    return plan_of(*[(kind, Action.DELETE)] * n, account=account)


def test_below_the_threshold_is_safe() -> None:
    assert assess(deletes("app", 3), {("", "app"): 10}) == ()


def test_above_the_threshold_is_unsafe_and_names_kind_and_percentage() -> None:
    (reason,) = assess(deletes("app", 4), {("", "app"): 10})
    assert reason.startswith("app: changes weigh 40% of the 10 live objects")


def test_updates_count_creates_do_not() -> None:
    plan = plan_of(*[("media", Action.UPDATE)] * 4, *[("media", Action.CREATE)] * 20)
    assert assess(plan, {("", "media"): 10})
    assert assess(plan_of(*[("media", Action.CREATE)] * 20), {("", "media"): 10}) == ()


def test_min_existing() -> None:
    assert assess(deletes("app", 9), {("", "app"): 9}) == (), "fewer than 10 live: no rule"
    assert assess(deletes("app", 3), {("", "app"): 9}, {"": Safety(min_existing=5)})


def test_thresholds_are_per_account() -> None:
    plan = deletes("app", 4, account="Client A")
    counts = {("Client A", "app"): 10, ("", "app"): 100}
    (reason,) = assess(plan, counts)
    assert reason.startswith("sub-account 'Client A': app: changes weigh 40%")
    assert assess(plan, counts, {"Client A": Safety(max_change_percent=50)}) == ()


def test_number_reassignments_weigh_double() -> None:
    counts = {("", "number"): 10}
    assert assess(plan_of(*[("number", Action.REASSIGN)] * 2), counts)  # 4 of 10
    assert assess(plan_of(*[("number", Action.UNASSIGN)] * 2), counts)


def test_assigning_free_numbers_weighs_nothing() -> None:
    counts = {("", "number"): 20}
    assert assess(plan_of(*[("number", Action.ASSIGN)] * 20), counts) == ()
    assert assess(plan_of(*[("number", Action.REASSIGN)] * 7), counts), "7 x 2 of 20: unsafe"


def test_cli_assigning_every_free_sandbox_number_is_safe(manifest: Write,
                                                         tmp_path: Path) -> None:
    numbers = "".join(f'  "+331990000{i:02d}": app0\n' for i in range(1, 21))
    assigning = manifest("version: 1\napps:\n" + APPS + "numbers:\n" + numbers)
    state = tmp_path / "sandbox.json"
    applied = run("apply", assigning, "--yes", "--sandbox-state", state)
    assert applied.exit_code == 0, applied.output
    assert "unsafe" not in applied.output
    assert applied.stdout.count("+ number.+331990000") == 20


@pytest.mark.parametrize("action", [Action.REPLACE, Action.DELETE])
def test_any_trunk_replace_or_delete_is_unsafe(action: Action) -> None:
    (reason,) = assess(plan_of(("sip_trunk", action)), {("", "sip_trunk"): 1})
    assert "SIP trunk" in reason
    assert assess(plan_of(("sip_trunk", Action.CREATE)), {}) == ()


APPS = "".join(f"  app{i}: {{package: ACTIONS10, params: {{script: "
               "{branches: {s: {actions: [{action: hangup@v1}]}}}}}\n" for i in range(10))


def test_engine_sets_unsafe_from_live_counts(account: Account, manifest: Write) -> None:
    account.converge(manifest("version: 1\napps:\n" + APPS))
    kept = "".join(APPS.splitlines(keepends=True)[:6])
    plan = account.plan(manifest("version: 1\npolicy: {prune: [apps]}\napps:\n" + kept))
    assert [c.action for c in plan.changes] == [Action.DELETE] * 4
    assert plan.unsafe and "40% of the 10 live objects" in plan.unsafe[0]
    relaxed = account.plan(manifest(
        "version: 1\npolicy: {prune: [apps], safety: {max_change_percent: 40}}\napps:\n" + kept))
    assert relaxed.unsafe == ()


def test_ignored_objects_do_not_count(account: Account, manifest: Write) -> None:
    account.converge(manifest("version: 1\napps:\n" + APPS))
    kept = "".join(APPS.splitlines(keepends=True)[:9])  # app0..app8: app9 pruned, 1 of 10
    policy = '{prune: [apps], ignore: {apps: ["app0", "app1"]}, safety: {min_existing: 8}}'
    kept_unignored = "".join(kept.splitlines(keepends=True)[2:])
    plan = account.plan(manifest(f"version: 1\npolicy: {policy}\napps:\n" + kept_unignored))
    assert [c.address for c in plan.changes] == ["app.app9"]
    assert plan.unsafe == (), "1 of 8 counted (the 2 ignored apps are out)"


# -- the command ----------------------------------------------------------------------------------


def sandbox_apps(state: Path) -> list[str]:
    data = json.loads(state.read_text())
    return sorted(a["name"] for a in data["accounts"][data["master"]]["apps"].values())


def test_cli_unsafe_plan_exits_3_unless_forced(manifest: Write, tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    first = run("apply", manifest("version: 1\napps:\n" + APPS), "--yes",
                "--sandbox-state", state)
    assert first.exit_code == 0, first.output
    pruning = manifest("version: 1\npolicy: {prune: [apps]}\napps:\n" +
                       "".join(APPS.splitlines(keepends=True)[:5]))

    plan = run("plan", pruning, "--sandbox-state", state)
    assert plan.exit_code == 3
    assert plan.stdout.count("- app.app") == 5, "the unsafe plan is still shown in full"
    assert "app: changes weigh 50% of the 10 live objects" in plan.stderr
    assert "--force" in plan.stderr

    forced = run("plan", pruning, "--sandbox-state", state, "--force", "--detailed-exitcode")
    assert forced.exit_code == 2, forced.output

    refused = run("apply", pruning, "--yes", "--sandbox-state", state)
    assert refused.exit_code == 3
    assert "nothing was applied" in refused.stderr
    assert len(sandbox_apps(state)) == 10, "apply wrote nothing"

    applied = run("apply", pruning, "--yes", "--force", "--sandbox-state", state)
    assert applied.exit_code == 0, applied.output
    assert sandbox_apps(state) == [f"app{i}" for i in range(5)]


def test_cli_saved_unsafe_plan_still_needs_force(manifest: Write, tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    assert run("apply", manifest("version: 1\napps:\n" + APPS), "--yes",
               "--sandbox-state", state).exit_code == 0
    pruning = manifest("version: 1\npolicy: {prune: [apps]}\napps:\n" +
                       "".join(APPS.splitlines(keepends=True)[:5]))
    saved = tmp_path / "plan.json"
    made = run("plan", pruning, "--sandbox-state", state, "--out", saved, "--force")
    assert made.exit_code == 0, made.output
    refused = run("apply", saved, "--yes", "--sandbox-state", state)
    assert refused.exit_code == 3, refused.output
    assert len(sandbox_apps(state)) == 10
