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
from pathlib import Path

from provisioner import planner
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
    costs two calls (``apps.get_list(true)`` and ``apps.get_dids(true)``).
    """
    live: LiveAccount = {}
    for kind in kinds:
        if not kind.needed(desired):
            continue
        grouped: dict[object, list[Live]] = {}
        for obj in kind.read(reader):
            grouped.setdefault(obj.identity, []).append(obj)
        live[kind.kind] = grouped
    return live


def plan_account(desired: Desired, ctx: PlanContext) -> list[Change]:
    """The unordered changes of one account, every kind planned in rank order."""
    changes: list[Change] = []
    for kind in KINDS:
        if kind.needed(desired):
            changes.extend(kind.plan(desired, ctx))
    return changes


def build_plan(desired: Desired, client: CallrClient, target: str) -> Plan:
    reader = LiveReader(client)
    ctx = PlanContext(read_live(reader, desired, (SUBACCOUNTS, *KINDS)), reader)
    changes = SUBACCOUNTS.plan(desired, ctx) + plan_account(desired, ctx)
    errors, warnings = list(ctx.errors), list(ctx.warnings)
    for name, nested in desired.accounts.items():
        spec = desired.subaccounts.get(name)
        login_as = ctx.id_of(SUBACCOUNTS.kind, name)
        if spec is None or spec.absent or login_as is None:
            continue
        sub = _subaccount_context(client, name, login_as, nested)
        changes.extend(plan_account(nested, sub))
        errors.extend(sub.errors)
        warnings.extend(sub.warnings)
    if errors:
        raise PlanError(errors)
    log.info("read the account in %d calls", client.call_count)
    return Plan(target, planner.order(changes, RANKS), tuple(warnings))


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
               allow_purchase: bool = False) -> ApplyReport:
    """Run the plan's calls; refuse before any write a plan that buys numbers, unless allowed."""
    purchases = [c for c in plan.changes if c.action is Action.PURCHASE]
    if purchases and not allow_purchase:
        what = "; ".join(f"{c.address}: {c.summary}" for c in purchases)
        raise PurchaseNotAllowed(
            f"this plan buys numbers ({what}); nothing was applied. Re-run with "
            "--allow-purchase to accept the cost shown in the plan."
        )
    return Executor(client, on_step=on_step).run(plan)

