"""Sub-accounts (``subaccounts:``): one entry per active sub-account, with its resources.

The entry holds what ``account/sub.search`` returns that the manifest manages: first and last
name, contact and editable params (empty values left out), and ``enabled: false`` for a disabled
sub-account (an enabled one is the default). Passwords are never read. Archived sub-accounts
are left out with a notice (declaring one would bring it back), as are two active ones with one
company name (a manifest names a sub-account by its company).
"""

from __future__ import annotations

from typing import Any

from provisioner.models.subaccounts import SubAccountSpec
from provisioner.resources.base import Live

from .common import ExportContext, prune, strip


def active(lives: list[Live], ctx: ExportContext) -> list[Live]:
    """The sub-accounts a manifest can name, sorted by company; notices for the others."""
    groups: dict[str, list[Live]] = {}
    for live in lives:
        if live.attrs["archived"]:
            ctx.notice(f"sub-account {live.identity!r} ({live.id}): left out, it is archived")
            continue
        groups.setdefault(str(live.identity), []).append(live)
    out = []
    for name in sorted(groups):
        if len(groups[name]) > 1:
            ids = ", ".join(str(live.id) for live in groups[name])
            ctx.notice(f"sub-account {name!r}: left out, {len(groups[name])} active sub-accounts "
                       f"have this company name ({ids})")
            continue
        out.append(groups[name][0])
    return out


def entry(live: Live, ctx: ExportContext) -> dict[str, Any]:
    """The sub-account's own fields, without ``resources``."""
    out: dict[str, Any] = {}
    for key in ("account", "contact", "params"):
        value = strip(live.attrs[key])
        if value:
            out[key] = value
    if not live.attrs["enabled"]:
        out["enabled"] = False
    return prune(SubAccountSpec, out, f"sub-account {live.identity!r}", ctx)
