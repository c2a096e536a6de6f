"""Fault injection: injected errors leave state alone; lost responses still persist the call."""

from __future__ import annotations

from provisioner.emulator import Emulator

from .conftest import Rpc, expect


def test_fail_times_and_skip(rpc: Rpc, emu: Emulator) -> None:
    emu.faults.fail("apps.create", code=100, message="boom", times=2, skip=1)
    assert rpc.call("apps.create", "REALTIME10", "ok first", None)
    before = emu.snapshot()
    expect(rpc, 100, "apps.create", "REALTIME10", "failed", None, contains="boom")
    expect(rpc, 100, "apps.create", "REALTIME10", "failed", None)
    assert emu.snapshot() == before
    assert rpc.call("system.get_timestamp")  # other methods are unaffected
    assert rpc.call("apps.create", "REALTIME10", "ok again", None)
    assert [a["name"] for a in rpc.call("apps.get_list", False)] == ["ok first", "ok again"]


def test_default_fault_and_clear(rpc: Rpc, emu: Emulator) -> None:
    emu.faults.fail("media/library.create", times=5)
    expect(rpc, 151, "media/library.create", "x", contains="Injected fault")
    emu.faults.clear()
    assert rpc.call("media/library.create", "x") == 1


def test_lose_response_executes_the_call(rpc: Rpc, emu: Emulator) -> None:
    emu.faults.lose_response("webhooks.subscribe", skip=1)
    rpc.call("webhooks.subscribe", "sms.mo", "https://h.example/1", None)
    body = {
        "jsonrpc": "2.0",
        "id": 9,
        "method": "webhooks.subscribe",
        "params": ["sms.mo", "https://h.example/2", None],
    }
    response = rpc.post(body)
    assert response.status_code == 502
    assert not response.headers["content-type"].startswith("application/json")
    hooks = rpc.call("webhooks.get_list")
    assert [h["endpoint"] for h in hooks] == ["https://h.example/1", "https://h.example/2"]
    rpc.call("webhooks.subscribe", "sms.mo", "https://h.example/3", None)  # rule used up
    assert len(rpc.call("webhooks.get_list")) == 3
