"""Saved plans: ``plan --out plan.json`` writes the plan as a contract, ``apply plan.json`` runs it.

The file (``type: callr-provisioner-plan``, ``format_version`` 1) holds the tool version, the
target account's identity (endpoint and login, a hash of the API key, or the sandbox state
file: never a secret), every change with every call in order (``Ref``s and files kept as
references), the routing impact, the *guards* (per account: protected addresses, safety
thresholds, ignore patterns) and a *basis*: for each address the changes touch, the sha256 of
the normalized attributes of the live objects there, with secrets and environment values left
out (``planbasis``), or ``absent`` for an object the plan creates (a replace, whose create and
delete share one address, has the fingerprint of the object it replaces). An integrity seal
covers all of it (``planseal``: sha256, or HMAC-SHA256 under ``PROVISIONER_PLAN_KEY``). See
"Saved plans" in README.md.

No secret value is stored, nor any value read from the environment. A secret is written as a
reference resolved at apply: ``{"$secret": "env:NAME"}`` when the manifest wrote it as
``${env:NAME}``, or ``{"$secret": "manifest:FILE", "path": [...]}`` for a secret written
literally in a manifest (the file is read again at apply), or ``{"$secret": "live:ADDRESS",
"account", "kind", "path"}`` for a secret the plan re-sends as it is on the account
(``apps.edit`` sends live params merged with the manifest's). Any other string holding an
environment value is stored as ``{"$env": "...${env:NAME}..."}`` (``codec``). With the key,
``secrets_check`` (an HMAC) makes apply refuse when a secret resolves to another value than the
one planned.

``apply plan.json`` refuses (exit 1, nothing written) a file of another format or tool version,
a broken seal, a plan made for another account (naming the flags that target it), a stale plan
(it re-reads only the kinds, in only the accounts, the basis names, and lists every object
whose fingerprint changed: ``StalePlan``), and a plan whose calls break a rule derived again
from the calls themselves (``plancheck``).
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from provisioner.api.client import CallrClient
from provisioner.api.rest.session import api_of
from provisioner.api.rpc import Credentials
from provisioner.errors import StalePlan
from provisioner.manifest.desired import Desired
from provisioner.manifest.loader import ENV_PATTERN, load_document
from provisioner.planning import planbasis, plancheck, planseal
from provisioner.planning.diff import value_at
from provisioner.planning.plan import Action, BasisEntry, Plan
from provisioner.planning.planbasis import ABSENT, KIND_BY_NAME, Index, fingerprint, refs, verify
from provisioner.planning.routing import route_changes
from provisioner.render.codec import (
    Codec,
    PlanFileError,
    SecretSource,
    expand_env,
    plan_from_dict,
    plan_to_dict,
)
from provisioner.resources import PlanContext
from provisioner.resources.base import unmanaged_names
from provisioner.sensitive import KNOWN, REDACTED, Secret
from provisioner.version import tool_version

FILE_TYPE = "callr-provisioner-plan"
FORMAT_VERSION = 1


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
    addresses = {c.address for c in plan.changes}
    routing = []
    for a in accounts:
        freed = {n for n in a.ctx.live.get("number", {})
                 if a.ctx.address("number", n) in unassigning}
        routing.extend(route_changes(a.desired, a.ctx.live, a.ctx.account, freed,
                                     _planned_in(a.ctx, addresses),
                                     unmanaged_names(a.ctx, "app")))
    guards = {a.ctx.account: plancheck.guard_of(a.desired, a.ctx.account).to_dict()
              for a in accounts}
    env_values = {k: v for a in accounts for k, v in a.desired.env_used.items()}
    return replace(plan, basis=basis_of(plan, accounts, env_values.values()),
                   routing=tuple(routing), secret_sources=secret_sources(plan, accounts),
                   guards=guards, env_values=env_values)


def _planned_in(ctx: PlanContext, addresses: set[str]) -> Callable[[str, Any], bool]:
    """Whether the plan changes (kind, identity) of this account (for its routing impact)."""
    return lambda kind, identity: ctx.address(kind, identity) in addresses


def basis_of(plan: Plan, accounts: Sequence[Account],
             hidden: Iterable[str] = ()) -> tuple[BasisEntry, ...]:
    """A fingerprint (or ``absent``) for each address the changes touch, in kinds read: of
    the live objects there, else of those named by the calls of any change at that address
    (the same objects ``planbasis.verify`` finds at apply)."""
    hidden = list(hidden)
    contexts = {a.ctx.account: a.ctx for a in accounts}
    index = {name: Index(name, ctx.live) for name, ctx in contexts.items()}
    ids = planbasis.ids_by_address(
        (change.account, change.address, (call.args for call in change.calls))
        for change in plan.changes)
    entries = set()
    for change in plan.changes:
        ctx = contexts.get(change.account)
        if ctx is None or ctx.reader is None or change.kind not in ctx.live:
            continue  # not read: a kind without live objects, or an account created by the plan
        lives = index[change.account].touched(change.kind, change.address,
                                              ids[(change.account, change.address)])
        mark = fingerprint(lives, hidden) if lives else ABSENT
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
            entry = value_at(origin.doc.data, origin.path, None)
            for path, text in _strings_in(entry, origin.path):
                source = SecretSource("manifest", name=origin.doc.file, path=path)
                out[_sha(text)] = source.encode()
    for account in accounts:
        for origin in account.desired.origins.values():
            for path, name in origin.doc.env_names.items():
                value = value_at(origin.doc.data, path, None)
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


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# -- the file ----------------------------------------------------------------------------------


def dumps(plan: Plan, account: str, key: bytes | None = None) -> str:
    """The plan file's text: deterministic (sorted keys, no timestamp), no secret value, sealed
    (``planseal``: HMAC-SHA256 under ``key``, else sha256)."""
    body: dict[str, Any] = {
        "type": FILE_TYPE, "format_version": FORMAT_VERSION, "tool_version": tool_version(),
        "target": {"account": account, "description": plan.target},
        "fingerprint": plan.fingerprint(), "secrets_check": secrets_check(plan, key)}
    body.update(plan_to_dict(plan, Codec(plan.secret_sources)))
    # the variables whose values the basis leaves out: apply leaves out the same
    body["basis_hides"] = sorted(plan.env_values)
    body[planseal.SEAL] = planseal.seal(json.loads(json.dumps(body)), key)
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def save(plan: Plan, path: Path, account: str, key: bytes | None = None) -> None:
    text = dumps(plan, account, key)  # raises before anything is written
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


def check_shape(body: Mapping[str, Any], path: Path) -> None:
    """Refuse a file whose structure is not a plan's (an edited file can hold anything)."""
    def strings(item: Any, *keys: str) -> bool:
        return isinstance(item, dict) and all(isinstance(item.get(k), str) for k in keys)

    def call_ok(call: Any) -> bool:
        return strings(call, "id", "method") and isinstance(call.get("args"), list) and all(
            isinstance(a, list) and len(a) == 2 and isinstance(a[0], str) for a in call["args"])

    changes, basis = body.get("changes"), body.get("basis")
    problems = [what for what, ok in (
        ("target", strings(body.get("target"), "account", "description")),
        ("changes", isinstance(changes, list) and all(
            strings(c, "address", "account", "kind", "action")
            and isinstance(c.get("calls"), list) and all(map(call_ok, c["calls"]))
            for c in changes)),
        ("basis", isinstance(basis, list) and all(
            strings(e, "account", "kind", "address", "fingerprint")
            and e["kind"] in KIND_BY_NAME for e in basis)),
        ("guards", isinstance(body.get("guards", {}), dict)),
    ) if not ok]
    if problems:
        raise PlanFileError(f"{path} is malformed ({', '.join(problems)}); nothing was "
                            "applied: make the plan again")


