"""Formatting shared by the renderers: values, summaries, risks, drift."""

from __future__ import annotations

import json
from typing import Any

from provisioner.actions import is_multiline, line_diff
from provisioner.planning.plan import (
    MISSING,
    Action,
    Change,
    FieldChange,
    Plan,
    Ref,
    RouteChange,
    is_sensitive_form,
    plain,
)
from provisioner.sensitive import printable, shown

_PHRASES = (
    (Action.CREATE, "to create"), (Action.REPLACE, "to replace"), (Action.UPDATE, "to update"),
    (Action.DELETE, "to delete"), (Action.ASSIGN, "to assign"), (Action.REASSIGN, "to reassign"),
    (Action.UNASSIGN, "to unassign"), (Action.PURCHASE, "to purchase"),
)
ACTION_ORDER = tuple(action for action, _ in _PHRASES)


def value(v: Any, sensitive: bool = False) -> str:
    if v is MISSING:
        return "(absent)"
    if isinstance(v, Ref) and not sensitive:
        return printable(v.describe())
    form = plain(_readable(v), sensitive)
    if is_sensitive_form(form):
        return form  # "(sensitive)", "(sensitive: NAME)": a marker, not a string
    return printable(json.dumps(form, ensure_ascii=False, sort_keys=False))


def safe(text: str) -> str:
    """Untrusted text (a name, an address, an API message) as a renderer may show it: every
    sensitive value masked, control characters escaped (``sensitive.shown``)."""
    return shown(text)


def _readable(v: Any) -> Any:
    """``v`` with each Ref inside it as the text a reviewer reads (not the call's id)."""
    if isinstance(v, Ref):
        return v.describe()
    if isinstance(v, dict):
        return {key: _readable(item) for key, item in v.items()}
    if isinstance(v, list | tuple):
        return [_readable(item) for item in v]
    return v


def text_diff(field: FieldChange) -> list[str] | None:
    """A multi-line string's change (an Actions script ...) as unified diff lines, for a
    reviewer to see which lines changed; None for any other value (shown whole)."""
    if field.masked or not (is_multiline(field.old) or is_multiline(field.new)):
        return None  # a secret shows as changed, nothing more
    old, new = (side if isinstance(side, str) else "" if side is None or side is MISSING
                else None for side in (field.old, field.new))
    if old is None or new is None:
        return None  # a string against a mapping or a number: shown whole
    if any(printable(line) != line for line in (*old.split("\n"), *new.split("\n"))):
        return None  # other control characters (a hostile name): one escaped line, no more
    return [shown(line) for line in line_diff(old, new)]  # sensitive values masked


def summary(plan: Plan) -> str:
    if plan.is_empty:
        return "No changes. The account matches the manifest."
    counts = plan.counts()
    parts = [f"{counts.get(action, 0)} {phrase}" for action, phrase in _PHRASES
             if counts.get(action, 0) or action in (Action.CREATE, Action.UPDATE, Action.DELETE)]
    return "Plan: " + ", ".join(parts) + "."


def number_label(route: RouteChange) -> str:
    """``+33199000001``, or ``subaccount["Acme"].+33199000001`` inside a sub-account."""
    return f'subaccount["{route.account}"].{route.number}' if route.account else route.number


def risks(plan: Plan) -> list[tuple[str, str]]:
    """(label, what) for each risky change: deletes, reassigned numbers, purchases, unsafe."""
    labels = {Action.DELETE: "delete", Action.REASSIGN: "reassigned number",
              Action.PURCHASE: "purchase", Action.UNASSIGN: "unassigned number"}
    out = [(labels[c.action], f"{c.address}: {c.summary}" if c.summary else c.address)
           for c in plan.changes if c.action in labels]
    out += [("unsafe", message) for message in plan.unsafe]
    return out


def verdict(plan: Plan) -> str:
    if plan.unsafe:
        return "unsafe: apply refuses it without --force"
    if plan.is_empty:
        return "no changes"
    count = len(plan.changes)
    text = f"{count} change{'s' if count != 1 else ''}"
    if plan.outside:
        text += f" ({len(plan.outside_changes())} outside the manifests)"
    return text + (", review the risks" if risks(plan) else "")


def drift(plan: Plan) -> str:
    """What ``plan --detailed-exitcode`` says on stderr: ``3 objects differ from the
    manifests: app.bot (2 fields), ...``; with ``--base``, the objects changed outside the
    manifests (drift) apart from those the manifests change."""
    if plan.outside is None:
        return _objects(plan.changes, "differ from the manifests") + (
            " (plan --base DIR tells apart what changed outside the manifests)")
    parts = [_objects(changes, what) for changes, what in (
        (plan.outside_changes(), "changed outside the manifests"),
        (plan.own_changes(), "changed by the manifests")) if changes]
    return " ".join(parts)


def _objects(changes: tuple[Change, ...], what: str) -> str:
    """``2 objects changed outside the manifests: app.bot (2 fields), number.+33... (assign).``"""
    seen: dict[str, list[Change]] = {}
    for change in changes:
        seen.setdefault(change.address, []).append(change)
    parts = [f"{address} ({_what(grouped)})" for address, grouped in seen.items()]
    count = len(parts)
    return f"{count} object{'s' if count != 1 else ''} {what}: " + ", ".join(parts) + "."


def _what(changes: list[Change]) -> str:
    fields = sum(len(c.fields) for c in changes)
    if all(c.action is Action.UPDATE for c in changes) and fields:
        return f"{fields} field{'s' if fields != 1 else ''}"
    return ", ".join(c.action.value for c in changes)
