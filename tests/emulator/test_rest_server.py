"""The emulator's REST API v2, driven over real HTTP on 127.0.0.1 (``/v2.0/`` beside JSON-RPC).

Each test checks a documented behaviour of ``shared/callr-api/rest-v2.md`` (or an INFERRED one
the emulator adopts), and the shared state: what one protocol writes, the other reads.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving import RPC_PATH, serving

from provisioner.emulator import Emulator, FaultProfile

KEY = {"x-api-key": "sandbox"}
SCRIPT = "branches:\n  inbound-call:\n    actions:\n      - action: hangup@v1\n"


@pytest.fixture
def emu() -> Emulator:
    return Emulator(None, media_delay=0.0)


@pytest.fixture
def http(emu: Emulator) -> Iterator[httpx.Client]:
    with serving(emu) as base, httpx.Client(base_url=base + "/v2.0", timeout=10) as client:
        yield client


def rpc(http: httpx.Client, method: str, *params: Any, login_as: str = "") -> Any:
    headers = {"Authorization": "Api-Key sandbox"}
    if login_as:
        headers["CALLR-Login-As"] = f"Account.hash {login_as}"
    url = str(http.base_url).removesuffix("/v2.0/").removesuffix("/v2.0") + RPC_PATH
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    answer = httpx.post(url, json=body, headers=headers, timeout=10).json()
    assert "error" not in answer, answer
    return answer["result"]


def basic(user: str, key: str = "sandbox") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()}


def create(http: httpx.Client, name: str, script: str = SCRIPT, **headers: str) -> Any:
    response = http.post("/actions", json={"name": name, "script": script},
                         headers=headers or KEY)
    assert response.status_code == 201, response.text
    return response.json()


def test_ping_and_auth(http: httpx.Client, emu: Emulator) -> None:
    pong = http.get("/ping", headers=KEY)
    assert pong.status_code == 200
    assert pong.json()["pong"] == "pong"
    assert pong.json()["time"].endswith("Z")
    for headers in ({}, {"x-api-key": "wrong"}, basic("nobody"), basic("x", "wrong"),
                    {"Authorization": "Basic !!!"}):
        refused = http.get("/ping", headers=headers)
        assert refused.status_code == 401
        assert set(refused.json()) == {"code", "message"}
    master = emu.snapshot()["master"].lower()
    assert http.get("/ping", headers=basic(master)).status_code == 200


def test_scenario_lifecycle_and_constraints(http: httpx.Client) -> None:
    made = create(http, "Call Forwarding")
    assert made["sid"] == made["sid"].lower() and len(made["sid"]) == 8
    assert (made["format"], made["numbers"], made["version"]) == ("yaml", [], "1.0")
    assert made["created"] == made["updated"]
    sid = made["sid"]
    assert http.get(f"/actions/{sid}", headers=KEY).json()["name"] == "Call Forwarding"
    patched = http.patch(f"/actions/{sid}", json={"name": "Renamed"}, headers=KEY)
    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["script"]) == ("Renamed", SCRIPT)
    bad = [{"name": "x" * 65, "script": SCRIPT}, {"name": "", "script": SCRIPT},
           {"name": "ok", "script": ""}, {"name": "ok", "script": "a: 1\n" * 8000},
           {"name": "ok", "script": SCRIPT, "format": "json"}, {"script": SCRIPT},
           {"name": "ok", "script": "[unclosed"}, {"name": "ok", "script": SCRIPT, "x": 1},
           {"name": "ok", "script": "branches: {}\n"}]
    for body in bad:
        answer = http.post("/actions", json=body, headers=KEY)
        assert answer.status_code == 400, body
        assert set(answer.json()) == {"code", "message"}
    assert http.delete(f"/actions/{sid}", headers=KEY).status_code == 204
    gone = http.get(f"/actions/{sid}", headers=KEY)
    assert gone.status_code == 404 and gone.json()["code"] == "not-found"


def test_search_pages_with_has_more(http: httpx.Client) -> None:
    for i in range(5):
        create(http, f"scenario {i}")
    create(http, "other")
    first = http.get("/actions", params={"limit": 2, "name": "SCEN", "sort": "name",
                                         "order": "asc"}, headers=KEY).json()
    assert (first["offset"], first["total"], first["hasMore"]) == (0, 5, True)
    assert [hit["name"] for hit in first["hits"]] == ["scenario 0", "scenario 1"]
    last = http.get("/actions", params={"limit": 2, "offset": 4, "name": "scen"},
                    headers=KEY).json()
    assert (len(last["hits"]), last["hasMore"]) == (1, False)
    assert len(http.get("/actions", headers=KEY).json()["hits"]) == 6  # default limit 10
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"sort": "size"},
                   {"order": "up"}, {"name": "n" * 65}, {"limit": "ten"}):
        assert http.get("/actions", params=params, headers=KEY).status_code == 400, params


def test_same_state_as_json_rpc_both_ways(http: httpx.Client) -> None:
    app = rpc(http, "apps.create", "ACTIONS10", "from rpc", {"format": "YAML", "script": SCRIPT})
    seen = http.get(f"/actions/{app['hash'].lower()}", headers=KEY).json()
    assert (seen["name"], seen["script"]) == ("from rpc", SCRIPT)
    legacy = rpc(http, "apps.create", "REALTIME10", "legacy", None)
    assert http.get(f"/actions/{legacy['hash'].lower()}", headers=KEY).status_code == 404
    made = create(http, "from rest")
    names = {a["name"]: a for a in rpc(http, "apps.get_list", False)}
    assert names["from rest"]["hash"].lower() == made["sid"]
    assert names["from rest"]["package"]["name"] == "ACTIONS10"
    assert names["from rest"]["p"]["script"] == SCRIPT


def test_numbers_assign_unassign_every_documented_form(http: httpx.Client) -> None:
    sid = create(http, "desk")["sid"]
    assert http.put(f"/numbers/+33199000001/scenario/{sid}", headers=KEY).status_code == 204
    assert http.put(f"/actions/{sid}/numbers/%2B33199000002", headers=KEY).status_code == 204
    patched = http.patch("/numbers/+33199000003", json={"scenario": sid}, headers=KEY)
    assert patched.json()["scenario"] == sid
    numbers = [n["e164"] for n in http.get(f"/actions/{sid}", headers=KEY).json()["numbers"]]
    assert numbers == ["+33199000001", "+33199000002", "+33199000003"]
    page = http.get("/numbers", params={"limit": 3, "order": "asc"}, headers=KEY).json()
    assert (page["total"], page["hasMore"]) == (20, True)
    assert [n["scenario"] for n in page["hits"]] == [sid, sid, sid]
    assert http.delete(f"/numbers/+33199000001/scenario/{sid}", headers=KEY).status_code == 204
    assert http.delete(f"/actions/{sid}/numbers/+33199000002", headers=KEY).status_code == 204
    assert http.patch("/numbers/+33199000003", json={"scenario": None},
                      headers=KEY).json()["scenario"] is None
    assert http.get(f"/actions/{sid}", headers=KEY).json()["numbers"] == []
    assert http.put(f"/numbers/+33100000000/scenario/{sid}", headers=KEY).status_code == 404
    assert http.put("/numbers/+33199000001/scenario/zzzzzzzz", headers=KEY).status_code == 404
    # deleting a scenario frees its numbers (v1 freed a deleted app's DIDs)
    http.put(f"/numbers/+33199000004/scenario/{sid}", headers=KEY)
    http.delete(f"/actions/{sid}", headers=KEY)
    assert http.get("/numbers/+33199000004", headers=KEY).json()["scenario"] is None


def test_subaccount_through_basic_auth(http: httpx.Client) -> None:
    props = {"account": {"company": "ACME", "firstname": "Ada", "lastname": "L"},
             "contact": {"emails": ["ada@acme.example"], "phones": ["+33612345678"]},
             "params": {"billing": {"emails": ["b@acme.example"]},
                        "default": {"locale": "en_GB", "timezone": "Europe/London"}}}
    sub = rpc(http, "account/sub.create", props, None)["hash"]
    made = create(http, "sub desk", **basic(sub.lower()))
    assert [a["name"] for a in rpc(http, "apps.get_list", False, login_as=sub)] == ["sub desk"]
    assert http.get(f"/actions/{made['sid']}", headers=KEY).status_code == 404
    assert http.get("/actions", headers=basic(sub.upper())).status_code == 401


def test_audio_files_json_and_multipart(http: httpx.Client) -> None:
    empty = http.post("/audio-files", json={"name": "greeting"}, headers=KEY)
    assert empty.status_code == 201
    assert empty.json()["status"] == "pending-content"
    sid = empty.json()["sid"]
    wav = (b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00"
           b"@\x1f\x00\x00\x01\x00\x08\x00data\x00\x00\x00\x00")
    put = http.put(f"/audio-files/{sid}/file", files={"file": ("g.wav", wav, "audio/wav")},
                   headers=KEY)
    assert put.status_code == 200
    assert put.json()["status"] in ("pending-conversion", "processing", "ready")
    upload = http.post("/audio-files", files={"file": ("h.wav", wav, "audio/wav")},
                       data={"name": "hold"}, headers=KEY)
    assert upload.status_code == 201 and upload.json()["name"] == "hold"
    listed = http.get("/audio-files", params={"order": "asc"}, headers=KEY).json()
    assert [f["name"] for f in listed["hits"]] == ["greeting", "hold"]
    assert http.delete(f"/audio-files/{sid}", headers=KEY).status_code == 204
    assert http.get(f"/audio-files/{sid}", headers=KEY).status_code == 404


def test_number_store_reserve_buy_cancel(http: httpx.Client) -> None:
    order = http.post("/numbers/store", json={"area": "paris", "quantity": 2,
                                              "mode": "sequential"}, headers=KEY)
    assert order.status_code == 201
    bought = http.post(f"/numbers/store/{order.json()['token']}", headers=KEY).json()
    assert bought["numbers"] == [item["e164"] for item in order.json()["items"]]
    assert http.get(f"/numbers/{bought['numbers'][0]}", headers=KEY).status_code == 200
    other = http.post("/numbers/store", json={"prefix": "+334"}, headers=KEY).json()
    assert http.delete(f"/numbers/store/{other['token']}", headers=KEY).status_code == 204


def test_faults_apply_to_rest(http: httpx.Client, emu: Emulator) -> None:
    emu.faults.fail("apps.create", code=151, message="Injected fault")
    refused = http.post("/actions", json={"name": "x", "script": SCRIPT}, headers=KEY)
    assert refused.status_code == 400 and refused.json()["message"] == "Injected fault"
    emu.faults.lose_response("apps.create")
    lost = http.post("/actions", json={"name": "y", "script": SCRIPT}, headers=KEY)
    assert lost.status_code == 502
    assert [a["name"] for a in rpc(http, "apps.get_list", False)] == ["y"]  # it ran
    emu.faults.configure(FaultProfile(rate_limit=1))
    answers = [http.get("/ping", headers=KEY) for _ in range(3)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1
    assert emu.stats()["faults"]["rate_limited"] >= 1
    assert emu.stats()["methods"]["GET /ping"] >= 1


def test_unknown_route_and_verb(http: httpx.Client) -> None:
    assert http.get("/nothing", headers=KEY).status_code == 404
    wrong = http.put("/actions", headers=KEY)
    assert wrong.status_code == 405 and wrong.json()["code"] == "method-not-allowed"


def test_served_fault_flags_apply_to_rest() -> None:
    """``emulator serve --fail-rate 1``: every REST request is refused with 503 too."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "provisioner", "emulator", "serve", "--port", "0",
         "--fail-rate", "1", "--seed", "1"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        found = re.search(r"REST v2 at (http://127\.0\.0\.1:\d+/v2\.0)", proc.stdout.readline())
        assert found is not None
        answer = httpx.get(found.group(1) + "/ping", headers=KEY, timeout=10)
        assert answer.status_code == 503
        assert answer.json()["code"] == "unavailable"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_fail_method_applies_to_rest(http: httpx.Client, emu: Emulator) -> None:
    """``--fail-method apps.create``: POST /actions (which runs apps.create) answers 503."""
    create(http, "one")
    create(http, "two")
    emu.faults.unavailable("apps.create")
    refused = http.post("/actions", json={"name": "three", "script": SCRIPT}, headers=KEY)
    assert refused.status_code == 503
    names = [hit["name"] for hit in http.get("/actions", headers=KEY).json()["hits"]]
    assert sorted(names) == ["one", "two"]  # refused before it ran


def test_lose_request_applies_to_rest(http: httpx.Client, emu: Emulator) -> None:
    """``lose_request("apps.create")``: POST /actions answers 502 and the create did not run."""
    emu.faults.lose_request("apps.create")
    lost = http.post("/actions", json={"name": "never", "script": SCRIPT}, headers=KEY)
    assert lost.status_code == 502
    assert rpc(http, "apps.get_list", False) == []
