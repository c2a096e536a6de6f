"""The CALLR JSON-RPC emulator: WSGI app, JSON-RPC envelope, auth, Login-As and faults."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import logging
import socketserver
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as _wsgiref_make_server

import httpx

from ..api.methods import METHODS
from .errors import (
    AUTH_FAILED,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    ApiError,
)
from .faults import Faults
from .handlers import HANDLERS, Ctx, check_params
from .handlers.account_sub import settle_jobs
from .store import Account, State, Store

log = logging.getLogger(__name__)

PATHS = ("/json-rpc/v1.1/", "/json-rpc/v1.1")
StartResponse = Callable[..., Any]
Environ = dict[str, Any]
JSON_HEADERS = [("Content-Type", "application/json; charset=utf-8")]


def _auth_error(reason: str) -> ApiError:
    return ApiError(AUTH_FAILED, f"Authentication failed: {reason}")


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
    ) -> None:
        self.logins = dict(logins) if logins is not None else {"sandbox": "sandbox"}
        self.api_keys = frozenset(api_keys) if api_keys is not None else frozenset({"sandbox"})
        self.media_delay = media_delay
        self.job_delay = job_delay
        self.clock = clock
        self.faults = Faults()
        self.store = Store(Path(state_path) if state_path is not None else None)

    # --- public helpers -----------------------------------------------------------------------

    def transport(self) -> httpx.WSGITransport:
        return httpx.WSGITransport(app=self.wsgi)

    def snapshot(self) -> State:
        return self.store.snapshot()

    # --- WSGI ---------------------------------------------------------------------------------

    def wsgi(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") not in PATHS:
            return _plain(start_response, "404 Not Found", b"Not Found")
        if environ.get("REQUEST_METHOD") != "POST":
            return _plain(start_response, "405 Method Not Allowed", b"Method Not Allowed")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        status, payload = self.handle(body, environ)
        if status != 200:
            return _plain(start_response, "502 Bad Gateway", payload)
        start_response("200 OK", [*JSON_HEADERS, ("Content-Length", str(len(payload)))])
        return [payload]

    def handle(self, body: bytes, environ: Environ) -> tuple[int, bytes]:
        """One JSON-RPC request: (HTTP status, response body)."""
        req_id: Any = None
        lose = False
        try:
            request = _parse(body)
            req_id = request["id"]
            method, params = request["method"], request["params"]
            self._authenticate(environ.get("HTTP_AUTHORIZATION", ""))
            if method not in METHODS or method not in HANDLERS:
                raise ApiError(METHOD_NOT_FOUND, f"Method not found: {method}")
            check_params(method, params)
            injected, lose = self.faults.take(method)
            if injected is not None:
                raise ApiError(injected[0], injected[1])
            result = self._execute(method, params, environ.get("HTTP_CALLR_LOGIN_AS", ""))
            response: dict[str, Any] = {"jsonrpc": "2.0", "id": req_id, "result": result}
        except ApiError as exc:
            log.debug("JSON-RPC error %s: %s", exc.code, exc.message)
            response = {"jsonrpc": "2.0", "id": req_id, "error": exc.to_json()}
        except Exception:
            log.exception("emulator handler crashed")
            error = {"code": -32603, "message": "Internal error", "data": None}
            response = {"jsonrpc": "2.0", "id": req_id, "error": error}
        if lose:
            log.info("fault injection: losing the response of a call")
            return 502, b"<html><body>502 Bad Gateway</body></html>"
        return 200, json.dumps(response).encode("utf-8")

    # --- internals ----------------------------------------------------------------------------

    def _authenticate(self, header: str) -> None:
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode()
                login, sep, password = decoded.partition(":")
            except (binascii.Error, ValueError):
                raise _auth_error("malformed Basic credentials") from None
            if sep and login in self.logins and self.logins[login] == password:
                return
            raise _auth_error("bad login or password")
        if scheme.lower() == "api-key":
            if value in self.api_keys:
                return
            raise _auth_error("unknown Api-Key")
        raise _auth_error("missing or unsupported Authorization header")

    def _execute(self, method: str, params: list[Any], login_as: str) -> Any:
        read_only = METHODS[method].read_only
        with self.store.request() as state:
            now = self.clock()
            settle_jobs(state, now, self.job_delay)
            work = state if read_only else copy.deepcopy(state)
            account = _login_as(work, login_as)
            ctx = Ctx(work, account, now, self.media_delay, self.job_delay)
            result = HANDLERS[method].handler(ctx, *params)
            if not read_only:
                self.store.state = work
                self.store.save()
            log.debug("%s ok (account %s)", method, account["hash"])
            return result


def _plain(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
    return [body]


def _parse(body: bytes) -> dict[str, Any]:
    """The validated envelope, or -32700 / -32600."""
    try:
        request = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(PARSE_ERROR, "Parse error") from None
    if not isinstance(request, dict):
        raise ApiError(INVALID_REQUEST, "Invalid request: the body must be one JSON object")
    req_id = request.get("id")
    valid_id = isinstance(req_id, str) or (isinstance(req_id, int) and not isinstance(req_id, bool))
    if request.get("jsonrpc") != "2.0":
        raise ApiError(INVALID_REQUEST, 'Invalid request: jsonrpc must be "2.0"')
    if not valid_id:
        raise ApiError(INVALID_REQUEST, "Invalid request: id must be an integer or a string")
    if not isinstance(request.get("method"), str):
        raise ApiError(INVALID_REQUEST, "Invalid request: method must be a string")
    params = request.get("params", [])
    if params is None:
        params = []
    if not isinstance(params, list):
        raise ApiError(INVALID_REQUEST, "Invalid request: params must be an array (positional)")
    return {"id": req_id, "method": request["method"], "params": params}


def _login_as(state: State, header: str) -> Account:
    """The account the request runs as: the master, or one of its direct sub-accounts."""
    master: Account = state["accounts"][state["master"]]
    header = header.strip()
    if not header:
        return master
    prefix, _, value = header.partition(" ")
    value = value.strip()
    subs = [state["accounts"][h] for h in master["subs"]]
    if prefix.lower() == "account.hash":
        found = [a for a in subs if a["hash"] == value]
    elif prefix.lower() == "user.login":
        found = [a for a in subs if a["sub"]["login"] == value]
    else:
        raise _auth_error("CALLR-Login-As must be 'Account.hash <hash>' or 'User.login <login>'")
    if not found:
        raise _auth_error(f"Login-As target {value!r} is not a sub-account of this account")
    account: Account = found[0]
    return account


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
