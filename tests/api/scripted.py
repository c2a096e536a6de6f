"""A tiny scripted httpx transport for client tests: each request gets the next scripted step
(a JSON-RPC answer, an HTTP status, a raw body or a raised httpx error)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx

Step = Callable[[httpx.Request, dict[str, Any]], httpx.Response]


def ok(result: Any = True) -> Step:
    def step(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})
    return step


def rpc_error(code: int, message: str = "refused") -> Step:
    def step(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        error = {"code": code, "message": message, "data": None}
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "error": error})
    return step


def status(code: int, retry_after: str | None = None) -> Step:
    def step(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        return httpx.Response(code, text=f"<html>{code}</html>", headers=headers)
    return step


def raw(text: str) -> Step:
    def step(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(200, text=text)
    return step


def fail(error: type[httpx.TransportError]) -> Step:
    def step(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        raise error(f"scripted {error.__name__}", request=request)
    return step


class Script:
    """Answers requests with ``steps`` in order (the last step repeats); records every body."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[httpx.Headers] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        with self._lock:
            self.bodies.append(body)
            self.headers.append(request.headers)
            step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        return step(request, body)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    @property
    def methods(self) -> list[str]:
        return [str(b["method"]) for b in self.bodies]


class VirtualClock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
