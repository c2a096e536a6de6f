"""Fault injection: deterministic per-method rules, and random faults drawn from a profile.

Rules (``fail``, ``lose_response``) are consumed call by call, for convergence tests. A
``FaultProfile`` (off by default) adds latency, random 503s, dropped responses and a rate limit to
every JSON-RPC request; its draws come from one ``random.Random(seed)`` guarded by a lock, so a
sequential client sees the same faults for the same seed.
"""

from __future__ import annotations

import collections
import math
import random
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class FaultProfile:
    """Random faults applied to every JSON-RPC request (all off by default).

    - ``latency_ms``: each response is delayed this long, without holding the state lock;
    - ``fail_rate``: probability of an HTTP 503 before the call runs (nothing executed);
    - ``drop_rate``: probability that the call runs and is persisted, then the response is lost
      (the connection closes without an answer);
    - ``rate_limit``: requests admitted per second; beyond, HTTP 429 with ``Retry-After``;
    - ``seed``: seed of the random draws (None: unpredictable).
    """

    latency_ms: float = 0.0
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    rate_limit: float | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        for name in ("fail_rate", "drop_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError("rate_limit must be > 0 requests per second")


@dataclass(frozen=True)
class Draw:
    """The random faults of one request: reject it (503 or 429), or drop its response."""

    status: int = 200
    retry_after: int = 0
    drop: bool = False


@dataclass
class _Rule:
    method: str
    kind: str  # "fail", "503" (HTTP 503, unexecuted), "lose" (502 page) or "drop" (closed)
    times: int
    skip: int
    code: int = 0
    message: str = ""


class Faults:
    """Rules consumed call by call: each rule skips ``skip`` calls, then fires ``times`` times."""

    def __init__(self, profile: FaultProfile | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._window: collections.deque[float] = collections.deque()
        self.profile = profile or FaultProfile()
        self._random = random.Random(self.profile.seed)

    def configure(self, profile: FaultProfile) -> None:
        """Replace the random-fault profile (and reseed its draws)."""
        with self._lock:
            self.profile = profile
            self._random = random.Random(profile.seed)
            self._window.clear()

    def fail(
        self,
        method: str,
        *,
        code: int = 151,
        message: str = "Injected fault",
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """The next ``times`` calls to ``method`` (after ``skip``) return this error, unexecuted."""
        with self._lock:
            self._rules.append(_Rule(method, "fail", times, skip, code, message))

    def unavailable(self, method: str, *, times: int = 1) -> None:
        """The next ``times`` calls to ``method`` answer HTTP 503 without running
        (``emulator serve --fail-method METHOD[:N]``)."""
        with self._lock:
            self._rules.append(_Rule(method, "503", times, 0))

    def lose_response(
        self, method: str, *, times: int = 1, skip: int = 0, drop: bool = False
    ) -> None:
        """The call runs and is persisted, then the HTTP response is a non-JSON 502 page; with
        ``drop=True`` the connection closes without any answer (a transport error client-side)."""
        with self._lock:
            self._rules.append(_Rule(method, "drop" if drop else "lose", times, skip))

    def lose_request(self, method: str, *, times: int = 1, skip: int = 0) -> None:
        """The call does NOT run, yet the client gets the same non-JSON 502 page as a lost
        response: it cannot tell whether the write happened."""
        with self._lock:
            self._rules.append(_Rule(method, "unrun", times, skip))

    def clear(self) -> None:
        """Remove every rule (the random profile stays)."""
        with self._lock:
            self._rules.clear()

    def take(self, method: str) -> tuple[tuple[int, str] | None, str]:
        """Consume one call of ``method``: (injected error or None, "" / "503" / "unrun" /
        "lose" / "drop"); "503" and "unrun" mean the call must not run."""
        error: tuple[int, str] | None = None
        lose = ""
        with self._lock:
            for rule in self._rules:
                if rule.method != method or rule.times <= 0:
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                rule.times -= 1
                if rule.kind == "fail" and error is None:
                    error = (rule.code, rule.message)
                elif rule.kind in ("503", "unrun"):
                    lose = rule.kind
                elif rule.kind != "fail":
                    lose = lose or rule.kind
            self._rules = [r for r in self._rules if r.times > 0]
        return error, "" if error is not None else lose

    def draw(self, now: float) -> Draw:
        """The random faults of one request arriving at ``now`` (seconds)."""
        profile = self.profile
        with self._lock:
            if profile.rate_limit is not None:
                window = self._window
                while window and window[0] <= now - 1.0:
                    window.popleft()
                if len(window) >= profile.rate_limit:
                    wait = max(1, math.ceil(window[0] + 1.0 - now))
                    return Draw(status=429, retry_after=wait)
                window.append(now)
            if profile.fail_rate and self._random.random() < profile.fail_rate:
                return Draw(status=503)
            drop = bool(profile.drop_rate) and self._random.random() < profile.drop_rate
        return Draw(drop=drop)