def check_account(body: Mapping[str, Any], account: str, path: Path) -> None:
    planned = (body.get("target") or {}).get("account")
    if planned != account:
        raise PlanFileError(f"{path} was planned for {planned}, not for this account "
                            f"({account}); nothing was applied. Apply it with "
                            f"{target_flags(str(planned))}")


def check_api(body: Mapping[str, Any], client: CallrClient, path: Path) -> None:
    """A plan is applied through the API it was made for (its calls are that API's)."""
    planned, now = body.get("api", "jsonrpc"), api_of(client)
    if planned != now:
        raise PlanFileError(f"{path} was planned through the {planned} API and cannot be applied "
                            f"through {now}: use --api {planned}, or make the plan again; "
                            "nothing was applied")



def target_flags(account: str) -> str:
    """The command-line flags that target the account a plan file names."""
    if account.startswith("sandbox:"):
        return f"--sandbox --sandbox-state {shlex.quote(account.removeprefix('sandbox:'))}"
    endpoint, _, who = account.partition(" ")
    credentials = ("the API key whose sha256 starts with " + who.partition(":")[2]
                   if who.startswith("api-key-sha256:") else
                   f"the credentials of {who.partition(':')[2]}")
    return f"--endpoint {shlex.quote(endpoint)} and {credentials}"


