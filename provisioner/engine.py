"""The pipeline, from manifest files to API calls, in one line of data.

    manifest files --manifest.load-->       Desired   (validated, merged, cross-checked; offline)
    CALLR account  --Kind.read-->           live      (per kind, identity -> Live; fewest calls)
    Desired + live --Kind.plan-->           Changes   (match by identity, normalize, compare)
    Changes        --planner.order-->       Plan      (immutable: calls, Refs to earlier results)
    Plan           --render.*-->            text | markdown | json      (``plan`` stops here)
    Plan           --Executor.run-->        API calls + ApplyReport     (``apply``)

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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from provisioner import planfile, planner, safety
from provisioner.api.client import CallrClient
from provisioner.errors import PlanError, PurchaseNotAllowed
from provisioner.executor import ApplyReport, Executor, StepResult
from provisioner.manifest import Desired, load
from provisioner.plan import Action, Change, Plan, Ref
from provisioner.resources import KINDS, SUBACCOUNTS, LiveReader, PlanContext
from provisioner.resources.base import Live, LiveAccount, ResourceKind

log = logging.getLogger(__name__)

RANKS = {kind.kind: kind.rank for kind in (SUBACCOUNTS, *KINDS)} | {"order": 55}
"""Ranks by kind name; DID store orders (planned by the numbers kind) run after assignments."""


def read_live(reader: LiveReader, desired: Desired,
              kinds: Sequence[ResourceKind] = KINDS) -> LiveAccount:
    """The live objects of every kind the manifest needs, grouped by identity.

    Kinds the manifest does not mention are not read at all: a manifest of apps and numbers
    costs two calls (``apps.get_list(true)`` and ``apps.get_dids(true)``). Kinds are read
    concurrently (the session caps requests in flight); the result keeps the order of ``kinds``.
    """
    needed = [kind for kind in kinds if kind.needed(desired)]
    live: LiveAccount = {}
    read = _concurrently(reader.client, needed, lambda kind: kind.read(reader))
    for kind, objs in zip(needed, read, strict=True):
        grouped: dict[object, list[Live]] = {}
        for obj in objs:
            grouped.setdefault(obj.identity, []).append(obj)
        live[kind.kind] = grouped
    return live


T = TypeVar("T")
R = TypeVar("R")


def _concurrently(client: CallrClient, items: Sequence[T], work: Callable[[T], R]) -> list[R]:
    """``[work(item) for item in items]`` on up to ``client.parallelism`` threads, in order;
    the first item's error (in ``items`` order) is raised after every started item ended."""
    workers = min(len(items), getattr(client, "parallelism", 1))
    if workers <= 1:
        return [work(item) for item in items]
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
    reader = LiveReader(client)
    ctx = PlanContext(read_live(reader, desired, (SUBACCOUNTS, *KINDS)), reader)
    changes = SUBACCOUNTS.plan(desired, ctx) + plan_account(desired, ctx)
    errors, warnings = list(ctx.errors), list(ctx.warnings)
    accounts = [planfile.Account(desired, ctx)]
    subs = _subaccount_contexts(client, desired, ctx)  # every sub-account read concurrently
    for name, nested in desired.accounts.items():
        spec = desired.subaccounts.get(name)
        login_as = ctx.id_of(SUBACCOUNTS.kind, name)
        if spec is None or spec.absent or login_as is None:
            continue
        sub = subs[name]
        changes.extend(plan_account(nested, sub))
        accounts.append(planfile.Account(nested, sub))
        errors.extend(sub.errors)
        warnings.extend(sub.warnings)
    if errors:
        raise PlanError(errors)
    log.info("read the account in %d calls", client.call_count)
    ordered = planner.order(changes, RANKS)
    if targets:  # --target: only the targeted changes and those they refer to
        from provisioner.targeting import select

        ordered = select(ordered, desired, targets)
    plan = Plan(target, ordered, tuple(warnings))
    plan = planfile.with_evidence(plan, accounts)  # basis, routing impact, secret sources
    return safety.checked(plan, accounts)  # policy.safety thresholds: Plan.unsafe


def _subaccount_contexts(client: CallrClient, desired: Desired,
                         ctx: PlanContext) -> dict[str, PlanContext]:
    """The context of every sub-account the plan manages (same filter as ``build_plan``'s
    loop), existing ones read concurrently; planning them stays sequential and in order."""
    wanted: list[tuple[str, str | Ref, Desired]] = []
    for name, nested in desired.accounts.items():
        spec = desired.subaccounts.get(name)
        login_as = ctx.id_of(SUBACCOUNTS.kind, name)
        if spec is not None and not spec.absent and login_as is not None:
            wanted.append((name, login_as, nested))
    contexts = _concurrently(client, wanted,
                             lambda one: _subaccount_context(client, *one))
    return {name: sub for (name, _, _), sub in zip(wanted, contexts, strict=True)}


def _subaccount_context(client: CallrClient, name: str, login_as: str | Ref,
                        desired: Desired) -> PlanContext:
    """The context of a sub-account: read with Login-As, or empty when this plan creates it."""
    if isinstance(login_as, Ref):
        return PlanContext({}, None, account=name, login_as=login_as)
    reader = LiveReader(client.as_account(login_as))
    return PlanContext(read_live(reader, desired), reader, account=name, login_as=login_as)


def plan_paths(paths: Sequence[str | Path], client: CallrClient, target: str,
               env: Mapping[str, str] | None = None) -> Plan:
    return build_plan(load(paths, env), client, target)


def apply_plan(plan: Plan, client: CallrClient,
               on_step: Callable[[StepResult], None] | None = None, *,
               allow_purchase: bool = False, parallelism: int | None = None,
               journal_dir: Path | None = None) -> ApplyReport:
    """Run the plan's calls; refuse before any write a plan that buys numbers, unless allowed.

    Independent changes run ``parallelism`` at a time (``Executor``; default: the client
    session's in-flight cap); with ``journal_dir``, every call is journaled in a new JSON-lines
    file there (``provisioner.journal``)."""
    from provisioner.journal import Journal

    purchases = [c for c in plan.changes if c.action is Action.PURCHASE]
    if purchases and not allow_purchase:
        what = "; ".join(f"{c.address}: {c.summary}" for c in purchases)
        raise PurchaseNotAllowed(
            f"this plan buys numbers ({what}); nothing was applied. Re-run with "
            "--allow-purchase to accept the cost shown in the plan."
        )
    journal = Journal(journal_dir, plan) if journal_dir is not None else None
    if parallelism is None:
        parallelism = int(getattr(client, "parallelism", 4))
    return Executor(client, on_step=on_step, parallelism=parallelism,
                    journal=journal).run(plan)

