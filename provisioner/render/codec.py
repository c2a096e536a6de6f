"""The exact JSON form of a Plan for saved plan files: ``Plan`` -> dict -> ``Plan`` is equal.

Unlike ``Plan.to_dict`` (redacted, for reading), every value keeps its type: ``{"$ref"}`` for a
``Ref``, ``{"$file"}`` for ``FileData``, ``{"$absent": true}`` for ``MISSING``, ``{"$tuple"}``
for a tuple, and ``{"$secret": ...}`` for a ``Secret``: a reference to where apply finds the
value again, never the value (``planfile`` explains the references).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from provisioner.errors import ConfigError
from provisioner.manifest.loader import ENV_REFERENCE as ENV_PATTERN
from provisioner.planning.plan import (
    MISSING,
    Action,
    BasisEntry,
    Call,
    Change,
    FieldChange,
    FileData,
    Plan,
    Ref,
    RouteChange,
    Until,
    sensitive_form,
)
from provisioner.sensitive import KNOWN, Secret

_KNOWN = {"target", "changes", "warnings", "basis", "routing", "secret_sources"}


class PlanFileError(ConfigError):
    """A saved plan that cannot be written or applied (format, version, account, secrets)."""


@dataclass(frozen=True)
class SecretSource:
    """Where apply finds a secret: ``env`` NAME, ``manifest`` FILE at a path of its YAML, or
    ``live`` at a path of a live object."""

    scheme: str
    name: str = ""
    """The environment variable, the manifest file, or the live object's id."""
    account: str = ""
    kind: str = ""
    path: tuple[str | int, ...] = ()

    def ref(self) -> dict[str, Any]:
        if self.scheme == "env":
            return {"$secret": f"env:{self.name}"}
        if self.scheme == "manifest":
            return {"$secret": f"manifest:{self.name}", "path": list(self.path)}
        return {"$secret": f"live:{self.kind}:{self.name}", "account": self.account,
                "path": list(self.path)}

    def encode(self) -> str:
        return json.dumps(self.ref(), sort_keys=True)

    @classmethod
    def from_ref(cls, ref: Mapping[str, Any]) -> SecretSource:
        scheme, _, rest = str(ref.get("$secret", "")).partition(":")
        if scheme == "env" and rest:
            return cls("env", name=rest)
        if scheme == "manifest" and rest:
            return cls("manifest", name=rest, path=tuple(ref.get("path") or ()))
        kind, _, ident = rest.partition(":")
        if scheme == "live" and ident:
            return cls("live", name=ident, account=str(ref.get("account", "")), kind=kind,
                       path=tuple(ref.get("path") or ()))
        raise PlanFileError(f"unknown secret reference {ref.get('$secret')!r} in the plan file")


class Codec:
    """Encodes values for the file (secrets by ``sources``) or decodes them (``resolve``)."""

    def __init__(self, sources: Mapping[str, str] | None = None,
                 resolve: Callable[[SecretSource], str] | None = None) -> None:
        self.sources = sources or {}
        self.resolve = resolve
        self.unreferenced: list[str] = []
        self.resolved: dict[str, str] = {}

    def encode(self, value: Any, where: str) -> Any:
        if value is MISSING:
            return {"$absent": True}
        if isinstance(value, Secret):
            source = self.sources.get(hashlib.sha256(value.value.encode()).hexdigest())
            if source is None:
                self.unreferenced.append(where)
                return {"$secret": None}
            return json.loads(source)
        if isinstance(value, str):
            template = KNOWN.template(value)
            return value if template is None else {"$env": template}
        if isinstance(value, Ref):
            return {"$ref": value.call, "path": list(value.path)}
        if isinstance(value, FileData):
            return {"$file": value.shown, "path": value.path, "sha256": value.sha256}
        if isinstance(value, Mapping):
            return {str(k): self.encode(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(v, where) for v in value]}
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    def decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if value.get("$absent") is True and len(value) == 1:
            return MISSING
        if "$secret" in value:
            return self._secret(SecretSource.from_ref(value))
        if "$env" in value and len(value) == 1:
            return self.expand(str(value["$env"]))
        if "$ref" in value:
            return Ref(value["$ref"], tuple(value.get("path") or ()))
        if "$file" in value:
            return FileData(value["path"], value["$file"], value["sha256"])
        if "$tuple" in value and len(value) == 1:
            return tuple(self.decode(v) for v in value["$tuple"])
        return {k: self.decode(v) for k, v in value.items()}

    def expand(self, template: str) -> str:
        """A string holding ``${env:NAME}`` references, each resolved (and known sensitive)."""
        if "${env:" not in template:
            return template

        def value(match: re.Match[str]) -> str:
            if self.resolve is None:
                raise PlanFileError("the plan refers to the environment but nothing resolves it")
            found = self.resolve(SecretSource("env", name=match.group(1)))
            KNOWN.add(found, match.group(1))
            return found

        return ENV_PATTERN.sub(value, template)

    def _secret(self, source: SecretSource) -> Secret:
        if self.resolve is None:
            raise PlanFileError("the plan holds secret references but nothing resolves them")
        value = self.resolve(source)
        self.resolved[hashlib.sha256(value.encode()).hexdigest()] = source.encode()
        return Secret(value)


