"""The plan: plain, immutable data that says exactly which API calls apply will make.

A ``Plan`` is an ordered tuple of ``Change``s (what a reviewer reads: "+ app support-line"), each
carrying the ``Call``s that perform it. A call's arguments may hold a ``Ref`` to the result of an
earlier call (the hash of an app created in the same apply), resolved by the executor, and
``Secret``s, revealed only on the wire. ``Plan.to_dict`` is the JSON form, deterministic and
redacted, and ``fingerprint`` hashes it so a reviewed plan can be recognised later.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeGuard

from provisioner.sensitive import KNOWN, MASK, REDACTED, Secret


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    UNASSIGN = "unassign"
    PURCHASE = "purchase"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def destructive(self) -> bool:
        return self in (Action.DELETE, Action.UNASSIGN)

    @property
    def introduces(self) -> bool:
        """Its fields are new values only (nothing old to show)."""
        return self in (Action.CREATE, Action.REPLACE, Action.PURCHASE)


_SYMBOLS = {
    Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.DELETE: "-",
    Action.ASSIGN: "+", Action.REASSIGN: "~", Action.UNASSIGN: "-", Action.PURCHASE: "$",
}


@dataclass(frozen=True)
class Ref:
    """The result of an earlier call of the same plan, or a key path inside it."""

    call: str
    path: tuple[str | int, ...] = ()

    def describe(self) -> str:
        """``(known after apply: media greeting)``, as Terraform shows a value not known yet."""
        return f"(known after apply: {_object_of(self.call)})"


_ADDRESS = re.compile(r'(?:subaccount\["(?P<account>[^"]*)"\]\.)?(?P<kind>[a-z_]+)'
                      r'(?:\.(?P<name>.*)|\["(?P<quoted>.*)"\])')


def _object_of(call_id: str) -> str:
    """``media greeting`` for the call id ``media.greeting:create`` (``... in sub-account X``
    inside one); the call id itself when it is not an address."""
    match = _ADDRESS.fullmatch(call_id.rsplit(":", 1)[0])
    if match is None:
        return call_id
    name = match["name"] if match["name"] is not None else match["quoted"]
    where = f" in sub-account {match['account']}" if match["account"] is not None else ""
    return f"{match['kind']} {name}{where}"


@dataclass(frozen=True)
class FileData:
    """A file sent base64-encoded (audio), read when the call is made, not stored in the plan.

    The plan keeps the path as the manifest wrote it and the sha256 of the bytes that were
    planned; the executor refuses to send a file that changed since.
    """

    path: str = field(compare=False)
    shown: str
    sha256: str


@dataclass(frozen=True)
class Until:
    """Poll a call until ``field`` of its result is one of ``ready`` (fail on ``failed``)."""

    field: str
    ready: tuple[str, ...]
    failed: tuple[str, ...] = ()
    timeout: float = 120.0
    interval: float = 0.25


@dataclass(frozen=True)
class Call:
    id: str
    method: str
    args: tuple[tuple[str, Any], ...]
    login_as: str | Ref | None = None
    until: Until | None = None

    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)

    def values(self) -> Iterator[Any]:
        """Every value the call holds (Login-As included), nested ones flattened."""
        return leaves([self.login_as, [value for _, value in self.args]])

    def refs(self) -> Iterator[Ref]:
        """The results of earlier calls this call uses."""
        return (value for value in self.values() if isinstance(value, Ref))


def ref_edges(changes: Sequence[Change]) -> set[tuple[int, int]]:
    """(i, j) for every change j whose calls use a result of change i's calls (by index)."""
    owner = {call.id: index for index, change in enumerate(changes) for call in change.calls}
    found: set[tuple[int, int]] = set()
    for j, change in enumerate(changes):
        for call in change.calls:
            for ref in call.refs():
                i = owner.get(ref.call)
                if i is not None and i != j:
                    found.add((i, j))
    return found


