"""The pipeline, from manifest files to API calls, in one line of data.

    manifest files --manifest.load-->       Desired   (validated, merged, cross-checked; offline)
    CALLR account  --Kind.read-->           live      (per kind, identity -> Live; fewest calls)
    Desired + live --Kind.plan-->           Changes   (match by identity, normalize, compare)
    Changes        --planner.order-->       Plan      (immutable: calls, Refs to earlier results)
    Plan           --render.*-->            text | markdown | json      (``plan`` stops here)
    Plan           --Executor.run-->        API calls + ApplyReport     (``apply``)
    Plan           --planfile.dumps-->      plan.json (sealed: ``planseal``; secrets as references)
    plan.json      --planfile.load-->       Plan (stale? ``planbasis``; safety derived again
                                                  from the calls: ``plancheck``) --> Executor.run

The folders follow these stages: ``manifest/`` (files -> Desired), ``resources/`` (one module per
kind: read, identity, normalize, create/update/delete), ``planning/`` (changes -> Plan, saved
plans), ``render/`` (a Plan as text), ``applying/`` (executor, recovery, journal, lock).

Backends: kinds name their calls by operation, spelt like the JSON-RPC methods of
``api/methods.py``. The backend is chosen once, at the edge (``target.py``: ``--api``, or an
endpoint ending in ``/v2.0``): JSON-RPC sends them as they are; REST v2 translates each through
its one table (``api/rest/table.py``), and a kind it cannot express is refused at plan time,
before any call. A saved plan names its API.

Sub-accounts: the master account is read and planned first (sub-accounts rank first, so they
are created first); then each sub-account's ``resources`` is planned as an account of its own,
read with Login-As, or, when this plan creates the sub-account, planned against an empty
account whose calls carry a Ref to the new hash as their Login-As.

``plan`` is apply's dry run: the same Plan object is what ``apply`` executes, so the calls a
reviewer approved are exactly the calls made. Nothing before ``Executor.run`` writes to the API,
and a PlanError (ambiguous live objects, a number the account lacks ...) stops before any write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from provisioner.api.client import CallrClient
from provisioner.api.rest.session import api_of
from provisioner.applying.executor import ApplyReport, Executor, StepResult
from provisioner.errors import PlanError, ProtocolError, PurchaseNotAllowed
from provisioner.manifest.desired import Desired, load
from provisioner.migrate import readiness
from provisioner.planning import planfile, planner, safety
from provisioner.planning.plan import Action, Change, Plan, Ref
from provisioner.resources import KINDS, SUBACCOUNTS, LiveReader, PlanContext
from provisioner.resources.base import Live, LiveAccount, ResourceKind

log = logging.getLogger(__name__)

RANKS = {kind.kind: kind.rank for kind in (SUBACCOUNTS, *KINDS)} | {"order": 55}
"""Ranks by kind name; DID store orders (planned by the numbers kind) run after assignments."""


def read_live(reader: LiveReader, desired: Desired,
              kinds: Sequence[ResourceKind] = KINDS,
              on_read: Callable[[ResourceKind, list[Live]], None] | None = None) -> LiveAccount:
    """The live objects of every kind the manifest needs, grouped by identity.

    Kinds the manifest does not mention are not read at all: a manifest of apps and numbers
    costs one or two calls (``apps.get_list(true)``, and ``apps.get_dids(true)`` when it names
    a number no app holds). Kinds are read concurrently (the session caps requests in flight);
    the result keeps the order of ``kinds``. ``on_read`` is told of each kind once it is read
    (in the reading thread), so dependent reads can start while other kinds are still read.
    """
    needed = [kind for kind in kinds if kind.needed(desired)]
    live: LiveAccount = {}

    def work(kind: ResourceKind) -> list[Live]:
        try:
            with reader.reading(kind.section):
                objs = kind.read_for(reader, desired)
        except ProtocolError as exc:
            if exc.code != METHOD_NOT_FOUND:
                raise
            raise PlanError([missing_method(kind, exc.method)]) from None
        if on_read is not None:
            on_read(kind, objs)
        return objs

    read = _concurrently(reader.client, needed, work)
    for kind, objs in zip(needed, read, strict=True):
        grouped: dict[object, list[Live]] = {}
        for obj in objs:
            grouped.setdefault(obj.identity, []).append(obj)
        live[kind.kind] = grouped
    return live


METHOD_NOT_FOUND = -32601


def missing_method(kind: ResourceKind, method: str) -> str:
    """The plan error of a kind whose read method the account does not have."""
    return (f"{kind.section}: the account has no method {method or '(unknown)'} (error -32601), "
            f"which reading {kind.section} needs; remove the section or use an account that "
            "offers it. Nothing was changed.")


T = TypeVar("T")
R = TypeVar("R")


MAX_READ_THREADS = 32


def _concurrently(client: CallrClient, items: Sequence[T], work: Callable[[T], R]) -> list[R]:
    """``[work(item) for item in items]`` on one thread per item (up to ``MAX_READ_THREADS``),
    in order; the first item's error (in ``items`` order) is raised after every started item
    ended. The session's in-flight cap (``client.parallelism``) bounds the requests, so a thread
    waiting for a read another kind shares never leaves a request slot idle. A parallelism of 1
    works through the items one by one, in order."""
    if client.parallelism <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    workers = min(len(items), MAX_READ_THREADS)
    with ThreadPoolExecutor(workers, thread_name_prefix="read") as pool:
        futures = [pool.submit(work, item) for item in items]
    return [future.result() for future in futures]


def plan_account(desired: Desired, ctx: PlanContext) -> list[Change]:
    """The unordered changes of one account, every kind planned in rank order."""
    changes: list[Change] = []
    for kind in KINDS:
        if kind.needed(desired):
            changes.extend(kind.plan(desired, ctx))
    return changes


def build_plan(desired: Desired, client: CallrClient, target: str, *,
               targets: Sequence[str] = ()) -> Plan:
    api = api_of(client)
    found = readiness.blockers(desired)
    if api == "rest":
        readiness.refuse(desired)  # before any call: kinds REST v2 cannot manage, by name
    reader = LiveReader(client)
    with _SubaccountReads(client, desired) as early:  # sub-accounts read beside the master
        ctx = PlanContext(read_live(reader, desired, (SUBACCOUNTS, *KINDS), early.start),
                          reader)
        changes = SUBACCOUNTS.plan(desired, ctx) + plan_account(desired, ctx)
        subs = _subaccount_contexts(client, desired, ctx, early)
    errors, warnings = list(ctx.errors), list(ctx.warnings)
    accounts = [planfile.Account(desired, ctx)]
    for name, sub in subs.items():
        nested = desired.accounts[name]
        changes.extend(plan_account(nested, sub))
        accounts.append(planfile.Account(nested, sub))
        errors.extend(sub.errors)
        warnings.extend(sub.warnings)
    if errors:
        raise PlanError(errors)
    changes = [experimental(change) for change in changes]
    log.info("read the account in %d calls", client.call_count)
    ordered = planner.order(changes, RANKS)
    if targets:  # --target: only the targeted changes and those they refer to
        from provisioner.planning.targeting import select

        ordered = select(ordered, desired, targets)
    plan = Plan(target, ordered, tuple(warnings), api=api,
                readiness=tuple(b.to_dict() for b in found))
    plan = planfile.with_evidence(plan, accounts)  # basis, routing impact, secret sources
    return safety.checked(plan, accounts)  # policy.safety thresholds: Plan.unsafe


class _SubaccountReads:
    """Sub-account reads started as soon as the master's sub-account list is read, while the
    master's other kinds are still being read: one wave of reads instead of two. A sub-account
    is read early when its manifest entry matches a live one by name (or pinned hash), which is
    what planning will find; ``take`` hands the read over. Off with a parallelism of 1."""

    def __init__(self, client: CallrClient, desired: Desired) -> None:
        self.client = client
        self.desired = desired
        self._reads: dict[str, Future[tuple[LiveReader, LiveAccount]]] = {}
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> _SubaccountReads:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def start(self, kind: ResourceKind, objs: list[Live]) -> None:
        if kind is not SUBACCOUNTS or self.client.parallelism <= 1:
            return
        grouped: dict[object, list[Live]] = {}
        for obj in objs:
            grouped.setdefault(obj.identity, []).append(obj)
        probe = PlanContext({SUBACCOUNTS.kind: grouped})
        wanted: list[tuple[str, Desired]] = []
        for name, nested in self.desired.accounts.items():
            spec = self.desired.subaccounts.get(name)
            live = None if spec is None or spec.absent else SUBACCOUNTS.match(name, spec, probe)
            if isinstance(live, Live) and isinstance(live.id, str):
                wanted.append((live.id, nested))
        if not wanted:
            return
        self._pool = ThreadPoolExecutor(min(len(wanted), MAX_READ_THREADS),
                                        thread_name_prefix="subaccount")
        for login_as, nested in wanted:
            self._reads[login_as] = self._pool.submit(self._read, login_as, nested)

    def _read(self, login_as: str, desired: Desired) -> tuple[LiveReader, LiveAccount]:
        reader = LiveReader(self.client.as_account(login_as))
        return reader, read_live(reader, desired)

    def take(self, login_as: str) -> tuple[LiveReader, LiveAccount] | None:
        """The early read of ``login_as`` (its error raised), or None if there is none."""
        future = self._reads.pop(login_as, None)
        return None if future is None else future.result()


PROBED_KINDS = frozenset({"webhook", "sip_subscriber", "sip_trunk"})
"""Kinds read through inferred methods (``webhooks.get_list``, ``sip/*.search``)."""


def _probe_methods(reader: LiveReader, desired: Desired) -> None:
    """For a sub-account this plan creates (nothing of it can be read yet): read, in the
    authenticated account, the kinds its manifest needs whose read methods are inferred, so a
    method the API lacks fails the plan before any write (PlanError) instead of the apply."""
    kinds = [kind for kind in KINDS if kind.kind in PROBED_KINDS and kind.needed(desired)]
    if kinds:
        read_live(reader, desired, kinds)


EXPERIMENTAL_KINDS = frozenset({"sip_subscriber", "sip_trunk"})
EXPERIMENTAL_NOTE = ("experimental: the sip/* methods are inferred from CALLR's naming (no public "
                     "client calls them); a method the account lacks fails the plan")


def experimental(change: Change) -> Change:
    """A change of a kind whose API methods are unconfirmed, marked so in the plan."""
    if change.kind not in EXPERIMENTAL_KINDS or EXPERIMENTAL_NOTE in change.notes:
        return change
    return replace(change, notes=(*change.notes, EXPERIMENTAL_NOTE))


def _subaccount_contexts(client: CallrClient, desired: Desired, ctx: PlanContext,
                         early: _SubaccountReads | None = None) -> dict[str, PlanContext]:
    """The context of every sub-account the plan manages (not absent, and found or created),
    in manifest order; existing ones read concurrently, planning them stays sequential."""
    wanted: list[tuple[str, str | Ref, Desired]] = []
    for name, nested in desired.accounts.items():
        spec = desired.subaccounts.get(name)
        login_as = ctx.id_of(SUBACCOUNTS.kind, name)
        if spec is not None and not spec.absent and login_as is not None:
            wanted.append((name, login_as, nested))
    contexts = _concurrently(client, wanted,
                             lambda one: _subaccount_context(client, *one, early, ctx.reader))
    return {name: sub for (name, _, _), sub in zip(wanted, contexts, strict=True)}


def _subaccount_context(client: CallrClient, name: str, login_as: str | Ref,
                        desired: Desired, early: _SubaccountReads | None = None,
                        master: LiveReader | None = None) -> PlanContext:
    """The context of a sub-account: read with Login-As, or empty when this plan creates it
    (then the master's ``reader`` probes the inferred read methods its manifest needs)."""
    if isinstance(login_as, Ref):
        _probe_methods(master or LiveReader(client), desired)
        return PlanContext({}, None, account=name, login_as=login_as)
    found = early.take(login_as) if early is not None else None
    if found is not None:
        return PlanContext(found[1], found[0], account=name, login_as=login_as)
    reader = LiveReader(client.as_account(login_as))
    return PlanContext(read_live(reader, desired), reader, account=name, login_as=login_as)


def plan_paths(paths: Sequence[str | Path], client: CallrClient, target: str,
               env: Mapping[str, str] | None = None) -> Plan:
    """The plan of manifest files against the account ``client`` reads (the library's
    one-call entry point)."""
    return build_plan(load(paths, env), client, target)


def check_purchases(plan: Plan, allow_purchase: bool) -> None:
    """PurchaseNotAllowed, before any write, for a plan that buys numbers without consent."""
    purchases = [c for c in plan.changes if c.action is Action.PURCHASE]
    if purchases and not allow_purchase:
        what = "; ".join(f"{c.address}: {c.summary}" for c in purchases)
        raise PurchaseNotAllowed(
            f"this plan buys numbers ({what}); nothing was applied. Re-run with "
            "--allow-purchase to accept the cost shown in the plan."
        )


def apply_plan(plan: Plan, client: CallrClient,
               on_step: Callable[[StepResult], None] | None = None, *,
               allow_purchase: bool = False, parallelism: int | None = None,
               journal_dir: Path | None = None) -> ApplyReport:
    """Run the plan's calls; refuse before any write a plan that buys numbers, unless allowed.

    Independent changes run ``parallelism`` at a time (``Executor``; default: the client
    session's in-flight cap); with ``journal_dir``, every call is journaled in a new JSON-lines
    file there (``provisioner.applying.journal``)."""
    from provisioner.applying.journal import Journal

    check_purchases(plan, allow_purchase)
    journal = Journal(journal_dir, plan) if journal_dir is not None else None
    if parallelism is None:
        parallelism = client.parallelism
    return Executor(client, on_step=on_step, parallelism=parallelism,
                    journal=journal).run(plan)

