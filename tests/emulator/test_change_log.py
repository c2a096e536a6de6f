"""Snapshot + change log persistence: replay, compaction, sharing, torn lines, old files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from provisioner.emulator import Emulator

from .conftest import FakeClock, Rpc, client_for


def _log_mode(emu: Emulator) -> Emulator:
    """Force the log path even for a small state (normally used above 256 KiB)."""
    emu.store.small_bytes = 0
    return emu


def _busy_account(rpc: Rpc) -> None:
    """Writes that draw randomness (hashes, passwords, tokens) and touch every table."""
    app = rpc.call("apps.create", "REALTIME10", "bot", {"url": "https://b.example/x",
                                                       "login": "l", "password": "p"})
    did = rpc.call("apps.get_dids", True)[0]
    rpc.call("apps.assign_did", app["hash"], did["hash"])
    sub = rpc.call("account/sub.create",
                   {"account": {"company": "C"}, "contact": {"emails": ["a@b.example"]}}, None)
    rpc.as_sub(sub["hash"]).call("media/library.create", "inside")
    rpc.call("sip/subscriber.create", {"username": "alice"}, None)
    rpc.call("webhooks.subscribe", "sms.mo", "https://h.example/1", None)
    order = rpc.call("did/store.reserve", 1, "CLASSIC", 2, "RANDOM")
    rpc.call("did/store.buy_order", order["token"])
    rpc.call("account/sub.disable", sub["hash"])
    rpc.call("account/sub.archive", sub["hash"], None)


def test_replayed_log_rebuilds_the_same_state(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "emu.json"
    first = _log_mode(Emulator(path, clock=clock))
    with client_for(first) as client:
        _busy_account(Rpc(client))
    log_lines = (tmp_path / "emu.json.log").read_text().splitlines()
    assert len(log_lines) >= 5, "writes went to the log, not to a new snapshot"
    assert json.loads(path.read_text())["log_seq"] < first.snapshot()["log_seq"]
    second = Emulator(path, clock=clock)
    assert second.snapshot() == first.snapshot()


def test_log_is_compacted_into_a_snapshot(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "emu.json"
    emu = _log_mode(Emulator(path, clock=clock))
    log = tmp_path / "emu.json.log"
    sizes = []
    with client_for(emu) as client:
        rpc = Rpc(client)
        for i in range(120):
            rpc.call("media/library.create", f"media {i}")
            sizes.append(log.stat().st_size if log.exists() else 0)
    assert max(sizes) <= path.stat().st_size  # never much bigger than half a snapshot
    assert sizes.count(0) >= 2, "the log was compacted (emptied) at least twice"
    media = Emulator(path).snapshot()
    names = [m["name"] for m in media["accounts"][media["master"]]["media"].values()]
    assert names == [f"media {i}" for i in range(120)]


def test_small_state_file_is_always_complete(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "sandbox.json"
    emu = Emulator(path, clock=clock)
    with client_for(emu) as client:
        Rpc(client).call("apps.create", "REALTIME10", "direct", None)
    data = json.loads(path.read_text())
    assert [a["name"] for a in data["accounts"][data["master"]]["apps"].values()] == ["direct"]
    assert not (tmp_path / "sandbox.json.log").exists()


def test_instances_share_through_the_log(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "shared.json"
    left = _log_mode(Emulator(path, clock=clock))
    right = _log_mode(Emulator(path, clock=clock))
    with client_for(left) as lc, client_for(right) as rc:
        lrpc, rrpc = Rpc(lc), Rpc(rc)
        ids = [(lrpc if i % 2 else rrpc).call("media/library.create", f"m{i}") for i in range(60)]
        assert ids == list(range(1, 61))
        app = lrpc.call("apps.create", "ACTIONS10", "from left", None)
        assert rrpc.call("apps.get", app["hash"])["name"] == "from left"
    assert left.snapshot() == right.snapshot()


def test_torn_last_line_is_ignored(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "emu.json"
    emu = _log_mode(Emulator(path, clock=clock))
    with client_for(emu) as client:
        Rpc(client).call("media/library.create", "kept")
    with open(tmp_path / "emu.json.log", "ab") as handle:
        handle.write(b'{"seq": 99, "m": "media/libr')  # a crash mid-append
    again = _log_mode(Emulator(path, clock=clock))
    with client_for(again) as client:
        rpc = Rpc(client)
        assert rpc.call("media/library.create", "after") == 2
        assert sorted(rpc.call("media/library.get_list", None)) == ["1", "2"]
    assert Emulator(path).snapshot() == again.snapshot()


def test_state_file_without_log_seq_still_loads(tmp_path: Path) -> None:
    """A state file written before the change log (indented, no ``log_seq``)."""
    path = tmp_path / "old.json"
    state = Emulator().snapshot()
    del state["log_seq"]
    path.write_text(json.dumps(state, indent=1, sort_keys=True))
    emu = Emulator(path)
    with client_for(emu) as client:
        Rpc(client).call("apps.create", "REALTIME10", "new", None)
    loaded = Emulator(path).snapshot()
    assert loaded["log_seq"] == 1
    assert loaded["master"] == state["master"]


WORKER = """
import sys, httpx
from pathlib import Path
from provisioner.emulator import Emulator
emu = Emulator(Path(sys.argv[1]))
emu.store.small_bytes = 0
with httpx.Client(transport=emu.transport(), base_url="http://e", auth=("sandbox", "sandbox")) as c:
    for i in range(25):
        body = {"jsonrpc": "2.0", "id": i, "method": "media/library.create", "params": ["m"]}
        assert "result" in c.post("/json-rpc/v1.1/", json=body).json()
        body = {"jsonrpc": "2.0", "id": i, "method": "media/library.get_list", "params": [None]}
        assert "result" in c.post("/json-rpc/v1.1/", json=body).json()
"""


def test_processes_share_the_log(tmp_path: Path) -> None:
    path = tmp_path / "multi.json"
    Emulator(path).provision_numbers(1500)  # a state big enough to use the log by size too
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(path)], cwd=root) for _ in range(3)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    state = Emulator(path).snapshot()
    media = state["accounts"][state["master"]]["media"]
    assert sorted(int(k) for k in media) == list(range(1, 76))
    assert len(state["accounts"][state["master"]]["dids"]) == 1520


def test_the_log_is_readable_by_its_owner_only(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "emu.json"
    emu = _log_mode(Emulator(path, clock=clock))
    with client_for(emu) as client:
        Rpc(client).call("webhooks.subscribe", "sms.mo", "https://h.example/1",
                         {"hmac_secret": "hmac-secret-1", "hmac_algo": "SHA256"})
    log = tmp_path / "emu.json.log"
    assert log.exists() and log.stat().st_mode & 0o077 == 0


def test_the_fifth_subaccount_does_not_get_store_numbers(clock: FakeClock) -> None:
    emu = Emulator(None, clock=clock)
    with client_for(emu) as client:
        rpc = Rpc(client)
        hashes = [rpc.call("account/sub.create",
                           {"account": {"company": f"C{i}"},
                            "contact": {"emails": ["a@b.example"]}}, None)["hash"]
                  for i in range(5)]
        numbers = [d["intl_number"] for d in rpc.as_sub(hashes[4]).call("apps.get_dids", True)]
    assert numbers and not any(n.startswith("+33199005") for n in numbers)