def leaves(value: Any) -> Iterator[Any]:
    """The scalars (and Refs, files, secrets) inside nested dicts, lists and tuples."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from leaves(item)
    else:
        yield value


class _Missing:
    """The marker of a field absent on one side of a change (distinct from null)."""

    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: Any
    new: Any
    sensitive: bool = False

    def __post_init__(self) -> None:
        # The value a sensitive one replaces is sensitive too (an old token, a number rotated
        # since): the routing impact or an error may show it later.
        if self.old is not None and self.old is not MISSING and not self.sensitive:
            names = next(filter(None, (KNOWN.names_in(leaf) for leaf in leaves(self.new)
                                       if isinstance(leaf, str))), None)
            if names:
                label = f"old {names[0]}" if names[0] != MASK else ""
                for leaf in leaves(self.old):
                    if isinstance(leaf, str) and KNOWN.name_of(leaf) is None:
                        KNOWN.add(leaf, label)

    @property
    def masked(self) -> bool:
        """Whether outputs show that the field changed and nothing more: a secret field, or a
        value holding a sensitive one (``KNOWN``) that replaces another (the old one may hold an
        old token). A value set where there was none shows, its sensitive parts masked."""
        if self.sensitive:
            return True
        if self.old is None or self.old is MISSING:
            return False
        return holds_known(self.old) or holds_known(self.new)


def holds_known(value: Any) -> bool:
    """Whether a string inside ``value`` holds a sensitive value (``KNOWN``)."""
    return any(isinstance(leaf, str) and KNOWN.names_in(leaf) is not None
               for leaf in leaves(value))


@dataclass(frozen=True)
class Change:
    address: str
    kind: str
    action: Action
    summary: str = ""
    fields: tuple[FieldChange, ...] = ()
    calls: tuple[Call, ...] = ()
    notes: tuple[str, ...] = ()
    account: str = ""
    """The sub-account's name when the change happens inside one, "" for the master account."""
    generated_secrets: tuple[str, ...] = ()
    """Keys of the first call's result that hold a secret the API generated (a SIP password):
    shown once after apply only on request, never in the plan."""


@dataclass(frozen=True)
class BasisEntry:
    """What the plan saw of one live object a change touches: a saved plan is refused if the
    object's fingerprint differs at apply (``planfile``). ``fingerprint`` is "absent" for
    an object the plan creates."""

    account: str
    kind: str
    address: str
    fingerprint: str


@dataclass(frozen=True)
class RouteChange:
    """How calls to one number are handled before and after the plan (``routing``)."""

    account: str
    number: str
    before: str
    after: str


