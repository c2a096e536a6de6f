"""Reads at account scale: a no-change plan costs the fewest calls the API allows.

The minimum (see ``benchmarks/account_scale.py``): one call per ``get_list`` method the
manifest's kinds need, ceil(n/100) pages per search, in the master and in each sub-account;
``apps.get_dids`` and ``webhooks.get_event_types`` only when some entry needs them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator
from provisioner.errors import PlanError
from provisioner.manifest.desired import load
from provisioner.planning.engine import build_plan
from provisioner.planning.plan import Action
from tests.conftest import ENDPOINT, Account

APPS, SUBSCRIBERS, SUBACCOUNTS = 30, 250, 3


def body(numbers: list[str], hooks: int = 4) -> dict[str, Any]:
    apps = {f"app-{i:02d}": {"package": "REALTIME10",
                             "params": {"url": f"https://bot.example/{i}"}}
            for i in range(APPS)}
    return {
        "version": 1,
        "apps": apps,
        "numbers": {number: f"app-{i % APPS:02d}" for i, number in enumerate(numbers)},
        "sip": {"subscribers": {f"user{i:03d}": {"cli": "BLOCKED", "ring_timeout": 30}
                                for i in range(SUBSCRIBERS)}},
        "webhooks": [{"type": "sms.mo", "endpoint": f"https://hooks.example/{i}"}
                     for i in range(hooks)],
        "subaccounts": {f"Client {s}": {"contact": {"emails": [f"c{s}@client.example"]},
                                        "resources": {"apps": {"line": {
                                            "package": "REALTIME10",
                                            "params": {"url": f"https://c{s}.example"}}}}}
                        for s in range(SUBACCOUNTS)},
    }


@pytest.fixture
def large(emulator: Emulator, account: Account,
          manifest: Callable[..., Path]) -> tuple[list[str], Callable[..., Path]]:
    """An account of 30 apps holding 60 DIDs (20 more unassigned), 250 SIP subscribers (three
    search pages), 4 webhooks and 3 sub-accounts with an app each, converged."""
    numbers = emulator.provision_numbers(80)

    def write(**changes: Any) -> Path:
        return manifest(json.dumps({**body(numbers[:60]), **changes}))

    account.converge(write())
    return numbers, write


MINIMUM = {
    "account/sub.search": 1,
    "apps.get_list": 1 + SUBACCOUNTS,  # the master, then each sub-account (Login-As)
    "sip/subscriber.search": 3,  # 250 subscribers, 100 a page
    "webhooks.get_list": 1,
}


@pytest.mark.parametrize("parallelism", [1, 4])
def test_no_change_plan_makes_the_minimum_of_calls(
        emulator: Emulator, large: tuple[list[str], Callable[..., Path]],
        parallelism: int) -> None:
    _, write = large
    path = write()
    with CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=emulator.transport(), parallelism=parallelism) as client:
        emulator.reset_stats()
        plan = build_plan(load([path]), client, "test")
    assert plan.is_empty
    stats = emulator.stats()
    assert stats["methods"] == MINIMUM
    assert stats["total"] == sum(MINIMUM.values())


def test_an_unassigned_number_is_read_only_when_the_manifest_names_one(
        emulator: Emulator, account: Account,
        large: tuple[list[str], Callable[..., Path]]) -> None:
    numbers, write = large
    wanted = {**body(numbers[:60])["numbers"], numbers[70]: "app-03"}
    emulator.reset_stats()
    plan = account.plan(write(numbers=wanted))
    assert emulator.stats()["methods"]["apps.get_dids"] == 1
    [change] = plan.changes
    assert (change.address, change.action) == (f"number.{numbers[70]}", Action.ASSIGN)


def test_a_cli_among_unassigned_numbers_is_found_without_an_authorized_cli_read(
        emulator: Emulator, account: Account,
        large: tuple[list[str], Callable[..., Path]]) -> None:
    numbers, write = large
    subscribers = body(numbers[:60])["sip"]["subscribers"]
    subscribers["user007"] = {"cli": numbers[75], "ring_timeout": 30}
    emulator.reset_stats()
    plan = account.plan(write(sip={"subscribers": subscribers}))
    methods = emulator.stats()["methods"]
    assert methods["apps.get_dids"] == 1
    assert "apps.get_authorized_clis" not in methods
    [change] = plan.changes
    assert change.address == "sip_subscriber.user007"


def test_event_types_are_read_only_for_a_new_webhook(
        emulator: Emulator, account: Account,
        large: tuple[list[str], Callable[..., Path]]) -> None:
    numbers, write = large
    hooks = body(numbers[:60])["webhooks"] + [{"type": "sms.moo",
                                               "endpoint": "https://hooks.example/new"}]
    emulator.reset_stats()
    with pytest.raises(PlanError, match=r"unknown event type 'sms\.moo'"):
        account.plan(write(webhooks=hooks))
    assert emulator.stats()["methods"]["webhooks.get_event_types"] == 1


def test_concurrent_pages_read_every_subscriber_once(
        emulator: Emulator, account: Account,
        large: tuple[list[str], Callable[..., Path]]) -> None:
    numbers, write = large
    subscribers = body(numbers[:60])["sip"]["subscribers"]
    for name in ("user000", "user149", "user249"):  # first, middle and last page
        subscribers[name]["ring_timeout"] = 60
    plan = account.plan(write(sip={"subscribers": subscribers}))
    assert sorted(c.address for c in plan.changes) == [
        "sip_subscriber.user000", "sip_subscriber.user149", "sip_subscriber.user249"]
    assert all(c.action is Action.UPDATE for c in plan.changes)
