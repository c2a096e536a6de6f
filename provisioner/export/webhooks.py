"""Webhooks (``webhooks:``): type, endpoint, and the options that differ from the defaults.

The options' defaults are the API's (``format: JSON``, no HMAC). The HMAC secret becomes an
``${env:...}`` placeholder named after the event type (``WEBHOOK_CALL_INBOUND_HANGUP_HMAC_SECRET``,
the endpoint's host added when two webhooks of one type have secrets). Two live webhooks with
the same type and endpoint cannot be told apart by a manifest: both are left out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from provisioner.models.webhooks import WebhookSpec
from provisioner.resources.base import Live, LiveReader, ResourceKind
from provisioner.sensitive import Secret

from .common import ExportContext, prune, strip

DEFAULT_OPTIONS = {"format": "JSON", "hmac_algo": None, "hmac_secret": None}


def export(kind: ResourceKind, reader: LiveReader, ctx: ExportContext) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[Live]] = {}
    for live in kind.read(reader):
        groups.setdefault(tuple(live.identity), []).append(live)
    out: list[dict[str, Any]] = []
    for identity in sorted(groups):
        hook_type, endpoint = identity
        shown = f"webhook {hook_type} -> {endpoint}"
        if len(groups[identity]) > 1:
            ids = ", ".join(str(live.id) for live in groups[identity])
            ctx.notice(f"{shown}: left out, {len(groups[identity])} webhooks have this type and "
                       f"endpoint ({ids}): unsubscribe all but one to manage it")
            continue
        entry: dict[str, Any] = {"type": hook_type, "endpoint": endpoint}
        options = strip(groups[identity][0].attrs["options"], DEFAULT_OPTIONS) or {}
        if isinstance(options.get("hmac_secret"), Secret | str):
            host = urlsplit(endpoint).hostname or ""
            options["hmac_secret"] = ctx.secret(f"{shown}: options.hmac_secret",
                                                ("webhook", hook_type), "hmac_secret", (host,))
        if options:
            entry["options"] = options
        entry = prune(WebhookSpec, entry, shown, ctx)
        if entry:
            out.append(entry)
    return out
