"""The cost of reading an account through REST v2 against JSON-RPC.

REST v2 pages its searches at 100 items and has no "apps with their numbers" call, so the same
read takes more requests. Prints, for each API, the requests and the time of reading every
scenario and every number of an account of SCENARIOS ACTIONS10 apps and NUMBERS DIDs. The
emulator runs in-process: the figures count requests and local work, not network latency.

    python benchmarks/rest_reads.py [SCENARIOS] [NUMBERS]     # default: 250 1000
"""

from __future__ import annotations

import sys
import time

from provisioner.api.client import CallrClient
from provisioner.api.rest import RestClient
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator

SCRIPT = "branches:\n  inbound-call:\n    actions:\n      - action: hangup@v1\n"


def main(scenarios: int, numbers: int) -> None:
    emu = Emulator(None)
    emu.provision_numbers(max(0, numbers - 20))  # the emulator starts with 20 numbers
    rpc = CallrClient.connect(Credentials("sandbox", "sandbox"), "http://e/json-rpc/v1.1/",
                              transport=emu.transport())
    rest = RestClient.open_rest(Credentials(api_key="sandbox"), "http://e/v2.0",
                                transport=emu.transport())
    for i in range(scenarios):
        rpc.call("apps.create", package="ACTIONS10", name=f"s{i:04d}",
                 params={"format": "YAML", "script": SCRIPT})
    print(f"{scenarios} scenarios, {numbers} numbers")
    print(f"{'API':<8} {'requests':>9} {'time':>9}")
    clients: tuple[tuple[str, CallrClient], ...] = (("jsonrpc", rpc), ("rest", rest))
    for name, client in clients:
        before, start = client.call_count, time.perf_counter()
        client.call("apps.get_list", with_numbers=True)
        client.call("apps.get_dids", only_available=True)
        elapsed = (time.perf_counter() - start) * 1000
        print(f"{name:<8} {client.call_count - before:>9} {elapsed:>7.0f} ms")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*(args + [250, 1000][len(args):]))
