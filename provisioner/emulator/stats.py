"""Server-side request counters, served at ``GET /_emulator/stats``."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

FAULT_KINDS = ("fail", "drop", "rate_limited")


class Stats:
    """Counts JSON-RPC requests: all of them, per dispatched method, and per injected fault.

    ``total`` counts every request that reached the JSON-RPC endpoint; ``methods`` only those
    dispatched to a handler (parsed, authenticated, known method, not rejected by a fault);
    ``faults`` the injected ones: ``fail`` (random 503 or an injected error rule), ``drop`` (a
    lost response, random or by rule) and ``rate_limited`` (HTTP 429).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._methods: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()

    def request(self) -> None:
        with self._lock:
            self._total += 1

    def method(self, name: str) -> None:
        with self._lock:
            self._methods[name] += 1

    def fault(self, kind: str) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        with self._lock:
            self._faults[kind] += 1

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self._total,
                "methods": dict(sorted(self._methods.items())),
                "faults": {kind: self._faults[kind] for kind in FAULT_KINDS},
            }

    def reset(self) -> None:
        with self._lock:
            self._total = 0
            self._methods.clear()
            self._faults.clear()
