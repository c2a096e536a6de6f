"""The CALLR JSON-RPC emulator: WSGI app, JSON-RPC envelope, auth, faults and stats."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import socketserver
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as _wsgiref_make_server

import httpx

from ..api.methods import METHODS
from . import dispatch, rest
from . import variants as variants_module
from .errors import METHOD_NOT_FOUND, ApiError
from .faults import Draw, FaultProfile, Faults
from .handlers import HANDLERS, check_params
from .persist import Store
from .seed import add_app, provision_numbers
from .stats import Stats
from .store import State
from .transport import EmulatorTransport, ResponseDropped

log = logging.getLogger(__name__)

PATHS = ("/json-rpc/v1.1/", "/json-rpc/v1.1")
STATS_PATH = "/_emulator/stats"
RESET_PATH = "/_emulator/stats/reset"
StartResponse = Callable[..., Any]
Environ = dict[str, Any]
JSON_HEADERS = [("Content-Type", "application/json; charset=utf-8")]
LOST_PAGE = b"<html><body>502 Bad Gateway</body></html>"
REASONS = {401: "401 Unauthorized", 429: "429 Too Many Requests", 503: "503 Service Unavailable"}


class Emulator:
    """An in-process CALLR JSON-RPC API (see the package docstring for the interface)."""

    def __init__(
        self,
        state_path: Path | None = None,
        *,
        logins: dict[str, str] | None = None,
        api_keys: set[str] | frozenset[str] | None = None,
        media_delay: float = 1.0,
        job_delay: float = 1.0,
        clock: Callable[[], float] = time.time,
        fault_profile: FaultProfile | None = None,
        variants: Iterable[str] = (),
    ) -> None:
        self.variants = variants_module.parse(variants)
        self._missing = variants_module.missing_methods(self.variants)
        self.logins = dict(logins) if logins is not None else {"sandbox": "sandbox"}
        self.api_keys = frozenset(api_keys) if api_keys is not None else frozenset({"sandbox"})
        self.media_delay = media_delay
        self.job_delay = job_delay
        self.clock = clock
        self.faults = Faults(fault_profile)
        self._stats = Stats()
        path = Path(state_path) if state_path is not None else None
        self.store = Store(path, replay=dispatch.replay_entry)

    # --- public helpers -----------------------------------------------------------------------

    def transport(self) -> httpx.WSGITransport:
        """An httpx transport into this emulator; dropped responses raise a transport error."""
        return EmulatorTransport(app=self.wsgi)

    def snapshot(self) -> State:
        return self.store.snapshot()

    def stats(self) -> dict[str, Any]:
        """``{"total": N, "methods": {name: n}, "faults": {"fail", "drop", "rate_limited"}}``."""
        return self._stats.as_json()

    def reset_stats(self) -> None:
        self._stats.reset()

    def set_variants(self, variants: Iterable[str]) -> None:
        """Switch to other variants (``emulator/variants.py``) from the next request on: tests
        seed an account under the plain API, then plan and apply under the alternatives."""
        chosen = variants_module.parse(variants)
        self.variants, self._missing = chosen, variants_module.missing_methods(chosen)

    def provision_numbers(self, count: int, account_hash: str | None = None) -> list[str]:
        """Give an account (default: the master) ``count`` more unassigned DIDs, without the API.

        Returns their E.164 numbers (``+339...``, unique across the emulator), in order.
        """
        with self.store.request() as state:
            numbers = provision_numbers(state, count, account_hash)
            self.store.save()
        return numbers

    def add_app(self, package: str, name: str, *, has_did: bool = True,
                account_hash: str | None = None) -> str:
        """Seed an app of any package, one ``apps.create`` refuses included (``CALLFORWARDING10``
        and other packages of real accounts the tool does not manage), without the API."""
        with self.store.request() as state:
            app_hash = add_app(state, package, name, has_did=has_did, account_hash=account_hash)
            self.store.save()
        return app_hash

    # --- WSGI ---------------------------------------------------------------------------------

    def wsgi(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path, verb = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if path in (STATS_PATH, RESET_PATH):
            return self._control(path, verb, start_response)
        if path == rest.PREFIX or path.startswith(rest.PREFIX + "/"):
            return rest.serve(self, environ, start_response)
        if path not in PATHS:
            return _plain(start_response, "404 Not Found", b"Not Found")
        if verb != "POST":
            return _plain(start_response, "405 Method Not Allowed", b"Method Not Allowed")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        self._stats.request()
        draw = self.faults.draw(self.clock())
        if draw.status != 200:
            self._stats.fault("rate_limited" if draw.status == 429 else "fail")
            self._delay()
            return _rejected(start_response, draw)
        status, payload, lost = self._handle(body, environ)
        self._delay()
        if lost == "503":
            self._stats.fault("fail")
            return _rejected(start_response, Draw(status=503))
        if draw.drop or lost == "drop":
            self._stats.fault("drop")
            log.info("fault injection: dropping the connection without a response")
            raise ResponseDropped("response dropped by fault injection")
        if lost:
            self._stats.fault("drop")
            log.info("fault injection: losing the response of a call")
            return _plain(start_response, "502 Bad Gateway", LOST_PAGE)
        start_response(REASONS.get(status, f"{status} OK"),
                       [*JSON_HEADERS, ("Content-Length", str(len(payload)))])
        return [payload]

    def handle(self, body: bytes, environ: Environ) -> tuple[int, bytes]:
        """One JSON-RPC request without random faults: (HTTP status, response body)."""
        status, payload, lost = self._handle(body, environ)
        if lost == "503":
            return status, payload
        if lost:
            return 502, LOST_PAGE
        return status, payload

    def _handle(self, body: bytes, environ: Environ) -> tuple[int, bytes, str]:
        """(200, JSON-RPC response, "" or the rule that loses the response)."""
        req_id: Any = None
        lose = ""
        status = 200
        try:
            request = dispatch.parse(body)
            req_id = request["id"]
            method, params = request["method"], request["params"]
            status = variants_module.auth_status(self.variants)
            self._authenticate(environ.get("HTTP_AUTHORIZATION", ""))
            status = 200
            if method not in METHODS or method not in HANDLERS or method in self._missing:
                raise ApiError(METHOD_NOT_FOUND, f"Method not found: {method}")
            check_params(method, params)
            variants_module.check_request(self.variants, method, params)
            injected, lose = self.faults.take(method)
            if lose == "503":
                return 503, REASONS[503].encode("ascii"), lose
            if lose == "unrun":
                return 502, LOST_PAGE, lose
            if injected is not None:
                self._stats.fault("fail")
                raise ApiError(injected[0], injected[1])
            self._stats.method(method)
            result = self._execute(method, params, environ.get("HTTP_CALLR_LOGIN_AS", ""))
            envelope = json.dumps({"jsonrpc": "2.0", "id": req_id})
            return 200, f'{envelope[:-1]}, "result": {result}}}'.encode(), lose
        except ApiError as exc:
            log.debug("JSON-RPC error %s: %s", exc.code, exc.message)
            response = {"jsonrpc": "2.0", "id": req_id, "error": exc.to_json()}
        except Exception:
            log.exception("emulator handler crashed")
            error = {"code": -32603, "message": "Internal error", "data": None}
            response = {"jsonrpc": "2.0", "id": req_id, "error": error}
            status = 200
        return status, json.dumps(response).encode("utf-8"), lose

    # --- shared with the REST v2 front end (``rest/``) ---------------------------------------

    def run(self, method: str, params: list[Any], login_as: str) -> str:
        """Run one JSON-RPC method on the state (no random fault): its result as JSON."""
        if method not in METHODS or method not in HANDLERS:
            raise ApiError(METHOD_NOT_FOUND, f"Method not found: {method}")
        check_params(method, params)
        return self._execute(method, params, login_as)

    def count_request(self) -> None:
        self._stats.request()

    def count_method(self, label: str) -> None:
        self._stats.method(label)

    def count_fault(self, kind: str) -> None:
        self._stats.fault(kind)

    def delay(self) -> None:
        self._delay()

    # --- internals ----------------------------------------------------------------------------

    def _control(self, path: str, verb: str | None, start_response: StartResponse) -> list[bytes]:
        if path == RESET_PATH:
            if verb != "POST":
                return _plain(start_response, "405 Method Not Allowed", b"Method Not Allowed")
            self.reset_stats()
        elif verb != "GET":
            return _plain(start_response, "405 Method Not Allowed", b"Method Not Allowed")
        payload = json.dumps(self.stats()).encode("utf-8")
        start_response("200 OK", [*JSON_HEADERS, ("Content-Length", str(len(payload)))])
        return [payload]

    def _delay(self) -> None:
        """The profile's latency, slept outside the state lock."""
        if self.faults.profile.latency_ms > 0:
            time.sleep(self.faults.profile.latency_ms / 1000.0)

    def _authenticate(self, header: str) -> None:
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode()
                login, sep, password = decoded.partition(":")
            except (binascii.Error, ValueError):
                raise dispatch.auth_error("malformed Basic credentials") from None
            if sep and login in self.logins and self.logins[login] == password:
                return
            raise dispatch.auth_error("bad login or password")
        if scheme.lower() == "api-key":
            if value in self.api_keys:
                return
            raise dispatch.auth_error("unknown Api-Key")
        raise dispatch.auth_error("missing or unsupported Authorization header")

    def _execute(self, method: str, params: list[Any], login_as: str) -> str:
        """The method's result, encoded to JSON while the state lock is held: handlers may
        return views that share objects with the state (``apps.app_view``)."""
        with self.store.request() as state:
            now = self.clock()
            if METHODS[method].read_only:
                return json.dumps(dispatch.read(
                    state, method, params, login_as, now, self.media_delay, self.job_delay,
                    self.variants,
                ))
            entry = {
                "seq": state["log_seq"] + 1,
                "m": method,
                "p": params,
                "as": login_as,
                "now": now,
                "seed": secrets.randbits(63),
                "md": self.media_delay,
                "jd": self.job_delay,
            }
            if self.variants:
                entry["v"] = sorted(self.variants)
            line = json.dumps(entry, sort_keys=True, separators=(",", ":"))
            try:
                result = dispatch.run_entry(state, entry)
            except ApiError:
                raise  # handlers validate before they mutate: nothing changed
            try:
                self.store.commit(entry, line)
            except Exception:
                # Not saved (disk full ...): the next request reloads what the file holds.
                self.store.invalidate()
                raise
            return json.dumps(result)


def _plain(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
    return [body]


def _rejected(start_response: StartResponse, draw: Draw) -> list[bytes]:
    body = REASONS[draw.status].encode("ascii")
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    if draw.status == 429:
        headers.append(("Retry-After", str(draw.retry_after)))
    start_response(REASONS[draw.status], headers)
    return [body]


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


def make_server(emu: Emulator, host: str = "127.0.0.1", port: int = 0) -> WSGIServer:
    """A threading WSGI server (daemon threads) serving ``emu``; port 0 picks a free port."""
    return _wsgiref_make_server(
        host, port, emu.wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
