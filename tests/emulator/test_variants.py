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


@pytest.mark.parametrize("method", ["apps.search", "did.search", "account/sub.search",
                                    "sip/subscriber.search"])
def test_small_pages_refuses_a_search_page_above_50(clock: FakeClock, method: str) -> None:
    with client_for(Emulator(clock=clock, variants=["small-pages"])) as client:
        rpc = Rpc(client)
        expect(rpc, 151, method, {}, {"quantity": 51}, contains="quantity")
        assert rpc.call(method, {}, {"quantity": 50})["offset"] == 0
        assert rpc.call(method, {}, {})["offset"] == 0  # the default page is 50
    with client_for(Emulator(clock=clock)) as client:
        assert Rpc(client).call(method, {}, {"quantity": 100})["offset"] == 0


def test_http_auth_errors_answers_401_with_the_json_rpc_error(clock: FakeClock) -> None:
    body = {"jsonrpc": "2.0", "id": 7, "method": "system.get_timestamp", "params": []}
    emu = Emulator(clock=clock, variants=["http-auth-errors"])
    with client_for(emu, auth=("sandbox", "wrong")) as client:
        response = Rpc(client).post(body)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 22
    assert response.json()["id"] == 7
    with client_for(emu) as client:  # good credentials: HTTP 200 as usual
        assert Rpc(client).post(body).status_code == 200
    with client_for(Emulator(clock=clock), auth=("sandbox", "wrong")) as client:
        plain = Rpc(client).post(body)
    assert (plain.status_code, plain.json()["error"]["code"]) == (200, 22)
