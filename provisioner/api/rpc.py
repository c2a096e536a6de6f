"""JSON-RPC 2.0 over httpx, exactly as CALLR speaks it.

Positional params only, one request per POST, ``Authorization`` Basic or Api-Key, optional
``CALLR-Login-As``. Every failure becomes an exception of ``provisioner.errors``; read-only
methods are retried after transport faults with exponential backoff and jitter, writes never are
(a lost response to a create would otherwise duplicate the object).
"""

from __future__ import annotations

import base64
import itertools
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from provisioner.api.methods import METHODS, positional
from provisioner.errors import TransportError, rpc_error
from provisioner.sensitive import redact, reveal

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://api.callr.com/json-rpc/v1.1/"
CONTENT_TYPE = "application/json-rpc; charset=utf-8"


@dataclass(frozen=True)
class Credentials:
    """Basic (login + password) or Api-Key credentials; never printed."""

    login: str = ""
    password: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)

    def header(self) -> str:
        if self.api_key:
            return f"Api-Key {self.api_key}"
        token = base64.b64encode(f"{self.login}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"

    def describe(self) -> str:
        """Who is calling, without any secret: a login, or just 'API key'."""
        return "API key" if self.api_key else f"login {self.login}"


@dataclass
class RpcSession:
    """One HTTP connection pool and request counter, shared by every Login-As view."""

    endpoint: str
    credentials: Credentials
    http: httpx.Client
    retries: int = 2
    backoff: float = 0.25
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    calls: int = 0

    @classmethod
    def open(
        cls,
        endpoint: str,
        credentials: Credentials,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> RpcSession:
        http = httpx.Client(transport=transport, timeout=timeout)
        return cls(endpoint=endpoint, credentials=credentials, http=http)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, args: dict[str, Any], login_as: str | None = None) -> Any:
        """Call ``method`` with keyword ``args`` ordered by the method table; return ``result``."""
        params = positional(method, args)
        attempts = 1 + (self.retries if METHODS[method].read_only else 0)
        for attempt in range(attempts):
            try:
                return self._send(method, params, login_as)
            except TransportError:
                if attempt + 1 >= attempts:
                    raise
                delay = self.backoff * (2**attempt) * (1 + random.random())
                log.warning("%s: transport fault, retrying in %.2fs", method, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _send(self, method: str, params: list[Any], login_as: str | None) -> Any:
        with self._lock:
            request_id = next(self._ids)
            self.calls += 1
        headers = {"Content-Type": CONTENT_TYPE, "Authorization": self.credentials.header()}
        if login_as:
            headers["CALLR-Login-As"] = f"Account.hash {login_as}"
        body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": reveal(params)}
        log.debug("-> %s%s %s", method, f" as {login_as}" if login_as else "", redact(params))
        try:
            response = self.http.post(self.endpoint, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransportError(f"{method}: cannot reach {self.endpoint}: {exc}") from exc
        if response.status_code != 200:
            raise TransportError(f"{method}: HTTP {response.status_code} from {self.endpoint}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise TransportError(f"{method}: the response is not JSON") from exc
        if not isinstance(payload, dict):
            raise TransportError(f"{method}: the response is not a JSON-RPC object")
        error = payload.get("error")
        if error:
            code = int(error.get("code", 0)) if isinstance(error, dict) else 0
            message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
            data = error.get("data") if isinstance(error, dict) else None
            log.debug("<- %s error %s: %s", method, code, message)
            raise rpc_error(code, message, data, method=method)
        if "result" not in payload:
            raise TransportError(f"{method}: the response has neither result nor error")
        return payload["result"]
