"""The REST API v2 backend: operations sent as the verbs and paths of ``table.REST_ROWS``.

``RestSession`` is an ``RpcSession`` whose one try (``_send``) speaks REST instead of JSON-RPC:
the retries, backoff with jitter (429 and 5xx, as CALLR's best practices ask, honouring
``Retry-After``), the rate and in-flight caps, the plain-http refusal and the rule that a write
is re-sent only when it certainly did not run are the JSON-RPC session's, unchanged.

Auth (``rest-v2.md`` §1.3, CONFIRMED): ``x-api-key: KEY``; inside a sub-account, Basic
``<sub-account sid>:<master key>``. Errors: the HTTP status and ``{code, message}`` body map
onto the same exception tree as JSON-RPC errors (``RpcError.code`` is then the HTTP status).
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import quote

import httpx

from provisioner.api.client import CallrClient
from provisioner.api.limits import DEFAULT_PARALLELISM
from provisioner.api.methods import METHODS
from provisioner.api.paging import Budget, page_of
from provisioner.api.rest.table import Request, Row, row
from provisioner.api.rpc import (
    NOT_RUN_STATUSES,
    Credentials,
    RetryPolicy,
    RpcSession,
    _Failure,
    _retry_after,
)
from provisioner.api.transport import exchange
from provisioner.errors import (
    AuthError,
    ConfigError,
    InvalidParamsError,
    NotAllowedError,
    NotFoundError,
    ProtocolError,
    RpcError,
)
from provisioner.sensitive import KNOWN, redact_fields, reveal

log = logging.getLogger(__name__)

DEFAULT_REST_ENDPOINT = "https://api.callr.com/v2.0"
PAGE_LIMIT = 100
_BY_STATUS: dict[int, type[RpcError]] = {400: InvalidParamsError, 401: AuthError,
                                         403: NotAllowedError, 404: NotFoundError,
                                         405: ProtocolError}


class UnsupportedOperation(ConfigError):
    """An operation REST v2 has no documented equivalent for (refused before it is sent)."""


def rest_error(status: int, body: Any, operation: str) -> RpcError:
    """The RpcError subclass for an HTTP error status and its ``{code, message}`` body."""
    code = body.get("code") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    # A server may echo the API key: masked as the JSON-RPC session masks its errors.
    text = KNOWN.mask(f"{code}: {message}" if code else str(message or f"HTTP {status}"))
    return _BY_STATUS.get(status, RpcError)(status, text, {"code": code}, method=operation)


def is_rest_endpoint(endpoint: str) -> bool:
    """A path ending in ``/v2.0`` is the REST API v2."""
    try:
        path = httpx.URL(endpoint).path
    except (httpx.InvalidURL, TypeError):
        return False
    return path.rstrip("/").endswith("/v2.0")


class RestSession(RpcSession):
    api = "rest"

    @classmethod
    def open(cls, endpoint: str, credentials: Credentials, **options: Any) -> RpcSession:
        if not credentials.api_key:
            raise ConfigError("the REST API v2 authenticates with an API key: set "
                              "CALLR_API_KEY (a login and password are JSON-RPC only)")
        return super().open(endpoint.rstrip("/"), credentials, **options)

    def _send(self, method: str, params: list[Any], login_as: str | None) -> Any:
        table_row = row(method)
        if table_row is None:
            raise UnsupportedOperation(
                f"{method} has no REST v2 equivalent documented, so this cannot be done "
                "through REST v2: use --api jsonrpc (JSON-RPC runs until 2027-06-30)")
        args = reveal(dict(zip(METHODS[method].params, params, strict=True)))
        request = table_row.build(args)
        if not table_row.paged:
            return table_row.result(self._request(table_row, request, login_as), args)
        hits: list[Any] = []
        offset = 0
        budget = Budget(method)  # bounded, driven by hasMore and the hits received
        while True:
            query = {**request.query, "offset": str(offset), "limit": str(PAGE_LIMIT)}
            page = page_of(method, self._request(table_row, Request(request.path, query),
                                                 login_as), more="hasMore")
            budget.take(page)
            hits.extend(page.hits)
            offset += len(page.hits)
            if not page.has_more or not page.hits:
                return table_row.result(hits, args)

    def _headers(self, login_as: str | None) -> dict[str, str]:
        headers = {"accept": "application/json"}
        key = self.credentials.api_key
        if login_as:
            token = base64.b64encode(f"{login_as.lower()}:{key}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        else:
            headers["x-api-key"] = key
        return headers

    def _request(self, table_row: Row, request: Request, login_as: str | None) -> Any:
        path = table_row.path.format(**{k: quote(v, safe="+") for k, v in request.path.items()})
        url = self.endpoint + path
        label = f"{table_row.operation} ({table_row.verb} {path})"
        if log.isEnabledFor(logging.DEBUG):
            log.debug("-> %s %s%s %s", table_row.verb, path, f" as {login_as}" if login_as
                      else "", redact_fields(request.body))
        response = self._transmit(label, lambda: exchange(
            self.http, table_row.verb, url, self.limits, watched=self.watched,
            params=request.query or None, headers=self._headers(login_as), **_body(request)))
        return self._answer_rest(label, table_row.operation, response)

    def _answer_rest(self, label: str, operation: str, response: httpx.Response) -> Any:
        status = response.status_code
        log.debug("<- %s HTTP %d", label, status)
        if status in NOT_RUN_STATUSES:
            raise _Failure(f"{label}: HTTP {status}", sent=False, status=status,
                           retry_after=_retry_after(response))
        if status >= 500:
            raise _Failure(f"{label}: HTTP {status}", sent=True, status=status)
        if status == 204:
            return None
        try:
            body = response.json()
        except ValueError as exc:
            if status >= 400:
                raise rest_error(status, None, operation) from exc
            raise _Failure(f"{label}: the response is not JSON", sent=True) from exc
        if status >= 400:
            raise rest_error(status, body, operation)
        return body


def _body(request: Request) -> dict[str, Any]:
    """httpx's body option: ``files`` (multipart/form-data) or ``json``."""
    return {"files": request.files} if request.files else {"json": request.body}


class RestClient(CallrClient):
    """A ``CallrClient`` whose session speaks REST v2: ``call(operation, **args)`` as before."""

    api = "rest"

    @classmethod
    def open_rest(cls, credentials: Credentials, endpoint: str = DEFAULT_REST_ENDPOINT, *,
                  transport: httpx.BaseTransport | None = None, max_rps: float | None = None,
                  parallelism: int = DEFAULT_PARALLELISM, retry: RetryPolicy | None = None,
                  **options: Any) -> RestClient:
        return cls(RestSession.open(endpoint, credentials, transport=transport,
                                    max_rps=max_rps, parallelism=parallelism, retry=retry,
                                    **options))

    def as_account(self, account_hash: str | None) -> CallrClient:
        return RestClient(self._session, account_hash)


def api_of(client: Any) -> str:
    """``rest`` or ``jsonrpc``: the API a client speaks."""
    return str(getattr(client, "api", "jsonrpc"))
