"""Voice apps (``apps:``): package and the params that differ from the API's defaults.

The API returns every param of a package, defaults filled in; only the others are written (the
defaults are those ``objects.txt`` documents, as the emulator's package tables record them). A
param left out is unmanaged, so the plan compares nothing there. Media ids become the names of
the exported media; the REALTIME10 password becomes an ``${env:...}`` placeholder; an ACTIONS10
scenario goes to its own file under ``scenarios/``, referred to with ``script_file``.
"""

from __future__ import annotations

import re
from typing import Any

from provisioner import actions
from provisioner.emulator.defaults import PACKAGES
from provisioner.models.apps import APP_CLASSES, MEDIA_PATHS
from provisioner.resources.base import Live, LiveReader, ResourceKind
from provisioner.sensitive import Secret

from .common import ExportContext, prune, slug, strip

TARGET_TIMEOUT = 30
"""The manifest's default target timeout (always compared, so leaving it out is exact)."""


def export(kind: ResourceKind, reader: LiveReader, ctx: ExportContext) -> dict[str, Any]:
    groups: dict[str, list[Live]] = {}
    for live in kind.read(reader):
        groups.setdefault(str(live.identity), []).append(live)
    out: dict[str, Any] = {}
    for name in sorted(groups):
        lives = groups[name]
        if len(lives) > 1:
            ids = ", ".join(str(live.id) for live in lives)
            ctx.notice(f"app {name!r}: {len(lives)} apps have this name ({ids}): left out, "
                       "with their numbers (rename all but one to manage them)")
            continue
        live = lives[0]
        entry = _entry(name, live, ctx)
        if entry:
            out[name] = entry
            ctx.app_names[str(live.id)] = name
    return out


def _entry(name: str, live: Live, ctx: ExportContext) -> dict[str, Any]:
    package = live.attrs["package"]
    cls = APP_CLASSES.get(package)
    if cls is None:
        ctx.notice(f"app {name!r}: left out, with its numbers: package {package!r} is not one "
                   "the manifest supports")
        ctx.unmanaged.append(f"app {name!r}: {package} {live.id}")
        return {}
    defaults = PACKAGES[package][2].make_default()
    params = strip(live.attrs["params"], defaults) or {}
    if isinstance(params.get("targets"), list):
        params["targets"] = [_target(t) for t in params["targets"]]
    for path in sorted(cls.sensitive):
        _placeholder(params, path, name, ctx)
    for path in MEDIA_PATHS:
        _media_names(params, path, f"app {name!r}: params", ctx)
    if package == "ACTIONS10" and params.get("script"):
        params = _scenario_file(name, params, ctx)
    entry: dict[str, Any] = {"package": package}
    if params:
        entry["params"] = params
    return prune(cls, entry, f"app {name!r}", ctx)


PLACEHOLDER_START = re.compile(r"\$\{(?=(?:env|var):)")


def _scenario_file(name: str, params: dict[str, Any], ctx: ExportContext) -> dict[str, Any]:
    """The scenario goes to its own file, ``scenarios/<app>.yaml`` (``scenarios/<sub-account>/
    <app>.yaml`` for a sub-account), written exactly as the account holds it so that planning
    the export finds no change; the app refers to it with ``script_file``. Text that reads as
    the tool's own placeholders (``${env:``, ``${var:``) is escaped (``$${env:``)."""
    text = str(params.pop("script"))
    folder = f"scenarios/{ctx.slug}" if ctx.slug else "scenarios"
    used = {path for path in ctx.shared.scenarios if path.startswith(folder + "/")}
    stem = slug(name)
    path, n = f"{folder}/{stem}.yaml", 2
    while path in used:
        path, n = f"{folder}/{stem}-{n}.yaml", n + 1
    ctx.shared.scenarios[path] = PLACEHOLDER_START.sub("$${", text)
    _, findings = actions.check(text)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        ctx.notice(f"app {name!r}: its scenario ({path}) does not pass validation: "
                   f"{errors[0]}; fix it before planning")
    params["script_file"] = f"../{path}" if ctx.slug else path
    return params


def _target(target: Any) -> Any:
    if isinstance(target, dict) and target.get("timeout") == TARGET_TIMEOUT:
        return {k: v for k, v in target.items() if k != "timeout"}
    return target


def _placeholder(params: dict[str, Any], path: tuple[str, ...], app: str,
                 ctx: ExportContext) -> None:
    node: Any = params
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get(path[-1]), Secret | str):
        field = ".".join(path)
        node[path[-1]] = ctx.secret(f"app {app}: params.{field}", ("app", app), field)


def _media_names(node: Any, path: tuple[str, ...], where: str, ctx: ExportContext,
                 done: tuple[str, ...] = ()) -> None:
    """Replace the media ids at ``path`` (``*``: every key) by exported media names."""
    if not isinstance(node, dict):
        return
    head, rest = path[0], path[1:]
    for key in sorted(node) if head == "*" else [head]:
        if key not in node:
            continue
        if rest:
            _media_names(node[key], rest, where, ctx, (*done, key))
            continue
        value = node[key]
        if isinstance(value, int) and not isinstance(value, bool):
            named = ctx.media_names.get(value)
            if named is None:
                shown = ".".join((*done, key))
                ctx.notice(f"{where}.{shown}: media id {value} is not exported: kept as an id")
            else:
                node[key] = named
