"""Live objects that share one identity (two apps named ``support``): which copy to keep, and
the changes that remove the others.

Duplicates are what two applies running at once leave behind (each created what the other had
not made yet), or a hand-made copy. A plan does not dead-end on them: when the kind can tell
the copies apart safely, it keeps one and deletes the others, each delete marked in the plan
as a duplicate (summary ``duplicate ...`` and a note naming the copy kept). The copy kept is
the one that holds something (an app with numbers); when none does, the oldest one. When more
than one holds something, nothing is guessed: the plan reports them, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from provisioner.planning.plan import Change

if TYPE_CHECKING:
    from provisioner.resources.base import Live

Split = tuple["Live", list["Live"]]


def split(found: Sequence[Live], holds: Callable[[Live], bool],
          age: Callable[[Live], Any]) -> Split | None:
    """The copy to keep and the extra copies, or None when two or more hold something."""
    holding = [obj for obj in found if holds(obj)]
    if len(holding) > 1:
        return None
    keeper = holding[0] if holding else min(found, key=age)
    return keeper, [obj for obj in found if obj is not keeper]


def ages(listed: Any, field: str) -> dict[Any, tuple[str, int]]:
    """hash -> (creation date, position) from a list the API answered (``apps.get_list`` ...):
    older first; copies created in the same second keep the API's order."""
    if not isinstance(listed, list):
        return {}
    return {item.get("hash"): (str(item.get(field) or ""), position)
            for position, item in enumerate(listed) if isinstance(item, dict)}


def marked(change: Change, keeper: Live, copies: int, what: str) -> Change:
    """``change`` (the delete of an extra copy) marked as the removal of a duplicate."""
    note = (f"duplicate: {copies} {what} share this identity (two applies at once?); "
            f"this newer copy is removed, {keeper.id} is kept")
    return replace(change, summary=f"duplicate {change.summary}", notes=(note,))
