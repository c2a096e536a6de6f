"""Fixtures driving the emulator in-process through httpx with raw JSON-RPC envelopes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from provisioner.emulator import Emulator

URL = "/json-rpc/v1.1/"


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RpcError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error['code']}: {error['message']}")
        self.code: int = error["code"]
        self.message: str = error["message"]


class Rpc:
    """A tiny JSON-RPC client: ``call`` returns ``result`` or raises RpcError."""

    _ids = itertools.count(1)

    def __init__(self, client: httpx.Client, login_as: str | None = None) -> None:
        self.client = client
        self.login_as = login_as

    def as_sub(self, sub_hash: str) -> Rpc:
        return Rpc(self.client, f"Account.hash {sub_hash}")

    def post(self, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        hdrs = {"Content-Type": "application/json-rpc; charset=utf-8", **(headers or {})}
        if self.login_as and "CALLR-Login-As" not in hdrs:
            hdrs["CALLR-Login-As"] = self.login_as
        content = body if isinstance(body, bytes) else httpx.Request("POST", "/", json=body).read()
        return self.client.post(URL, content=content, headers=hdrs)

    def envelope(self, method: str, *params: Any, headers: dict[str, str] | None = None) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        response = self.post(body, headers)
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["jsonrpc"] == "2.0"
        assert data["id"] == body["id"]
        return data

    def call(self, method: str, *params: Any, headers: dict[str, str] | None = None) -> Any:
        data = self.envelope(method, *params, headers=headers)
        if "error" in data:
            raise RpcError(data["error"])
        return data["result"]

    def error(self, method: str, *params: Any, headers: dict[str, str] | None = None) -> RpcError:
        with pytest.raises(RpcError) as info:
            self.call(method, *params, headers=headers)
        return info.value


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Emulator:
    return Emulator(clock=clock, media_delay=10.0, job_delay=10.0)


def client_for(
    emu: Emulator, auth: tuple[str, str] | None = ("sandbox", "sandbox")
) -> httpx.Client:
    return httpx.Client(transport=emu.transport(), base_url="http://emulator", auth=auth)


@pytest.fixture
def rpc(emu: Emulator) -> Iterator[Rpc]:
    with client_for(emu) as client:
        yield Rpc(client)


def expect(rpc: Rpc, code: int, method: str, *params: Any, contains: str = "") -> RpcError:
    """Assert ``method`` fails with ``code`` (and a message containing ``contains``)."""
    err = rpc.error(method, *params)
    assert err.code == code, err.message
    assert contains in err.message
    return err
