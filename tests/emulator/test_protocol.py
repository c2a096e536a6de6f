"""Transport, JSON-RPC envelope, auth and arity/type checks."""

from __future__ import annotations

import base64

import httpx
import pytest

from provisioner.api.methods import METHODS
from provisioner.emulator import Emulator

from .conftest import URL, FakeClock, Rpc, client_for, expect


def test_get_timestamp_uses_clock(rpc: Rpc, clock: FakeClock) -> None:
    assert rpc.call("system.get_timestamp") == 1_800_000_000
    clock.advance(5.7)
    assert rpc.call("system.get_timestamp") == 1_800_000_005


def test_path_without_slash_and_other_paths(rpc: Rpc) -> None:
    body = {"jsonrpc": "2.0", "id": "abc", "method": "system.get_timestamp", "params": []}
    r = rpc.client.post("/json-rpc/v1.1", json=body)
    assert r.status_code == 200 and r.json()["id"] == "abc" and "result" in r.json()
    assert rpc.client.post("/json-rpc/v1.0/", json=body).status_code == 404
    assert rpc.client.post("/", json=body).status_code == 404
    assert rpc.client.get(URL).status_code == 405


def test_missing_params_means_empty(rpc: Rpc) -> None:
    r = rpc.post({"jsonrpc": "2.0", "id": 7, "method": "system.get_timestamp"})
    assert isinstance(r.json()["result"], int)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", -32700),
        (b"[]", -32600),
        (b'[{"jsonrpc": "2.0", "id": 1, "method": "system.get_timestamp", "params": []}]', -32600),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "apps.get", "params": {"hash": "X"}}', -32600),
        (b'{"jsonrpc": "2.0", "method": "system.get_timestamp", "params": []}', -32600),
        (b'{"jsonrpc": "2.0", "id": null, "method": "system.get_timestamp", "params": []}', -32600),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "system.get_timestamp", "params": []}', -32600),
        (b'{"id": 1, "method": "system.get_timestamp", "params": []}', -32600),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "nope.nothing", "params": []}', -32601),
    ],
)
def test_envelope_errors(rpc: Rpc, body: bytes, code: int) -> None:
    r = rpc.post(body)
    assert r.status_code == 200
    data = r.json()
    assert data["error"]["code"] == code
    assert set(data["error"]) == {"code", "message", "data"}


def test_every_table_method_is_served_with_its_arity(rpc: Rpc) -> None:
    for name, row in METHODS.items():
        err = rpc.error(name, *([None] * (len(row.params) + 1)))
        assert err.code == -32602, name
        assert name in err.message
        for pname in row.params:
            assert pname in err.message


def test_wrong_param_type(rpc: Rpc) -> None:
    err = expect(rpc, -32602, "apps.get_list", "yes")
    assert "with_numbers" in err.message
    expect(rpc, -32602, "apps.get_dids", 1)
    expect(rpc, -32602, "media/library.get", "12")
    expect(rpc, -32602, "media/library.get", True)
    expect(rpc, -32602, "apps.create", "REALTIME10", "x", [])


def _basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "header",
    [
        None,
        _basic("sandbox", "wrong"),
        _basic("other", "sandbox"),
        "Api-Key nope",
        "Bearer x",
        "Basic !!!notbase64",
        "Session abc",
    ],
)
def test_auth_failures(emu: Emulator, header: str | None) -> None:
    with client_for(emu, auth=None) as client:
        headers = {"Authorization": header} if header else {}
        err = Rpc(client).error("system.get_timestamp", headers=headers)
    assert err.code == 22
    assert "wrong" not in err.message and "sandbox" not in err.message


def test_api_key_and_custom_logins(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, logins={"alice": "s3cret"}, api_keys={"k" * 100})
    with client_for(emu, auth=None) as client:
        rpc = Rpc(client)
        assert rpc.call("system.get_timestamp", headers={"Authorization": "Api-Key " + "k" * 100})
        assert rpc.call(
            "system.get_timestamp", headers={"Authorization": _basic("alice", "s3cret")}
        )
        bad = rpc.error(
            "system.get_timestamp", headers={"Authorization": _basic("sandbox", "sandbox")}
        )
        assert bad.code == 22


def test_json_rpc_content_type_from_sdk(emu: Emulator) -> None:
    with httpx.Client(transport=emu.transport(), base_url="http://e") as client:
        r = client.post(
            URL,
            content=b'{"jsonrpc":"2.0","id":3,"method":"system.get_timestamp","params":[]}',
            headers={
                "Content-Type": "application/json-rpc; charset=utf-8",
                "Expect": "",
                "Authorization": _basic("sandbox", "sandbox"),
            },
        )
    assert r.json()["result"] == 1_800_000_000
