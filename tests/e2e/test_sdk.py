"""The official ``callr`` SDK against the emulator served over HTTP."""

from __future__ import annotations

import time

import callr
import pytest

from .conftest import Served


def sdk(served: Served, login: str = "sandbox", password: str = "sandbox") -> callr.Api:
    api = callr.Api(login, password)
    api.set_api_url(served.url)
    return api


def test_apps_create_list_assign(served: Served) -> None:
    api = sdk(served)
    scenario = "branches: {inbound-call: {actions: [action: hangup@v1]}}"
    app = api.call("apps.create", "ACTIONS10", "sdk-app", {"format": "YAML", "script": scenario})
    assert app["package"]["name"] == "ACTIONS10" and app["name"] == "sdk-app"
    listed = api.call("apps.get_list", True)
    assert [(a["hash"], a["did"]) for a in listed] == [(app["hash"], [])]
    free = api.call("apps.get_dids", True)
    assert [d["intl_number"] for d in free] == [f"+331990000{i:02d}" for i in range(1, 21)]
    assert all(d["app"] is None for d in free)
    assert api.call("apps.assign_did", app["hash"], free[0]["hash"]) is True
    listed = api.call("apps.get_list", True)
    assert [d["hash"] for d in listed[0]["did"]] == [free[0]["hash"]]
    assert len(api.call("apps.get_dids", True)) == 19


def test_system_get_timestamp(served: Served) -> None:
    stamp = sdk(served).call("system.get_timestamp")
    assert isinstance(stamp, int)
    assert abs(stamp - time.time()) < 300


def test_bad_credentials_code_22(served: Served) -> None:
    with pytest.raises(callr.CallrException) as info:
        sdk(served, password="wrong").call("system.get_timestamp")
    assert info.value.code == 22


def test_unknown_method_code_32601(served: Served) -> None:
    with pytest.raises(callr.CallrException) as info:
        sdk(served).call("apps.does_not_exist")
    assert info.value.code == -32601


def test_sdk_sees_what_the_emulator_holds(served: Served) -> None:
    api = sdk(served)
    api.call("apps.create", "REALTIME10", "rt", {"url": "https://rt.example.com/x"})
    state = served.emulator.snapshot()
    names = [a["name"] for a in state["accounts"][state["master"]]["apps"].values()]
    assert names == ["rt"]
