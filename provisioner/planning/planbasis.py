"""A saved plan's basis: what the plan saw of each live object it touches, and the check at
apply that none of them changed since (``verify``, raising ``StalePlan``).

A fingerprint is the sha256 of a live object's id and normalized attributes, with its secrets
and the values from the environment left out (a fast hash of either would let anyone reading
the file confirm a guess offline). ``Index`` finds live objects by address and by id, for the
basis, for the secrets re-read from the account and for ``plancheck``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from provisioner.api.client import CallrClient
from provisioner.errors import AuthError, StalePlan
from provisioner.manifest import envref
from provisioner.planning import plancheck
from provisioner.render.codec import SecretSource
from provisioner.resources import KINDS, SUBACCOUNTS, LiveReader, PlanContext
from provisioner.resources.base import Live, LiveAccount
from provisioner.sensitive import redact

ABSENT = "absent"
KIND_BY_NAME = {kind.kind: kind for kind in (SUBACCOUNTS, *KINDS)}


def fingerprint(lives: Iterable[Live], hidden: Iterable[str] = ()) -> str:
    """sha256 of the live objects' ids and normalized attributes, secrets left out (a fast
    hash of a secret would let anyone reading the file confirm a guess of it offline), and so
    are the values from the environment (``hidden``)."""
    hidden = list(hidden)
    body = sorted(json.dumps(envref.hide(redact([obj.id, obj.attrs]), hidden),
                             sort_keys=True, default=str) for obj in lives)
    return hashlib.sha256("\n".join(body).encode()).hexdigest()


class Index:
    """The live objects of one account by (kind, address) and by (kind, id)."""

    def __init__(self, account: str, live: LiveAccount) -> None:
        ctx = PlanContext({}, account=account)
        self.by_address: dict[tuple[str, str], list[Live]] = {}
        self.by_id: dict[tuple[str, str], Live] = {}
        self.address_of: dict[tuple[str, str], str] = {}
        self.identities: dict[str, dict[Any, int]] = {}
        """Kind -> identity -> how many live objects have it (for the safety counts)."""
        self._all: dict[tuple[str, str], list[Live]] = {}
        for kind, grouped in live.items():
            self.identities[kind] = {identity: len(objs) for identity, objs in grouped.items()}
            for identity, objs in grouped.items():
                address = _address(kind, identity, ctx)
                self.by_address[(kind, address)] = objs
                for obj in objs:
                    self.by_id[(kind, str(obj.id))] = obj
                    self.address_of[(kind, str(obj.id))] = address
                    self._all.setdefault((kind, str(obj.id)), []).append(obj)

    def find(self, kind: str, ident: str, direction: str | None = None) -> Live | None:
        """The live object of ``kind`` with id ``ident`` (a SIP trunk's id is unique only
        within its ``direction``)."""
        for obj in self._all.get((kind, ident), []):
            if direction is None or obj.attrs.get("direction") == direction:
                return obj
        return None

    def numbers_of(self, app_id: str) -> list[tuple[str, str]]:
        """(id, address) of each live number assigned to the app ``app_id``."""
        return [(ident, self.address_of[(kind, ident)])
                for (kind, ident), obj in self.by_id.items()
                if kind == "number" and obj.attrs.get("app") == app_id]

    def touched(self, kind: str, address: str, ids: Iterable[str]) -> list[Live]:
        """The objects a change touches: those at its address, else those its calls name."""
        found = self.by_address.get((kind, address))
        if found:
            return found
        return [self.by_id[(kind, i)] for i in sorted(set(ids)) if (kind, i) in self.by_id]


def _address(kind: str, identity: Any, ctx: PlanContext) -> str:
    entry_address = getattr(KIND_BY_NAME.get(kind), "entry_address", None)
    return str(entry_address(identity, ctx)) if entry_address else ctx.address(kind, identity)


def call_ids(args: Iterable[Sequence[Any]]) -> set[str]:
    """The object ids a call's arguments name (``hash``, ``did_hash``, ``id`` ...)."""
    return {str(value) for name, value in args
            if (name == "id" or str(name).endswith("hash")) and isinstance(value, str | int)
            and not isinstance(value, bool)}


