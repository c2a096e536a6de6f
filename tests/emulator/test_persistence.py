"""State file persistence, sharing one file between instances, and thread safety."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from provisioner.emulator import Emulator

from .conftest import FakeClock, Rpc, client_for


def test_state_survives_restart(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "state" / "emu.json"
    first = Emulator(path, clock=clock)
    assert path.exists() and json.loads(path.read_text())["version"] == 1
    with client_for(first) as client:
        rpc = Rpc(client)
        app = rpc.call("apps.create", "REALTIME10", "persisted", None)
        sub = rpc.call(
            "account/sub.create",
            {"account": {"company": "C"}, "contact": {"emails": ["a@b.example"]}},
            None,
        )
        rpc.as_sub(sub["hash"]).call("media/library.create", "inside")
    second = Emulator(path, clock=clock)
    with client_for(second) as client:
        rpc = Rpc(client)
        assert rpc.call("apps.get", app["hash"])["name"] == "persisted"
        assert len(rpc.call("apps.get_dids", False)) == 20
        assert list(rpc.as_sub(sub["hash"]).call("media/library.get_list", None)) == ["1"]
        assert rpc.call("media/library.create", "next") == 2  # counters persist
    assert first.snapshot() == second.snapshot()


def test_failed_call_does_not_change_state(tmp_path: Path, clock: FakeClock) -> None:
    emu = Emulator(tmp_path / "s.json", clock=clock)
    before = emu.snapshot()
    with client_for(emu) as client:
        rpc = Rpc(client)
        rpc.error("apps.create", "CALLTRACKING10", "bad", {"targets": [{"number": "x"}]})
        rpc.error("account/sub.create", {"account": {"company": "C"}, "contact": {}}, None)
    assert emu.snapshot() == before
    assert json.loads((tmp_path / "s.json").read_text()) == before


def test_two_instances_share_one_file(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "shared.json"
    left, right = Emulator(path, clock=clock), Emulator(path, clock=clock)
    with client_for(left) as lc, client_for(right) as rc:
        lrpc, rrpc = Rpc(lc), Rpc(rc)
        ids = []
        for i in range(10):
            ids.append((lrpc if i % 2 else rrpc).call("media/library.create", f"m{i}"))
        assert ids == list(range(1, 11))
        app = lrpc.call("apps.create", "ACTIONS10", "from left", None)
        assert rrpc.call("apps.get", app["hash"])["name"] == "from left"


def test_concurrent_threads_lose_no_update(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "c.json"
    emus = [Emulator(path, clock=clock), Emulator(path, clock=clock)]
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with client_for(emus[n % 2]) as client:
                rpc = Rpc(client)
                for i in range(8):
                    rpc.call("webhooks.subscribe", "sms.mo", f"https://h.example/{n}/{i}", None)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = Emulator(path, clock=clock)
    with client_for(final) as client:
        hooks = Rpc(client).call("webhooks.get_list")
    assert len(hooks) == 48
    assert len({h["hash"] for h in hooks}) == 48


def test_in_memory_concurrency(emu: Emulator) -> None:
    def worker() -> None:
        with client_for(emu) as client:
            for _ in range(10):
                Rpc(client).call("media/library.create", "x")

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    media = emu.snapshot()["accounts"][emu.snapshot()["master"]]["media"]
    assert sorted(int(k) for k in media) == list(range(1, 51))


WORKER = """
import sys, httpx
from pathlib import Path
from provisioner.emulator import Emulator
emu = Emulator(Path(sys.argv[1]))
with httpx.Client(transport=emu.transport(), base_url="http://e", auth=("sandbox", "sandbox")) as c:
    for i in range(15):
        body = {"jsonrpc": "2.0", "id": i, "method": "media/library.create", "params": ["m"]}
        assert "result" in c.post("/json-rpc/v1.1/", json=body).json()
"""


def test_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "multi.json"
    Emulator(path)  # create the file first
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(path)], cwd=root) for _ in range(3)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    state = Emulator(path).snapshot()
    media = state["accounts"][state["master"]]["media"]
    assert sorted(int(k) for k in media) == list(range(1, 46))
