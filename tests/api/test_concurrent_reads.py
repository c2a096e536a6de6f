"""Reading kinds and sub-accounts concurrently changes nothing in the plan, only the time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator
from provisioner.errors import NotAllowedError
from provisioner.manifest.desired import Desired, load
from provisioner.planning.engine import apply_plan, build_plan, read_live
from provisioner.planning.plan import Plan
from provisioner.resources.base import LiveReader

AGENCY = Path(__file__).resolve().parents[2] / "examples" / "agency"
ENDPOINT = "http://emulator.test/json-rpc/v1.1/"


def connect(emulator: Emulator, parallelism: int) -> CallrClient:
    return CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                               transport=emulator.transport(), parallelism=parallelism)


def plan_with(emulator: Emulator, desired: Desired, parallelism: int) -> tuple[Plan, int]:
    with connect(emulator, parallelism) as api:
        plan = build_plan(desired, api, "test account")
        return plan, api.call_count


def comparable(plan: Plan) -> dict[str, Any]:
    return plan.to_dict()


@pytest.fixture
def agency() -> Desired:
    if not AGENCY.is_dir():
        pytest.skip("examples/agency is missing")
    return load([AGENCY])


def test_same_plan_on_an_empty_account(emulator: Emulator, agency: Desired) -> None:
    sequential, seq_calls = plan_with(emulator, agency, 1)
    assert not sequential.is_empty
    for _ in range(3):
        concurrent, calls = plan_with(emulator, agency, 8)
        assert comparable(concurrent) == comparable(sequential)
        assert calls == seq_calls  # the shared cache still makes each read once


def test_same_plan_with_existing_sub_accounts_and_drift(emulator: Emulator,
                                                        agency: Desired) -> None:
    with connect(emulator, 4) as api:
        report = apply_plan(build_plan(agency, api, "test account"), api)
        assert report.ok, [(s.change.address, s.error) for s in report.steps if s.error]
        assert build_plan(agency, api, "test account").is_empty
        # drift in the master and in every sub-account, so each account has changes
        subs = api.account_sub_search()
        assert len(subs) >= 2
        for view in [api, *(api.as_account(s["hash"]) for s in subs)]:
            apps = view.apps_get_list(True)
            view.apps_delete(apps[0]["hash"])
            view.apps_create("ACTIONS10", "stray-app", None)
    sequential, seq_calls = plan_with(emulator, agency, 1)
    assert len({c.address.split(".")[0] for c in sequential.changes}) > 1
    assert sum(c.address.startswith("subaccount[") for c in sequential.changes) >= 2
    for parallelism in (2, 4, 16):
        concurrent, calls = plan_with(emulator, agency, parallelism)
        assert comparable(concurrent) == comparable(sequential)
        assert calls == seq_calls


def test_read_live_keeps_the_order_of_kinds(emulator: Emulator, agency: Desired) -> None:
    with connect(emulator, 1) as one, connect(emulator, 8) as many:
        first = read_live(LiveReader(one), agency)
        second = read_live(LiveReader(many), agency)
    assert list(first) == list(second) and len(first) >= 4
    assert first == second


def test_a_failed_read_raises_the_first_failing_kind(emulator: Emulator,
                                                     agency: Desired) -> None:
    emulator.faults.fail("webhooks.get_list", code=100, message="webhooks refused")
    emulator.faults.fail("apps.get_list", code=100, message="apps refused")
    with connect(emulator, 8) as api, pytest.raises(NotAllowedError, match="apps refused"):
        read_live(LiveReader(api), agency)
