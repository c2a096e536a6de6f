"""The client against the real API's unknowns: errors in non-200 answers, the page size, 429s."""

from __future__ import annotations

import itertools
import math
from typing import Any

import httpx
import pytest

from provisioner.api.client import CallrClient
from provisioner.api.limits import MIN_RPS, SLOW_DOWN_WINDOW, Caps
from provisioner.api.methods import SEARCH_PAGE_SIZES
from provisioner.api.rpc import Credentials, RetryPolicy
from provisioner.emulator import Emulator
from provisioner.errors import (
    AmbiguousWriteError,
    AuthError,
    InvalidParamsError,
    RateLimited,
    RpcError,
)
from provisioner.resources.base import LiveReader

from .scripted import Script, Step, VirtualClock, ok, status

URL = "https://api.test/json-rpc/v1.1/"


def error_with_status(code: int, rpc_code: int, message: str) -> Step:
    def step(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        error = {"code": rpc_code, "message": message, "data": None}
        return httpx.Response(code, json={"jsonrpc": "2.0", "id": body["id"], "error": error})
    return step


def scripted(script: Script, clock: VirtualClock | None = None) -> CallrClient:
    clock = clock or VirtualClock()
    return CallrClient.connect(Credentials("ops", "pw"), URL, transport=script.transport(),
                               sleep=clock.sleep, clock=clock.time,
                               retry=RetryPolicy(attempts=3, base_delay=0.1))


# -- non-200 answers ---------------------------------------------------------------------------

@pytest.mark.parametrize("http_status", [401, 403])
def test_http_401_and_403_are_authentication_errors_with_the_body_s_code(
        http_status: int) -> None:
    script = Script(error_with_status(http_status, 22, "Authentication failed: bad key"))
    with scripted(script) as api, pytest.raises(AuthError) as refused:
        api.system_get_timestamp()
    assert refused.value.code == 22
    assert "bad key" in str(refused.value) and f"HTTP {http_status}" in str(refused.value)
    assert len(script.bodies) == 1  # never retried


def test_http_401_without_a_body_is_still_an_authentication_error() -> None:
    with scripted(Script(status(401))) as api, pytest.raises(AuthError, match="HTTP 401"):
        api.apps_get_list(True)


def test_a_json_rpc_error_inside_http_500_is_reported_with_its_code_not_as_ambiguous() -> None:
    script = Script(error_with_status(500, 151, "Invalid property value: name"))
    with scripted(script) as api, pytest.raises(RpcError) as refused:
        api.apps_create("ACTIONS10", "x", None)
    assert not isinstance(refused.value, AmbiguousWriteError)
    assert isinstance(refused.value, InvalidParamsError)
    assert refused.value.code == 151 and "Invalid property value: name" in str(refused.value)
    assert "HTTP 500" in str(refused.value)
    assert len(script.bodies) == 1


def test_a_500_without_json_rpc_body_stays_an_ambiguous_write() -> None:
    with scripted(Script(status(500))) as api, pytest.raises(AmbiguousWriteError):
        api.apps_create("ACTIONS10", "x", None)


def test_a_503_with_a_json_rpc_body_is_still_retried_and_names_the_error() -> None:
    script = Script(error_with_status(503, -32000, "maintenance"))
    with scripted(script) as api, pytest.raises(Exception, match="maintenance"):
        api.apps_get_list(True)
    assert len(script.bodies) == 3


def test_bad_credentials_on_the_http_auth_errors_variant_raise_auth_error() -> None:
    emu = Emulator(variants=["http-auth-errors"])
    with CallrClient.connect(Credentials("sandbox", "wrong"), "http://emulator/json-rpc/v1.1/",
                             transport=emu.transport()) as api, \
            pytest.raises(AuthError) as refused:
        api.system_get_timestamp()
    assert refused.value.code == 22 and "HTTP 401" in str(refused.value)


# -- page size ---------------------------------------------------------------------------------

def emulator_client(emu: Emulator, parallelism: int = 1) -> CallrClient:
    return CallrClient.connect(Credentials("sandbox", "sandbox"),
                               "http://emulator/json-rpc/v1.1/", transport=emu.transport(),
                               parallelism=parallelism)


def test_a_refused_page_size_falls_back_to_50_and_is_remembered() -> None:
    emu = Emulator(variants=["small-pages"])
    numbers = emu.provision_numbers(120)
    with emulator_client(emu) as api:
        hits = api.did_search()
        assert set(numbers) <= {hit["intl_number"] for hit in hits}
        assert len(hits) == len({hit["hash"] for hit in hits})
        pages = math.ceil(len(hits) / 50)
        assert api.page_size == 50
        assert api.call_count == 1 + pages  # one refused page of 100, then pages of 50
        assert len(api.as_account(None).did_search()) == len(hits)
        assert api.call_count == 1 + 2 * pages  # every view asks 50 straight away


def test_the_page_size_stays_100_where_the_api_takes_it() -> None:
    emu = Emulator()
    emu.provision_numbers(120)
    with emulator_client(emu) as api:
        hits = api.did_search()
        assert api.page_size == SEARCH_PAGE_SIZES[0] == 100
        assert api.call_count == math.ceil(len(hits) / 100) > 1


@pytest.mark.parametrize("parallelism", [1, 4])
def test_the_live_reader_reads_every_hit_once_with_small_pages(parallelism: int) -> None:
    emu = Emulator(variants=["small-pages"])
    numbers = emu.provision_numbers(130)
    with emulator_client(emu, parallelism) as api:
        hits = LiveReader(api).search("did.search")
    found = [hit["intl_number"] for hit in hits]
    assert len(found) == len(set(found)) and set(numbers) <= set(found)
    assert api.page_size == 50


def page_refused_above(limit: int) -> Step:
    def step(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        quantity = body["params"][1]["quantity"]
        if quantity > limit:
            error = {"code": 151, "message": "Invalid property value: quantity", "data": None}
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "error": error})
        return ok({"hits": [{"hash": "A"}], "total": 1, "offset": 0,
                   "has_more": False})(request, body)
    return step


