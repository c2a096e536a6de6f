"""Bulk seeding with provision_numbers, and failed writes that must leave the state untouched."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from provisioner.emulator import ApiError, Emulator

from .conftest import FakeClock, Rpc, client_for

E164_FR = re.compile(r"^\+33\d{9}$")


def test_provision_numbers_adds_unassigned_unique_dids(rpc: Rpc, emu: Emulator) -> None:
    numbers = emu.provision_numbers(1000)
    more = emu.provision_numbers(5)
    assert len(set(numbers + more)) == 1005
    assert all(E164_FR.match(n) for n in numbers + more)
    page = rpc.call("did.search", None, {"quantity": 100})
    assert page["total"] == 1025 and page["has_more"]
    available = rpc.call("apps.get_dids", True)
    assert {d["intl_number"] for d in available} >= set(numbers + more)
    app = rpc.call("apps.create", "REALTIME10", "a", None)
    hit = rpc.call("did.search", {"KEYWORDS": more[0][1:]}, None)["hits"]
    assert [d["intl_number"] for d in hit] == [more[0]]
    assert rpc.call("apps.assign_did", app["hash"], hit[0]["hash"]) is True


def test_provisioned_numbers_never_collide_with_the_store(rpc: Rpc, emu: Emulator) -> None:
    numbers = set(emu.provision_numbers(200))
    order = rpc.call("did/store.reserve", 1, "CLASSIC", 5, "SEQUENTIAL")
    bought = rpc.call("did/store.buy_order", order["token"])["success"]
    assert not numbers & {item["intl_number"] for item in bought}


def test_provision_numbers_for_a_sub_account(rpc: Rpc, emu: Emulator) -> None:
    sub = rpc.call("account/sub.create",
                   {"account": {"company": "C"}, "contact": {"emails": ["a@b.example"]}}, None)
    numbers = emu.provision_numbers(30, sub["hash"])
    sub_dids = rpc.as_sub(sub["hash"]).call("apps.get_dids", True)
    assert {d["intl_number"] for d in sub_dids} >= set(numbers)
    assert not {d["intl_number"] for d in rpc.call("apps.get_dids", False)} & set(numbers)
    with pytest.raises(ApiError):
        emu.provision_numbers(1, "NOSUCHACC")


def test_provisioned_numbers_persist(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "big.json"
    numbers = Emulator(path, clock=clock).provision_numbers(3000)
    again = Emulator(path, clock=clock)
    with client_for(again) as client:
        assert Rpc(client).call("did.search", None, None)["total"] == 3020
    assert again.provision_numbers(1)[0] not in numbers


def _invalid_writes(rpc: Rpc) -> list[tuple[str, tuple[Any, ...]]]:
    """Calls that pass a first check, then fail a later one: nothing may have changed."""
    app = rpc.call("apps.create", "CALLTRACKING10", "ct", {"targets": [{"number": "+33123456789"}]})
    sub = rpc.call("account/sub.create",
                   {"account": {"company": "C"}, "contact": {"emails": ["a@b.example"]}}, None)
    sip = rpc.call("sip/subscriber.create", {"username": "alice"}, None)
    return [
        ("apps.edit", (app["hash"], "renamed", {"targets": [{"number": "bad"}]})),
        ("media/library.create", ("  ",)),
        ("account/sub.edit", (sub["hash"], {"contact": {"emails": ["n@b.example"]},
                                            "params": {"nope": 1}}, None)),
        ("sip/subscriber.edit", (sip["id"], {"ring_timeout": 60}, {"vms": {"bad": True}})),
        ("did/store.reserve", (1, "GOLD", 500, "RANDOM")),
    ]


def test_failed_writes_change_nothing(rpc: Rpc, emu: Emulator, clock: FakeClock) -> None:
    old = rpc.call("did/store.reserve", 2, "CLASSIC", 1, "SEQUENTIAL")
    assert old["token"]
    clock.advance(3600)  # the reservation expired but is still stored
    for method, params in _invalid_writes(rpc):
        before = emu.snapshot()
        assert rpc.error(method, *params).code == 151, method  # failed in the handler
        assert emu.snapshot() == before, method
