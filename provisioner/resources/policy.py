"""The account's ``policy`` applied while a kind plans: ignore, prune, protect, rename.

``ResourceKind.plan`` calls these around each kind's own planning (``plan_entries``):

- ``hide_ignored`` moves live objects matching ``policy.ignore`` out of ``ctx.live`` (into
  ``ctx.ignored``) before the kind looks at them, so they are neither matched, updated,
  renamed nor pruned, and are not counted by the safety thresholds;
- ``prune`` deletes the live objects of a kind listed in ``policy.prune`` that no entry manages
  (not defined, not matched through ``previous_names``, not already deleted);
- ``check_protected`` turns every delete or replace of an entry marked ``protect: true`` (or of a
  live object named in its ``previous_names``) into a plan error;
- ``rename_candidate`` finds the one live object an entry's ``previous_names`` designate.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from provisioner.models.policy import SECTION_OF
from provisioner.planning.plan import Action, Change

if TYPE_CHECKING:
    from provisioner.manifest.desired import Desired
    from provisioner.resources.base import Live, PlanContext, ResourceKind


def hide_ignored(kind: ResourceKind, desired: Desired, ctx: PlanContext) -> None:
    section = SECTION_OF.get(kind.kind)
    grouped = ctx.live.get(kind.kind)
    if section is None or grouped is None or kind.kind in ctx.ignored:
        return
    hidden = {identity: lives for identity, lives in grouped.items()
              if desired.policy.ignores(section, identity) is not None}
    for identity in hidden:
        del grouped[identity]
    ctx.ignored[kind.kind] = hidden


def managed_ids(kind: str, ctx: PlanContext) -> set[Any]:
    """Live ids an entry already manages or the plan already deletes."""
    ids = {ident for (k, _), ident in ctx.ids.items() if k == kind}
    return ids | ctx.deleted.get(kind, set())


def prune(kind: ResourceKind, desired: Desired, ctx: PlanContext) -> list[Change]:
    entries: dict[Any, Any] = getattr(desired, kind.section)
    taken = managed_ids(kind.kind, ctx)
    note = f"pruned: not in the manifest (policy.prune lists {kind.section})"
    changes: list[Change] = []
    # Sorted by identity: the live order follows creation order, which parallel applies vary,
    # and the same account must give the same plan.
    by_identity = ctx.live.get(kind.kind, {})
    for identity, lives in sorted(by_identity.items(), key=lambda item: repr(item[0])):
        if identity in entries or (kind.kind, identity) in ctx.failed:
            continue
        for live in lives:
            if live.id in taken or not kind.prunable(live):
                continue
            change = kind.delete(identity, live, ctx)
            changes.append(replace(change, notes=(note,)))
    return changes


def protected_addresses(kind: ResourceKind, desired: Desired,
                        ctx: PlanContext) -> dict[str, str]:
    """Address of each protected object (and of its previous names) -> the entry's address."""
    out: dict[str, str] = {}
    for identity, spec in kind.entries(desired).items():
        if not getattr(spec, "protect", False):
            continue
        address = kind.entry_address(identity, ctx)
        out[address] = address
        for old in getattr(spec, "previous_names", []):
            out[ctx.address(kind.kind, old)] = address
    return out


def check_protected(kind: ResourceKind, desired: Desired, ctx: PlanContext,
                    changes: list[Change]) -> None:
    protected = protected_addresses(kind, desired, ctx)
    if not protected:
        return
    reported: set[str] = set()
    for change in changes:
        entry = protected.get(change.address)
        if entry is None or change.action not in (Action.DELETE, Action.REPLACE):
            continue
        if change.address in reported:
            continue
        reported.add(change.address)
        why = f" ({change.notes[0]})" if change.notes else ""
        ctx.failed.add((kind.kind, change.address))
        ctx.errors.append(  # the address already names the sub-account
            f"{change.address} is protected (protect: true on {entry}) but this plan would "
            f"{change.action.value} it{why}. Nothing was changed: keep the object (drop "
            "absent: true, restore its package or content, or add it back to the manifest), or "
            f"remove protect: true from {entry} if it really must go"
        )


def rename_candidate(kind: ResourceKind, identity: Any, spec: Any,
                     ctx: PlanContext) -> tuple[bool, Live | None]:
    """(ok, live): the one live object named in ``previous_names`` when none has ``identity``.

    Two candidates or more are a plan error (``ok`` False): the plan cannot tell which to keep.
    """
    olds: list[Any] = list(getattr(spec, "previous_names", []))
    grouped = ctx.live.get(kind.kind, {})
    if not olds or grouped.get(identity):
        return True, None
    taken = managed_ids(kind.kind, ctx)
    found = [live for old in olds for live in grouped.get(old, []) if live.id not in taken]
    if len(found) > 1:
        listed = ", ".join(f"{live.identity!r} ({live.id})" for live in found)
        ctx.failed.add((kind.kind, identity))
        ctx.errors.append(  # the address already names the sub-account
            f"{kind.entry_address(identity, ctx)}: {len(found)} live {kind.section} match its "
            f"previous_names ({listed}): the plan cannot tell which one to rename; delete or "
            "rename the others by hand, or keep only one name in previous_names"
        )
        return False, None
    return True, found[0] if found else None
