"""``sip/subscriber.*`` and ``sip/trunk/{origination,termination}.*`` (all inferred in methods.md).

Subscribers follow ``SIP.Subscriber.Properties``; trunk properties and options are opaque objects.
Reads return the subscriber's password (the live object documents it); errors never show it.
"""

from __future__ import annotations

import copy
import re
import string
from typing import Any

from ..defaults import normalize_vms
from ..errors import invalid
from ..store import next_id, rng
from ..validate import (
    E164_RE,
    no_unknown_keys,
    want_bool,
    want_enum,
    want_int,
    want_list,
    want_obj,
    want_str,
)
from .base import NULL, Ctx, filters_obj, get_or_404, paginate, register

USERNAME_RE = re.compile(r"^[A-Za-z0-9._-]{3,32}$")
CODECS = ("G729", "OPUS", "PCMA", "PCMU")
EDITABLE = {"cli", "codecs", "privacy", "ring_timeout", "srtp", "username"}
SUB_DEFAULTS: dict[str, Any] = {
    "cli": "BLOCKED",
    "codecs": [],
    "privacy": "full",
    "ring_timeout": 30,
    "srtp": False,
}
PASSWORD_ALPHABET = string.ascii_letters + string.digits


def _subscribers(ctx: Ctx) -> dict[str, Any]:
    return ctx.account["sip"]["subscriber"]  # type: ignore[no-any-return]


def _check_cli(ctx: Ctx, cli: Any) -> str:
    if cli == "BLOCKED":
        return "BLOCKED"
    if not isinstance(cli, str) or not E164_RE.match(cli):
        raise invalid("properties.cli", "must be BLOCKED or an E.164 phone number")
    owned = ctx.state["numbers"].get(cli) == ctx.account["hash"]
    if not owned and cli not in {c["cli"] for c in ctx.account["clis"]}:
        raise invalid("properties.cli", "must be a DID of the account or an authorized CLI")
    return cli


def _check_username(ctx: Ctx, username: Any, own_id: int | None) -> str:
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise invalid("properties.username", "must be 3 to 32 characters of [A-Za-z0-9._-]")
    for sub in _subscribers(ctx).values():
        if sub["username"] == username and sub["id"] != own_id:
            raise invalid("properties.username", "is already used in this account")
    return username


def _check_properties(ctx: Ctx, props: dict[str, Any], own_id: int | None) -> dict[str, Any]:
    for key in ("password", "domain"):
        if key in props:
            raise invalid(f"properties.{key}", "is not editable")
    no_unknown_keys(props, EDITABLE, "properties")
    out: dict[str, Any] = {}
    for key, value in props.items():
        path = f"properties.{key}"
        if key == "username":
            out[key] = _check_username(ctx, value, own_id)
        elif key == "cli":
            out[key] = _check_cli(ctx, value)
        elif key == "codecs":
            items = want_list(value, path)
            out[key] = [want_enum(c, f"{path}[{i}]", CODECS) for i, c in enumerate(items)]
        elif key == "privacy":
            out[key] = want_enum(value, path, ("full", "off"))
        elif key == "ring_timeout":
            out[key] = want_int(value, path, 5, 120)
        else:
            out[key] = want_bool(value, path)
    return out


def _vms_option(ctx: Ctx, options: dict[str, Any] | None) -> dict[str, Any] | None:
    if options is None:
        return None
    no_unknown_keys(options, {"vms"}, "options")
    return normalize_vms(options.get("vms"), "options.vms", ctx.media_exists)


def _auto_username(ctx: Ctx) -> str:
    used = {s["username"] for s in _subscribers(ctx).values()}
    while True:
        name = f"sub{rng().randrange(10**6):06d}"
        if name not in used:
            return name


@register("sip/subscriber.create", dict, (dict, NULL))
def sub_create(ctx: Ctx, properties: dict[str, Any], options: Any) -> dict[str, Any]:
    props = _check_properties(ctx, properties, None)
    vms = _vms_option(ctx, options) or normalize_vms(None, "options.vms", ctx.media_exists)
    sub_id = next_id(ctx.state, "sip/subscriber")
    sub = {
        "id": sub_id,
        "username": props.pop("username", None) or _auto_username(ctx),
        "password": "".join(rng().choices(PASSWORD_ALPHABET, k=16)),
        "domain": f"{ctx.account['hash'].lower()}.sip.callr.example",
        **copy.deepcopy(SUB_DEFAULTS),
        **props,
        "vms": vms,
    }
    _subscribers(ctx)[str(sub_id)] = sub
    return copy.deepcopy(sub)


