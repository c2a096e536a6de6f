"""The REST API v2 front end of the emulator: routing, auth, faults, errors, JSON bodies.

REST requests reach the same state as JSON-RPC: each route runs the JSON-RPC handlers of the
emulator (``Emulator.run``), so every write goes through the same change log and replays the
same way, and a scenario created over one protocol is visible over the other (``sid`` = the
lower-cased ``hash``). Rule faults (``emu.faults.fail("apps.create")``) name the JSON-RPC method
a route runs, so one rule covers both protocols; the random profile (latency, 503s, dropped
responses, 429 with ``Retry-After``) applies to every REST request as to JSON-RPC ones.

Auth (``rest-v2.md`` §1.3, CONFIRMED): ``x-api-key: KEY``, or Basic ``<account sid>:<key>``,
where a sub-account's sid acts inside that sub-account. Failures answer 401 with
``{"code", "message"}``; the machine ``code`` strings are INFERRED (kebab-case).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from ..errors import ApiError
from ..transport import ResponseDropped

if TYPE_CHECKING:
    from ..app import Emulator, Environ, StartResponse

log = logging.getLogger(__name__)

PREFIX = "/v2.0"
JSON_TYPE = "application/json; charset=utf-8"
STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
               400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               405: "Method Not Allowed", 429: "Too Many Requests", 500: "Internal Server Error",
               502: "Bad Gateway", 503: "Service Unavailable"}

_HTTP_OF_RPC = {22: 401, 100: 403, 205: 403, 110: 404, 115: 404, 150: 400, 151: 400,
                -32602: 400, -32600: 400, -32601: 404}
"""JSON-RPC error code -> HTTP status of the same failure over REST (INFERRED)."""
_CODE_OF_HTTP = {400: "invalid-parameter", 401: "unauthorized", 403: "forbidden",
                 404: "not-found", 405: "method-not-allowed", 500: "internal-error"}


class RestError(Exception):
    """An HTTP error answered as ``{"code": ..., "message": ...}``."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODE_OF_HTTP.get(status, "error")
        self.message = message


def bad_request(message: str) -> RestError:
    return RestError(400, message, "invalid-parameter")


def not_found(what: str) -> RestError:
    return RestError(404, f"{what} not found", "not-found")


@dataclass
class Request:
    verb: str
    path: str
    query: dict[str, str]
    body: bytes
    content_type: str
    args: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        """The JSON object body ({} when empty); 400 for anything else."""
        if not self.body:
            return {}
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise bad_request("the body is not valid JSON") from None
        if not isinstance(value, dict):
            raise bad_request("the body must be a JSON object")
        return value


@dataclass
class Rest:
    """What a route sees: the emulator and the account the request acts as."""

    emu: Emulator
    login_as: str
    """The CALLR-Login-As equivalent of a Basic sub-account sid ("" for the key's account)."""

    def run(self, method: str, *params: Any) -> Any:
        """Run JSON-RPC ``method`` against the shared state (rule faults apply); REST errors."""
        injected, lose = self.emu.faults.take(method)
        if lose == "503":  # --fail-method: refused before it runs
            self.emu.count_fault("fail")
            raise RestError(503, STATUS_TEXT[503], "unavailable")
        if lose == "unrun":  # lose_request: the request is lost before it runs
            raise _Lost(lose)
        if injected is not None:
            raise RestError(_HTTP_OF_RPC.get(injected[0], 500), injected[1])
        try:
            result = json.loads(self.emu.run(method, list(params), self.login_as))
        except ApiError as exc:
            raise RestError(_HTTP_OF_RPC.get(exc.code, 500), exc.message) from None
        if lose:
            raise _Lost(lose)
        return result


class _Lost(Exception):
    """A rule fault ran the call, then loses its response ("lose": 502 page, "drop")."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


Answer = tuple[int, Any]
Handler = Callable[[Rest, Request], Answer]


@dataclass(frozen=True)
class Route:
    verb: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler


ROUTES: list[Route] = []


def route(verb: str, template: str) -> Callable[[Handler], Handler]:
    """Serve ``verb template`` (``/actions/{sid}``); ``{name}`` matches one path segment."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    pattern = re.compile(f"^{regex}/?$")

    def wrap(handler: Handler) -> Handler:
        ROUTES.append(Route(verb, template, pattern, handler))
        return handler

    return wrap


