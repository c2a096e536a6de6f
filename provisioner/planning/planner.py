"""Changes -> the order apply runs them in, from one rule.

Creates, updates and assignments run by ascending kind rank (sub-accounts, media, apps, SIP,
numbers, webhooks), so whatever a change refers to exists before it; deletes run last, by
descending rank, so a number is moved off an app before that app is deleted. Within a rank the
kinds' own order is kept, which is the manifest's order: plans are deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from provisioner.planning.plan import Action, Change


def order(changes: Iterable[Change], ranks: Mapping[str, int]) -> tuple[Change, ...]:
    indexed = list(enumerate(changes))

    def key(item: tuple[int, Change]) -> tuple[int, int, int]:
        seq, change = item
        rank = ranks.get(change.kind, 0)
        if change.action is Action.DELETE:
            return (1, -rank, seq)
        return (0, rank, seq)

    return tuple(change for _, change in sorted(indexed, key=key))
