"""``--target``: limit a plan to some objects and what they depend on.

A target names a manifest entry by its section and identity, as the manifest writes it:

    apps.NAME    numbers.+33199000001    media.NAME    sip.subscribers.NAME
    sip.trunks.origination.NAME    sip.trunks.termination.NAME    webhooks.TYPE->ENDPOINT
    subaccounts.NAME                  the sub-account and every change inside it
    subaccounts.NAME.apps.X           one object inside a sub-account (any section above)

Names with spaces or dots may also be quoted, as problems print them (``apps."my app"``).
The addresses plans print name the same objects: ``app.NAME``, ``number.+33199000001``,
``sip_subscriber.NAME``, ``sip_trunk.origination.NAME``, ``webhook.TYPE->ENDPOINT``,
``subaccount.NAME`` and ``subaccount["Client A"].app.X`` (``app["my app"]`` when quoted).
The plan keeps the targeted objects' changes plus, transitively, every change whose calls they
refer to (a ``Ref`` to an earlier result, or the Login-As of a sub-account created by the same
plan): a targeted number assignment to an app the plan creates brings the app's creation, and
the media that app uses. Nothing else is planned, so the rest of the account may still drift.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from provisioner.errors import ConfigError
from provisioner.manifest.desired import Desired
from provisioner.manifest.loader import dotted
from provisioner.planning.outside import addressed
from provisioner.planning.plan import Action, Change, ref_edges
from provisioner.resources.base import PlanContext


@dataclass(frozen=True)
class Selector:
    """What one target selects: a change address, or (``whole``) a whole sub-account."""

    target: str
    address: str
    whole: str | None = None


def available(desired: Desired) -> dict[str, Selector]:
    """Every target the manifest offers, by its text."""
    out: dict[str, Selector] = {}
    _add_account(out, desired, "", ())
    master = PlanContext({})
    for name in desired.names("subaccounts"):
        address = master.address("subaccount", name)
        _register(out, ("subaccounts", name), Selector("", address, whole=name))
        nested = desired.accounts.get(name)
        if nested is not None:
            _add_account(out, nested, name, ("subaccounts", name))
    return out


def _add_account(out: dict[str, Selector], desired: Desired, account: str,
                 prefix: tuple[str, ...]) -> None:
    for section, _, shown, address in addressed(desired, account):
        _register(out, (*prefix, *section.path, shown), Selector("", address))


def _register(out: dict[str, Selector], path: tuple[str, ...], selector: Selector) -> None:
    """The target as the manifest writes it (plain and quoted), and as plans print it."""
    for text in dict.fromkeys((".".join(path), dotted(path), selector.address)):
        out[text] = Selector(text, selector.address, selector.whole)


def resolve(desired: Desired, targets: Sequence[str]) -> list[Selector]:
    """The selectors of ``targets``; ConfigError naming every unknown one, with a hint."""
    offered = available(desired)
    selectors: list[Selector] = []
    unknown: list[str] = []
    for target in targets:
        if target in offered:
            selectors.append(offered[target])
            continue
        close = difflib.get_close_matches(target, list(offered), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        unknown.append(f"unknown target {target!r}{hint}")
    if unknown:
        raise ConfigError("; ".join(unknown) + ". A target is SECTION.NAME as the manifest "
                          "writes it (apps.NAME, subaccounts.NAME.apps.NAME) or an address as "
                          "plans print it (app.NAME, number.+33...)")
    return selectors


def restrict(changes: Sequence[Change], selectors: Sequence[Selector]) -> tuple[Change, ...]:
    """The targeted changes and, transitively, the changes their calls refer to (order kept).

    A kept replace also keeps what moves to the replacement (its numbers' reassignments):
    without them, deleting the old object would leave those numbers with no app."""
    needs: dict[int, set[int]] = {}
    users: dict[int, set[int]] = {}
    for i, j in ref_edges(changes):
        needs.setdefault(j, set()).add(i)
        users.setdefault(i, set()).add(j)
    keep = {index for index, change in enumerate(changes)
            if any(_selects(s, change) for s in selectors)}
    pending = list(keep)
    while pending:
        index = pending.pop()
        follow = set(needs.get(index, ()))
        if changes[index].action is Action.REPLACE:
            follow |= users.get(index, set())
        for other in follow - keep:
            keep.add(other)
            pending.append(other)
    return tuple(change for index, change in enumerate(changes) if index in keep)


def select(changes: Sequence[Change], desired: Desired,
           targets: Sequence[str]) -> tuple[Change, ...]:
    return restrict(changes, resolve(desired, targets))


def _selects(selector: Selector, change: Change) -> bool:
    if change.address == selector.address:
        return True
    return selector.whole is not None and change.account == selector.whole