def serve(emu: Emulator, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Answer one request under ``/v2.0``."""
    request = _request(environ)
    emu.count_request()
    draw = emu.faults.draw(emu.clock())
    if draw.status != 200:
        emu.count_fault("rate_limited" if draw.status == 429 else "fail")
        emu.delay()
        headers = [("Retry-After", str(draw.retry_after))] if draw.status == 429 else []
        return _respond(start_response, draw.status, _error_body(
            RestError(draw.status, STATUS_TEXT[draw.status],
                      "too-many-requests" if draw.status == 429 else "unavailable")), headers)
    try:
        status, payload = _dispatch(emu, environ, request)
    except _Lost as lost:
        emu.delay()
        emu.count_fault("drop")
        if lost.kind == "drop":
            raise ResponseDropped("response dropped by fault injection") from None
        return _respond(start_response, 502, b"<html><body>502 Bad Gateway</body></html>",
                        content_type="text/html")
    emu.delay()
    if draw.drop:
        emu.count_fault("drop")
        raise ResponseDropped("response dropped by fault injection")
    body = b"" if status == 204 else json.dumps(payload).encode("utf-8")
    return _respond(start_response, status, body)


def _dispatch(emu: Emulator, environ: Environ, request: Request) -> Answer:
    try:
        rest = Rest(emu, _authenticate(emu, environ))
        found = [(r, match) for r in ROUTES if (match := r.pattern.match(request.path))]
        if not found:
            raise not_found(f"path {request.path}")
        for candidate, match in found:
            if candidate.verb == request.verb:
                request.args = {k: unquote(v) for k, v in match.groupdict().items()}
                emu.count_method(f"{candidate.verb} {candidate.template}")
                return candidate.handler(rest, request)
        raise RestError(405, f"{request.verb} is not allowed on {request.path}")
    except RestError as exc:
        log.debug("REST error %s %s: %s", exc.status, exc.code, exc.message)
        return exc.status, {"code": exc.code, "message": exc.message}
    except _Lost:
        raise
    except Exception:
        log.exception("emulator REST handler crashed")
        return 500, {"code": "internal-error", "message": "Internal error"}


def _request(environ: Environ) -> Request:
    path = environ.get("PATH_INFO", "")[len(PREFIX):] or "/"
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    return Request(str(environ.get("REQUEST_METHOD", "GET")).upper(), path, query, body,
                   environ.get("CONTENT_TYPE", ""))


def _authenticate(emu: Emulator, environ: Environ) -> str:
    """The Login-As header of the request's account ("" for the master); 401 otherwise."""
    key = environ.get("HTTP_X_API_KEY", "")
    if key:
        if key in emu.api_keys:
            return ""
        raise RestError(401, "unknown API key", "unauthorized")
    scheme, _, value = environ.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    if scheme.lower() != "basic":
        raise RestError(401, "authenticate with x-api-key or Basic <account sid>:<API key>",
                        "unauthorized")
    try:
        user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, ValueError):
        raise RestError(401, "malformed Basic credentials", "unauthorized") from None
    if not sep or password not in emu.api_keys:
        raise RestError(401, "bad account sid or API key", "unauthorized")
    return _login_as_sid(emu, user)


def _login_as_sid(emu: Emulator, sid: str) -> str:
    """Basic user = the account's own sid, or one of its sub-accounts' (acting inside it)."""
    with emu.store.request() as state:
        master: dict[str, Any] = state["accounts"][state["master"]]
        if sid.lower() == master["hash"].lower() and sid == sid.lower():
            return ""
        for sub_hash in master["subs"]:
            if sid == sub_hash.lower():
                return f"Account.hash {sub_hash}"
    raise RestError(401, "bad account sid or API key", "unauthorized")


def _error_body(exc: RestError) -> bytes:
    return json.dumps({"code": exc.code, "message": exc.message}).encode("utf-8")


def _respond(start_response: StartResponse, status: int, body: bytes,
             extra: list[tuple[str, str]] | None = None,
             content_type: str = JSON_TYPE) -> list[bytes]:
    headers = [("Content-Length", str(len(body)))]
    if body:
        headers.append(("Content-Type", content_type))
    start_response(f"{status} {STATUS_TEXT.get(status, '')}".strip(), headers + (extra or []))
    return [body]
