"""Rate cap, in-flight cap and thread safety of one session shared by Login-As views."""

from __future__ import annotations

import itertools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from provisioner.api.client import CallrClient
from provisioner.api.limits import Caps, TokenBucket
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator
from provisioner.errors import InvalidParamsError
from provisioner.resources.base import LiveReader

from .scripted import Script, VirtualClock, ok, rpc_error

URL = "https://api.test/json-rpc/v1.1/"


def test_the_rate_cap_spaces_requests_in_virtual_time() -> None:
    clock = VirtualClock()
    sent_at: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.time())
        return ok(0)(request, {"id": 1})

    with CallrClient.connect(Credentials("ops", "pw"), URL, transport=httpx.MockTransport(answer),
                             max_rps=5, clock=clock.time, sleep=clock.sleep) as api:
        for _ in range(11):
            api.system_get_timestamp()
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert len(sent_at) == 11
    assert all(gap == pytest.approx(0.2) for gap in gaps)
    assert sent_at[-1] - sent_at[0] == pytest.approx(2.0)


def test_the_bucket_refills_after_idle_time_up_to_its_burst() -> None:
    clock = VirtualClock()
    bucket = TokenBucket(2.0, burst=3, clock=clock.time, sleep=clock.sleep)
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.acquire() == pytest.approx(0.5)
    clock.sleep(100.0)  # idle: the bucket fills to its burst, no further
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.acquire() == pytest.approx(0.5)


def test_the_bucket_is_thread_safe() -> None:
    """100 threads reserving at one frozen instant get 100 distinct slots, 0.1 s apart."""
    bucket = TokenBucket(10.0, clock=lambda: 5.0, sleep=lambda _s: None)
    start = threading.Barrier(20)

    def reserve_five() -> list[float]:
        start.wait()
        return [bucket.reserve() for _ in range(5)]

    with ThreadPoolExecutor(20) as pool:
        waits = sorted(w for ws in pool.map(lambda _i: reserve_five(), range(20)) for w in ws)
    assert waits == pytest.approx([i / 10 for i in range(100)])


def test_no_rate_cap_by_default_means_no_sleep() -> None:
    caps = Caps(None, 2, sleep=lambda _s: pytest.fail("slept without a rate cap"))
    assert caps.bucket is None
    with caps.slot(), caps.slot():
        pass


def test_caps_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        Caps(None, 0)
    with pytest.raises(ValueError):
        TokenBucket(0)


class InFlight:
    """A transport that records how many requests it holds at once."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.current = self.peak = self.total = 0
        self.ids: list[int] = []
        self._cond = threading.Condition()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body: dict[str, Any] = json.loads(request.content)
        with self._cond:
            self.current += 1
            self.total += 1
            self.ids.append(int(body["id"]))
            self.peak = max(self.peak, self.current)
            self._cond.notify_all()
            # hold the request until ``target`` are in flight (or a short while), to let
            # an overshoot happen if the cap were broken
            self._cond.wait_for(lambda: self.current >= self.target + 1, timeout=0.05)
            self.current -= 1
        return ok(0)(request, body)


@pytest.mark.parametrize("parallelism", [1, 3])
def test_parallelism_caps_requests_in_flight_across_views(parallelism: int) -> None:
    recorder = InFlight(parallelism)
    with CallrClient.connect(Credentials("ops", "pw"), URL,
                             transport=httpx.MockTransport(recorder),
                             parallelism=parallelism) as api:
        views = [api, api.as_account("SUBHASH1"), api.as_account("SUBHASH2")]
        with ThreadPoolExecutor(12) as pool:
            list(pool.map(lambda i: views[i % 3].system_get_timestamp(), range(36)))
        assert api.call_count == 36
    assert recorder.total == 36
    assert recorder.peak == parallelism


def test_a_session_is_safe_from_many_threads(emulator: Emulator) -> None:
    script = Script(ok(7))
    with CallrClient.connect(Credentials("ops", "pw"), URL, transport=script.transport(),
                             parallelism=8) as api:
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(lambda _i: api.system_get_timestamp(), range(400)))
        assert api.call_count == 400
    assert results == [7] * 400
    assert sorted(b["id"] for b in script.bodies) == list(range(1, 401))  # unique ids


def test_concurrent_writes_against_the_emulator(client: CallrClient) -> None:
    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(lambda i: client.apps_create("ACTIONS10", f"app-{i:02d}", None),
                                range(40)))
    assert len({app["hash"] for app in created}) == 40
    names = sorted(app["name"] for app in client.apps_get_list(True))
    assert names == [f"app-{i:02d}" for i in range(40)]
    assert client.call_count == 41


def test_live_reader_makes_one_call_when_threads_ask_at_once() -> None:
    calls = 0
    lock = threading.Lock()

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        with lock:
            calls += 1
        time.sleep(0.05)
        if b"apps.search" in request.content:
            return ok({"hits": [{"hash": "B"}], "has_more": False})(request, {"id": 1})
        return ok([{"hash": "A"}])(request, {"id": 1})

    with CallrClient.connect(Credentials("ops", "pw"), URL,
                             transport=httpx.MockTransport(slow), parallelism=8) as api:
        reader = LiveReader(api)
        start = threading.Barrier(8)

        def read(_i: int) -> Any:
            start.wait()
            return reader.call("apps.get_list", with_numbers=True)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(read, range(8)))
        assert answers == [[{"hash": "A"}]] * 8
        assert calls == 1
        assert reader.search("apps.search") == reader.search("apps.search") == [{"hash": "B"}]
        assert calls == 2  # one search call, shared by the second ask


def test_live_reader_does_not_cache_a_failure() -> None:
    script = Script(rpc_error(151, "transient"), ok([]))
    with CallrClient.connect(Credentials("ops", "pw"), URL, transport=script.transport()) as api:
        reader = LiveReader(api)
        with pytest.raises(InvalidParamsError):
            reader.call("apps.get_list", with_numbers=True)
        assert reader.call("apps.get_list", with_numbers=True) == []
        assert reader.call("apps.get_list", with_numbers=True) == []
    assert len(script.bodies) == 2
