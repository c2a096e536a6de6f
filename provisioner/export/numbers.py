"""DID assignments (``numbers:``): each number with the name of its app, grouped by app.

Numbers are sorted by app name, then number; numbers assigned to no app come last, as ``null``
(kept on the account, assigned to nothing). A number whose app is not exported (two apps of one
name, an unsupported package) is left out with a notice, so the plan leaves it alone.
"""

from __future__ import annotations

from typing import Any

from provisioner.models.values import E164_PATTERN
from provisioner.resources.base import LiveReader, ResourceKind

from .common import ExportContext


def export(kind: ResourceKind, reader: LiveReader, ctx: ExportContext) -> dict[str, Any]:
    rows: list[tuple[tuple[int, str, str], str, str | None]] = []
    for live in kind.read(reader):
        number = str(live.identity)
        if not E164_PATTERN.match(number):
            ctx.notice(f"number {number!r}: left out, not an E.164 number")
            continue
        app = live.attrs.get("app")
        if app is None:
            rows.append(((1, "", number), number, None))
            continue
        name = ctx.app_names.get(str(app))
        if name is None:
            ctx.notice(f"number {number}: left out, its app {app} is not exported")
            continue
        rows.append(((0, name, number), number, name))
    out = {number: app for _, number, app in sorted(rows)}
    free = next((number for number, app in out.items() if app is None), None)
    if free is not None:
        ctx.comments[("numbers", free)] = "on the account, assigned to no app (and those below)"
    return out