def expand_env(body: Any, env: Mapping[str, str]) -> Any:
    """A saved plan's body with every ``${env:NAME}`` reference (``{"$env": ...}`` values, and
    names, ids and notes that held one) replaced by the environment's value, each made known
    sensitive with the shape of its string, before anything is read from the account or
    logged (a ``--debug`` read of the live URL would show its token)."""
    if isinstance(body, list):
        return [expand_env(item, env) for item in body]
    if isinstance(body, dict):
        if "$env" in body and len(body) == 1:
            return expand_env(str(body["$env"]), env)
        secret = body.get("$secret")
        if isinstance(secret, str) and secret.startswith("env:"):
            KNOWN.add(env.get(secret[4:]), secret[4:])
        return {key: expand_env(item, env) for key, item in body.items()}
    if isinstance(body, str) and "${env:" in body:
        parts = ENV_PATTERN.split(body)
        KNOWN.add_shape(parts[::2], parts[1::2])
        missing = sorted({name for name in parts[1::2] if name not in env})
        if missing:
            raise PlanFileError(f"the plan needs the environment variable {missing[0]}: "
                                f"export {missing[0]}=... before applying")
        for name in parts[1::2]:
            KNOWN.add(env[name], name)
        return ENV_PATTERN.sub(lambda match: env[match.group(1)], body)
    return body


def _templated(body: Any, stored: dict[str, str] | None = None) -> Any:
    """Every string of a file body (ids, addresses, refs, notes ...) with each environment
    value written back as ``${env:NAME}``, and any other sensitive part (an old token in the
    address of an object the plan deletes) masked, each masked string kept distinct (call ids
    must stay unique); encoded values (``$env``, ``$secret``) are left as they are."""
    stored = {} if stored is None else stored
    if isinstance(body, list):
        return [_templated(item, stored) for item in body]
    if isinstance(body, dict):
        if "$env" in body or "$secret" in body:
            return body
        return {key: _refs_only(item, stored) if key == "args" else _templated(item, stored)
                for key, item in body.items()}
    if not isinstance(body, str) or body in stored:
        return stored.get(body, body) if isinstance(body, str) else body
    text = KNOWN.template(body) or body
    if KNOWN.names_in(text):
        masked = KNOWN.mask(text)
        taken = set(stored.values())
        text, count = masked, 1
        while text in taken:
            count += 1
            text = f"{masked} #{count}"
    stored[body] = text
    return text


def _refs_only(args: Any, stored: dict[str, str]) -> Any:
    """A call's arguments are sent as they are: only the call ids their refs name follow the
    ids' stored form."""
    if isinstance(args, list):
        return [_refs_only(item, stored) for item in args]
    if isinstance(args, dict):
        if isinstance(args.get("$ref"), str):
            return {**args, "$ref": _templated(args["$ref"], stored)}
        return {key: _refs_only(item, stored) for key, item in args.items()}
    return args


