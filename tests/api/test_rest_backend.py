"""The REST v2 backend against the emulator in-process: auth, errors, backoff, refusals."""

from __future__ import annotations

import pytest

from provisioner.api.client import CallrClient
from provisioner.api.rest import RestClient, UnsupportedOperation
from provisioner.api.rest.choice import choose_api
from provisioner.api.rest.session import DEFAULT_REST_ENDPOINT, is_rest_endpoint
from provisioner.api.rpc import DEFAULT_ENDPOINT, Credentials, RetryPolicy
from provisioner.emulator import Emulator, FaultProfile
from provisioner.errors import (
    AuthError,
    ConfigError,
    InvalidParamsError,
    NotFoundError,
    RateLimited,
)

REST = "http://emulator.test/v2.0"
SCRIPT = "branches:\n  inbound-call:\n    actions:\n      - action: hangup@v1\n"


class Clock:
    """The emulator's clock, advanced by the client's sleeps (backoff without waiting)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def rest(emu: Emulator, key: str = "sandbox", **options: object) -> RestClient:
    return RestClient.open_rest(Credentials(api_key=key), REST, transport=emu.transport(),
                                **options)  # type: ignore[arg-type]


def create(client: CallrClient, name: str) -> dict[str, object]:
    app: dict[str, object] = client.call("apps.create", package="ACTIONS10", name=name,
                                         params={"format": "YAML", "script": SCRIPT})
    return app


def test_operations_round_trip(emulator: Emulator, client: CallrClient) -> None:
    api = rest(emulator)
    app = create(api, "desk")
    assert app["hash"] == str(app["hash"]).lower()
    assert api.call("apps.assign_did", app_hash=app["hash"], did_hash="+33199000001") is True
    listed = api.call("apps.get_list", with_numbers=True)
    assert [(a["name"], [d["hash"] for d in a["did"]]) for a in listed] == [
        ("desk", ["+33199000001"])]
    assert len(api.call("apps.get_dids", only_available=True)) == 19
    assert api.call("did.get", hash="+33199000001")["app"] == app["hash"]
    api.call("apps.remove_did", did_hash="+33199000001")
    assert api.call("did.get", hash="+33199000001")["app"] is None
    # the JSON-RPC view of the same account: same app, upper-case hash
    assert [a["hash"] for a in client.call("apps.get_list", with_numbers=False)] == [
        str(app["hash"]).upper()]


def test_paging_reads_every_scenario(emulator: Emulator) -> None:
    api = rest(emulator)
    for i in range(105):
        create(api, f"s{i:03d}")
    before = api.call_count
    names = [a["name"] for a in api.call("apps.get_list", with_numbers=False)]
    assert sorted(names) == [f"s{i:03d}" for i in range(105)]
    assert api.call_count - before == 2  # limit=100, then the rest (hasMore false)


def test_errors_map_onto_the_exception_tree(emulator: Emulator) -> None:
    api = rest(emulator)
    with pytest.raises(NotFoundError) as missing:
        api.call("apps.get", hash="zzzzzzzz")
    assert missing.value.code == 404 and "not-found" in str(missing.value)
    with pytest.raises(InvalidParamsError):
        api.call("apps.create", package="ACTIONS10", name="x" * 65,
                 params={"script": SCRIPT})
    with pytest.raises(AuthError) as refused:
        rest(emulator, key="wrong").call("system.get_timestamp")
    assert "wrong" not in str(refused.value)


def test_an_error_echoing_the_api_key_is_masked() -> None:
    key = "k3y-0f-the-rest-test"
    Credentials(api_key=key).remember()  # as a session on a real endpoint does
    emu = Emulator(None, api_keys={key}, media_delay=0.0, job_delay=0.0)
    emu.faults.fail("apps.create", code=151, message=f"bad request from {key}")
    with pytest.raises(InvalidParamsError) as refused:
        create(rest(emu, key=key), "desk")
    assert key not in str(refused.value) and "bad request from" in str(refused.value)


def test_unsupported_operation_is_refused_before_sending(emulator: Emulator) -> None:
    api = rest(emulator)
    with pytest.raises(UnsupportedOperation, match=r"webhooks\.get_list"):
        api.call("webhooks.get_list")
    assert api.call_count == 0
    with pytest.raises(ValueError, match="CALLTRACKING10"):
        api.call("apps.create", package="CALLTRACKING10", name="x", params=None)
    assert emulator.stats()["total"] == 0


def test_rest_needs_an_api_key(emulator: Emulator) -> None:
    with pytest.raises(ConfigError, match="CALLR_API_KEY"):
        RestClient.open_rest(Credentials("login", "password"), REST,
                             transport=emulator.transport())


def test_subaccount_acts_through_basic_auth(emulator: Emulator, client: CallrClient) -> None:
    props = {"account": {"company": "ACME", "firstname": "Ada", "lastname": "L"},
             "contact": {"emails": ["ada@acme.example"], "phones": ["+33612345678"]},
             "params": {"billing": {"emails": ["b@acme.example"]},
                        "default": {"locale": "en_GB", "timezone": "Europe/London"}}}
    sub = client.call("account/sub.create", properties=props, options=None)["hash"]
    create(rest(emulator).as_account(sub), "sub desk")
    inside = client.as_account(sub).call("apps.get_list", with_numbers=False)
    assert [a["name"] for a in inside] == ["sub desk"]
    assert client.call("apps.get_list", with_numbers=False) == []


def test_429_backs_off_honouring_retry_after() -> None:
    clock = Clock()
    emu = Emulator(None, clock=clock, fault_profile=FaultProfile(rate_limit=1))
    # Virtual time for the client too: a 429 rate-caps the session, which then paces by it.
    api = rest(emu, sleep=clock.sleep, clock=clock, retry=RetryPolicy(attempts=3))
    for _ in range(3):
        api.call("system.get_timestamp")
    assert clock.slept.count(1.0) == 2  # Retry-After: 1, twice
    assert emu.stats()["faults"]["rate_limited"] == 2
    stuck = rest(Emulator(None, fault_profile=FaultProfile(rate_limit=1)),
                 sleep=lambda _: None, retry=RetryPolicy(attempts=2))
    stuck.call("system.get_timestamp")
    with pytest.raises(RateLimited):
        stuck.call("system.get_timestamp")


@pytest.mark.parametrize(("api", "endpoint", "expected"), [
    (None, DEFAULT_ENDPOINT, ("jsonrpc", DEFAULT_ENDPOINT)),
    (None, "http://127.0.0.1:8080/v2.0", ("rest", "http://127.0.0.1:8080/v2.0")),
    (None, "http://127.0.0.1:8080/v2.0/", ("rest", "http://127.0.0.1:8080/v2.0/")),
    ("rest", DEFAULT_ENDPOINT, ("rest", DEFAULT_REST_ENDPOINT)),
    ("rest", "https://api.callr.com/v2.0", ("rest", "https://api.callr.com/v2.0")),
    ("jsonrpc", "http://127.0.0.1/json-rpc/v1.1/", ("jsonrpc", "http://127.0.0.1/json-rpc/v1.1/")),
])
def test_choose_api(api: str | None, endpoint: str, expected: tuple[str, str]) -> None:
    assert choose_api(api, endpoint) == expected


@pytest.mark.parametrize(("api", "endpoint"), [
    ("rest", "http://127.0.0.1:8080/json-rpc/v1.1/"),
    ("jsonrpc", "https://api.callr.com/v2.0"),
])
def test_choose_api_refuses_the_other_apis_endpoint(api: str, endpoint: str) -> None:
    with pytest.raises(ConfigError, match=api):
        choose_api(api, endpoint)


def test_rest_endpoint_detection() -> None:
    assert is_rest_endpoint("https://api.callr.com/v2.0")
    assert not is_rest_endpoint("https://api.callr.com/v2.0x")
    assert not is_rest_endpoint("not a url at all \x00")


def test_plain_http_refused_for_rest_as_for_json_rpc() -> None:
    with pytest.raises(ConfigError, match="plain http"):
        RestClient.open_rest(Credentials(api_key="k"), "http://api.example.com/v2.0")


def test_release_through_rest(emulator: Emulator, client: CallrClient) -> None:
    from provisioner.applying.release import find_dids, release

    api = rest(emulator)
    (did,) = find_dids(api, ["+33 1 99 00 00 07"])
    assert did.hash == "+33199000007"
    release(api, did)
    numbers = [d["intl_number"] for d in client.call("apps.get_dids", only_available=False)]
    assert len(numbers) == 19 and "+33199000007" not in numbers
