"""Per-request cost of the emulator with a large account (prints figures; no asserts).

    python benchmarks/emulator_overhead.py [--rounds N]

Builds in-process an account of 10,000 DIDs, 1,000 apps, 2,000 SIP subscribers, 500 media and
20 sub-accounts, serves it on 127.0.0.1 (make_server in a thread) and times reads and writes over
HTTP; then does the same writes against a state file and times the snapshot write (compaction).
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from provisioner.emulator import Emulator, make_server

URL = "/json-rpc/v1.1/"
_ids = itertools.count(1)

SCENARIO = "branches: {inbound-call: {actions: [action: hangup@v1]}}"


def rpc(client: httpx.Client, method: str, *params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": list(params)}
    data = client.post(URL, json=body).json()
    if "error" in data:
        raise RuntimeError(f"{method}: {data['error']}")
    return data["result"]


def build(emu: Emulator) -> None:
    """The large account, through the in-process transport (bulk DIDs without the API)."""
    emu.provision_numbers(10_000 - 20)
    with httpx.Client(transport=emu.transport(), base_url="http://e",
                      auth=("sandbox", "sandbox")) as client:
        for i in range(20):
            rpc(client, "account/sub.create",
                {"account": {"company": f"Sub {i}"}, "contact": {"emails": [f"s{i}@x.example"]}},
                None)
        for i in range(1_000):
            rpc(client, "apps.create", "REALTIME10", f"app-{i:04d}",
                {"url": f"https://bot.example/{i}", "login": "l", "password": "p"})
        for i in range(2_000):
            rpc(client, "sip/subscriber.create", {"username": f"user{i:04d}"}, None)
        for i in range(500):
            rpc(client, "media/library.create", f"media {i}")


def timed(rounds: int, call: Callable[[int], Any]) -> tuple[float, float]:
    """(median, p95) in milliseconds of ``rounds`` calls."""
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def measure(client: httpx.Client, rounds: int) -> dict[str, tuple[float, float]]:
    free = [d["hash"] for d in rpc(client, "apps.get_dids", True)]
    apps = [a["hash"] for a in rpc(client, "apps.get_list", False)]
    made: list[str] = []
    return {
        "system.get_timestamp (baseline)": timed(rounds, lambda i: rpc(
            client, "system.get_timestamp")),
        "apps.get": timed(rounds, lambda i: rpc(client, "apps.get", apps[i % len(apps)])),
        "did.search (page of 50)": timed(rounds, lambda i: rpc(
            client, "did.search", None, {"offset": 50 * i, "quantity": 50})),
        "sip/subscriber.search (page)": timed(rounds, lambda i: rpc(
            client, "sip/subscriber.search", None, {"offset": 50 * i})),
        "apps.get_list(false)": timed(max(5, rounds // 10), lambda i: rpc(
            client, "apps.get_list", False)),
        "apps.create": timed(rounds, lambda i: made.append(rpc(
            client, "apps.create", "ACTIONS10", f"bench {i}", {"script": SCENARIO})["hash"])),
        "apps.assign_did": timed(rounds, lambda i: rpc(
            client, "apps.assign_did", made[i], free[i])),
    }


def report(title: str, figures: dict[str, tuple[float, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'request':<34} {'median':>9} {'p95':>9}")
    for name, (median, p95) in figures.items():
        print(f"  {name:<34} {median:>7.2f}ms {p95:>7.2f}ms")


def over_http(emu: Emulator, rounds: int) -> dict[str, tuple[float, float]]:
    server = make_server(emu, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        with httpx.Client(base_url=base, auth=("sandbox", "sandbox")) as client:
            return measure(client, rounds)
    finally:
        server.shutdown()
        server.server_close()


def with_state_file(state: dict[str, Any], rounds: int, directory: Path) -> None:
    path = directory / "big.json"
    path.write_text(json.dumps(state))
    start = time.perf_counter()
    emu = Emulator(path)
    load_ms = (time.perf_counter() - start) * 1000
    figures = over_http(emu, rounds)
    report(f"Over HTTP, state file ({rounds} rounds)", figures)
    log = path.with_name(path.name + ".log")
    log_size = log.stat().st_size if log.exists() else 0
    with emu.store.request():
        start = time.perf_counter()
        emu.store.save()
        save_ms = (time.perf_counter() - start) * 1000
    snap = emu.snapshot()
    start = time.perf_counter()
    copy.deepcopy(snap)
    deepcopy_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    (directory / "old.json").write_text(json.dumps(snap, indent=1, sort_keys=True))
    old_write_ms = (time.perf_counter() - start) * 1000
    size_mb = path.stat().st_size / 1e6
    print(f"\n  state file: {size_mb:.1f} MB snapshot, log {log_size / 1e3:.1f} kB"
          f" after {2 * rounds} writes; load (snapshot + log) {load_ms:.0f} ms")
    print(f"  snapshot write (compaction, every ~snapshot/2 bytes of log): {save_ms:.0f} ms")
    print(f"  the old design paid per write: deepcopy {deepcopy_ms:.0f} ms"
          f" + indented JSON rewrite {old_write_ms:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    emu = Emulator()
    start = time.perf_counter()
    build(emu)
    state = emu.snapshot()
    master = state["accounts"][state["master"]]
    print(f"built in {time.perf_counter() - start:.1f}s: {len(master['dids'])} DIDs, "
          f"{len(master['apps'])} apps, {len(master['sip']['subscriber'])} SIP subscribers, "
          f"{len(master['media'])} media, {len(master['subs'])} sub-accounts")
    report(f"Over HTTP, in memory ({args.rounds} rounds)", over_http(emu, args.rounds))
    with tempfile.TemporaryDirectory() as tmp:
        with_state_file(state, args.rounds, Path(tmp))


if __name__ == "__main__":
    main()
