"""Formatting shared by the renderers: values, summaries."""

from __future__ import annotations

import json
from typing import Any

from provisioner.plan import MISSING, Action, Plan, plain

_PHRASES = (
    (Action.CREATE, "to create"), (Action.REPLACE, "to replace"), (Action.UPDATE, "to update"),
    (Action.DELETE, "to delete"), (Action.ASSIGN, "to assign"), (Action.REASSIGN, "to reassign"),
    (Action.UNASSIGN, "to unassign"), (Action.PURCHASE, "to purchase"),
)


def value(v: Any, sensitive: bool = False) -> str:
    if v is MISSING:
        return "(absent)"
    shown = plain(v, sensitive)
    if isinstance(shown, str) and shown == "(sensitive)":
        return shown
    return json.dumps(shown, ensure_ascii=False, sort_keys=False)


def summary(plan: Plan) -> str:
    if plan.is_empty:
        return "No changes. The account matches the manifest."
    counts = plan.counts()
    parts = [f"{counts.get(action, 0)} {phrase}" for action, phrase in _PHRASES
             if counts.get(action, 0) or action in (Action.CREATE, Action.UPDATE, Action.DELETE)]
    return "Plan: " + ", ".join(parts) + "."
