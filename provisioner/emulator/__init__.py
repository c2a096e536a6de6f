"""An emulator of the CALLR JSON-RPC API (v1.1) for tests and ``--sandbox`` mode.

Public interface::

    emu = Emulator(state_path=None, *, logins=None, api_keys=None, media_delay=1.0,
                   job_delay=1.0, clock=time.time, fault_profile=None, variants=())
    emu.set_variants(names)  # the API's other answers (variants.py) from the next request on
    emu.wsgi          # WSGI app serving POST /json-rpc/v1.1/, GET /_emulator/stats,
                      # POST /_emulator/stats/reset
    emu.transport()   # httpx transport for in-process clients (a dropped response raises
                      # httpx.RemoteProtocolError)
    emu.faults        # fail(...), unavailable(...), lose_response(...), lose_request(...),
                      # clear(), configure(FaultProfile(...))
    emu.stats()       # {"total": N, "methods": {...}, "faults": {...}}; emu.reset_stats()
    emu.snapshot()    # deep copy of the whole state
    emu.provision_numbers(count, account_hash=None)  # bulk DIDs for benchmarks and tests
    emu.add_app(package, name, *, has_did=True, account_hash=None)  # any package, unknown ones too
    server = make_server(emu, host="127.0.0.1", port=0)

``variants`` names alternatives of unconfirmed API behaviours to play (``variants.py``).
``FaultProfile(latency_ms, fail_rate, drop_rate, rate_limit, seed)`` adds random faults to every
request (see ``faults.py``); persistence is a snapshot plus a change log (see ``persist.py``).
"""

from __future__ import annotations

from .app import Emulator, make_server
from .errors import ApiError
from .faults import FaultProfile

__all__ = ["ApiError", "Emulator", "FaultProfile", "make_server"]
