"""Helpers shared by the tests that serve the emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from provisioner.emulator import Emulator, make_server

RPC_PATH = "/json-rpc/v1.1/"


@contextlib.contextmanager
def serving(emu: Emulator) -> Iterator[str]:
    """Serve ``emu`` on a free loopback port; yields ``http://127.0.0.1:PORT`` (no path)."""
    server = make_server(emu, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def root_logging_restored() -> Iterator[None]:
    """The CLI configures the root logger; put it back for the tests that follow."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)


def passwords_in(value: Any) -> set[str]:
    """Every non-empty string under a ``password`` key of the emulator's state."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "password" and isinstance(item, str) and item:
                found.add(item)
            found |= passwords_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= passwords_in(item)
    return found
