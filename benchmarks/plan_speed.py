"""Plan and apply speed on an emulated account with many apps.

Prints, for each size: the time and API calls of the first plan (all creates), of apply, and of
a no-change plan on the converged account, plus peak Python memory (tracemalloc) of the
no-change plan. The emulator runs in-process, so the figures measure the provisioner itself
plus the emulator's request handling, not network latency.

    python benchmarks/plan_speed.py [SIZES...]      # default: 50 200 500
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator
from provisioner.manifest.desired import load
from provisioner.planning.engine import apply_plan, build_plan


def manifest(apps: int) -> str:
    lines = ["version: 1", "apps:"]
    for i in range(apps):
        lines += [
            f"  line-{i:04d}:",
            "    package: CALLTRACKING10",
            "    params:",
            f'      targets: [{{number: "+3312345{i:04d}", timeout: 30}}]',
            "      options: {record_calls: true, locale: fr_FR}",
            "      vms: {active: true, timeout: 120, emails: [support@example.com]}",
        ]
    lines.append("numbers:")
    for n in range(1, 21):
        lines.append(f'  "+331990000{n:02d}": line-{n % apps:04d}')
    return "\n".join(lines) + "\n"


def measure(apps: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(manifest(apps), encoding="utf-8")
        emulator = Emulator(None)
        client = CallrClient.connect(Credentials("sandbox", "sandbox"),
                                     "http://bench/json-rpc/v1.1/",
                                     transport=emulator.transport())
        desired = load([path])
        start, calls = time.perf_counter(), client.call_count
        plan = build_plan(desired, client, "bench")
        first = (time.perf_counter() - start, client.call_count - calls)
        start, calls = time.perf_counter(), client.call_count
        report = apply_plan(plan, client)
        applied = (time.perf_counter() - start, client.call_count - calls)
        assert report.ok
        start, calls = time.perf_counter(), client.call_count
        loaded = load([path])
        load_time = time.perf_counter() - start
        again = build_plan(loaded, client, "bench")
        steady = (time.perf_counter() - start, client.call_count - calls)
        assert again.is_empty
        # Memory is measured in a second run: tracemalloc slows everything down several times.
        tracemalloc.start()
        build_plan(load([path]), client, "bench")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{apps:5d} apps | first plan {first[0]*1000:7.0f} ms {first[1]:3d} calls | "
              f"apply {applied[0]*1000:7.0f} ms {applied[1]:4d} calls | "
              f"no-change plan {steady[0]*1000:5.0f} ms (YAML load {load_time*1000:4.0f} ms) "
              f"{steady[1]:2d} calls, peak {peak / 2**20:5.1f} MiB")


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [50, 200, 500]:
        measure(size)
