"""JSON-RPC 2.0 over httpx, exactly as CALLR speaks it, safe to share between threads.

Positional params only, one request per POST, ``Authorization`` Basic or Api-Key, optional
``CALLR-Login-As``. Every failure becomes an exception of ``provisioner.errors``.

Retries (``RetryPolicy``): a read-only method (``methods.py``) is retried after any transport
fault (no connection, timeout, reset, HTTP 5xx or 429, a body that is not a JSON-RPC answer),
with exponential backoff and full jitter, honouring ``Retry-After`` (seconds) on 429 and 503.
A write is retried only when it certainly did not run: HTTP 429, HTTP 503 (see the assumption in
``methods.py``) or a connection that was never made. Any other failure of a write after it was
sent raises ``AmbiguousWriteError``: it may have happened, and only a re-read can tell. A 429
still refused after the last attempt raises ``RateLimited``, and every 429 lowers the session's
request rate for the rest of the run (``limits.Caps.slow_down``). JSON-RPC errors are never
retried.

A non-200 answer's body is read: a JSON-RPC error inside it is reported with its code and
message; HTTP 401 and 403 are authentication errors (``AuthError``), whatever the body says.

Caps (``limits.Caps``): every Login-As view of a session shares one rate cap (``max_rps``) and
one in-flight cap (``parallelism``). Credentials never travel over plain ``http://`` except to a
loopback address or through an in-process transport (the emulator: nothing leaves the process).

Network rules (``transport.py``): no environment proxy for plain ``http://``, a cap on the size
of an answer, and a deadline covering the whole of each request.
"""

from __future__ import annotations

import base64
import ipaddress
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from provisioner.api.limits import DEFAULT_PARALLELISM, Caps
from provisioner.api.methods import METHODS, SEARCH_PAGE_SIZES, positional
from provisioner.api.transport import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    NetworkLimits,
    ResponseTooLarge,
    exchange,
    http_client,
)
from provisioner.errors import (
    AmbiguousWriteError,
    AuthError,
    ConfigError,
    RateLimited,
    RpcError,
    TransportError,
    rpc_error,
)
from provisioner.sensitive import (
    KNOWN,
    redact_authorization,
    redact_fields,
    remember_fields,
    reveal,
)

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://api.callr.com/json-rpc/v1.1/"
CONTENT_TYPE = "application/json-rpc; charset=utf-8"

UNSENT_ERRORS: tuple[type[httpx.HTTPError], ...] = (
    httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)
"""httpx failures raised before any byte of the request left: safe to retry, even a write."""

NOT_RUN_STATUSES = frozenset({429, 503})
"""HTTP statuses taken to mean the API refused the request without running it."""

IN_PROCESS_TRANSPORTS: tuple[type[httpx.BaseTransport], ...] = (
    httpx.WSGITransport, httpx.MockTransport,
)
"""Transports that never open a socket: plain ``http://`` endpoints are allowed through them.
Another transport may opt in by carrying ``in_process = True``."""


