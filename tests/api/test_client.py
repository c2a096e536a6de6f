"""The JSON-RPC client against the in-process emulator: ordering, errors, Login-As, paging,
retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from provisioner.api.client import CallrClient
from provisioner.api.methods import positional
from provisioner.api.rpc import Credentials, RetryPolicy, RpcSession
from provisioner.emulator import Emulator
from provisioner.errors import (
    AmbiguousWriteError,
    ApiError,
    AuthError,
    InvalidParamsError,
    NotFoundError,
    ProtocolError,
    RpcError,
    TransportError,
)

ENDPOINT = "http://emulator.test/json-rpc/v1.1/"


def connect(emulator: Emulator, credentials: Credentials) -> CallrClient:
    return CallrClient.connect(credentials, ENDPOINT, transport=emulator.transport())


@pytest.fixture
def fast(client: CallrClient) -> Iterator[CallrClient]:
    """The client with no backoff delay between retries (the retry count is unchanged)."""
    session: RpcSession = client._session
    session.sleep = lambda _delay: None
    yield client


def test_positional_follows_the_table() -> None:
    assert positional("apps.assign_did", {"did_hash": "D", "app_hash": "A"}) == ["A", "D"]
    assert positional("apps.create", {"params": None, "name": "n", "package": "P"}) == [
        "P", "n", None]
    assert positional("system.get_timestamp", {}) == []


def test_keyword_order_does_not_matter_on_the_wire(client: CallrClient,
                                                   emulator: Emulator) -> None:
    app = client.apps_create("ACTIONS10", "a", None)
    did = client.apps_get_dids(True)[0]
    assert client.call("apps.assign_did", did_hash=did["hash"], app_hash=app["hash"]) is True
    assert client.apps_get(app["hash"])["did"][0]["hash"] == did["hash"]


def test_missing_or_unknown_keyword_is_a_type_error_before_sending(client: CallrClient) -> None:
    with pytest.raises(TypeError, match=r"missing \['did_hash'\]"):
        client.call("apps.assign_did", app_hash="A")
    with pytest.raises(TypeError, match=r"unknown \['colour'\]"):
        client.call("apps.get", hash="A", colour="red")
    with pytest.raises(KeyError):
        client.call("apps.not_in_the_table")
    assert client.call_count == 0


def test_bad_credentials_raise_auth_error(emulator: Emulator) -> None:
    for creds in (Credentials("sandbox", "wrong"), Credentials(api_key="nope")):
        with connect(emulator, creds) as bad, pytest.raises(AuthError) as info:
            bad.system_get_timestamp()
        assert info.value.code == 22
        assert info.value.method == "system.get_timestamp"
        assert "Authentication failed" in str(info.value)
    with connect(emulator, Credentials(api_key="sandbox")) as good:
        assert good.system_get_timestamp() > 0


def test_not_found_and_invalid_params(client: CallrClient) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.apps_get("ZZZZZZZZ")
    assert missing.value.code == 110
    with pytest.raises(InvalidParamsError) as invalid:
        client.apps_create("NOPE10", "x", None)
    assert invalid.value.code == 151
    assert isinstance(invalid.value, RpcError) and isinstance(invalid.value, ApiError)
    assert client.apps_get_list(True) == []


def test_method_not_found_through_the_rpc_layer(client: CallrClient) -> None:
    """-32601 cannot be reached through the table, so send a raw request on the session."""
    session: RpcSession = client._session
    with pytest.raises(ProtocolError) as info:
        session._send("apps.does_not_exist", [], None)
    assert info.value.code == -32601


def test_login_as_sees_the_sub_account(client: CallrClient) -> None:
    sub = client.call("account/sub.create",
                      properties={"account": {"company": "Acme"},
                                  "contact": {"emails": ["ops@acme.example"]}},
                      options=None)
    inside = client.as_account(sub["hash"])
    assert inside.login_as == sub["hash"]
    created = inside.apps_create("ACTIONS10", "sub-app", None)
    master_app = client.apps_create("ACTIONS10", "master-app", None)
    assert [a["name"] for a in inside.apps_get_list(True)] == ["sub-app"]
    assert [a["name"] for a in client.apps_get_list(True)] == ["master-app"]
    assert len(inside.apps_get_dids(False)) == 5
    assert len(client.apps_get_dids(False)) == 20
    with pytest.raises(NotFoundError):
        inside.apps_get(master_app["hash"])
    assert client.as_account(None).apps_get(master_app["hash"])["name"] == "master-app"
    assert inside.apps_get(created["hash"])["name"] == "sub-app"
    with pytest.raises(AuthError):
        client.as_account("NOTASUB1").apps_get_list(True)


def test_search_all_pages_past_100(client: CallrClient) -> None:
    for i in range(105):
        client.apps_create("ACTIONS10", f"app-{i:03d}", None)
    before = client.call_count
    hits = client.search_all("apps.search")
    assert client.call_count - before == 2
    assert sorted(h["name"] for h in hits) == [f"app-{i:03d}" for i in range(105)]
    assert len({h["hash"] for h in hits}) == 105
    some = client.search_all("apps.search", {"name": "app-10"})
    assert sorted(h["name"] for h in some) == [f"app-{i:03d}" for i in range(100, 105)]


def test_read_only_call_is_retried_after_a_lost_response(fast: CallrClient,
                                                         emulator: Emulator) -> None:
    fast.apps_create("ACTIONS10", "a", None)
    emulator.faults.lose_response("apps.get_list")
    before = fast.call_count
    assert [a["name"] for a in fast.apps_get_list(True)] == ["a"]
    assert fast.call_count - before == 2


def test_read_only_retries_are_bounded(fast: CallrClient, emulator: Emulator) -> None:
    emulator.faults.lose_response("apps.get_list", times=3)
    with pytest.raises(TransportError, match="502"):
        fast.apps_get_list(True)
    assert fast.call_count == 3


def test_write_is_never_retried(fast: CallrClient, emulator: Emulator) -> None:
    emulator.faults.lose_response("apps.create")
    with pytest.raises(AmbiguousWriteError):
        fast.apps_create("ACTIONS10", "once", None)
    assert fast.call_count == 1
    assert [a["name"] for a in fast.apps_get_list(True)] == ["once"]


def test_transport_error_when_unreachable() -> None:
    with CallrClient.connect(Credentials("sandbox", "sandbox"), "http://127.0.0.1:9/x/",
                             timeout=2.0) as api:
        api._session.retry = RetryPolicy(attempts=1)
        with pytest.raises(TransportError, match="cannot reach"):
            api.apps_get_list(True)


def test_credentials_never_printed() -> None:
    creds = Credentials("me", "hunter2-pass", api_key="key-123456")
    assert "hunter2-pass" not in repr(creds) and "key-123456" not in repr(creds)
    assert creds.describe() == "API key"
    assert Credentials("me", "pw").describe() == "login me"
    assert Credentials(api_key="k").header() == "Api-Key k"
    assert Credentials("sandbox", "sandbox").header() == "Basic c2FuZGJveDpzYW5kYm94"
