"""Random faults from a FaultProfile: 503s, dropped responses, rate limiting and latency."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from serving import serving

from provisioner.emulator import Emulator, FaultProfile

from .conftest import URL, FakeClock, Rpc, client_for


def _body(method: str, *params: object) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}


def _statuses(emu: Emulator, count: int) -> list[int]:
    with client_for(emu) as client:
        rpc = Rpc(client)
        return [rpc.post(_body("media/library.create", f"m{i}")).status_code for i in range(count)]


def _media_names(emu: Emulator) -> list[str]:
    state = emu.snapshot()
    return [m["name"] for m in state["accounts"][state["master"]]["media"].values()]


def test_profile_is_off_by_default(emu: Emulator) -> None:
    assert _statuses(emu, 30) == [200] * 30
    assert emu.stats()["faults"] == {"fail": 0, "drop": 0, "rate_limited": 0}


def test_fail_rate_is_a_503_before_the_call_and_repeatable_with_a_seed(clock: FakeClock) -> None:
    profile = FaultProfile(fail_rate=0.4, seed=1234)
    first = Emulator(clock=clock, fault_profile=profile)
    statuses = _statuses(first, 40)
    assert set(statuses) == {200, 503}
    assert statuses == _statuses(Emulator(clock=clock, fault_profile=profile), 40)
    executed = [f"m{i}" for i, status in enumerate(statuses) if status == 200]
    assert _media_names(first) == executed  # a 503 executed nothing
    stats = first.stats()
    assert stats["faults"]["fail"] == statuses.count(503)
    assert stats["methods"] == {"media/library.create": statuses.count(200)}
    assert stats["total"] == 40


def test_a_503_is_plain_text(emu: Emulator) -> None:
    emu.faults.configure(FaultProfile(fail_rate=1.0))
    with client_for(emu) as client:
        response = Rpc(client).post(_body("system.get_timestamp"))
    assert response.status_code == 503
    assert not response.headers["content-type"].startswith("application/json")


def test_dropped_response_in_process_is_a_transport_error(emu: Emulator) -> None:
    emu.faults.configure(FaultProfile(drop_rate=1.0))
    with client_for(emu) as client, pytest.raises(httpx.RemoteProtocolError):
        Rpc(client).post(_body("media/library.create", "ran anyway"))
    assert _media_names(emu) == ["ran anyway"]  # the call ran and persisted
    assert emu.stats()["faults"]["drop"] == 1
    assert emu.stats()["methods"] == {"media/library.create": 1}


def test_drop_rate_is_repeatable_with_a_seed(clock: FakeClock) -> None:
    def outcomes() -> list[str]:
        emu = Emulator(clock=clock, fault_profile=FaultProfile(drop_rate=0.5, seed=99))
        seen = []
        with client_for(emu) as client:
            for i in range(30):
                try:
                    Rpc(client).post(_body("media/library.create", f"m{i}"))
                    seen.append("ok")
                except httpx.TransportError:
                    seen.append("dropped")
        assert len(_media_names(emu)) == 30  # dropped or not, every call ran
        return seen

    first = outcomes()
    assert set(first) == {"ok", "dropped"}
    assert first == outcomes()


@pytest.fixture
def served() -> Iterator[tuple[Emulator, str]]:
    emu = Emulator()
    with serving(emu) as base:
        yield emu, base


def test_dropped_response_over_http_closes_the_connection(served: tuple[Emulator, str]) -> None:
    emu, base = served
    emu.faults.configure(FaultProfile(drop_rate=1.0))
    with httpx.Client(base_url=base, auth=("sandbox", "sandbox")) as client:
        with pytest.raises(httpx.TransportError):
            client.post(URL, json=_body("media/library.create", "over http"))
        emu.faults.configure(FaultProfile())
        reply = client.post(URL, json=_body("media/library.get", 1)).json()
    assert reply["result"]["name"] == "over http"


def test_deterministic_drop_rule_is_a_transport_error(emu: Emulator) -> None:
    emu.faults.lose_response("webhooks.subscribe", drop=True)
    with client_for(emu) as client:
        rpc = Rpc(client)
        with pytest.raises(httpx.RemoteProtocolError):
            rpc.post(_body("webhooks.subscribe", "sms.mo", "https://h.example/x", None))
        assert [h["endpoint"] for h in rpc.call("webhooks.get_list")] == ["https://h.example/x"]


def test_rate_limit_is_a_429_with_retry_after(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, fault_profile=FaultProfile(rate_limit=3))
    assert _statuses(emu, 5) == [200, 200, 200, 429, 429]
    with client_for(emu) as client:
        response = Rpc(client).post(_body("media/library.create", "limited"))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert len(_media_names(emu)) == 3  # nothing executed beyond the limit
    clock.advance(1.0)
    assert _statuses(emu, 4) == [200, 200, 200, 429]
    assert emu.stats()["faults"]["rate_limited"] == 4


def test_latency_does_not_hold_the_state_lock(emu: Emulator) -> None:
    """A delayed response is pending while another request runs and answers."""
    emu.faults.configure(FaultProfile(latency_ms=3000))
    order: list[str] = []
    lock = threading.Lock()

    def slow() -> None:
        with client_for(emu) as client:
            Rpc(client).call("media/library.create", "slow")
        with lock:
            order.append("slow answered")

    thread = threading.Thread(target=slow)
    thread.start()
    while not _media_names(emu):  # snapshot() takes the state lock: it is free meanwhile
        time.sleep(0.001)
    emu.faults.configure(FaultProfile())  # the next request has no latency
    with client_for(emu) as client:
        assert Rpc(client).call("media/library.get", 1)["name"] == "slow"
    with lock:
        order.append("fast answered")
        slow_pending = thread.is_alive()
    thread.join()
    assert slow_pending
    assert order == ["fast answered", "slow answered"]


def test_profile_validation() -> None:
    with pytest.raises(ValueError, match="fail_rate"):
        FaultProfile(fail_rate=1.5)
    with pytest.raises(ValueError, match="rate_limit"):
        FaultProfile(rate_limit=0)
    with pytest.raises(ValueError, match="latency_ms"):
        FaultProfile(latency_ms=-1)
