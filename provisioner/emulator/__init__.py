"""An emulator of the CALLR JSON-RPC API (v1.1) for tests and ``--sandbox`` mode.

Public interface::

    emu = Emulator(state_path=None, *, logins=None, api_keys=None, media_delay=1.0,
                   job_delay=1.0, clock=time.time)
    emu.wsgi          # WSGI app serving POST /json-rpc/v1.1/
    emu.transport()   # httpx.WSGITransport for in-process clients
    emu.faults        # fail(...), lose_response(...), clear()
    emu.snapshot()    # deep copy of the whole state
    server = make_server(emu, host="127.0.0.1", port=0)
"""

from __future__ import annotations

from .app import Emulator, make_server
from .errors import ApiError

__all__ = ["ApiError", "Emulator", "make_server"]
