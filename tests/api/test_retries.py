"""The retry matrix: what is retried, how long it waits, and what a write that may have run
raises. A scripted httpx transport plays the API; an injected sleep records the waits."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from provisioner.api.client import CallrClient
from provisioner.api.methods import METHODS
from provisioner.api.rpc import Credentials, RetryPolicy
from provisioner.emulator import Emulator
from provisioner.errors import (
    AmbiguousWriteError,
    InvalidParamsError,
    RateLimited,
    RpcError,
    TransportError,
)

from .scripted import Script, Step, fail, ok, raw, rpc_error, status

URL = "https://api.test/json-rpc/v1.1/"
Request = tuple[str, dict[str, Any]]
READ: Request = ("apps.get_list", {"with_numbers": True})
WRITE: Request = ("apps.create", {"package": "ACTIONS10", "name": "x", "params": None})


def client_on(script: Script, sleeps: list[float], attempts: int = 3) -> CallrClient:
    # Virtual time: the clock moves by what was slept (a 429 makes the session rate-capped).
    return CallrClient.connect(
        Credentials("ops", "pw"), URL, transport=script.transport(), sleep=sleeps.append,
        clock=lambda: 1000.0 + sum(sleeps),
        retry=RetryPolicy(attempts=attempts, base_delay=0.5, max_delay=4.0),
    )


def run(steps: list[Step], call: Request,
        attempts: int = 3) -> tuple[object, Script, list[float]]:
    """Call once through the script; the result (or the exception raised), the script, sleeps."""
    script, sleeps = Script(*steps), list[float]()
    with client_on(script, sleeps, attempts) as api:
        try:
            result: object = api.call(call[0], **call[1])
        except Exception as exc:  # returned for the matrix to inspect
            result = exc
    return result, script, sleeps


def test_the_table_marks_reads_and_writes() -> None:
    assert METHODS[READ[0]].read_only and not METHODS[WRITE[0]].read_only


RETRIED_FOR_BOTH = [
    pytest.param([status(503), ok([])], id="503"),
    pytest.param([status(429), ok([])], id="429"),
    pytest.param([fail(httpx.ConnectError), ok([])], id="connect-error"),
    pytest.param([fail(httpx.ConnectTimeout), ok([])], id="connect-timeout"),
]


@pytest.mark.parametrize("steps", RETRIED_FOR_BOTH)
@pytest.mark.parametrize("call", [READ, WRITE], ids=["read", "write"])
def test_a_request_that_certainly_did_not_run_is_retried(
        steps: list[Step], call: Request) -> None:
    result, script, sleeps = run(steps, call)
    assert result == []
    assert script.methods == [call[0], call[0]]
    assert len(sleeps) == 1 and 0.0 <= sleeps[0] <= 0.5  # full jitter under base * 2**0


SENT_BUT_UNANSWERED = [
    pytest.param([status(500), ok([])], id="500"),
    pytest.param([status(502), ok([])], id="502"),
    pytest.param([status(504), ok([])], id="504"),
    pytest.param([fail(httpx.ReadTimeout), ok([])], id="read-timeout"),
    pytest.param([fail(httpx.RemoteProtocolError), ok([])], id="lost-response"),
    pytest.param([fail(httpx.ReadError), ok([])], id="reset"),
    pytest.param([raw("<html>oops</html>"), ok([])], id="not-json"),
    pytest.param([raw('{"jsonrpc": "2.0", "id": 1}'), ok([])], id="no-result"),
]


@pytest.mark.parametrize("steps", SENT_BUT_UNANSWERED)
def test_a_read_is_retried_after_any_transport_fault(steps: list[Step]) -> None:
    result, script, sleeps = run(steps, READ)
    assert result == []
    assert len(script.bodies) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("steps", SENT_BUT_UNANSWERED)
def test_a_write_that_may_have_run_is_ambiguous_and_not_retried(steps: list[Step]) -> None:
    result, script, sleeps = run(steps, WRITE)
    assert isinstance(result, AmbiguousWriteError)
    assert "apps.create" in str(result) and "may or may not" in str(result)
    assert script.methods == ["apps.create"] and sleeps == []


def test_read_retries_are_bounded_and_end_in_a_transport_error() -> None:
    result, script, sleeps = run([status(502)], READ)
    assert type(result) is TransportError and "HTTP 502" in str(result)
    assert len(script.bodies) == 3 and len(sleeps) == 2


def test_backoff_grows_exponentially_with_full_jitter() -> None:
    class Top(random.Random):
        def random(self) -> float:
            return 0.999999

    policy = RetryPolicy(attempts=6, base_delay=0.5, max_delay=4.0)
    top = [round(policy.backoff(n, Top()), 3) for n in range(1, 6)]
    assert top == [0.5, 1.0, 2.0, 4.0, 4.0]  # the bound doubles, capped at max_delay


@given(attempt=st.integers(1, 20), seed=st.integers(0, 2**32))
def test_backoff_stays_within_its_bound(attempt: int, seed: int) -> None:
    policy = RetryPolicy(base_delay=0.25, max_delay=8.0)
    delay = policy.backoff(attempt, random.Random(seed))
    assert 0.0 <= delay <= min(8.0, 0.25 * 2 ** (attempt - 1))


@pytest.mark.parametrize("call", [READ, WRITE], ids=["read", "write"])
def test_retry_after_is_honoured(call: Request) -> None:
    result, script, sleeps = run([status(429, "2"), status(503, "1.5"), ok([])], call)
    assert result == [] and sleeps == [2.0, 1.5]
    assert len(script.bodies) == 3


@pytest.mark.parametrize("call", [READ, WRITE], ids=["read", "write"])
def test_rate_limited_after_the_last_attempt(call: Request) -> None:
    result, script, sleeps = run([status(429, "3")], call)
    assert isinstance(result, RateLimited) and result.retry_after == 3.0
    assert not isinstance(result, AmbiguousWriteError)
    assert len(script.bodies) == 3 and sleeps == [3.0, 3.0]


def test_a_retry_after_longer_than_allowed_fails_at_once() -> None:
    result, script, sleeps = run([status(429, "3600"), ok([])], READ)
    assert isinstance(result, RateLimited) and result.retry_after == 3600.0
    assert len(script.bodies) == 1 and sleeps == []


def test_a_503_without_retry_after_backs_off() -> None:
    result, _, sleeps = run([status(503), status(503), ok([])], READ)
    assert result == [] and len(sleeps) == 2
    assert 0.0 <= sleeps[0] <= 0.5 and 0.0 <= sleeps[1] <= 1.0


@pytest.mark.parametrize("call", [READ, WRITE], ids=["read", "write"])
def test_json_rpc_errors_are_never_retried(call: Request) -> None:
    result, script, sleeps = run([rpc_error(151, "bad"), ok([])], call)
    assert isinstance(result, InvalidParamsError)
    assert len(script.bodies) == 1 and sleeps == []


def test_an_http_client_error_is_not_retried() -> None:
    result, script, _ = run([status(404), ok([])], WRITE)
    assert type(result) is TransportError and "HTTP 404" in str(result)
    assert len(script.bodies) == 1


def test_one_attempt_means_no_retry() -> None:
    result, script, sleeps = run([status(503), ok([])], READ, attempts=1)
    assert type(result) is TransportError and len(script.bodies) == 1 and sleeps == []


def test_each_try_is_a_new_request_id_with_the_same_params() -> None:
    _, script, _ = run([status(503), fail(httpx.ConnectError), ok([])], WRITE)
    assert [b["id"] for b in script.bodies] == [1, 2, 3]
    assert {str(b["params"]) for b in script.bodies} == {"['ACTIONS10', 'x', None]"}


# -- against the emulator ----------------------------------------------------------------------


def test_a_lost_write_response_is_ambiguous_and_ran_once(client: CallrClient,
                                                         emulator: Emulator) -> None:
    emulator.faults.lose_response("apps.create")
    with pytest.raises(AmbiguousWriteError):
        client.apps_create("ACTIONS10", "once", None)
    assert client.call_count == 1
    assert [a["name"] for a in client.apps_get_list(True)] == ["once"]


def test_a_lost_read_response_is_retried(client: CallrClient, emulator: Emulator) -> None:
    client._session.sleep = lambda _delay: None
    client.apps_create("ACTIONS10", "a", None)
    emulator.faults.lose_response("apps.get_list", times=2)
    before = client.call_count
    assert [a["name"] for a in client.apps_get_list(True)] == ["a"]
    assert client.call_count - before == 3
    assert client._session.retried == 2


def test_an_injected_api_error_is_raised_without_retry(client: CallrClient,
                                                       emulator: Emulator) -> None:
    emulator.faults.fail("apps.get_list", code=151, message="nope")
    with pytest.raises(InvalidParamsError, match="nope"):
        client.apps_get_list(True)
    assert client.call_count == 1


@pytest.mark.parametrize("code", ["not-a-number", None])
def test_a_malformed_error_code_is_still_an_rpc_error(code: object) -> None:
    def step(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        error = {"code": code, "message": "odd"}
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "error": error})

    result, _, _ = run([step], READ)
    assert isinstance(result, RpcError) and result.code == 0 and "odd" in str(result)
