"""End to end: the official ``callr`` SDK against ``make_server`` on a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import callr
import pytest
from serving import RPC_PATH, serving

from provisioner.emulator import Emulator


@pytest.fixture
def api_url() -> Iterator[str]:
    with serving(Emulator()) as base:
        yield base + RPC_PATH


def test_official_sdk(api_url: str) -> None:
    api = callr.Api("sandbox", "sandbox")
    api.set_api_url(api_url)
    app = api.call(
        "apps.create", "REALTIME10", "x", {"url": "https://rt.example/callr", "data_format": "JSON"}
    )
    assert app["package"]["name"] == "REALTIME10"
    assert app["p"]["url"] == "https://rt.example/callr"
    assert api.call("apps.get", app["hash"])["name"] == "x"
    dids = api.call("apps.get_dids", True)
    assert api.call("apps.assign_did", app["hash"], dids[0]["hash"]) is True
    with pytest.raises(callr.CallrException) as unknown:
        api.call("apps.nope")
    assert unknown.value.code == -32601
    with pytest.raises(callr.CallrException) as invalid:
        api.call("apps.create", "REALTIME10", "y", {"url": "ftp://nope"})
    assert invalid.value.code == 151


def test_official_sdk_bad_credentials(api_url: str) -> None:
    api = callr.Api("sandbox", "wrong")
    api.set_api_url(api_url)
    with pytest.raises(callr.CallrException) as info:
        api.call("system.get_timestamp")
    assert info.value.code == 22


def test_lost_response_is_a_transport_error() -> None:
    emu = Emulator()
    with serving(emu) as base:
        api = callr.Api("sandbox", "sandbox")
        api.set_api_url(base + RPC_PATH.rstrip("/"))
        emu.faults.lose_response("media/library.create")
        with pytest.raises(callr.CallrException) as info:
            api.call("media/library.create", "lost")
        assert info.value.code == -1 and info.value.data["http_code"] == 502
        assert api.call("media/library.get", 1)["name"] == "lost"
