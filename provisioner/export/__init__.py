"""``provisioner export``: the manifests a person would have written, from a live account.

    CALLR account --Kind.read--> Live objects --EXPORTERS[kind]--> manifest entries
                  --export.write--> one YAML file per section (+ one per sub-account)

Each kind's exporter reads through the kind's own ``read`` (the normalized ``Live.attrs`` the
plan compares), so what is written is what the plan will compare it with: ``export`` then
``plan`` on the same account shows no change, once the listed ``${env:...}`` secrets are set and
the listed audio files are in place. Kinds are exported in rank order, so media are named before
apps refer to them and apps before their numbers. Sub-accounts are read with Login-As, each
into its own ``subaccounts/<name>.yaml``. Nothing here writes to the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from provisioner.api.client import CallrClient
from provisioner.errors import NotAllowedError
from provisioner.resources import KINDS, SUBACCOUNTS, LiveReader, ResourceKind

from . import apps, media, numbers, sip, subaccounts, webhooks
from .common import AudioFile, EnvVar, ExportContext, Shared, unique_slug

Exporter = Callable[[ResourceKind, LiveReader, ExportContext], Any]

EXPORTERS: dict[str, tuple[tuple[str, ...], Exporter]] = {
    "media": (("media",), media.export),
    "app": (("apps",), apps.export),
    "sip_subscriber": (("sip", "subscribers"), sip.export_subscribers),
    "sip_trunk": (("sip", "trunks"), sip.export_trunks),
    "number": (("numbers",), numbers.export),
    "webhook": (("webhooks",), webhooks.export),
}
"""Kind name -> where its entries go in an account's resources, and its exporter."""


@dataclass
class SubAccount:
    name: str
    slug: str
    entry: dict[str, Any]
    """The ``subaccounts.<name>`` entry, its ``resources`` included."""
    comments: dict[tuple[str | int, ...], str]
    unmanaged: list[str] = field(default_factory=list)


@dataclass
class Export:
    """One account exported: the master's resources, its sub-accounts, what the user supplies."""

    resources: dict[str, Any]
    comments: dict[tuple[str | int, ...], str]
    subaccounts: list[SubAccount] = field(default_factory=list)
    env: list[EnvVar] = field(default_factory=list)
    audio: list[AudioFile] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)
    """The master's live objects no manifest entry can describe (``ExportContext.unmanaged``)."""
    scenarios: dict[str, str] = field(default_factory=dict)
    """Callr Actions scenario files (path relative to the export directory -> text)."""

    @property
    def is_empty(self) -> bool:
        return not self.resources and not self.subaccounts


def export_account(client: CallrClient) -> Export:
    """Read the account (and each active sub-account, with Login-As) into manifest entries."""
    shared = Shared()
    ctx = ExportContext(shared)
    resources = export_resources(LiveReader(client), ctx)
    result = Export(resources, ctx.comments, unmanaged=ctx.unmanaged)
    try:
        reader = LiveReader(client)
        with reader.reading("subaccounts"):
            lives = SUBACCOUNTS.read(reader)
    except NotAllowedError:
        ctx.notice("sub-accounts: not listed, this account cannot manage sub-accounts")
        lives = []
    used: set[str] = set()
    for live in subaccounts.active(lives, ctx):
        name = str(live.identity)
        sub = ExportContext(shared, account=name, slug=unique_slug(name, used))
        entry = subaccounts.entry(live, sub)
        nested = export_resources(LiveReader(client.as_account(str(live.id))), sub)
        if nested:
            entry["resources"] = nested
        result.subaccounts.append(SubAccount(name, sub.slug, entry, sub.comments,
                                             sub.unmanaged))
    result.env = sorted(shared.env.values(), key=lambda var: var.name)
    result.audio = sorted(shared.audio, key=lambda audio: audio.path)
    result.notices = list(shared.notices)
    result.scenarios = dict(sorted(shared.scenarios.items()))
    return result


def export_resources(reader: LiveReader, ctx: ExportContext) -> dict[str, Any]:
    """One account's resources, shaped like a manifest's top level (empty sections left out)."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        found = EXPORTERS.get(kind.kind)
        if found is None:
            ctx.notice(f"{kind.section}: not exported (no exporter for kind {kind.kind!r})")
            continue
        path, exporter = found
        with reader.reading(kind.section):
            entries = exporter(kind, reader, ctx)
        if not entries:
            continue
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = entries
    return out


__all__ = ["EXPORTERS", "Export", "SubAccount", "export_account", "export_resources"]