def ids_by_address(changes: Iterable[tuple[str, str, Iterable[Iterable[Sequence[Any]]]]]
                   ) -> dict[tuple[str, str], set[str]]:
    """(account, address) -> the ids the calls of every change at that address name, from
    (account, address, each call's args). One address is one object in the basis: a replace is
    a create and a delete there, and what it touches is the object the delete names (the create
    names none), so both halves are checked against the object being replaced."""
    out: dict[tuple[str, str], set[str]] = {}
    for account, address, calls in changes:
        ids = out.setdefault((account, address), set())
        for args in calls:
            ids |= call_ids(args)
    return out


def verify(body: Mapping[str, Any], client: CallrClient,
           hidden: Iterable[str] = ()) -> dict[str, Index]:
    """Re-read the kinds the basis names, in its accounts; raise StalePlan listing every
    object that changed. Returns what was read, by account."""
    hidden = list(hidden)
    basis: list[dict[str, Any]] = list(body.get("basis") or [])
    wanted: dict[str, set[str]] = {}
    for entry in basis:
        wanted.setdefault(entry["account"], set()).add(entry["kind"])
    for ref in refs(body.get("changes") or [], "live"):
        wanted.setdefault(ref.account, set()).add(ref.kind)
    for account, kinds in plancheck.kinds_touched(body.get("changes") or []).items():
        wanted.setdefault(account, set()).update(kinds)
    live: dict[str, Index] = {}
    stale: list[str] = []
    hashes = _subaccount_hashes(body.get("changes") or [])
    for account, kinds in sorted(wanted.items()):
        grouped: LiveAccount = {}
        try:
            reader = _reader(client, account, hashes)
            for kind in sorted(kinds):
                for obj in KIND_BY_NAME[kind].read(reader):
                    grouped.setdefault(kind, {}).setdefault(obj.identity, []).append(obj)
        except (AuthError, KeyError):  # Login-As refused: the sub-account is gone
            stale.append(f'subaccount["{account}"]: the sub-account is no longer on the account')
            continue
        live[account] = Index(account, grouped)
    ids = _ids_by_address(body.get("changes") or [])
    for entry in basis:
        index = live.get(entry["account"])
        if index is None:
            continue
        key = (entry["account"], entry["address"])
        objs = index.touched(entry["kind"], entry["address"], ids.get(key, set()))
        now = fingerprint(objs, hidden) if objs else ABSENT
        if now != entry["fingerprint"]:
            stale.append(f"{entry['address']}: {_what_changed(entry['fingerprint'], now)}")
    if stale:
        raise StalePlan(f"the account changed since the plan was made ({len(stale)} object"
                        f"{'s' if len(stale) != 1 else ''}); nothing was applied. Make the plan "
                        "again and review it:\n  " + "\n  ".join(stale))
    return live


def _ids_by_address(changes: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], set[str]]:
    return ids_by_address((change["account"], change["address"],
                           (call["args"] for call in change["calls"])) for change in changes)


def refs(value: Any, scheme: str) -> Iterable[SecretSource]:
    """The secret references of ``scheme`` (``env``, ``live`` ...) anywhere in the file's
    changes."""
    if isinstance(value, dict):
        if "$secret" in value:
            ref = SecretSource.from_ref(value)
            if ref.scheme == scheme:
                yield ref
            return
        for item in value.values():
            yield from refs(item, scheme)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item, scheme)


def _subaccount_hashes(changes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each existing sub-account's hash, as the plan's calls log in to it (Login-As): found by
    hash, not by name, since a sub-account managed through previous_names keeps its old one."""
    return {change["account"]: call["login_as"] for change in changes
            for call in change["calls"]
            if change["account"] and isinstance(call.get("login_as"), str)}


def _reader(client: CallrClient, account: str, hashes: Mapping[str, str]) -> LiveReader:
    """Reads ``account`` (the master when ""); KeyError when the plan has no hash for it."""
    return LiveReader(client.as_account(hashes[account]) if account else client)


def _what_changed(before: str, now: str) -> str:
    if before == ABSENT:
        return "was created since the plan"
    if now == ABSENT:
        return "was deleted since the plan"
    return "changed since the plan"
