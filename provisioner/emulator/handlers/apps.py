"""``apps.*``: voice apps, their DIDs and the authorized CLIs."""

from __future__ import annotations

import copy
from typing import Any

from ..defaults import PACKAGES, normalize_params
from ..errors import NO_DID_APP, ApiError, invalid, missing
from ..store import fmt_date, new_hash
from .base import NULL, Ctx, filters_obj, get_or_404, paginate, register


def app_view(
    ctx: Ctx, app: dict[str, Any], with_dids: bool, by_app: dict[str, list[Any]] | None = None
) -> dict[str, Any]:
    """The App object; ``did`` lists the assigned DID objects when asked, else ``[]``.

    A shallow view: it shares nested values with the state, which is safe because the
    emulator encodes every result to JSON before it releases the state lock (``_execute``);
    deep copies made ``apps.get_list(true)`` of a large account four times slower."""
    view = dict(app)
    view["did"] = []
    if with_dids and by_app is not None:
        view["did"] = list(by_app.get(app["hash"], []))
    elif with_dids:
        dids = ctx.account["dids"].values()
        view["did"] = [d for d in dids if d["app"] == app["hash"]]
    return view


def _dids_by_app(ctx: Ctx) -> dict[str, list[Any]]:
    """The account's assigned DIDs grouped by app hash (one pass over the DIDs)."""
    groups: dict[str, list[Any]] = {}
    for did in ctx.account["dids"].values():
        if did["app"] is not None:
            groups.setdefault(did["app"], []).append(did)
    return groups


def _package(package: str) -> dict[str, Any]:
    if package not in PACKAGES:
        raise invalid("package", f"must be one of {', '.join(PACKAGES)}")
    ptype, has_did, _ = PACKAGES[package]
    return {"name": package, "type": ptype, "has_did": has_did}


def _name(name: Any) -> str:
    if name is None:
        raise missing("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid("name", "must be a non-empty string")
    return name


@register("apps.create", str, (str, NULL), (dict, NULL))
def create(ctx: Ctx, package: str, name: Any, params: Any) -> dict[str, Any]:
    pkg = _package(package)
    app = {
        "hash": "",
        "name": _name(name),
        "package": pkg,
        "p": normalize_params(package, params, ctx.media_exists),
        "date_creation": fmt_date(ctx.now),
        "date_update": fmt_date(ctx.now),
    }
    app["hash"] = new_hash(ctx.state, "app")
    ctx.account["apps"][app["hash"]] = app
    return app_view(ctx, app, False)


@register("apps.edit", str, (str, NULL), (dict, NULL))
def edit(ctx: Ctx, app_hash: str, name: Any, params: Any) -> dict[str, Any]:
    app = get_or_404(ctx.account["apps"], app_hash, "app")
    new_name = app["name"] if name is None else _name(name)
    new_params = normalize_params(app["package"]["name"], params, ctx.media_exists)
    app.update(name=new_name, p=new_params, date_update=fmt_date(ctx.now))
    return app_view(ctx, app, False)


@register("apps.delete", str)
def delete(ctx: Ctx, app_hash: str) -> bool:
    get_or_404(ctx.account["apps"], app_hash, "app")
    for did in ctx.account["dids"].values():
        if did["app"] == app_hash:
            did["app"] = None
    del ctx.account["apps"][app_hash]
    return True


@register("apps.get", str)
def get(ctx: Ctx, app_hash: str) -> dict[str, Any]:
    return app_view(ctx, get_or_404(ctx.account["apps"], app_hash, "app"), True)


@register("apps.get_list", bool)
def get_list(ctx: Ctx, with_numbers: bool) -> list[dict[str, Any]]:
    by_app = _dids_by_app(ctx) if with_numbers else {}
    return [app_view(ctx, app, with_numbers, by_app) for app in ctx.account["apps"].values()]


@register("apps.search", (dict, NULL), (dict, NULL))
def search(ctx: Ctx, filters: Any, options: Any) -> dict[str, Any]:
    """``filters.name`` matches a case-insensitive substring of the app name."""
    flt = filters_obj(filters, {"name"})
    needle = flt.get("name")
    if needle is not None and not isinstance(needle, str):
        raise invalid("filters.name", "must be a string")
    apps = [
        app
        for app in ctx.account["apps"].values()
        if not needle or needle.lower() in app["name"].lower()
    ]
    return paginate(apps, options, lambda app: app_view(ctx, app, False))


@register("apps.assign_did", str, str)
def assign_did(ctx: Ctx, app_hash: str, did_hash: str) -> bool:
    """Assign a DID; a DID already assigned to another app moves to this one (variant
    ``assign-requires-free-did``: it is refused with error 151 instead)."""
    app = get_or_404(ctx.account["apps"], app_hash, "app")
    did = get_or_404(ctx.account["dids"], did_hash, "DID")
    if not app["package"]["has_did"]:
        raise ApiError(NO_DID_APP, "This voice app cannot be assigned a DID")
    held = did["app"] not in (None, app_hash)
    if held and "assign-requires-free-did" in ctx.variants:
        raise invalid("did_hash", "is assigned to another app: remove it first")
    did["app"] = app_hash
    app["date_update"] = fmt_date(ctx.now)
    return True


@register("apps.remove_did", str)
def remove_did(ctx: Ctx, did_hash: str) -> bool:
    did = get_or_404(ctx.account["dids"], did_hash, "DID")
    did["app"] = None
    return True


@register("apps.get_dids", bool)
def get_dids(ctx: Ctx, only_available: bool) -> list[dict[str, Any]]:
    return [
        copy.deepcopy(d)
        for d in ctx.account["dids"].values()
        if not only_available or d["app"] is None
    ]


@register("apps.get_authorized_clis", str)
def get_authorized_clis(ctx: Ctx, cli_type: str) -> list[dict[str, Any]]:
    if cli_type not in ("CALL", "SMS"):
        raise invalid("type", "must be CALL or SMS")
    return copy.deepcopy(ctx.account["clis"])