def plan_to_dict(plan: Plan, codec: Codec) -> dict[str, Any]:
    """Changes, warnings, basis and routing; raises PlanFileError naming every secret the plan
    cannot refer to (neither in the environment, a manifest nor the account)."""
    body: dict[str, Any] = {
        "changes": [_change(c, codec) for c in plan.changes],
        "warnings": list(plan.warnings),
        "basis": [{"account": e.account, "kind": e.kind, "address": e.address,
                   "fingerprint": e.fingerprint} for e in plan.basis],
        "routing": [{"account": r.account, "number": r.number, "before": r.before,
                     "after": r.after} for r in plan.routing],
    }
    for extra in fields(Plan):
        if extra.name not in _KNOWN and extra.compare:
            body[extra.name] = codec.encode(getattr(plan, extra.name), extra.name)
    if plan.readiness:  # a note for the reader, kept so `show` and apply print it too
        body["rest_v2_readiness"] = [dict(b) for b in plan.readiness]
    body = _templated(body)
    if codec.unreferenced:
        raise PlanFileError(
            "a saved plan holds no secret value, only where to find it, and this plan carries "
            "secrets found nowhere else (" + ", ".join(sorted(set(codec.unreferenced))) + "): "
            "write each as ${env:NAME} in the manifest, or apply the manifests directly")
    return body


def _change(change: Change, codec: Codec) -> dict[str, Any]:
    where = change.address
    return {
        "address": change.address, "account": change.account, "kind": change.kind,
        "action": change.action.value, "summary": change.summary,
        "fields": [{"path": f.path, "old": codec.encode(_old(f), f"{where} {f.path}"),
                    "new": codec.encode(f.new, f"{where} {f.path}"), "sensitive": f.sensitive}
                   for f in change.fields],
        "calls": [_call(call, codec) for call in change.calls],
        "notes": list(change.notes),
        "generated_secrets": list(change.generated_secrets),
    }


def _old(field: FieldChange) -> Any:
    """The old value of a field the outputs mask (``FieldChange.masked``): a string that is no
    reference (an old token in a URL) is not stored."""
    if field.masked and isinstance(field.old, str) and KNOWN.template(field.old) is None:
        return sensitive_form(field.old)  # shown the same once the plan is read back
    return field.old


def _call(call: Call, codec: Codec) -> dict[str, Any]:
    until = call.until
    return {
        "id": call.id, "method": call.method,
        "args": [[name, codec.encode(v, f"{call.id} {name}")] for name, v in call.args],
        "login_as": codec.encode(call.login_as, call.id),
        "until": None if until is None else {
            "field": until.field, "ready": list(until.ready), "failed": list(until.failed),
            "timeout": until.timeout, "interval": until.interval},
    }


def plan_from_dict(body: Mapping[str, Any], codec: Codec) -> Plan:
    """The Plan a file holds, its secrets resolved through ``codec.resolve``."""
    try:
        changes = tuple(_change_from(c, codec) for c in body["changes"])
        extras = {f.name: codec.decode(body[f.name]) for f in fields(Plan)
                  if f.name not in _KNOWN and f.compare and f.name in body}
        return Plan(
            body["target"]["description"], changes,
            tuple(codec.expand(w) for w in body["warnings"]),
            basis=tuple(BasisEntry(**e) for e in body["basis"]),
            routing=tuple(RouteChange(r["account"], r["number"], codec.expand(r["before"]),
                                      codec.expand(r["after"])) for r in body["routing"]),
            secret_sources=codec.resolved,
            readiness=tuple(dict(b) for b in body.get("rest_v2_readiness") or ()), **extras,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(f"the plan file is malformed ({exc!r})") from exc


def _change_from(data: Mapping[str, Any], codec: Codec) -> Change:
    return Change(
        codec.expand(data["address"]), data["kind"], Action(data["action"]),
        codec.expand(data["summary"]),
        tuple(FieldChange(f["path"], codec.decode(f["old"]), codec.decode(f["new"]),
                          f["sensitive"]) for f in data["fields"]),
        tuple(_call_from(c, codec) for c in data["calls"]),
        tuple(codec.expand(n) for n in data["notes"]), data["account"],
        tuple(data["generated_secrets"]),
    )


def _call_from(data: Mapping[str, Any], codec: Codec) -> Call:
    until = data["until"]
    return Call(
        data["id"], data["method"],
        tuple((name, codec.decode(value)) for name, value in data["args"]),
        codec.decode(data["login_as"]),
        None if until is None else Until(until["field"], tuple(until["ready"]),
                                         tuple(until["failed"]), until["timeout"],
                                         until["interval"]),
    )
