"""Caps shared by every Login-As view of one session: a request rate and requests in flight.

``TokenBucket`` spaces requests to at most ``rate`` per second (``burst`` may go at once); it
reserves a slot under its lock and sleeps outside it, so threads queue fairly and the clock and
sleep are injectable (tests measure virtual time, not wall time). ``Caps`` pairs it with a
semaphore bounding how many requests are in flight at once.

CALLR documents no rate limit, so the cap adapts: each HTTP 429 halves the rate for the rest of
the run (``Caps.slow_down``), from the cap in force or, without one, from the rate observed over
the last requests; 429s answering one burst (within ``SLOW_DOWN_WINDOW``) count once. The rate
never drops below ``MIN_RPS`` and never rises again during the run.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

LIVE_DEFAULT_MAX_RPS = 10.0
"""Requests per second sent to the live API unless ``--max-rps`` says otherwise. CALLR does not
publish its limits; 10/s keeps a large plan quick while staying far from abusive."""

DEFAULT_PARALLELISM = 4
"""Requests in flight at once (and read workers) unless ``--parallelism`` says otherwise."""

MIN_RPS = 0.5
"""The floor of the adaptive rate: repeated 429s never slow the run below this."""

SLOW_DOWN_WINDOW = 1.0
"""Seconds after a slow-down during which further 429s (the same burst's) change nothing."""

OBSERVED_REQUESTS = 16
"""How many recent request times give the observed rate when no cap is in force."""


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

    def set_rate(self, rate: float) -> None:
        """Change the rate from now on (tokens earned so far keep the old rate)."""
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst,
                               self._tokens + max(0.0, now - self._last) * self.rate)
            self._last = now
            self.rate = rate

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
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._recent: deque[float] = deque(maxlen=OBSERVED_REQUESTS)
        self._slowed_at: float | None = None

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of ``parallelism`` slots, then wait for the rate cap, for one request."""
        with self._slots:
            bucket = self.bucket
            if bucket is not None:
                bucket.acquire()
            with self._lock:
                self._recent.append(self._clock())
            yield

    def slow_down(self) -> float | None:
        """Halve the request rate for the rest of the run (an HTTP 429 came back); the new
        rate, or None when this 429 belongs to a burst already slowed down for."""
        with self._lock:
            now = self._clock()
            if self._slowed_at is not None and now - self._slowed_at < SLOW_DOWN_WINDOW:
                return None
            self._slowed_at = now
            current = self.bucket.rate if self.bucket is not None else self._observed_rate()
            rate = max(MIN_RPS, current / 2)
            if self.bucket is None:
                self.bucket = TokenBucket(rate, clock=self._clock, sleep=self._sleep)
            else:
                self.bucket.set_rate(rate)
            self.max_rps = rate
            return rate

    def _observed_rate(self) -> float:
        """Requests per second over the recent requests (the live default when unknown)."""
        if len(self._recent) < 2 or self._recent[-1] <= self._recent[0]:
            return LIVE_DEFAULT_MAX_RPS
        return (len(self._recent) - 1) / (self._recent[-1] - self._recent[0])
