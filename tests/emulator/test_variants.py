"""Variants: each switches one unconfirmed API behaviour to its alternative."""

from __future__ import annotations

import pytest

from provisioner.emulator import Emulator
from provisioner.emulator.variants import VARIANTS, missing_methods, parse

from .conftest import FakeClock, Rpc, client_for, expect


def test_parse_accepts_commas_and_repeats_and_names_the_known_on_a_typo() -> None:
    assert parse(["no-sip,small-pages", " no-did-get "]) == {"no-sip", "small-pages",
                                                             "no-did-get"}
    with pytest.raises(ValueError, match=r"unknown variant no-sipp; known: .*no-sip"):
        parse(["no-sipp"])


def test_every_sip_method_is_missing_under_no_sip() -> None:
    missing = missing_methods(frozenset({"no-sip"}))
    assert missing and all(m.startswith("sip/") for m in missing)
    assert "sip/subscriber.create" in missing


@pytest.mark.parametrize(("variant", "method", "params"), [
    ("no-webhook-list", "webhooks.get_list", []),
    ("no-webhook-update", "webhooks.update", ["X", {}]),
    ("no-did-get", "did.get", ["X"]),
    ("no-sip", "sip/subscriber.search", [{}, {}]),
])
def test_a_removed_method_answers_method_not_found(
        clock: FakeClock, variant: str, method: str, params: list[object]) -> None:
    emu = Emulator(clock=clock, variants=[variant])
    with client_for(emu) as client:
        expect(Rpc(client), -32601, method, *params, contains=method)
    with client_for(Emulator(clock=clock)) as client:  # and exists without the variant
        err = None
        try:
            Rpc(client).call(method, *params)
        except Exception as exc:  # a not-found or param error, never -32601
            err = exc
        assert getattr(err, "code", 0) != -32601


def test_variants_are_documented() -> None:
    assert all(description for description in VARIANTS.values())


def test_unavailable_rule_answers_503_without_running(rpc: Rpc, emu: Emulator) -> None:
    emu.faults.unavailable("apps.create", times=2)
    body = {"jsonrpc": "2.0", "id": 1, "method": "apps.create",
            "params": ["REALTIME10", "x", None]}
    assert [rpc.post(body).status_code for _ in range(2)] == [503, 503]
    assert rpc.call("apps.get_list", False) == []
    assert rpc.call("apps.create", "REALTIME10", "x", None)["name"] == "x"
    assert emu.stats()["faults"].get("fail") == 2
