"""Which changes of a plan must wait for which, for the executor's parallel waves.

Change B waits for change A when B uses A's result (a ``Ref``), when B mentions an object A
acts on, and, through barrier nodes, when B deletes something of an account whose other changes
A is one of. ``Dependencies.closure`` gives what a change waits for, barriers seen through.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from provisioner.planning.plan import Action, Change, Plan, Ref

SUBJECT_KEYS = ("hash", "id", "did_hash")
"""Call parameters naming the object a call acts on: a later change mentioning that value
(an app wired to a media being updated, resources of a sub-account being unarchived) waits."""


@dataclass(frozen=True)
class Dependencies:
    """What each change waits for. Nodes ``0 .. size-1`` are the plan's changes; the nodes after
    them are barriers ("every non-destructive change of account A is done", "every delete of
    kind K is done" ...), so that a thousand deletes waiting for ten thousand other changes
    cost eleven thousand edges, not ten million."""

    before: tuple[frozenset[int], ...]
    size: int

    def closure(self, index: int) -> frozenset[int]:
        """The changes ``index`` waits for, directly or through others and barriers."""
        seen: set[int] = set()
        todo = list(self.before[index])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(self.before[node])
        return frozenset(node for node in seen if node < self.size)


def dependencies(plan: Plan) -> Dependencies:
    """For each change (by index in the plan), the changes it must wait for.

    - a call of B (its args or its Login-As) holds a ``Ref`` to a call of A;
    - B mentions a value (a media id, a sub-account hash as Login-As ...) that an earlier
      non-destructive change A acts on (``SUBJECT_KEYS``);
    - B is destructive (delete, unassign): it waits for every non-destructive change of its
      account, and for earlier destructive changes of its account of other kinds (deletes keep
      the plan's kind order), so nothing is deleted when what may need it failed;
    - B retires a sub-account: it waits for every other change.
    The last two rules go through barrier nodes (see ``Dependencies``).
    """
    changes = plan.changes
    owner = {call.id: i for i, change in enumerate(changes) for call in change.calls}
    deps: list[set[int]] = [set() for _ in changes]
    subjects: dict[tuple[str, Any], list[int]] = {}
    for i, change in enumerate(changes):
        for ref in _refs(change):
            j = owner.get(ref.call)
            if j is not None and j != i:
                deps[i].add(j)
        for value in set(_mentions(change)):
            deps[i].update(j for j in subjects.get(value, ()) if j != i)
        if not change.action.destructive:
            for call in change.calls:
                for key, value in call.args:
                    if key in SUBJECT_KEYS and _scalar(value):
                        subjects.setdefault(_key(value), []).append(i)
    _wait_for_barriers(changes, deps)
    return Dependencies(tuple(frozenset(d) for d in deps), len(changes))


def _wait_for_barriers(changes: tuple[Change, ...], deps: list[set[int]]) -> None:
    """Deletes wait for their account's other changes, retirements for everything."""
    def barrier(members: set[int]) -> int:
        deps.append(members)
        return len(deps) - 1

    retiring = [i for i, c in enumerate(changes) if _retires_subaccount(c)]
    accounts = sorted({c.account for c in changes})
    for account in accounts:
        mine = [i for i, c in enumerate(changes)
                if c.account == account and not _retires_subaccount(c)]
        kept = {i for i in mine if not changes[i].action.destructive}
        done = barrier(kept)  # every non-destructive change of the account
        kind, group = "", set[int]()
        for i in (i for i in mine if changes[i].action.destructive):
            if changes[i].kind != kind and group:
                done = barrier({done, *group})  # deletes of the previous kinds are done
                group = set()
            kind = changes[i].kind
            deps[i].add(done)
            group.add(i)
    everything = barrier(set(range(len(changes))) - set(retiring))
    for i in retiring:
        deps[i].add(everything)


def _retires_subaccount(change: Change) -> bool:
    return change.kind == "subaccount" and change.action is Action.DELETE


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)  # 7 and "7" are different objects


def _values(change: Change) -> Iterator[Any]:
    """Every value a change's calls hold (Login-As included), nested ones flattened."""
    for call in change.calls:
        yield from call.values()


def _refs(change: Change) -> Iterator[Ref]:
    return (ref for call in change.calls for ref in call.refs())


def _mentions(change: Change) -> Iterator[tuple[str, Any]]:
    return (_key(value) for value in _values(change) if _scalar(value))


# -- resolving references ------------------------------------------------------------------------