def read_checked(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """The parsed file, its format, version and integrity seal checked; no API call."""
    body = read(path)
    planseal.check(body, planseal.plan_key(env), path)
    return body


def read_offline(path: Path, env: Mapping[str, str]) -> tuple[Plan, str]:
    """The saved plan as it reads, for ``show``: no API call, secrets and environment values
    shown as references; with a note when its seal cannot be verified here."""
    body = read(path)
    note = planseal.check(body, planseal.plan_key(env), path, strict=False)
    shown = _env_shown(body)
    check_shape(shown, path)
    return plan_from_dict(shown, Codec(resolve=lambda source: REDACTED)), note


def load(path: Path, client: CallrClient, account: str, env: Mapping[str, str],
         guards: Mapping[str, plancheck.Guard] | None = None) -> Plan:
    """``load_with_calls`` without the description of the calls."""
    return load_with_calls(path, client, account, env, guards)[0]


def load_with_calls(path: Path, client: CallrClient, account: str, env: Mapping[str, str],
                    guards: Mapping[str, plancheck.Guard] | None = None
                    ) -> tuple[Plan, list[str]]:
    """The saved plan, ready for ``engine.apply_plan``: checked against the file's format and
    seal, the account, the live objects (``StalePlan``) and the safety rules derived again from
    its calls (``plancheck``, against ``guards``: the manifests', else the file's), its secrets
    resolved. Makes reads only."""
    body = expand_env(read_checked(path, env), env)  # known sensitive from the first read on
    check_shape(body, path)
    check_api(body, client, path)
    check_account(body, account, path)
    hidden = {name: env[name] for name in body.get("basis_hides") or [] if name in env}
    live = verify(body, client, hidden.values())
    plan = plan_from_dict(body, Codec(resolve=lambda ref: resolve(ref, env, live)))
    plan = replace(plan, env_values=hidden)
    plan = plancheck.check(plan, live, plancheck.file_guards(plan) if guards is None else guards)
    if secrets_check(plan, planseal.plan_key(env)) != body.get("secrets_check"):
        names = sorted({f"${{env:{r.name}}}" for r in refs(body.get("changes") or [], "env")})
        raise StalePlan("a secret differs from the one the plan was made with (the plan "
                        f"reads {', '.join(names) or 'no variable'} from the environment); "
                        "nothing was applied: apply with the same values, or make the plan again")
    return plan, list(plancheck.describe_calls(plan, live))


def secrets_check(plan: Plan, key: bytes | None) -> str:
    """An HMAC under ``PROVISIONER_PLAN_KEY`` of every secret the plan sends, and of every
    string holding a value from the environment (a token in a URL), so apply can tell that the
    environment gives the values planned; "" without the key (then nothing in the file depends
    on a secret's value, and apply sends the values it finds)."""
    values = [s.value for call in plan.calls() for _, s in _secrets_in(dict(call.args), ())]
    values += [leaf for call in plan.calls() for _, leaf in _leaves(dict(call.args), ())
               if isinstance(leaf, str) and KNOWN.template(leaf) is not None]
    return planseal.keyed_digest(values, key)


def _env_shown(body: Any) -> Any:
    """A file body for reading only (``show``): each ``${env:NAME}`` as ``(sensitive: NAME)``,
    and each ``{"$env": ...}`` value as that text."""
    if isinstance(body, list):
        return [_env_shown(item) for item in body]
    if isinstance(body, dict):
        if "$env" in body and len(body) == 1:
            return _env_shown(str(body["$env"]))
        return {key: _env_shown(item) for key, item in body.items()}
    if isinstance(body, str) and "${env:" in body:
        return ENV_PATTERN.sub(lambda match: f"(sensitive: {match.group(1)})", body)
    return body


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
    found = value_at(obj.attrs, source.path, None) if obj is not None else None
    if isinstance(found, Secret):
        return found.value
    raise PlanFileError(f"the plan re-sends the secret at {'.'.join(map(str, source.path))} "
                        f"of {source.kind} {source.name}, which the account no longer has")


def _from_manifest(source: SecretSource, env: Mapping[str, str]) -> str:
    """A secret written literally in a manifest, read again from that file at apply."""
    # Problems elsewhere in the file (a ${var:...} not given here) do not matter: only the
    # literal at this path is read, and secrets_check verifies it is the value planned.
    doc, _ = load_document(Path(source.name), source.name, env)
    found = value_at(doc.data, source.path, None)
    if isinstance(found, str) and found:
        return found
    where = ".".join(map(str, source.path))
    raise PlanFileError(f"the plan reads the secret at {where} of {source.name}, which "
                        "cannot be read there now (apply from the directory the plan was made "
                        "in, with the same manifests)")


