"""Safety thresholds, like octoDNS: a plan that changes too much of an account is unsafe.

For each account and kind, the changes that touch live objects are weighed: a delete, replace or
update counts 1; a DID reassignment or unassignment counts 2 (calls to that number start going
elsewhere, or nowhere). Creates, purchases and assignments of a free DID count 0: they touch
nothing that works today (a number that routes nowhere cannot break). When the kind has at least
``min_existing`` live objects and the weight is more than ``max_change_percent`` of them, the
plan is unsafe. Any replace or delete of a SIP trunk is unsafe
by itself (every call through it depends on it).

An unsafe plan is still shown in full; ``plan`` and ``apply`` then exit with code 3 unless
``--force`` is given, and ``apply`` writes nothing. The rule is a pure function of the plan, the
live counts the engine read and each account's ``policy.safety``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from provisioner.models.policy import Safety
from provisioner.planning.plan import Action, Change, Plan

if TYPE_CHECKING:
    from provisioner.manifest.desired import Desired
    from provisioner.resources.base import PlanContext

WEIGHTS: dict[Action, int] = {
    Action.UPDATE: 1, Action.REPLACE: 1, Action.DELETE: 1,
    Action.REASSIGN: 2, Action.UNASSIGN: 2,
}
ALWAYS_UNSAFE = {("sip_trunk", Action.REPLACE), ("sip_trunk", Action.DELETE)}
LiveCounts = Mapping[tuple[str, str], int]
"""(account, kind) -> how many live objects of that kind the account has ("" is the master)."""


class Planned(Protocol):
    """One planned account: its manifest and the context it was planned in."""

    @property
    def desired(self) -> Desired: ...

    @property
    def ctx(self) -> PlanContext: ...


def checked(plan: Plan, accounts: Sequence[Planned]) -> Plan:
    """The plan with ``unsafe`` set from the live counts of every planned account (ignored
    objects are out of ``ctx.live``, so they do not count) and each account's thresholds."""
    counts: dict[tuple[str, str], int] = {}
    thresholds: dict[str, Safety] = {}
    for one in accounts:
        thresholds[one.ctx.account] = one.desired.policy.safety
        for kind, grouped in one.ctx.live.items():
            counts[(one.ctx.account, kind)] = sum(len(lives) for lives in grouped.values())
    return replace(plan, unsafe=assess(plan, counts, thresholds))


def weight(change: Change) -> int:
    return WEIGHTS.get(change.action, 0)


def assess(plan: Plan, live_counts: LiveCounts,
           thresholds: Mapping[str, Safety] | None = None) -> tuple[str, ...]:
    """Why the plan is unsafe (one message per account and kind), or () when it is safe.

    ``thresholds`` maps an account ("" for the master) to its ``policy.safety``; an account
    without one gets the defaults.
    """
    thresholds = thresholds or {}
    weights: dict[tuple[str, str], int] = defaultdict(int)
    reasons: list[str] = []
    for change in plan.changes:
        if (change.kind, change.action) in ALWAYS_UNSAFE:
            reasons.append(f"{change.address}: a SIP trunk {change.action.value} is always "
                           "unsafe (calls through the trunk depend on it)")
        weights[(change.account, change.kind)] += weight(change)
    for (account, kind), total in sorted(weights.items()):
        live = live_counts.get((account, kind), 0)
        safety = thresholds.get(account) or Safety()
        if total == 0 or live == 0 or live < safety.min_existing:
            continue
        percent = 100.0 * total / live
        if percent > safety.max_change_percent:
            where = f"sub-account {account!r}: " if account else ""
            reasons.append(
                f"{where}{kind}: changes weigh {percent:.0f}% of the {live} live objects "
                f"(more than policy.safety.max_change_percent {safety.max_change_percent:g}%; "
                "reassigned or unassigned numbers count twice)"
            )
    return tuple(reasons)


def message(reasons: tuple[str, ...], *, applying: bool) -> str:
    """What the CLI says about an unsafe plan, naming ``--force``."""
    what = "nothing was applied" if applying else "the plan was not accepted"
    lines = "; ".join(reasons)
    return (f"unsafe plan: {lines}. Review it, then re-run with --force to accept it "
            f"({what}).")
