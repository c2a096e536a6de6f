"""The network rules, each against a tiny misbehaving server on 127.0.0.1: no environment
proxy for plain http, a cap on the size of an answer, an overall deadline per request, and
paging that a lying server cannot run away with."""

from __future__ import annotations

import time
from typing import Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.api.paging import (
    MAX_SEARCH_HITS,
    MAX_SEARCH_PAGES,
    Page,
    UnexpectedAnswer,
    fan_out,
)
from provisioner.api.rpc import Credentials, RetryPolicy
from provisioner.api.transport import ResponseTooLarge
from provisioner.errors import TransportError
from provisioner.resources.base import LiveReader

from .misbehaving import (
    answer,
    endless,
    endless_pages,
    misbehaving,
    slow_headers,
    trickle,
    url,
)

CREDENTIALS = Credentials(api_key="k3y-never-in-clear")
ONCE = RetryPolicy(attempts=1)
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def connect(endpoint: str, **options: Any) -> CallrClient:
    return CallrClient.connect(CREDENTIALS, endpoint, retry=options.pop("retry", ONCE),
                               **options)


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def test_plain_http_never_goes_through_an_environment_proxy(
        no_proxy_env: pytest.MonkeyPatch) -> None:
    with misbehaving(answer(1234)) as proxy, misbehaving(answer(42)) as api:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
            no_proxy_env.setenv(name, f"http://127.0.0.1:{proxy.server_port}")
        with connect(url(api)) as client:
            assert client.call("system.get_timestamp") == 42
    assert proxy.seen.lines == []  # the proxy never saw the request, nor its Authorization
    assert api.seen.headers[0]["Authorization"] == f"Api-Key {CREDENTIALS.api_key}"


def test_https_may_use_an_environment_proxy_which_only_sees_a_tunnel(
        no_proxy_env: pytest.MonkeyPatch) -> None:
    with misbehaving(answer(1)) as proxy:  # refuses the tunnel (403)
        no_proxy_env.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.server_port}")
        with connect("https://api.callr.test/json-rpc/v1.1/") as client, \
                pytest.raises(TransportError):
            client.call("system.get_timestamp")
    assert proxy.seen.lines == ["CONNECT api.callr.test:443 HTTP/1.1"]
    assert "Authorization" not in proxy.seen.headers[0]
    assert CREDENTIALS.api_key not in repr(proxy.seen.headers)


def test_a_huge_answer_is_refused_without_being_read_whole() -> None:
    cap = 1024 * 1024
    with misbehaving(endless(limit=3 * 1024**3)) as api:
        with connect(url(api), max_response_bytes=cap) as client, \
                pytest.raises(ResponseTooLarge) as refused:
            client.call("apps.get_list", with_numbers=True)
        time.sleep(0.2)  # let the server notice the client has gone
    assert "apps.get_list" in str(refused.value)
    assert "too large" in str(refused.value)
    assert api.seen.sent < 64 * cap  # the server stopped long before its 3 GB
    assert len(api.seen.lines) == 1  # not retried: it would be as large again


def test_a_declared_huge_answer_is_refused_before_its_body() -> None:
    with misbehaving(endless(limit=2 * 65536, declared=3 * 1024**3)) as api, \
            connect(url(api), retry=RetryPolicy()) as client, \
            pytest.raises(ResponseTooLarge, match=r"3221225472 bytes declared; the cap is 6710"):
        client.call("apps.get_list", with_numbers=True)
    assert len(api.seen.lines) == 1


@pytest.mark.parametrize("where", ["body", "headers"])
def test_a_byte_a_second_is_cut_off_at_the_deadline(where: str) -> None:
    behave = trickle if where == "body" else slow_headers
    with misbehaving(behave(interval=1.0, length=60)) as api, \
            connect(url(api), timeout=2.5) as client:
        started = time.monotonic()
        with pytest.raises(TransportError, match=r"apps\.get_list: .*within 2\.5s"):
            client.call("apps.get_list", with_numbers=True)
        elapsed = time.monotonic() - started
    assert 2.0 < elapsed < 5.0  # not 60 s, nor 2.5 s per byte


def test_paging_ignores_an_absurd_total_and_stops_at_the_bound() -> None:
    with misbehaving(endless_pages(total=10**9)) as api:
        with connect(url(api), parallelism=1) as client, \
                pytest.raises(UnexpectedAnswer, match=r"did\.search: still more after"):
            client.search_all("did.search")
        sequential = len(api.seen.lines)
        with connect(url(api), parallelism=4) as client, \
                pytest.raises(UnexpectedAnswer, match=r"did\.search: still more after"):
            LiveReader(client).search("did.search")
    assert sequential == MAX_SEARCH_PAGES + 1
    assert len(api.seen.lines) == 2 * (MAX_SEARCH_PAGES + 1)
    offsets = [body["params"][1]["offset"] for body in api.seen.bodies]
    assert max(offsets) == MAX_SEARCH_PAGES  # one hit a page: driven by the hits received


def test_pages_read_at_once_never_exceed_the_bound() -> None:
    full = Page([{"hash": str(i)} for i in range(100)], has_more=True, total=10**9)
    offsets = fan_out(full, 100)
    assert len(offsets) == MAX_SEARCH_HITS // 100 - 1
    assert fan_out(Page(full.hits[:1], has_more=True, total=10**9), 100) == []  # short page
    assert fan_out(Page(full.hits, has_more=False, total=10**9), 100) == []
    assert fan_out(Page(full.hits, has_more=True, total=250), 100) == [100, 200]


@pytest.mark.parametrize(("result", "shown"), [
    (None, r"an unexpected result \(null; expected a list of objects\)"),
    ({"hits": []}, r"an unexpected result \(dict; expected a list of objects\)"),
    (["x"], r"an unexpected result \(list; expected a list of objects\)"),
])
def test_a_wrong_result_names_the_method(result: Any, shown: str) -> None:
    with misbehaving(answer(result)) as api, connect(url(api)) as client, \
            pytest.raises(UnexpectedAnswer, match=r"apps\.get_list: the API answered " + shown):
        client.call("apps.get_list", with_numbers=True)


@pytest.mark.parametrize(("page", "shown"), [
    (None, r"unexpected result \(null"),
    ({"hits": "x", "has_more": False}, r"unexpected hits \(str; expected hits as a list"),
    ({"hits": [1, 2], "has_more": False}, r"unexpected hits \(list"),
    ({"hits": [], "has_more": "yes"}, r"unexpected has_more \(str"),
])
def test_a_malformed_page_names_the_method(page: Any, shown: str) -> None:
    with misbehaving(answer(page)) as api, connect(url(api)) as client:
        with pytest.raises(UnexpectedAnswer, match=r"sip/subscriber\.search: .*" + shown):
            client.search_all("sip/subscriber.search")
        with pytest.raises(UnexpectedAnswer, match=r"sip/subscriber\.search: .*" + shown):
            LiveReader(client).search("sip/subscriber.search")
