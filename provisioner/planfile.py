"""Saved plans: ``plan --out plan.json`` writes the plan as a contract, ``apply plan.json`` runs it.

The file (``type: callr-provisioner-plan``, ``format_version`` 1) holds the tool version, the
target account's identity (endpoint and login, a hash of the API key, or the sandbox state
file: never a secret), every change with every call in order (``Ref``s and files kept as
references), the routing impact and a *basis*: for every live object a change touches, the
sha256 of its normalized attributes (a secret enters that hash only as its own sha256), or
``absent`` for an object the plan creates. See "Saved plans" in README.md.

No secret value is stored. A secret is written as a reference resolved at apply:
``{"$secret": "env:NAME"}`` when the manifest wrote it as ``${env:NAME}``, or
``{"$secret": "manifest:FILE", "path": [...]}`` for a secret written literally in a manifest
(the file is read again at apply), or ``{"$secret": "live:ADDRESS", "account", "kind", "path"}``
for a secret the plan re-sends as it is on the account (``apps.edit`` sends live params merged
with the manifest's). ``secrets_check`` makes apply refuse when any of them resolves to another
value than the one planned.

``apply plan.json`` refuses (exit 1, nothing written) a file of another format or tool version,
a plan made for another account, and a stale plan: it re-reads only the kinds, in only the
accounts, the basis names, and lists every object whose fingerprint changed (``StalePlan``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from provisioner.api.client import CallrClient
from provisioner.api.rest.session import api_of
from provisioner.api.rpc import Credentials
from provisioner.errors import AuthError, StalePlan
from provisioner.loader import load_document
from provisioner.manifest import Desired
from provisioner.plan import Action, BasisEntry, Plan
from provisioner.render.codec import (
    Codec,
    PlanFileError,
    SecretSource,
    expand_env,
    plan_from_dict,
    plan_to_dict,
)
from provisioner.resources import KINDS, SUBACCOUNTS, LiveReader, PlanContext
from provisioner.resources.base import Live, LiveAccount
from provisioner.routing import route_changes
from provisioner.sensitive import KNOWN, Secret
from provisioner.version import tool_version

FILE_TYPE = "callr-provisioner-plan"
FORMAT_VERSION = 1
ABSENT = "absent"
KIND_BY_NAME = {kind.kind: kind for kind in (SUBACCOUNTS, *KINDS)}


def account_identity(endpoint: str, credentials: Credentials,
                     sandbox_state: Path | None = None) -> str:
    """What tells accounts apart, without a secret: the sandbox's state file, or the endpoint
    with the login (or the first 16 hex digits of the API key's sha256)."""
    if sandbox_state is not None:
        return f"sandbox:{sandbox_state.resolve()}"
    if credentials.api_key:
        digest = hashlib.sha256(credentials.api_key.encode()).hexdigest()[:16]
        return f"{endpoint} api-key-sha256:{digest}"
    return f"{endpoint} login:{credentials.login}"


# -- at plan time ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """One planned account, as ``engine.build_plan`` saw it."""

    desired: Desired
    ctx: PlanContext


def with_evidence(plan: Plan, accounts: Sequence[Account]) -> Plan:
    """The plan with its basis, routing impact and secret sources (all from what was read)."""
    if not plan.changes:
        return plan  # nothing touched, nothing routed differently, no secret sent
    unassigning = {c.address for c in plan.changes if c.kind == "number"
                   and c.action is Action.UNASSIGN}
    routing = []
    for a in accounts:
        freed = {n for n in a.ctx.live.get("number", {})
                 if a.ctx.address("number", n) in unassigning}
        routing.extend(route_changes(a.desired, a.ctx.live, a.ctx.account, freed))
    return replace(plan, basis=basis_of(plan, accounts), routing=tuple(routing),
                   secret_sources=secret_sources(plan, accounts))


def fingerprint(lives: Iterable[Live]) -> str:
    """sha256 of the live objects' ids and normalized attributes; secrets enter as sha256."""
    body = sorted(json.dumps([_normal(obj.id), _normal(obj.attrs)], sort_keys=True, default=str)
                  for obj in lives)
    return hashlib.sha256("\n".join(body).encode()).hexdigest()


def _normal(value: Any) -> Any:
    if isinstance(value, Secret):
        return {"$sha256": hashlib.sha256(value.value.encode()).hexdigest()}
    if isinstance(value, Mapping):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    return value


class Index:
    """The live objects of one account by (kind, address) and by (kind, id)."""

    def __init__(self, account: str, live: LiveAccount) -> None:
        ctx = PlanContext({}, account=account)
        self.by_address: dict[tuple[str, str], list[Live]] = {}
        self.by_id: dict[tuple[str, str], Live] = {}
        for kind, grouped in live.items():
            for identity, objs in grouped.items():
                self.by_address[(kind, _address(kind, identity, ctx))] = objs
                for obj in objs:
                    self.by_id[(kind, str(obj.id))] = obj

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


def basis_of(plan: Plan, accounts: Sequence[Account]) -> tuple[BasisEntry, ...]:
    """A fingerprint (or ``absent``) for each live object a change touches, in kinds read."""
    contexts = {a.ctx.account: a.ctx for a in accounts}
    index = {name: Index(name, ctx.live) for name, ctx in contexts.items()}
    entries = set()
    for change in plan.changes:
        ctx = contexts.get(change.account)
        if ctx is None or ctx.reader is None or change.kind not in ctx.live:
            continue  # not read: a kind without live objects, or an account created by the plan
        ids = {i for call in change.calls for i in call_ids(call.args)}
        lives = index[change.account].touched(change.kind, change.address, ids)
        mark = fingerprint(lives) if lives else ABSENT
        entries.add(BasisEntry(change.account, change.kind, change.address, mark))
    return tuple(sorted(entries, key=lambda e: (e.account, e.kind, e.address)))


def secret_sources(plan: Plan, accounts: Sequence[Account]) -> dict[str, str]:
    """sha256 of every secret the plan carries -> its reference (``env:`` wins over
    ``manifest:``, which wins over ``live:``). Most plans carry none: then nothing is read."""
    if not any(True for call in plan.calls() for _ in _secrets_in(dict(call.args), ())):
        return {}
    out: dict[str, str] = {}
    for account in accounts:
        for kind, grouped in account.ctx.live.items():
            for obj in (obj for objs in grouped.values() for obj in objs):
                for path, secret in _secrets_in(obj.attrs, ()):
                    source = SecretSource("live", name=str(obj.id), account=account.ctx.account,
                                          kind=kind, path=path)
                    out.setdefault(_sha(secret.value), source.encode())
    for account in accounts:
        for origin in account.desired.origins.values():
            for path, text in _strings_in(_at(origin.doc.data, origin.path), origin.path):
                source = SecretSource("manifest", name=origin.doc.file, path=path)
                out[_sha(text)] = source.encode()
    for account in accounts:
        for origin in account.desired.origins.values():
            for path, name in origin.doc.env_names.items():
                value = _at(origin.doc.data, path)
                if isinstance(value, str) and value:
                    out[_sha(value)] = SecretSource("env", name=name).encode()
    return out


Path_ = tuple[str | int, ...]


def _leaves(value: Any, path: Path_) -> Iterable[tuple[Path_, Any]]:
    """Every leaf under nested mappings and lists (a Secret is a leaf), with its path."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _secrets_in(value: Any, path: Path_) -> Iterable[tuple[Path_, Secret]]:
    return ((where, leaf) for where, leaf in _leaves(value, path) if isinstance(leaf, Secret))


def _strings_in(value: Any, path: Path_) -> Iterable[tuple[Path_, str]]:
    """Every non-empty string scalar of a manifest entry, with its path in the document."""
    return ((where, leaf) for where, leaf in _leaves(value, path)
            if isinstance(leaf, str) and leaf)


def _at(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# -- the file ----------------------------------------------------------------------------------


def dumps(plan: Plan, account: str) -> str:
    """The plan file's text: deterministic (sorted keys, no timestamp), no secret value."""
    body = {"type": FILE_TYPE, "format_version": FORMAT_VERSION, "tool_version": tool_version(),
            "target": {"account": account, "description": plan.target},
            "fingerprint": plan.fingerprint(), "secrets_check": secrets_check(plan)}
    body.update(plan_to_dict(plan, Codec(plan.secret_sources)))
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def save(plan: Plan, path: Path, account: str) -> None:
    text = dumps(plan, account)  # raises before anything is written
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise PlanFileError(f"cannot write the plan file {path}: {exc}") from exc


def read(path: Path) -> dict[str, Any]:
    """The parsed file, its format and tool version checked."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanFileError(f"cannot read the plan file {path}: {exc}") from exc
    if not isinstance(body, dict) or body.get("type") != FILE_TYPE:
        raise PlanFileError(f"{path} is not a saved plan (made by `provisioner plan --out`)")
    if body.get("format_version") != FORMAT_VERSION:
        raise PlanFileError(f"{path} has plan file format {body.get('format_version')!r}; this "
                            f"provisioner reads format {FORMAT_VERSION}: make the plan again")
    if body.get("tool_version") != tool_version():
        raise PlanFileError(f"{path} was made by provisioner {body.get('tool_version')}; this is "
                            f"{tool_version()}: make the plan again with this version")
    return body


def check_account(body: Mapping[str, Any], account: str, path: Path) -> None:
    planned = (body.get("target") or {}).get("account")
    if planned != account:
        raise PlanFileError(f"{path} was planned for {planned}, not for this account "
                            f"({account}); nothing was applied")


def check_api(body: Mapping[str, Any], client: CallrClient, path: Path) -> None:
    """A plan is applied through the API it was made for (its calls are that API's)."""
    planned, now = body.get("api", "jsonrpc"), api_of(client)
    if planned != now:
        raise PlanFileError(f"{path} was planned through the {planned} API and cannot be applied "
                            f"through {now}: use --api {planned}, or make the plan again; "
                            "nothing was applied")


def load(path: Path, client: CallrClient, account: str,
         env: Mapping[str, str]) -> Plan:
    """The saved plan, ready for ``engine.apply_plan``: checked against the file's format, the
    account, and the live objects (``StalePlan``), its secrets resolved. Makes reads only."""
    body = expand_env(read(path), env)  # known sensitive from the first read on
    check_api(body, client, path)
    check_account(body, account, path)
    live = verify(body, client)
    plan = plan_from_dict(body, Codec(resolve=lambda ref: resolve(ref, env, live)))
    if secrets_check(plan) != body.get("secrets_check"):
        names = sorted({f"${{env:{r.name}}}" for r in _env_refs(body.get("changes") or [])})
        raise StalePlan("a secret differs from the one the plan was made with (the plan "
                        f"reads {', '.join(names) or 'no variable'} from the environment); "
                        "nothing was applied: apply with the same values, or make the plan again")
    return plan


def secrets_check(plan: Plan) -> str:
    """A slow salted digest of every secret the plan sends, so apply can tell that the
    environment gives the values planned, without the file holding a fast hash of a secret
    (scrypt, salted with the plan's fingerprint)."""
    digests = sorted(_sha(s.value) for call in plan.calls() for _, s in _secrets_in(
        dict(call.args), ()))
    # A value from the environment inside a string (a token in a URL) is checked too.
    digests += sorted(_sha(leaf) for call in plan.calls() for _, leaf in _leaves(
        dict(call.args), ()) if isinstance(leaf, str) and KNOWN.template(leaf) is not None)
    if not digests:
        return ""
    derived = hashlib.scrypt("\n".join(digests).encode(), salt=plan.fingerprint().encode(),
                             n=2**14, r=8, p=1, dklen=32)
    return derived.hex()


def _env_refs(value: Any) -> Iterable[SecretSource]:
    return (ref for ref in _refs(value) if ref.scheme == "env")


def resolve(source: SecretSource, env: Mapping[str, str], live: Mapping[str, Index]) -> str:
    if source.scheme == "env":
        if source.name not in env:
            raise PlanFileError(f"the plan needs the environment variable {source.name}: "
                                f"export {source.name}=... before applying")
        return env[source.name]
    if source.scheme == "manifest":
        return _from_manifest(source, env)
    index = live.get(source.account)
    obj = index.by_id.get((source.kind, source.name)) if index is not None else None
    found = _at(obj.attrs, source.path) if obj is not None else None
    if isinstance(found, Secret):
        return found.value
    raise PlanFileError(f"the plan re-sends the secret at {'.'.join(map(str, source.path))} "
                        f"of {source.kind} {source.name}, which the account no longer has")


def _from_manifest(source: SecretSource, env: Mapping[str, str]) -> str:
    """A secret written literally in a manifest, read again from that file at apply."""
    # Problems elsewhere in the file (a ${var:...} not given here) do not matter: only the
    # literal at this path is read, and secrets_check verifies it is the value planned.
    doc, _ = load_document(Path(source.name), source.name, env)
    found = _at(doc.data, source.path)
    if isinstance(found, str) and found:
        return found
    where = ".".join(map(str, source.path))
    raise PlanFileError(f"the plan reads the secret at {where} of {source.name}, which "
                        "cannot be read there now (apply from the directory the plan was made "
                        "in, with the same manifests)")


def verify(body: Mapping[str, Any], client: CallrClient) -> dict[str, Index]:
    """Re-read the kinds the basis names, in its accounts; raise StalePlan listing every
    object that changed. Returns what was read, by account."""
    basis: list[dict[str, Any]] = list(body.get("basis") or [])
    wanted: dict[str, set[str]] = {}
    for entry in basis:
        wanted.setdefault(entry["account"], set()).add(entry["kind"])
    for ref in _live_refs(body.get("changes") or []):
        wanted.setdefault(ref.account, set()).add(ref.kind)
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
        now = fingerprint(objs) if objs else ABSENT
        if now != entry["fingerprint"]:
            stale.append(f"{entry['address']}: {_what_changed(entry['fingerprint'], now)}")
    if stale:
        raise StalePlan(f"the account changed since the plan was made ({len(stale)} object"
                        f"{'s' if len(stale) != 1 else ''}); nothing was applied. Make the plan "
                        "again and review it:\n  " + "\n  ".join(stale))
    return live


def _ids_by_address(changes: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for change in changes:
        ids = out.setdefault((change["account"], change["address"]), set())
        for call in change["calls"]:
            ids |= call_ids(call["args"])
    return out


def _live_refs(value: Any) -> Iterable[SecretSource]:
    return (ref for ref in _refs(value) if ref.scheme == "live")


def _refs(value: Any) -> Iterable[SecretSource]:
    """The secret references anywhere in the file's changes."""
    if isinstance(value, dict):
        if "$secret" in value:
            yield SecretSource.from_ref(value)
            return
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


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
