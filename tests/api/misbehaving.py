"""A tiny misbehaving HTTP server on 127.0.0.1 for the network tests: each request gets what
``behave`` writes (a huge body, a trickle, absurd pages ...). It is bounded: it stops itself
after ``lifetime`` seconds, and every behaviour stops sending once the client is gone."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Behave = Callable[["Handler", dict[str, Any]], None]


@dataclass
class Seen:
    """What the server received: request lines, headers, JSON bodies; bytes it sent."""

    lines: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: paging tests make many requests
    disable_nagle_algorithm = True  # headers and body apart must not wait for a delayed ACK
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self, body: dict[str, Any]) -> None:
        with self.server.seen.lock:
            self.server.seen.lines.append(self.requestline)
            self.server.seen.headers.append(dict(self.headers.items()))
            self.server.seen.bodies.append(body)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        self._record(body)
        self.server.behave(self, body)

    def do_CONNECT(self) -> None:  # a proxy asked to open a tunnel
        self._record({})
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def write(self, data: bytes) -> bool:
        """Send ``data``; False once the client has gone."""
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            return False
        with self.server.seen.lock:
            self.server.seen.sent += len(data)
        return True

    def head(self, length: int | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json-rpc; charset=utf-8")
        if length is None:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a trickling handler must not hold up the test's end

    def __init__(self, behave: Behave) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.behave = behave
        self.seen = Seen()


@contextlib.contextmanager
def misbehaving(behave: Behave, lifetime: float = 60.0) -> Iterator[Server]:
    """Serve ``behave`` on a free loopback port (``server.server_port``) until the block ends
    or ``lifetime`` seconds pass, whichever comes first."""
    server = Server(behave)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    timer = threading.Timer(lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        yield server
    finally:
        timer.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def url(server: Server) -> str:
    return f"http://127.0.0.1:{server.server_port}/json-rpc/v1.1/"


# --- behaviours ----------------------------------------------------------------------------


def answer(result: Any) -> Behave:
    """A well-formed JSON-RPC answer carrying ``result`` (whatever its type)."""
    def behave(handler: Handler, body: dict[str, Any]) -> None:
        data = json.dumps({"jsonrpc": "2.0", "id": body.get("id"), "result": result}).encode()
        handler.head(len(data))
        handler.write(data)
    return behave


def endless(limit: int, declared: int | None = None) -> Behave:
    """A body of up to ``limit`` bytes, sent 64 KB at a time while the client reads;
    ``declared``: the Content-Length to announce (None: none, the body ends at close)."""
    def behave(handler: Handler, body: dict[str, Any]) -> None:
        handler.head(declared)
        chunk = b'{"jsonrpc": "2.0", "result": "' + b"x" * 65536
        sent = 0
        while sent < limit and handler.write(chunk):
            sent += len(chunk)
        handler.close_connection = True
    return behave


def trickle(interval: float, length: int) -> Behave:
    """A body of ``length`` bytes announced at once, then sent one byte every ``interval``."""
    def behave(handler: Handler, body: dict[str, Any]) -> None:
        handler.head(length)
        for _ in range(length):
            if not handler.write(b" "):
                return
            time.sleep(interval)
    return behave


def slow_headers(interval: float, length: int) -> Behave:
    """A status line and headers of ``length`` bytes in all, sent one byte every
    ``interval``: the answer never gets as far as a body."""
    def behave(handler: Handler, body: dict[str, Any]) -> None:
        head = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * length
        for byte in head[:length]:
            if not handler.write(bytes([byte])):
                return
            time.sleep(interval)
        handler.close_connection = True
    return behave


def endless_pages(total: int) -> Behave:
    """Search pages of one hit each that always claim ``total`` and ``has_more``."""
    def behave(handler: Handler, body: dict[str, Any]) -> None:
        offset = int(((body.get("params") or [None, {}])[1] or {}).get("offset", 0))
        page = {"hits": [{"hash": f"h{offset}", "name": f"n{offset}"}], "has_more": True,
                "total": total}
        answer(page)(handler, body)
    return behave


def per_method(results: dict[str, Any]) -> Behave:
    """``results[method]`` for the methods named, an empty account's answer for the others."""
    def behave(handler: Handler, body: dict[str, Any]) -> None:
        method = str(body.get("method", ""))
        if method in results:
            result = results[method]
        elif method.endswith(".search"):
            result = {"hits": [], "has_more": False, "total": 0}
        elif method == "webhooks.get_event_types":
            result = ["sms.mo", "sms.mt.status_update", "call.outbound.end"]
        else:
            result = [] if method.endswith(("get_list", "get_dids")) else {}
        answer(result)(handler, body)
    return behave