@dataclass(frozen=True)
class Plan:
    target: str
    changes: tuple[Change, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    basis: tuple[BasisEntry, ...] = ()
    routing: tuple[RouteChange, ...] = ()
    secret_sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False,
                                           hash=False)
    """sha256 of each secret value the calls carry -> where apply finds it again
    (``env:NAME`` or ``live:...``): in memory only, used by ``planfile.save``."""
    env_values: dict[str, str] = field(default_factory=dict, compare=False, repr=False,
                                       hash=False)
    """Every ``${env:NAME}`` value the manifests used: in memory only, so that ``planfile.save``
    stores a reference wherever one shows up (``envref``)."""
    unsafe: tuple[str, ...] = ()
    """Why the plan exceeds a safety threshold (``provisioner.planning.safety``); () when it is
    safe.
    ``plan`` and ``apply`` exit with code 3 on an unsafe plan unless ``--force`` is given."""
    api: str = "jsonrpc"
    """The API the plan was made through and must be applied through: jsonrpc or rest."""
    readiness: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)
    """The manifests' objects REST v2 cannot manage (``migrate.readiness``), as JSON."""
    guards: dict[str, Any] = field(default_factory=dict, hash=False)
    """Per account ("" for the master): the protected addresses, safety thresholds and ignore
    patterns a saved plan is re-checked against at apply when no manifest is given
    (``plancheck``)."""
    outside: tuple[str, ...] | None = None
    """Addresses of the changes the manifests did not ask for (made outside them: drift), when
    ``plan --base`` told them apart (``provisioner.planning.outside``); None when it was not
    asked."""

    def own_changes(self) -> tuple[Change, ...]:
        """The changes the manifests ask for (all of them when ``outside`` is unknown)."""
        return tuple(c for c in self.changes if c.address not in (self.outside or ()))

    def outside_changes(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.address in (self.outside or ()))

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def calls(self) -> Iterator[Call]:
        for change in self.changes:
            yield from change.calls

    def counts(self) -> Counter[Action]:
        return Counter(change.action for change in self.changes)

    def to_dict(self) -> dict[str, Any]:
        """The plan for reading: secrets redacted, every sensitive value masked wherever it
        is (a name, a summary, a note as much as a field)."""
        extra: dict[str, Any] = {"api": self.api} if self.api != "jsonrpc" else {}
        if self.outside is not None:  # plan --base
            extra["changed_outside"] = list(self.outside)
        if self.readiness:
            extra["rest_v2_readiness"] = [dict(b) for b in self.readiness]
        body: dict[str, Any] = KNOWN.mask_deep({
            "format_version": 1,
            "target": self.target,
            "changes": [_change_dict(c) for c in self.changes],
            "summary": {a.value: n for a, n in sorted(self.counts().items())},
            "warnings": list(self.warnings),
            "routing": [{"account": r.account or None, "number": r.number, "before": r.before,
                         "after": r.after} for r in self.routing],
            "unsafe": list(self.unsafe),
            **extra,
        })
        return body

    def fingerprint(self) -> str:
        """A short hash of the redacted plan. Secret values are deliberately left out, so the
        published fingerprint cannot be used to test guesses of a secret."""
        body = json.dumps(self.to_dict()["changes"], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()[:16]


def _change_dict(change: Change) -> dict[str, Any]:
    return {
        "address": change.address,
        "account": change.account or None,
        "kind": change.kind,
        "action": change.action.value,
        "summary": change.summary,
        "fields": [
            {"path": f.path, "old": plain(f.old, f.masked), "new": plain(f.new, f.masked)}
            for f in change.fields
        ],
        "calls": [_call_dict(call) for call in change.calls],
        "notes": list(change.notes),
    }


def _call_dict(call: Call) -> dict[str, Any]:
    out: dict[str, Any] = {"id": call.id, "method": call.method,
                           "params": {k: plain(v) for k, v in call.args}}
    if call.login_as is not None:
        out["login_as"] = plain(call.login_as)
    if call.until is not None:
        out["until"] = {"field": call.until.field, "ready": list(call.until.ready)}
    return out


def plain(value: Any, sensitive: bool = False) -> Any:
    """JSON-ready form of a plan value: secrets redacted, refs as ``{"$ref": ...}``."""
    if value is MISSING:
        return None
    if sensitive or isinstance(value, Secret):
        return value if value is None or value == "" else sensitive_form(value)
    if isinstance(value, str):
        return KNOWN.mask(value)
    if isinstance(value, Ref):
        return {"$ref": value.call, "path": list(value.path)}
    if isinstance(value, FileData):
        return {"$file": value.shown, "sha256": value.sha256}
    if isinstance(value, dict):
        return {KNOWN.mask(str(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def sensitive_form(value: Any) -> str:
    """A changed sensitive value: ``(sensitive)``, naming the variables a string holds, never
    what else it holds (the rest of a URL whose token changed would tell nothing useful). A
    form already made (a saved plan's old value) stays as it is."""
    if is_sensitive_form(value):
        return value
    names = KNOWN.names_in(value) if isinstance(value, str) else None
    return f"{REDACTED[:-1]}: {', '.join(names)})" if names else REDACTED


def is_sensitive_form(value: Any) -> TypeGuard[str]:
    """Whether ``value`` is a form ``sensitive_form`` makes (``(sensitive)``, ``(sensitive:
    NAME)``): a marker, not a string."""
    return isinstance(value, str) and value.startswith(REDACTED[:-1]) and value.endswith(")")
