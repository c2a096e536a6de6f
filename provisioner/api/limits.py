"""Caps shared by every Login-As view of one session: a request rate and requests in flight.

``TokenBucket`` spaces requests to at most ``rate`` per second (``burst`` may go at once); it
reserves a slot under its lock and sleeps outside it, so threads queue fairly and the clock and
sleep are injectable (tests measure virtual time, not wall time). ``Caps`` pairs it with a
semaphore bounding how many requests are in flight at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

LIVE_DEFAULT_MAX_RPS = 10.0
"""Requests per second sent to the live API unless ``--max-rps`` says otherwise. CALLR does not
publish its limits; 10/s keeps a large plan quick while staying far from abusive."""

DEFAULT_PARALLELISM = 4
"""Requests in flight at once (and read workers) unless ``--parallelism`` says otherwise."""


class TokenBucket:
    """At most ``rate`` acquisitions per second on average, ``burst`` at once. Thread-safe."""

    def __init__(self, rate: float, burst: float = 1.0, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self.rate = rate
        self.burst = max(1.0, burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._last = clock()

    def reserve(self) -> float:
        """Take one token now (possibly on credit); the seconds to wait before using it."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._last)
            self._last = now
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate) - 1.0
            return -self._tokens / self.rate if self._tokens < 0 else 0.0

    def acquire(self) -> float:
        """Wait for a token; return how long this call waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


class Caps:
    """The rate cap (None: unlimited) and the in-flight cap of one session."""

    def __init__(self, max_rps: float | None = None, parallelism: int = DEFAULT_PARALLELISM,
                 *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if parallelism < 1:
            raise ValueError(f"parallelism must be at least 1, not {parallelism}")
        self.max_rps = max_rps if max_rps else None
        self.parallelism = parallelism
        self.bucket = TokenBucket(self.max_rps, clock=clock, sleep=sleep) if self.max_rps else None
        self._slots = threading.BoundedSemaphore(parallelism)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of ``parallelism`` slots, then wait for the rate cap, for one request."""
        with self._slots:
            if self.bucket is not None:
                self.bucket.acquire()
            yield
