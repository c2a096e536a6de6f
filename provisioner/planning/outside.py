"""Changes made outside the manifests: what a plan reverts, told apart from what a PR changes.

``plan --base DIR`` loads the manifests of the base branch beside the PR's. A change of the plan
is "outside the manifests" (drift) when the manifests did not change where it applies:

- its object's manifest entry is the same in the base and in the PR (the live object was
  changed by hand, so apply changes it back);
- or, for a delete or unassign of an object no manifest names (``policy.prune``), neither
  manifest names it and the account's ``policy`` did not change (it appeared on the account).

Everything else (new entries, edited entries, consequences of other changes such as numbers
freed by deleting their app) is the PR's own change. Entries are compared as the manifests set
them (fields left unset stay unset), so moving an entry to another file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from provisioner.manifest.desired import Desired
from provisioner.models.manifest import SECTIONS, Section
from provisioner.planning.plan import Action, Change, Plan
from provisioner.resources.base import PlanContext

SECTION_KINDS: dict[str, tuple[str, str]] = {
    "apps": ("app", ""), "numbers": ("number", ""), "media": ("media", ""),
    "sip_subscribers": ("sip_subscriber", ""),
    "trunks_origination": ("sip_trunk", "origination."),
    "trunks_termination": ("sip_trunk", "termination."),
    "webhooks": ("webhook", ""),
}
"""Manifest section -> (kind of its changes, prefix of the identity in change addresses)."""

PRUNING = (Action.DELETE, Action.UNASSIGN)


def addressed(desired: Desired, account: str = "") -> Iterator[tuple[Section, Any, str, str]]:
    """(section, identity, identity as the manifest shows it, change address) of every entry
    of one account."""
    ctx = PlanContext({}, account=account)
    for section in SECTIONS:
        if section.name not in SECTION_KINDS:
            continue
        kind, before = SECTION_KINDS[section.name]
        for identity in desired.names(section.name):
            shown = f"{identity[0]}->{identity[1]}" if section.name == "webhooks" else identity
            yield section, identity, str(shown), ctx.address(kind, f"{before}{shown}")


def entries(desired: Desired) -> dict[str, Any]:
    """Change address -> the manifest's entry, normalized, for the master and its sub-accounts
    (the policy of each account under ``policy:ACCOUNT``)."""
    out: dict[str, Any] = {}
    accounts = [("", desired), *desired.accounts.items()]
    for account, one in accounts:
        for section, identity, _, address in addressed(one, account):
            out[address] = _normal(getattr(one, section.name).get(identity))
        out[f"policy:{account}"] = _normal(one.policy)
    master = PlanContext({})
    for name, spec in desired.subaccounts.items():
        out[master.address("subaccount", name)] = _normal(spec, exclude={"resources"})
    return out


def changed_outside(plan: Plan, head: Desired, base: Desired) -> tuple[str, ...]:
    """The addresses of the plan's changes that the manifests did not ask for (drift)."""
    now, before = entries(head), entries(base)
    found = [change.address for change in plan.changes
             if _outside(change, now, before)]
    return tuple(dict.fromkeys(found))


def _outside(change: Change, now: dict[str, Any], before: dict[str, Any]) -> bool:
    if change.address in now:
        return change.address in before and now[change.address] == before[change.address]
    if change.address in before or change.action not in PRUNING or not change.calls:
        return False
    if any(True for call in change.calls for _ in call.refs()):
        return False  # it follows another change (a replaced app's number)
    policy = f"policy:{change.account}"
    return now.get(policy) == before.get(policy)


def _normal(value: Any, exclude: set[str] | None = None) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_unset=True, exclude=exclude)
    return value
