"""A thin typed facade over CALLR's JSON-RPC API: ``call(method, **args)`` for any method of the
table, ``search_all`` for paged searches, and typed helpers for a few methods.

Argument names follow ``methods.py``; the order on the wire comes from that table only. The
transport is injectable (``transport=emulator.transport()`` in tests and in ``--sandbox``), and
``as_account(hash)`` gives a view of the same session acting inside a sub-account (Login-As).
Every view shares the session's retries, rate cap and in-flight cap; a client may be used from
several threads at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from provisioner.api.answers import checked
from provisioner.api.limits import DEFAULT_PARALLELISM
from provisioner.api.methods import SEARCH_PAGE_SIZES
from provisioner.api.paging import Budget, page_of
from provisioner.api.rpc import DEFAULT_ENDPOINT, Credentials, RetryPolicy, RpcSession
from provisioner.api.transport import DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES
from provisioner.errors import InvalidParamsError

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]


class CallrClient:
    def __init__(self, session: RpcSession, login_as: str | None = None) -> None:
        self._session = session
        self.login_as = login_as

    @classmethod
    def connect(
        cls,
        credentials: Credentials,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_DEADLINE,
        max_rps: float | None = None,
        parallelism: int = DEFAULT_PARALLELISM,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> CallrClient:
        """A client on a new session. ``max_rps`` None: no rate cap; ``parallelism``: requests
        in flight at once; ``sleep``/``clock`` are injectable for tests (backoff, rate cap);
        ``timeout`` and ``max_response_bytes`` bound each request (``transport``).
        Raises ConfigError for an endpoint that would expose the credentials (plain http)."""
        return cls(RpcSession.open(
            endpoint, credentials, transport=transport, timeout=timeout, max_rps=max_rps,
            parallelism=parallelism, retry=retry, sleep=sleep, clock=clock,
            max_response_bytes=max_response_bytes,
        ))

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self._session.endpoint

    @property
    def credentials(self) -> Credentials:
        return self._session.credentials

    @property
    def call_count(self) -> int:
        """How many HTTP requests this session has sent (all views together)."""
        return self._session.calls

    @property
    def max_rps(self) -> float | None:
        """The request rate cap in force (None: none); an HTTP 429 lowers it for good."""
        return self._session.caps.max_rps

    @property
    def page_size(self) -> int:
        """The search page size the session asks for (lowered when the API refused larger)."""
        return self._session.page_size

    @property
    def parallelism(self) -> int:
        """Requests this session lets in flight at once: the useful number of read workers."""
        return self._session.caps.parallelism

    def as_account(self, account_hash: str | None) -> CallrClient:
        """A view acting inside sub-account ``account_hash`` (None: the authenticated account)."""
        return CallrClient(self._session, account_hash)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> CallrClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, **args: Any) -> Any:
        """Call any method of the table by name, with keyword arguments."""
        return checked(method, self._session.call(method, args, self.login_as))

    def search_all(self, method: str, filters: JsonObject | None = None) -> list[JsonObject]:
        """Every hit of a ``*.search`` method, paging until ``has_more`` is false."""
        return list(self._pages(method, filters or {}))

    def search_page(self, method: str, filters: JsonObject, offset: int) -> JsonObject:
        """One page of a ``*.search`` method, of the largest size the API accepts.

        A page refused with an invalid-params error is asked again at the next smaller size of
        ``SEARCH_PAGE_SIZES``; the size that works is remembered by the session (every view)."""
        size = self._session.page_size
        while True:
            try:
                page = dict(self.call(method, filters=filters,
                                      options={"offset": offset, "quantity": size}))
            except InvalidParamsError as refused:
                smaller = [s for s in SEARCH_PAGE_SIZES if s < size]
                if not smaller:
                    raise
                log.info("%s: a page of %d refused (%s); trying %d", method, size,
                         refused.message, smaller[0])
                size = smaller[0]
                continue
            if size < self._session.page_size:
                log.warning("%s: search pages of at most %d for the rest of the run (larger "
                            "pages were refused)", method, size)
                self._session.accept_page_size(size)
            return page

    def _pages(self, method: str, filters: JsonObject) -> Iterator[JsonObject]:
        """Pages as ``has_more`` and the hits received say, within ``paging``'s bounds."""
        budget = Budget(method)
        offset = 0
        while True:
            page = page_of(method, self.search_page(method, filters, offset))
            budget.take(page)
            yield from page.hits
            offset += len(page.hits)
            if not page.has_more or not page.hits:
                return

    # -- system --------------------------------------------------------------------------------

    def system_get_timestamp(self) -> int:
        return int(self.call("system.get_timestamp"))

    # -- voice apps ----------------------------------------------------------------------------

    def apps_get_list(self, with_numbers: bool) -> list[JsonObject]:
        return list(self.call("apps.get_list", with_numbers=with_numbers))

    def apps_get_dids(self, only_available: bool) -> list[JsonObject]:
        return list(self.call("apps.get_dids", only_available=only_available))

    def apps_get(self, app_hash: str) -> JsonObject:
        return dict(self.call("apps.get", hash=app_hash))

    def apps_create(self, package: str, name: str, params: JsonObject | None) -> JsonObject:
        return dict(self.call("apps.create", package=package, name=name, params=params))

    def apps_edit(self, app_hash: str, name: str | None, params: JsonObject) -> JsonObject:
        return dict(self.call("apps.edit", hash=app_hash, name=name, params=params))

    def apps_delete(self, app_hash: str) -> bool:
        return bool(self.call("apps.delete", hash=app_hash))

    def apps_assign_did(self, app_hash: str, did_hash: str) -> bool:
        return bool(self.call("apps.assign_did", app_hash=app_hash, did_hash=did_hash))

    def apps_remove_did(self, did_hash: str) -> bool:
        return bool(self.call("apps.remove_did", did_hash=did_hash))

    def apps_get_authorized_clis(self, kind: str = "CALL") -> list[JsonObject]:
        return list(self.call("apps.get_authorized_clis", type=kind))

    # -- DIDs and the store --------------------------------------------------------------------

    def did_search(self, filters: JsonObject | None = None) -> list[JsonObject]:
        return self.search_all("did.search", filters)

    def did_store_get_quote(self, area_code_id: int, did_class: str, quantity: int) -> JsonObject:
        return dict(
            self.call(
                "did/store.get_quote", area_code_id=area_code_id, quantity=quantity,
                **{"class": did_class},
            )
        )

    def did_store_cancel_subscription(self, did_hash: str) -> bool:
        return bool(self.call("did/store.cancel_subscription", did_hash=did_hash))

    def did_areacode_get_list(self, country_code: str, did_type: str | None) -> list[JsonObject]:
        return list(
            self.call("did/areacode.get_list", country_code=country_code, type=did_type)
        )

    # -- media ---------------------------------------------------------------------------------

    def media_library_get_list(self, categories: list[str] | None = None) -> dict[str, JsonObject]:
        return dict(self.call("media/library.get_list", categories=categories) or {})

    def media_library_get(self, media_id: int) -> JsonObject:
        return dict(self.call("media/library.get", id=media_id))

    # -- SIP -----------------------------------------------------------------------------------

    def sip_search(self, service: str) -> list[JsonObject]:
        """All objects of ``sip/subscriber``, ``sip/trunk/origination`` or ``.../termination``."""
        return self.search_all(f"{service}.search")

    # -- webhooks ------------------------------------------------------------------------------

    def webhooks_get_list(self) -> list[JsonObject]:
        return list(self.call("webhooks.get_list"))

    def webhooks_get_event_types(self) -> list[str]:
        return [str(t) for t in self.call("webhooks.get_event_types")]

    # -- sub-accounts and jobs -----------------------------------------------------------------

    def account_sub_search(self, archived: bool | None = False) -> list[JsonObject]:
        return self.search_all("account/sub.search", {"archived": archived})

    def jobs_get(self, job_id: str) -> JsonObject:
        return dict(self.call("jobs.get", job_id=job_id))
