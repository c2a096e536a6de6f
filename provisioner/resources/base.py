"""The interface every resource kind implements, and the context kinds plan in.

A kind is one module with one ``ResourceKind`` subclass: where its entries live in the manifest
(``section``), where it stands in the order of changes (``rank``), how to read live objects in
the fewest calls (``read``, through a ``LiveReader`` that caches each API answer so kinds can
share one call), and the changes that turn live into desired (``plan``). Kinds publish the ids
of what they manage in the ``PlanContext`` (a live hash, or a ``Ref`` to a call creating it) so
kinds ranked later can refer to them.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ClassVar

from provisioner.api.client import CallrClient
from provisioner.api.paging import Budget, Page, UnexpectedAnswer, fan_out, page_of
from provisioner.manifest.desired import Desired
from provisioner.planning.plan import Call, Change, Ref, Until
from provisioner.resources import duplicates, policy
from provisioner.resources.duplicates import Split

log = logging.getLogger(__name__)

SHAPE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError)
"""What normalizing an answer of the wrong shape raises (``LiveReader.reading``)."""


@dataclass(frozen=True)
class Live:
    """One live object: its API id, its identity in the manifest, its normalized attributes."""

    id: Any
    identity: Any
    attrs: dict[str, Any]


class LiveReader:
    """Reads one account; each distinct API read is made once and shared between kinds.

    Thread-safe: kinds read concurrently, and when two ask for the same read at once, one
    makes the call and the other waits for its answer. A failed read is not cached (each
    waiting caller gets the error; a later call tries again)."""

    def __init__(self, client: CallrClient) -> None:
        self.client = client
        self._cache: dict[tuple[str, Hashable], Future[Any]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextlib.contextmanager
    def reading(self, what: str) -> Iterator[None]:
        """Read ``what`` (a section) through this reader: a crash on an answer of the wrong
        shape (a KeyError, a TypeError ...) becomes an UnexpectedAnswer naming the methods this
        thread read, instead of a traceback (the traceback is logged at debug level)."""
        methods: list[str] = []
        self._local.methods = methods
        try:
            yield
        except SHAPE_ERRORS as exc:
            log.debug("reading %s crashed on an API answer", what, exc_info=True)
            named = ", ".join(dict.fromkeys(methods)) or "the API"
            raise UnexpectedAnswer(
                f"{named}: the API answered something of an unexpected shape while reading "
                f"{what} ({type(exc).__name__}; --debug shows where)") from None
        finally:
            self._local.methods = None

    def _note(self, method: str) -> None:
        methods = getattr(self._local, "methods", None)
        if methods is not None:
            methods.append(method)

    def call(self, method: str, **args: Any) -> Any:
        self._note(method)
        key = (method, repr(sorted(args.items())))
        return self._once(key, lambda: self.client.call(method, **args))

    def search(self, method: str, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every hit of a ``*.search`` method: pages of the maximum size; once the first page
        gives the ``total``, the other pages are fetched concurrently (the session caps
        requests in flight). With a parallelism of 1, pages are read one after the other."""
        self._note(method)
        key = (method + "#all", repr(filters))
        return list(self._once(key, lambda: self._search_all(method, filters or {})))

    def _search_all(self, method: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
        parallelism = int(getattr(self.client, "parallelism", 1))
        if parallelism <= 1:
            return self.client.search_all(method, filters)
        page = self._page(method, filters, 0)
        budget = Budget(method)
        budget.take(page)
        hits: list[dict[str, Any]] = list(page.hits)
        start = 0
        # the size the API accepted for the first page; never more than ``paging`` allows
        offsets = fan_out(page, self.client.page_size)
        if offsets:
            with ThreadPoolExecutor(min(len(offsets), parallelism),
                                    thread_name_prefix="page") as pool:
                pages = list(pool.map(lambda offset: self._page(method, filters, offset),
                                      offsets))
            for page in pages:
                budget.take(page)
                hits.extend(page.hits)
            start = offsets[-1]
        while page.has_more and page.hits:  # a short page, or the account grew while paging
            start += len(page.hits)
            page = self._page(method, filters, start)
            budget.take(page)
            hits.extend(page.hits)
        return hits

    def _page(self, method: str, filters: dict[str, Any], offset: int) -> Page:
        return page_of(method, self.client.search_page(method, filters, offset))

    def _once(self, key: tuple[str, Hashable], load: Callable[[], Any]) -> Any:
        with self._lock:
            future = self._cache.get(key)
            owner = future is None
            if future is None:
                future = self._cache[key] = Future()
        if owner:
            try:
                future.set_result(load())
            except BaseException as exc:
                with self._lock:
                    del self._cache[key]
                future.set_exception(exc)
        return future.result()


_QUOTED = re.compile(r'[\s"\[\]]')
"""Characters that make an address quote its identity (``app["my app"]``)."""

AMBIGUOUS: Any = object()
"""What ``ResourceKind.match`` returns when it reported that an entry cannot be matched."""

LiveAccount = dict[str, dict[Any, list[Live]]]
"""kind name -> identity -> live objects with that identity (more than one is ambiguous)."""


@dataclass
class PlanContext:
    """What kinds share while planning one account."""

    live: LiveAccount
    reader: LiveReader | None = None
    """Reads the same account at plan time (event types, quotes ...); None when the account is
    created by this very plan, so nothing of it can be read yet."""
    account: str = ""
    login_as: str | Ref | None = None
    ids: dict[tuple[str, Any], Any] = field(default_factory=dict)
    names: dict[tuple[str, Any], Any] = field(default_factory=dict)
    deleted: dict[str, set[Any]] = field(default_factory=lambda: defaultdict(set))
    failed: set[tuple[str, Any]] = field(default_factory=set)
    """(kind, identity) of entries already reported as errors: others skip them quietly."""
    replaced: dict[Any, Any] = field(default_factory=dict)
    ignored: dict[str, dict[Any, list[Live]]] = field(default_factory=dict)
    """Live objects hidden by ``policy.ignore``, by kind (out of ``live``)."""
    """Live id of an app being replaced -> id (or Ref) of the app that replaces it."""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _call_ids: set[str] = field(default_factory=set)

    @property
    def prefix(self) -> str:
        return f'subaccount["{self.account}"].' if self.account else ""

    def address(self, kind: str, identity: Any) -> str:
        text = str(identity)
        if _QUOTED.search(text):
            return f'{self.prefix}{kind}["{text}"]'
        return f"{self.prefix}{kind}.{text}"

    def publish(self, kind: str, identity: Any, ident: Any) -> None:
        """Record the id (or a Ref to it) of ``identity`` for kinds planned later."""
        self.ids[(kind, identity)] = ident
        if not isinstance(ident, Ref):
            self.names[(kind, ident)] = identity

    def id_of(self, kind: str, identity: Any) -> Any:
        return self.ids.get((kind, identity))

    def name_of(self, kind: str, ident: Any) -> Any:
        """The manifest identity of a live id; for an object the manifest does not manage
        (ignored ones too), its live name; the id itself when nothing names it."""
        named = self.names.get((kind, ident))
        if named is not None:
            return named
        return unmanaged_names(self, kind).get(ident, ident)

    def call(self, address: str, method: str, *, until: Until | None = None,
             **args: Any) -> Call:
        """A Call with a plan-unique, readable id (``app.bot:create``), acting in this account."""
        verb = method.rsplit(".", 1)[-1]
        base = f"{address}:{verb}"
        call_id, n = base, 1
        while call_id in self._call_ids:
            n += 1
            call_id = f"{base}#{n}"
        self._call_ids.add(call_id)
        return Call(call_id, method, tuple(args.items()), self.login_as, until)

    def read(self, method: str, **args: Any) -> Any:
        """A cached read-only call in this account; None when the account does not exist yet."""
        return None if self.reader is None else self.reader.call(method, **args)

    def error(self, message: str) -> None:
        self.errors.append(f"{self.prefix}{message}" if self.account else message)


class ResourceKind(ABC):
    """One kind of provisionable object. Subclasses are registered in ``resources.KINDS``."""

    kind: ClassVar[str]
    """Singular name used in addresses and output: ``app``."""
    section: ClassVar[str]
    """The manifest section: ``apps``."""
    rank: ClassVar[int]
    """Creates and updates run by ascending rank, deletes by descending rank."""
    needs: ClassVar[tuple[str, ...]] = ()
    """The ``Desired`` sections that make this kind worth reading (default: ``section``).
    An account whose manifest has none of them costs no call for this kind."""

    def needed(self, desired: Desired) -> bool:
        return any(getattr(desired, name) or name in desired.present
                   or desired.policy.prunes(name)
                   for name in self.needs or (self.section,))

    @abstractmethod
    def read(self, reader: LiveReader) -> list[Live]:
        """Every live object of this kind, normalized like the desired side."""

    def read_for(self, reader: LiveReader, desired: Desired) -> list[Live]:
        """The live objects planning ``desired`` needs (what the engine reads). By default,
        ``read``; a kind may skip calls whose answer cannot matter to this manifest."""
        return self.read(reader)

    def plan(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        """The changes that make the live objects (``ctx.live[self.kind]``) match ``desired``,
        under the account's policy: ignored objects hidden first, unmanaged ones pruned when
        the kind is listed in ``policy.prune``, deletes of protected entries refused."""
        policy.hide_ignored(self, desired, ctx)
        changes = self.plan_entries(desired, ctx)
        if desired.policy.prunes(self.section):
            changes.extend(self.prune(desired, ctx))
        policy.check_protected(self, desired, ctx, changes)
        return changes

    def plan_entries(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        """The changes of the manifest's entries. By default, ``reconcile`` the entries of
        ``section``; kinds with other rules (numbers, trunks matched by content, apps replaced
        on a package change) override it."""
        return self.reconcile(getattr(desired, self.section), ctx)

    def prune(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        """Deletes of the live objects no entry manages (``policy.prune`` lists the kind)."""
        return policy.prune(self, desired, ctx)

    def prunable(self, live: Live) -> bool:
        """Whether pruning may delete this live object (an archived sub-account: no)."""
        return True

    def entries(self, desired: Desired) -> Mapping[Any, Any]:
        """The manifest entries of this kind, by identity."""
        entries: Mapping[Any, Any] = getattr(desired, self.section)
        return entries

    def entry_address(self, identity: Any, ctx: PlanContext) -> str:
        """The address the changes of an entry carry."""
        return ctx.address(self.kind, identity)

    def renaming(self, identity: Any, live: Live, change: Change | None,
                 ctx: PlanContext) -> Change | None:
        """The change of an entry matched through ``previous_names``: by default, the kind
        cannot rename and ``change`` stays as is."""
        return change

    def reconcile(self, entries: Mapping[Any, Any], ctx: PlanContext) -> list[Change]:
        """Match entries to live objects (``match``): ``absent: true`` deletes what
        ``to_delete`` finds; otherwise create the missing object or update the one found."""
        changes: list[Change] = []
        for identity, spec in entries.items():
            if getattr(spec, "absent", False):
                changes.extend(self.delete(identity, live, ctx)
                               for live in self.to_delete(identity, spec, ctx))
                continue
            changes.extend(self.remove_duplicates(identity, ctx))
            live = self.match(identity, spec, ctx)
            if live is None:
                ok, live = policy.rename_candidate(self, identity, spec, ctx)
                if not ok:
                    continue  # reported: more than one live object to rename
            if live is AMBIGUOUS:
                continue  # ``match`` reported it
            want = self.want(identity, spec, ctx)
            if want is None:
                continue  # the kind reported why
            if live is None:
                change = self.create(identity, want, ctx)
            else:
                ctx.publish(self.kind, identity, live.id)
                change = self.update(identity, live, want, ctx)
                if live.identity != identity:
                    change = self.renaming(identity, live, change, ctx)
            if change is not None:
                changes.append(change)
        return changes

    def keep(self, identity: Any, found: list[Live], ctx: PlanContext) -> Split | None:
        """Of live objects sharing ``identity``, the copy to keep and the extra copies to
        delete (``duplicates``); None (the default) when the kind cannot tell them apart
        safely: the plan then reports them."""
        return None

    def remove_duplicates(self, identity: Any, ctx: PlanContext) -> list[Change]:
        """Deletes of the extra copies of ``identity``, marked as duplicates (``keep``)."""
        found = ctx.live.get(self.kind, {}).get(identity, [])
        kept = self.keep(identity, found, ctx) if len(found) > 1 else None
        if kept is None:
            return []
        keeper, extras = kept
        changes = []
        for extra in extras:
            ctx.deleted[self.kind].add(extra.id)
            changes.append(duplicates.marked(self.delete(identity, extra, ctx), keeper,
                                             len(found), self.section))
        return changes

    def match(self, identity: Any, spec: Any, ctx: PlanContext) -> Any:
        """The live object an entry manages, None if there is none, or AMBIGUOUS after
        reporting a plan error. By default: the one live object with the same identity."""
        live = self.unique(identity, ctx)
        if live is None and ctx.live.get(self.kind, {}).get(identity):
            return AMBIGUOUS
        return live

    def to_delete(self, identity: Any, spec: Any, ctx: PlanContext) -> list[Live]:
        """The live objects an ``absent: true`` entry removes: all of that identity."""
        return list(ctx.live.get(self.kind, {}).get(identity, []))

    def want(self, identity: Any, spec: Any, ctx: PlanContext) -> Any:
        """The desired state of one entry, normalized like live objects; None to skip it."""
        return spec

    def create(self, identity: Any, want: Any, ctx: PlanContext) -> Change | None:
        raise NotImplementedError(f"{self.kind} does not create through reconcile")

    def update(self, identity: Any, live: Live, want: Any, ctx: PlanContext) -> Change | None:
        raise NotImplementedError(f"{self.kind} does not update through reconcile")

    def delete(self, identity: Any, live: Live, ctx: PlanContext) -> Change:
        raise NotImplementedError(f"{self.kind} does not delete through reconcile")

    def unique(self, identity: Any, ctx: PlanContext) -> Live | None:
        """The one live object with ``identity``, None if none; two or more is a plan error."""
        deleted = ctx.deleted.get(self.kind, set())
        found = [obj for obj in ctx.live.get(self.kind, {}).get(identity, [])
                 if obj.id not in deleted]  # extra copies this plan removes do not count
        if len(found) > 1:
            ids = ", ".join(str(obj.id) for obj in found)
            ctx.failed.add((self.kind, identity))
            ctx.error(
                f"{len(found)} {self.section} on the account are identified as {identity!r} "
                f"({ids}): rename or remove all but one before managing it"
            )
            return None
        return found[0] if found else None


def unmanaged_names(ctx: PlanContext, kind: str) -> dict[Any, Any]:
    """Live id -> live name of every object of ``kind`` the account has, ignored ones too."""
    return {live.id: identity
            for table in (ctx.live.get(kind, {}), ctx.ignored.get(kind, {}))
            for identity, lives in table.items() for live in lives}


def over_rest(ctx: PlanContext) -> bool:
    """Whether this plan reads and writes through REST API v2 (kinds whose calls differ)."""
    return ctx.reader is not None and getattr(ctx.reader.client, "api", "") == "rest"
