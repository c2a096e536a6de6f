"""The pipeline, from manifest files to API calls, in one line of data.

    manifest files --manifest.load-->       Desired   (validated, merged, cross-checked; offline)
    CALLR account  --Kind.read-->           live      (per kind, identity -> Live; fewest calls)
    Desired + live --Kind.plan-->           Changes   (match by identity, normalize, compare)
    Changes        --planner.order-->       Plan      (immutable: calls, Refs to earlier results)
    Plan           --render.*-->            text | markdown | json      (``plan`` stops here)
    Plan           --Executor.run-->        API calls + ApplyReport     (``apply``)

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
from provisioner.errors import PlanError
from provisioner.executor import ApplyReport, Executor, StepResult
from provisioner.manifest import Desired, load
from provisioner.plan import Change, Plan
from provisioner.resources import KINDS, LiveReader, PlanContext
from provisioner.resources.base import Live, LiveAccount

log = logging.getLogger(__name__)

RANKS = {kind.kind: kind.rank for kind in KINDS}


def read_live(reader: LiveReader) -> LiveAccount:
    """Every kind's live objects in the account ``reader`` reads, grouped by identity."""
    live: LiveAccount = {}
    for kind in KINDS:
        grouped: dict[object, list[Live]] = {}
        for obj in kind.read(reader):
            grouped.setdefault(obj.identity, []).append(obj)
        live[kind.kind] = grouped
    return live


def plan_account(desired: Desired, ctx: PlanContext) -> list[Change]:
    """The unordered changes of one account, every kind planned in rank order."""
    changes: list[Change] = []
    for kind in KINDS:
        changes.extend(kind.plan(desired, ctx))
    return changes


def build_plan(desired: Desired, client: CallrClient, target: str) -> Plan:
    reader = LiveReader(client)
    ctx = PlanContext(read_live(reader), reader)
    changes = plan_account(desired, ctx)
    if ctx.errors:
        raise PlanError(ctx.errors)
    log.info("read the account in %d calls", client.call_count)
    return Plan(target, planner.order(changes, RANKS), tuple(ctx.warnings))


def plan_paths(paths: Sequence[str | Path], client: CallrClient, target: str,
               env: Mapping[str, str] | None = None) -> Plan:
    return build_plan(load(paths, env), client, target)


def apply_plan(plan: Plan, client: CallrClient,
               on_step: Callable[[StepResult], None] | None = None) -> ApplyReport:
    return Executor(client, on_step=on_step).run(plan)

