"""Plan and apply at account scale, over HTTP with injected latency (prints a table; no asserts).

    python benchmarks/account_scale.py [--scale 1.0] [--latency-ms 20] [--parallelism 4]

The account (``--scale 1``): 1,000 apps, 10,000 DIDs of which 8,000 are assigned (8 per app),
2,000 SIP subscribers, 200 webhooks, 500 TTS media, and 20 sub-accounts of 50 apps each. It is
built in-process with no latency (engine apply through ``Emulator.transport()``), then the same
emulator is served by ``make_server`` on 127.0.0.1 with ``latency_ms`` on every request, and
``provisioner`` runs as a subprocess against it (``--endpoint http://127.0.0.1:PORT/...``,
CALLR_LOGIN/CALLR_PASSWORD=sandbox). Scenarios:

1. plan with no changes;  2. plan with 1% of the objects changed;  3. apply of that 1%;
4. apply to an empty account of 1,000 apps and 1,000 DID assignments (another emulator);
plus, in the same run, a baseline that reads every managed object with its own ``get`` call at
parallelism 10 (the way Terraform refreshes each resource), on the same account as scenario 1.

For each: API calls (the emulator's stats) against the minimum the API allows (``minimum_*``
below), wall time against the ideal ``calls x latency / parallelism``, with the time between
the first request and the last answer (the API phase) shown apart from the process's whole
life (start-up and YAML parsing included), and the CPU time and peak RSS of the provisioner
process (``os.wait4`` rusage).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from provisioner.api.client import CallrClient
from provisioner.api.methods import SEARCH_PAGE_SIZE
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator, FaultProfile, make_server
from provisioner.manifest.desired import load
from provisioner.models.webhooks import DOCUMENTED_TYPES
from provisioner.planning.engine import apply_plan, build_plan

PATH = "/json-rpc/v1.1/"
BASELINE_PARALLELISM = 10
PLAIN = re.compile(r"[a-z_][a-z0-9_.-]*")
"""Keys written without quotes (numbers such as "+331..." and names with spaces are quoted)."""


@dataclass(frozen=True)
class Size:
    apps: int
    dids: int
    assigned: int
    subscribers: int
    webhooks: int
    media: int
    subaccounts: int
    sub_apps: int

    @classmethod
    def scaled(cls, scale: float) -> Size:
        def n(full: int) -> int:
            return max(1, round(full * scale))
        return cls(n(1000), n(10_000), n(8000), n(2000), n(200), n(500), n(20), 50)


# -- the manifest ---------------------------------------------------------------------------------

def manifest(size: Size, numbers: list[str], changed: bool) -> dict[str, Any]:
    """The account as one manifest; ``changed`` alters 1% of the objects of each kind."""
    def pick(i: int) -> bool:  # 1% of the objects of each kind (at least one)
        return changed and i % 100 == 0

    apps = {f"app-{i:04d}": _app(f"https://bot.example/{i}" + ("/v2" if pick(i)
                                                                else ""))
            for i in range(size.apps)}
    names = list(apps)
    assigned = {}
    for i, number in enumerate(numbers[:size.assigned]):
        owner = i // 8 % len(names)
        if pick(i):
            owner = (owner + 1) % len(names)  # reassigned to the next app
        assigned[number] = names[owner]
    subscribers = {f"user{i:05d}": {"cli": "BLOCKED", "codecs": ["PCMA", "OPUS"],
                                    "ring_timeout": 45 if pick(i) else 30}
                   for i in range(size.subscribers)}
    webhooks = [{"type": DOCUMENTED_TYPES[i % len(DOCUMENTED_TYPES)],
                 "endpoint": f"https://hooks.example/{i}",
                 "options": {"hmac_algo": "SHA256",
                             "hmac_secret": f"secret-{i}" + ("-b" if pick(i)
                                                             else "")}}
                for i in range(size.webhooks)]
    media = {f"prompt-{i:04d}": {"tts": {"text": f"Prompt number {i}.",
                                         "voice": "TTS_EN-GB_SERENA", "rate": 50},
                                 "category": "RINGTONE" if pick(i) else "WELCOME",
                                 "language": "en_GB"}
             for i in range(size.media)}
    subaccounts = {}
    for s in range(size.subaccounts):
        sub_apps = {f"line-{k:02d}": _app(f"https://sub{s}.example/{k}"
                                          + ("/v2" if changed and k == 0 and s % 2 == 0
                                             else ""))
                    for k in range(size.sub_apps)}
        subaccounts[f"Client {s:02d}"] = {
            "contact": {"emails": [f"ops{s}@client.example"]},
            "resources": {"apps": sub_apps},
        }
    return {"version": 1, "apps": apps, "numbers": assigned, "media": media,
            "sip": {"subscribers": subscribers}, "webhooks": webhooks,
            "subaccounts": subaccounts}


def _app(url: str) -> dict[str, Any]:
    return {"package": "REALTIME10", "params": {"url": url, "data_format": "JSON"}}


def write(body: dict[str, Any], path: Path) -> list[Path]:
    """The manifest as block-style YAML, as people write it (scalars in JSON syntax)."""
    path.write_text("\n".join(block(body)) + "\n", encoding="utf-8")
    return [path]


def block(value: Any, indent: str = "") -> Iterable[str]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            text = str(key)
            head = f"{indent}{text if PLAIN.fullmatch(text) else json.dumps(text)}:"
            if isinstance(item, dict | list) and item:
                yield head
                yield from block(item, indent + "  ")
            else:
                yield f"{head} {json.dumps(item)}"
    elif isinstance(value, list) and value:
        for item in value:
            lines = list(block(item, indent + "  "))
            yield f"{indent}- {lines[0].lstrip()}"
            yield from lines[1:]
    else:
        yield f"{indent}{json.dumps(value)}"


def changed_objects(size: Size) -> int:
    """The writes of the 1% change: one call per changed object (the API has no batch edit)."""
    per = [size.apps, size.assigned, size.subscribers, size.webhooks, size.media]
    return sum(len(range(0, n, 100)) for n in per) + math.ceil(size.subaccounts / 2)


# -- the minimum the API allows -------------------------------------------------------------------

def pages(count: int) -> int:
    return max(1, math.ceil(count / SEARCH_PAGE_SIZE))


def minimum_reads(size: Size) -> int:
    """A plan must read every kind the manifest manages, once: one call per ``get_list`` method
    (``apps.get_list(true)`` gives every app with its DIDs, so every assigned number too;
    ``apps.get_dids(true)`` is needed only for a number no app holds; ``media/library.get_list``,
    ``webhooks.get_list``) and ceil(n/100) pages per search (``account/sub.search``,
    ``sip/subscriber.search``: 100 is the emulator's page cap, methods.md documents none), in
    the master and, with Login-As, in each sub-account (``apps.get_list(true)``)."""
    master = pages(size.subaccounts) + 1 + 1 + pages(size.subscribers) + 1
    return master + size.subaccounts


# -- running the provisioner ----------------------------------------------------------------------

@dataclass
class Run:
    name: str
    calls: int
    minimum: int
    wall: float
    api_wall: float
    cpu: float
    rss_mb: float
    code: int
    methods: dict[str, int]
    busy: float = 0.0
    """Seconds the emulator spent on the requests, summed (latency included)."""


class Clock:
    """WSGI middleware: when the first request of a run arrived, when the last answer left,
    and the time spent serving requests, summed."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.first = self.last = self.busy = 0.0

    def reset(self) -> None:
        self.first = self.last = self.busy = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start = time.monotonic()
        with self.lock:
            if not self.first:
                self.first = start
        try:
            return list(self.app(environ, start_response))
        finally:
            with self.lock:
                self.last = time.monotonic()
                self.busy += self.last - start


def serve(emu: Emulator) -> tuple[str, Clock, Callable[[], None]]:
    server = make_server(emu)
    clock = Clock(emu.wsgi)
    server.set_app(clock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}{PATH}"

    def stop() -> None:
        server.shutdown()
        server.server_close()
    return url, clock, stop


def provisioner(name: str, args: list[str], url: str, emu: Emulator, clock: Clock,
                minimum: int, parallelism: int, cwd: Path) -> Run:
    """Run ``provisioner ARGS`` as a child process; its rusage comes from ``os.wait4``."""
    env = {**os.environ, "CALLR_LOGIN": "sandbox", "CALLR_PASSWORD": "sandbox"}
    env.pop("CALLR_API_KEY", None)
    command = [sys.executable, "-m", "provisioner", *args, "--endpoint", url,
               "--parallelism", str(parallelism)]
    emu.reset_stats()
    clock.reset()
    with open(cwd / f"{name}.out", "wb") as out:
        start = time.monotonic()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - start
        child.returncode = os.waitstatus_to_exitcode(status)
    stats = emu.stats()
    return Run(name, stats["total"], minimum, wall, clock.last - clock.first,
               usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode,
               stats["methods"], clock.busy)


# -- building the account -------------------------------------------------------------------------

def in_process(emu: Emulator) -> CallrClient:
    return CallrClient.connect(Credentials("sandbox", "sandbox"), "http://bench" + PATH,
                               transport=emu.transport(), parallelism=4)


def build(emu: Emulator, paths: list[Path]) -> None:
    client = in_process(emu)
    report = apply_plan(build_plan(load(paths), client, "build"), client)
    if not report.ok:
        failed = [f"{s.change.address}: {s.error or s.reason}" for s in report.steps
                  if s.error or s.reason]
        raise SystemExit("building the account failed:\n" + "\n".join(failed))
    if not build_plan(load(paths), client, "check").is_empty:
        raise SystemExit("the built account does not converge")


# -- the per-object baseline ----------------------------------------------------------------------

def baseline_calls(emu: Emulator) -> list[tuple[str, dict[str, Any], str]]:
    """One ``get`` per managed object, ids taken in-process (what a state file would hold)."""
    client = in_process(emu)
    out: list[tuple[str, dict[str, Any], str]] = []
    subs = client.account_sub_search(None)
    out += [("account/sub.get", {"hash": s["hash"]}, "") for s in subs]
    for app in client.apps_get_list(True):
        out.append(("apps.get", {"hash": app["hash"]}, ""))
        out += [("did.get", {"hash": did["hash"]}, "") for did in app.get("did") or []]
    for sub in subs:
        inner = client.as_account(sub["hash"])
        out += [("apps.get", {"hash": a["hash"]}, sub["hash"]) for a in inner.apps_get_list(True)]
    out += [("sip/subscriber.search", {"filters": {"username": s["username"]},
                                       "options": {"quantity": 1}}, "")
            for s in client.sip_search("sip/subscriber")]
    out += [("webhooks.get", {"hash": w["hash"]}, "") for w in client.webhooks_get_list()]
    out += [("media/library.get", {"id": int(m["id"])}, "")
            for m in client.media_library_get_list().values()]
    return out


def baseline(url: str, emu: Emulator, clock: Clock, reads: list[tuple[str, dict[str, Any], str]],
             minimum: int) -> Run:
    from provisioner.api.methods import positional

    emu.reset_stats()
    clock.reset()
    limits = httpx.Limits(max_connections=BASELINE_PARALLELISM)
    with httpx.Client(auth=("sandbox", "sandbox"), limits=limits, timeout=60) as http:
        def get(item: tuple[str, dict[str, Any], str]) -> None:
            method, args, login_as = item
            headers = {"CALLR-Login-As": f"Account.hash {login_as}"} if login_as else {}
            body = {"jsonrpc": "2.0", "id": 1, "method": method,
                    "params": positional(method, args)}
            answer = http.post(url, json=body, headers=headers).json()
            if "error" in answer:
                raise RuntimeError(f"{method}: {answer['error']}")

        start = time.monotonic()
        with ThreadPoolExecutor(BASELINE_PARALLELISM) as pool:
            list(pool.map(get, reads))
        wall = time.monotonic() - start
    stats = emu.stats()
    # The client shares this process with the emulator: its CPU and RSS are not shown.
    return Run("baseline: one get per object, parallelism 10", stats["total"], minimum, wall,
               clock.last - clock.first, math.nan, math.nan, 0, stats["methods"], clock.busy)


# -- report ---------------------------------------------------------------------------------------

def table(runs: Iterable[Run], latency: float, parallelism: dict[str, int]) -> str:
    lines = ["| scenario | API calls | minimum | ratio | ideal wall | API-phase wall | x ideal "
             "| served / parallelism | process wall | x ideal | CPU | peak RSS |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        width = parallelism.get(run.name, 4)
        ideal = run.calls * latency / width
        cpu = "-" if math.isnan(run.cpu) else f"{run.cpu:.2f} s"
        rss = "-" if math.isnan(run.rss_mb) else f"{run.rss_mb:.0f} MB"
        lines.append(
            f"| {run.name} | {run.calls:,} | {run.minimum:,} | {run.calls / run.minimum:.2f} "
            f"| {ideal:.2f} s | {run.api_wall:.2f} s | {run.api_wall / ideal:.2f} "
            f"| {run.busy / width:.2f} s | {run.wall:.2f} s | {run.wall / ideal:.2f} | {cpu} "
            f"| {rss} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the full account (0.1 for a quick run)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, default=4)
    parser.add_argument("--skip-baseline", action="store_true")
    opts = parser.parse_args()
    size = Size.scaled(opts.scale)
    log(f"python {' '.join(sys.argv)}; {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    latency = opts.latency_ms / 1000
    par = opts.parallelism
    with tempfile.TemporaryDirectory(prefix="account-scale-") as tmp:
        work = Path(tmp)
        emu = Emulator(None, media_delay=0, job_delay=0)
        numbers = emu.provision_numbers(size.dids)
        same = write(manifest(size, numbers, changed=False), work / "account.yaml")
        changed = write(manifest(size, numbers, changed=True), work / "changed.yaml")
        started = time.monotonic()
        build(emu, same)
        log(f"built {size} in {time.monotonic() - started:.0f} s")
        reads = baseline_calls(emu)
        emu.faults.configure(FaultProfile(latency_ms=opts.latency_ms))
        url, clock, stop = serve(emu)
        minimum = minimum_reads(size)
        writes = changed_objects(size)
        runs = [provisioner("1. plan, no change", ["plan", *map(str, same)], url, emu, clock,
                            minimum, par, work)]
        if not opts.skip_baseline:
            runs.append(baseline(url, emu, clock, reads, minimum))
        runs.append(provisioner("2. plan, 1% changed", ["plan", *map(str, changed)], url, emu,
                                clock, minimum, par, work))
        runs.append(provisioner("3. apply of the 1%", ["apply", "--yes", "--quiet",
                                                       *map(str, changed)], url, emu, clock,
                                minimum + writes, par, work))
        stop()
        runs.append(empty_account(size, opts.latency_ms, par, work))
        for run in runs:
            log(f"{run.name}: exit {run.code}, {json.dumps(run.methods)}")
        print(table(runs, latency, {runs[1].name: BASELINE_PARALLELISM}
                    if not opts.skip_baseline else {}))


def empty_account(size: Size, latency_ms: float, par: int, work: Path) -> Run:
    """Scenario 4: 1,000 apps and 1,000 DID assignments applied to an empty account."""
    emu = Emulator(None, media_delay=0, job_delay=0,
                   fault_profile=FaultProfile(latency_ms=latency_ms))
    numbers = emu.provision_numbers(size.apps)
    body = {"version": 1, "apps": {f"app-{i:04d}": _app(f"https://new.example/{i}")
                                   for i in range(size.apps)},
            "numbers": {number: f"app-{i:04d}" for i, number in enumerate(numbers)}}
    paths = write(body, work / "empty.yaml")
    url, clock, stop = serve(emu)
    try:
        # apps.get_list(true) and apps.get_dids(true) (the numbers are on no app yet), then one
        # apps.create per app and one apps.assign_did per number.
        minimum = 2 + 2 * size.apps
        return provisioner("4. apply to an empty account", ["apply", "--yes", "--quiet",
                                                            "--force", *map(str, paths)],
                           url, emu, clock, minimum, par, work)
    finally:
        stop()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