def test_the_fallback_goes_down_to_20_then_gives_up() -> None:
    script = Script(page_refused_above(20))
    with scripted(script) as api:
        assert api.search_all("apps.search") == [{"hash": "A"}]
        assert api.page_size == 20
    assert [b["params"][1]["quantity"] for b in script.bodies] == [100, 50, 20]
    refusing = Script(page_refused_above(0))
    with scripted(refusing) as api, pytest.raises(InvalidParamsError):
        api.search_all("apps.search")
    assert [b["params"][1]["quantity"] for b in refusing.bodies] == [100, 50, 20]


# -- adaptive rate -----------------------------------------------------------------------------

def test_a_429_halves_the_rate_cap_for_the_rest_of_the_run() -> None:
    clock = VirtualClock()
    sent_at: list[float] = []
    steps = iter([status(429, "1"), *[ok(0)] * 20])

    def answer(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.time())
        body = {"id": 1}
        return next(steps)(request, body)

    with CallrClient.connect(Credentials("ops", "pw"), URL, transport=httpx.MockTransport(answer),
                             max_rps=8, clock=clock.time, sleep=clock.sleep) as api:
        for _ in range(11):
            api.system_get_timestamp()
        assert api.max_rps == pytest.approx(4)
    gaps = [b - a for a, b in itertools.pairwise(sent_at[2:])]
    assert all(gap == pytest.approx(0.25) for gap in gaps)


def test_slow_down_counts_one_burst_once_and_keeps_a_floor() -> None:
    clock = VirtualClock()
    caps = Caps(10, 4, clock=clock.time, sleep=clock.sleep)
    assert caps.slow_down() == pytest.approx(5)
    assert caps.slow_down() is None  # the same burst's 429s
    assert caps.max_rps == pytest.approx(5)
    rates = []
    for _ in range(10):
        clock.sleep(SLOW_DOWN_WINDOW)
        rates.append(caps.slow_down())
    assert rates[0] == pytest.approx(2.5)
    assert min(r for r in rates if r is not None) == MIN_RPS
    assert caps.max_rps == MIN_RPS


def test_without_a_cap_a_429_caps_at_half_the_observed_rate() -> None:
    clock = VirtualClock()
    caps = Caps(None, 1, clock=clock.time, sleep=clock.sleep)
    for _ in range(9):
        with caps.slot():
            clock.sleep(0.05)  # 20 requests per second
    assert caps.slow_down() == pytest.approx(10)
    assert caps.bucket is not None and caps.bucket.rate == pytest.approx(10)


def test_a_429_that_persists_still_raises_rate_limited_after_slowing_down() -> None:
    script = Script(status(429, "0"))
    with scripted(script) as api:
        with pytest.raises(RateLimited):
            api.apps_get_list(True)
        assert api.max_rps is not None and api.max_rps < 10