@register("sip/subscriber.edit", int, dict, (dict, NULL))
def sub_edit(ctx: Ctx, sub_id: int, properties: dict[str, Any], options: Any) -> dict[str, Any]:
    """Partial update of the given properties; options.vms (when given) replaces the vms."""
    sub = get_or_404(_subscribers(ctx), sub_id, "SIP subscriber")
    checked = _check_properties(ctx, properties, sub_id)
    vms = _vms_option(ctx, options)
    sub.update(checked)
    if vms is not None:
        sub["vms"] = vms
    return copy.deepcopy(sub)


@register("sip/subscriber.delete", int)
def sub_delete(ctx: Ctx, sub_id: int) -> bool:
    get_or_404(_subscribers(ctx), sub_id, "SIP subscriber")
    del _subscribers(ctx)[str(sub_id)]
    return True


@register("sip/subscriber.get", int)
def sub_get(ctx: Ctx, sub_id: int) -> dict[str, Any]:
    return copy.deepcopy(get_or_404(_subscribers(ctx), sub_id, "SIP subscriber"))


@register("sip/subscriber.search", (dict, NULL), (dict, NULL))
def sub_search(ctx: Ctx, filters: Any, options: Any) -> dict[str, Any]:
    """Filters ``username`` and ``domain`` match exactly."""
    flt = filters_obj(filters, {"username", "domain"})
    for key in flt:
        if flt[key] is not None:
            want_str(flt[key], f"filters.{key}")
    hits = [
        s
        for s in _subscribers(ctx).values()
        if all(flt.get(k) is None or s[k] == flt[k] for k in ("username", "domain"))
    ]
    return paginate(hits, options, copy.deepcopy)


def _opaque(value: Any, path: str) -> dict[str, Any]:
    return {} if value is None else copy.deepcopy(want_obj(value, path))


def _register_trunk(service: str) -> None:
    """The opaque CRUD of one trunk direction: ``{id, properties, options}``."""
    kind = service.rsplit("/", 1)[-1] + " trunk"

    def table(ctx: Ctx) -> dict[str, Any]:
        return ctx.account["sip"][service]  # type: ignore[no-any-return]

    @register(f"sip/{service}.create", (dict, NULL), (dict, NULL))
    def create(ctx: Ctx, properties: Any, options: Any) -> dict[str, Any]:
        props, opts = _opaque(properties, "properties"), _opaque(options, "options")
        trunk_id = next_id(ctx.state, f"sip/{service}")
        trunk = {"id": trunk_id, "properties": props, "options": opts}
        table(ctx)[str(trunk_id)] = trunk
        return copy.deepcopy(trunk)

    @register(f"sip/{service}.edit", int, (dict, NULL), (dict, NULL))
    def edit(ctx: Ctx, trunk_id: int, properties: Any, options: Any) -> dict[str, Any]:
        trunk = get_or_404(table(ctx), trunk_id, kind)
        props, opts = _opaque(properties, "properties"), _opaque(options, "options")
        trunk.update(properties=props, options=opts)
        return copy.deepcopy(trunk)

    @register(f"sip/{service}.delete", int)
    def delete(ctx: Ctx, trunk_id: int) -> bool:
        get_or_404(table(ctx), trunk_id, kind)
        del table(ctx)[str(trunk_id)]
        return True

    @register(f"sip/{service}.get", int)
    def get(ctx: Ctx, trunk_id: int) -> dict[str, Any]:
        return copy.deepcopy(get_or_404(table(ctx), trunk_id, kind))

    @register(f"sip/{service}.search", (dict, NULL), (dict, NULL))
    def search(ctx: Ctx, filters: Any, options: Any) -> dict[str, Any]:
        return paginate(list(table(ctx).values()), options, copy.deepcopy)


_register_trunk("trunk/origination")
_register_trunk("trunk/termination")