@dataclass(frozen=True)
class Credentials:
    """Basic (login + password) or Api-Key credentials; never printed."""

    login: str = ""
    password: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        # A stray "\r" from a CRLF .env file would make httpx refuse the header and echo it,
        # key included, in its error: refuse it here, without showing any value.
        for name in ("login", "password", "api_key"):
            value = getattr(self, name)
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
                raise ConfigError(f"the CALLR {name.replace('_', ' ')} contains a control "
                                  "character (a carriage return from a CRLF file?): fix it")
        if self.api_key and not self.api_key.isascii():
            raise ConfigError("the CALLR API key contains non-ASCII characters: check it")

    def header(self) -> str:
        if self.api_key:
            return f"Api-Key {self.api_key}"
        token = base64.b64encode(f"{self.login}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"

    def remember(self) -> None:
        """Make the password, the API key and the header's token known sensitive (masked in
        any message); a password equal to the login is shown as the login it is."""
        password = self.password if self.password != self.login else ""
        KNOWN.add_all([password, self.api_key, self.header().partition(" ")[2]])

    def describe(self) -> str:
        """Who is calling, without any secret: a login, or just 'API key'."""
        return "API key" if self.api_key else f"login {self.login}"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request that may be retried is retried."""

    attempts: int = 3
    """Tries in all (1: never retry)."""
    base_delay: float = 0.25
    """Backoff before retry n (1-based) is uniform in [0, min(max_delay, base_delay * 2**(n-1))]."""
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    """A longer ``Retry-After`` is not waited for: the request fails at once (RateLimited)."""

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter delay after failed try number ``attempt`` (1-based)."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class _Failure(Exception):
    """One failed try without a JSON-RPC answer; ``sent``: the API may have run it."""

    def __init__(self, message: str, *, sent: bool, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(KNOWN.mask(message))
        self.sent = sent
        self.status = status
        self.retry_after = retry_after

    def final(self) -> TransportError:
        if self.status == 429:
            return RateLimited(f"{self} (rate limited; retry later)", self.retry_after)
        return TransportError(str(self))


def check_endpoint(endpoint: str, transport: httpx.BaseTransport | None = None) -> None:
    """Refuse an endpoint that would expose the credentials (ConfigError), before any request."""
    try:
        url = httpx.URL(endpoint)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ConfigError(f"invalid API endpoint {endpoint!r}: {exc}") from exc
    if url.userinfo:
        raise ConfigError("the API endpoint must not carry credentials: remove user:password@ "
                          "and use CALLR_API_KEY, CALLR_LOGIN/CALLR_PASSWORD or a credentials file")
    if url.scheme == "https":
        return
    if url.scheme != "http":
        raise ConfigError(f"unsupported API endpoint {endpoint}: use an https:// URL")
    if _is_loopback(url.host) or _in_process(transport):
        return
    raise ConfigError(
        f"refusing to send CALLR credentials over plain http to {endpoint}: use https:// "
        "(plain http is allowed only to a loopback address: 127.0.0.1, ::1, localhost)"
    )


def loopback_endpoint(endpoint: str) -> bool:
    """Whether ``endpoint`` names this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        return _is_loopback(httpx.URL(endpoint).host)
    except (httpx.InvalidURL, TypeError):
        return False


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _in_process(transport: httpx.BaseTransport | None) -> bool:
    return isinstance(transport, IN_PROCESS_TRANSPORTS) or (
        getattr(transport, "in_process", False) is True
    )


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is ignored: backoff applies)."""
    try:
        value = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


class RpcSession:
    """One HTTP connection pool, request counter and set of caps, shared by every Login-As view
    and by every thread: ids, counters and caps are guarded by locks."""

    def __init__(self, endpoint: str, credentials: Credentials, http: httpx.Client, *,
                 retry: RetryPolicy | None = None, caps: Caps | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None, limits: NetworkLimits | None = None) -> None:
        self.endpoint = endpoint
        self.limits = limits or NetworkLimits()
        self.watched = True
        """Whether requests are watched against the deadline on a worker thread (not through
        an in-process transport: there is no network to wait for)."""
        self.credentials = credentials
        self.http = http
        self.retry = retry or RetryPolicy()
        self.caps = caps or Caps()
        self.sleep = sleep
        self._rng = rng or random.Random()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._calls = 0
        self._retried = 0
        self._page_size = SEARCH_PAGE_SIZES[0]

    @classmethod
    def open(cls, endpoint: str, credentials: Credentials, *,
             transport: httpx.BaseTransport | None = None, timeout: float = DEFAULT_DEADLINE,
             max_rps: float | None = None, parallelism: int = DEFAULT_PARALLELISM,
             retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.monotonic,
             max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES) -> RpcSession:
        """A session on ``endpoint``; ``timeout``: seconds one request may take in whole
        (``transport.NetworkLimits``)."""
        check_endpoint(endpoint, transport)
        in_process = _in_process(transport)
        if not in_process:  # the in-process emulator's "sandbox" is no secret
            credentials.remember()
        limits = NetworkLimits(max_response_bytes, timeout)
        pool = httpx.Limits(max_connections=parallelism, max_keepalive_connections=parallelism)
        http = http_client(endpoint, transport, limits, pool)
        caps = Caps(max_rps, parallelism, clock=clock, sleep=sleep)
        session = cls(endpoint, credentials, http, retry=retry, caps=caps, sleep=sleep,
                      limits=limits)
        session.watched = not in_process
        return session

    @property
    def calls(self) -> int:
        """HTTP requests sent (every try counts)."""
        with self._lock:
            return self._calls

    @property
    def page_size(self) -> int:
        """The search page size to ask for: the largest the API accepted so far."""
        with self._lock:
            return self._page_size

    def accept_page_size(self, size: int) -> None:
        """Remember that pages of ``size`` are accepted (never raising it back)."""
        with self._lock:
            self._page_size = min(self._page_size, size)

    @property
    def retried(self) -> int:
        """Tries that were retries."""
        with self._lock:
            return self._retried

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, args: dict[str, Any], login_as: str | None = None) -> Any:
        """Call ``method`` with keyword ``args`` ordered by the method table; return ``result``."""
        params = positional(method, args)
        read_only = METHODS[method].read_only
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._send(method, params, login_as)
            except _Failure as failure:
                if failure.status == 429:
                    self._slow_down(method)
                if failure.sent and not read_only:
                    raise AmbiguousWriteError(
                        f"{failure}; the write was sent and may or may not have happened"
                    ) from failure
                delay = self._delay(failure, attempt)
                if delay is None:
                    raise failure.final() from failure
                log.warning("%s: %s; retry %d in %.2fs", method, failure, attempt, delay)
                with self._lock:
                    self._retried += 1
                self.sleep(delay)

    def _slow_down(self, method: str) -> None:
        rate = self.caps.slow_down()
        if rate is not None:
            log.warning("%s: HTTP 429 from the API: at most %.2g requests per second for the "
                        "rest of the run", method, rate)

    def _delay(self, failure: _Failure, attempt: int) -> float | None:
        """Seconds to wait before the next try, or None to give up."""
        if attempt >= self.retry.attempts:
            return None
        if failure.retry_after is not None and failure.status in NOT_RUN_STATUSES:
            if failure.retry_after > self.retry.max_retry_after:
                return None
            return failure.retry_after
        return self.retry.backoff(attempt, self._rng)

    def _send(self, method: str, params: list[Any], login_as: str | None) -> Any:
        """One try: the result, an RpcError, a TransportError, or a ``_Failure`` to judge."""
        with self._lock:
            request_id = next(self._ids)
        authorization = self.credentials.header()
        headers = {"Content-Type": CONTENT_TYPE, "Authorization": authorization}
        if login_as:
            headers["CALLR-Login-As"] = f"Account.hash {login_as}"
        clear = reveal(params)
        remember_fields(clear)  # a literal password: masked if an error echoes it
        body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": clear}
        if log.isEnabledFor(logging.DEBUG):
            log.debug("-> %s%s %s (id %d, Authorization: %s)", method,
                      f" as {login_as}" if login_as else "", redact_fields(params), request_id,
                      redact_authorization(authorization))
        response = self._transmit(method, lambda: exchange(
            self.http, "POST", self.endpoint, self.limits, watched=self.watched, json=body,
            headers=headers))
        return self._answer(method, request_id, response)

    def _transmit(self, label: str, send: Callable[[], httpx.Response]) -> httpx.Response:
        """One HTTP request within the caps, counted; a failure without an HTTP answer is a
        ``_Failure`` that says whether the request may have reached the API."""
        with self.caps.slot():
            with self._lock:
                self._calls += 1
            try:
                return send()
            except ResponseTooLarge as exc:
                raise ResponseTooLarge(f"{label}: {exc}") from None
            except UNSENT_ERRORS as exc:
                raise _Failure(f"{label}: cannot reach {self.endpoint}: {exc}",
                               sent=False) from exc
            except httpx.HTTPError as exc:
                raise _Failure(f"{label}: no answer from {self.endpoint}: "
                               f"{type(exc).__name__} {exc}", sent=True) from exc

    def _answer(self, method: str, request_id: int, response: httpx.Response) -> Any:
        status = response.status_code
        if status != 200:
            self._http_error(method, request_id, response)
        try:
            payload = response.json()
        except ValueError as exc:
            raise _Failure(f"{method}: the response is not JSON", sent=True) from exc
        if not isinstance(payload, dict):
            raise _Failure(f"{method}: the response is not a JSON-RPC object", sent=True)
        error = payload.get("error")
        if error:
            failure = _rpc_failure(method, error)
            log.debug("<- %s error %s: %s (id %d)", method, failure.code, failure.message,
                      request_id)
            raise failure
        if "result" not in payload:
            raise _Failure(f"{method}: the response has neither result nor error", sent=True)
        result = payload["result"]
        remember_fields(result)  # secrets the API generated (a SIP password ...)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("<- %s %s (id %d)", method, redact_fields(result), request_id)
        return result

    def _http_error(self, method: str, request_id: int, response: httpx.Response) -> None:
        """Raise for a non-200 answer, reading its body: a JSON-RPC error inside it is reported
        with its code and message (and HTTP 401/403 is always an authentication error)."""
        status = response.status_code
        error = _error_in_body(response)
        message = f"{method}: HTTP {status} from {self.endpoint}"
        if error is not None:
            message += f" (error {error.code}: {error.message})"
        log.debug("<- %s HTTP %d (id %d)%s", method, status, request_id,
                  f" error {error.code}" if error is not None else "")
        if status in AUTH_STATUSES:
            code, text = (error.code, error.message) if error is not None else (0, "")
            raise AuthError(code, f"HTTP {status}: "
                            + (text or "authentication failed (check the credentials)"),
                            method=method)
        if status in NOT_RUN_STATUSES:
            raise _Failure(message, sent=False, status=status,
                           retry_after=_retry_after(response))
        if error is not None:  # the API answered, with an error, in the wrong envelope
            raise rpc_error(error.code, f"{error.message} (HTTP {status})", error.data,
                            method=method)
        if status >= 500:
            raise _Failure(message, sent=True, status=status)
        raise TransportError(message)


AUTH_STATUSES = frozenset({401, 403})
"""HTTP statuses of a refused authentication (a bad or deleted API key, wrong password)."""


def _rpc_failure(method: str, error: Any) -> RpcError:
    """The RpcError of a JSON-RPC ``error`` member (a malformed one is still an error)."""
    try:
        code = int(error.get("code", 0)) if isinstance(error, dict) else 0
    except (TypeError, ValueError):
        code = 0
    # A server may echo the params or the Authorization header: every known secret is masked
    # before the message is logged, printed or journaled.
    message = KNOWN.mask(str(error.get("message", "")) if isinstance(error, dict) else str(error))
    data = KNOWN.mask_deep(error.get("data") if isinstance(error, dict) else None)
    return rpc_error(code, message, redact_fields(data), method=method)


def _error_in_body(response: httpx.Response) -> RpcError | None:
    """The JSON-RPC error a non-200 answer carries in its body, if it carries one."""
    try:
        payload = response.json()
    except ValueError:
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    return _rpc_failure("", error) if error else None
