"""The network rules of a session: which proxies it may use, how big and how slow an answer
may be.

- Proxies: a plain ``http://`` endpoint (a loopback emulator) never goes through a proxy from
  the environment (``HTTP_PROXY``, ``ALL_PROXY``): the proxy would read the ``Authorization``
  header in clear. An ``https://`` endpoint may (``HTTPS_PROXY``, ``NO_PROXY``): the proxy only
  relays the encrypted stream (CONNECT) and never sees the credentials.
- Size: an answer larger than ``max_response_bytes`` (64 MB unless configured; counted after
  decompression) is refused with ``ResponseTooLarge`` as soon as it is known to be too large,
  before it is held in memory.
- Time: one request, from sending it to the last byte of the answer, must finish within
  ``deadline`` seconds (``exchange``): a server that trickles a byte a second, in its headers or
  its body, is cut off at the deadline, not after each read.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from provisioner.errors import TransportError

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
DEFAULT_DEADLINE = 60.0
"""Seconds one request may take, from sending it to the last byte of its answer."""
READ_TIMEOUT = 30.0
"""Seconds each network operation (connect, one read) may wait, at most."""
DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
"""Headers that describe the raw body, not the decoded bytes a ``Reply`` holds."""


class ResponseTooLarge(TransportError):
    """The answer exceeds the size cap (never retried: it would be as large again)."""


class DeadlineExceeded(httpx.TimeoutException):
    """The answer did not arrive in whole within the deadline (handled like a read timeout)."""


@dataclass(frozen=True)
class NetworkLimits:
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    deadline: float = DEFAULT_DEADLINE

    def __post_init__(self) -> None:
        if self.max_response_bytes <= 0 or self.deadline <= 0:
            raise ValueError("the response size cap and the deadline must be positive")


def uses_env_proxy(endpoint: str) -> bool:
    """Whether requests to ``endpoint`` may go through a proxy from the environment."""
    return httpx.URL(endpoint).scheme == "https"


def http_client(endpoint: str, transport: httpx.BaseTransport | None, limits: NetworkLimits,
                pool: httpx.Limits) -> httpx.Client:
    """The httpx client of a session: environment proxies for https only, timeouts bounded by
    the deadline."""
    return httpx.Client(transport=transport, limits=pool,
                        timeout=httpx.Timeout(min(READ_TIMEOUT, limits.deadline)),
                        trust_env=uses_env_proxy(endpoint))


def exchange(http: httpx.Client, verb: str, url: str, limits: NetworkLimits, *,
             watched: bool = True, clock: Callable[[], float] = time.monotonic,
             **options: Any) -> httpx.Response:
    """Send a request (``options``: httpx's ``json``, ``params``, ``headers`` ...) and read the
    answer within ``limits``: a Response whose content is already read (decoded). Raises
    ResponseTooLarge, DeadlineExceeded or an httpx error.

    The request runs on a worker thread that the caller waits for ``limits.deadline`` at most,
    so no server, however slow its headers or body, holds the caller longer. A late worker is
    told to stop (it checks between parts of the body) and the socket it opened is shut down;
    on a reused connection stuck before its headers, it is left to its read timeout (a daemon
    thread: it never keeps the process alive). ``watched`` False (an in-process transport, such
    as the sandbox's emulator: no network to wait for): the request runs on the caller's thread,
    the deadline checked between parts of the body only."""
    request = _Request(http, verb, url, options, limits, clock)
    if not watched:
        request.run()
        return request.result()
    worker = threading.Thread(target=request.run, name="request", daemon=True)
    worker.start()
    worker.join(limits.deadline)
    if worker.is_alive():
        request.abandon()
        raise DeadlineExceeded(f"no complete answer within {limits.deadline:g}s")
    return request.result()


class _Request:
    """One request on a worker thread: its response or error, and the sockets it opened."""

    def __init__(self, http: httpx.Client, verb: str, url: str, options: dict[str, Any],
                 limits: NetworkLimits, clock: Callable[[], float]) -> None:
        self.http, self.verb, self.url, self.options = http, verb, url, options
        self.limits, self.clock = limits, clock
        self.give_up = clock() + limits.deadline
        self.abandoned = threading.Event()
        self.streams: list[Any] = []
        self.response: httpx.Response | None = None
        self.error: BaseException | None = None

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith((".connect_tcp.complete", ".start_tls.complete")):
            self.streams.append(info.get("return_value"))

    def abandon(self) -> None:
        self.abandoned.set()
        for stream in list(self.streams):
            sock: Any = stream.get_extra_info("socket") if stream is not None else None
            with contextlib.suppress(OSError, AttributeError):
                sock.shutdown(socket.SHUT_RDWR)

    def result(self) -> httpx.Response:
        if self.error is not None:
            raise self.error
        assert self.response is not None
        return self.response

    def run(self) -> None:
        try:
            self.response = self._read()
        except BaseException as exc:  # handed to the waiting thread, which raises it
            self.error = exc

    def _read(self) -> httpx.Response:
        limits = self.limits
        with self.http.stream(self.verb, self.url, **self.options,
                              extensions={"trace": self.trace}) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limits.max_response_bytes:
                raise too_large(self.url, limits, int(declared))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limits.max_response_bytes:
                    raise too_large(self.url, limits)
                if self.abandoned.is_set() or self.clock() > self.give_up:
                    raise DeadlineExceeded(
                        f"the answer did not arrive within {limits.deadline:g}s "
                        f"({size} bytes so far)", request=response.request)
                chunks.append(chunk)
            kept = [(k, v) for k, v in response.headers.multi_items()
                    if k.lower() not in DROPPED_HEADERS]
            return httpx.Response(response.status_code, headers=kept,
                                  content=b"".join(chunks), request=response.request)


def too_large(url: str, limits: NetworkLimits, declared: int | None = None) -> ResponseTooLarge:
    cap = limits.max_response_bytes
    size = f"{declared} bytes declared" if declared is not None else "more so far"
    return ResponseTooLarge(
        f"the answer from {url} is too large ({size}; the cap is {cap} bytes = "
        f"{cap / 2**20:g} MB): raise it with --max-response-mb if this account is that big"
    )
