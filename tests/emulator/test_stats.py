"""Server-side request counters: GET /_emulator/stats, POST /_emulator/stats/reset."""

from __future__ import annotations

from provisioner.emulator import Emulator

from .conftest import Rpc, client_for

ZERO_FAULTS = {"fail": 0, "drop": 0, "rate_limited": 0}


def test_counts_dispatched_methods_and_faults(rpc: Rpc, emu: Emulator) -> None:
    rpc.call("apps.get_list", False)
    rpc.call("apps.get_list", True)
    rpc.call("apps.create", "REALTIME10", "a", None)
    rpc.error("apps.get", "NOSUCHAPP")  # dispatched, then a JSON-RPC error: still counted
    assert rpc.post(b"{not json").status_code == 200  # parse error: total only
    rpc.error("no.such_method")  # unknown method: total only
    emu.faults.fail("apps.create")
    rpc.error("apps.create", "REALTIME10", "b", None)  # fault-rejected: under faults only
    emu.faults.lose_response("apps.get_list")
    assert rpc.post({"jsonrpc": "2.0", "id": 5, "method": "apps.get_list",
                     "params": [False]}).status_code == 502
    assert emu.stats() == {
        "total": 8,
        "methods": {"apps.create": 1, "apps.get": 1, "apps.get_list": 3},
        "faults": {"fail": 1, "drop": 1, "rate_limited": 0},
    }


def test_bad_credentials_are_not_dispatched(emu: Emulator) -> None:
    with client_for(emu, auth=("sandbox", "wrong")) as client:
        Rpc(client).error("system.get_timestamp")
    assert emu.stats() == {"total": 1, "methods": {}, "faults": ZERO_FAULTS}


def test_stats_endpoints_and_reset(rpc: Rpc, emu: Emulator) -> None:
    rpc.call("system.get_timestamp")
    rpc.call("system.get_timestamp")
    got = rpc.client.get("/_emulator/stats")
    assert got.status_code == 200
    assert got.json() == {
        "total": 2,
        "methods": {"system.get_timestamp": 2},
        "faults": ZERO_FAULTS,
    }
    assert rpc.client.post("/_emulator/stats").status_code == 405
    assert rpc.client.get("/_emulator/stats/reset").status_code == 405
    reset = rpc.client.post("/_emulator/stats/reset")
    assert reset.status_code == 200
    assert reset.json() == {"total": 0, "methods": {}, "faults": ZERO_FAULTS}
    rpc.call("apps.get_list", False)
    assert emu.stats()["methods"] == {"apps.get_list": 1}
    emu.reset_stats()
    assert emu.stats() == {"total": 0, "methods": {}, "faults": ZERO_FAULTS}
