"""``webhooks.*``: subscriptions to the 15 documented event types.

Variant ``webhook-list-hides-secret``: ``get_list`` and ``get`` omit ``options.hmac_secret``
(the secret is write-only: set by subscribe and update, never read back)."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import invalid
from ..store import fmt_date_ms, new_hash
from ..validate import no_unknown_keys, want_enum, want_obj, want_url
from .base import NULL, Ctx, get_or_404, register

EVENT_TYPES = (
    "billing.credit",
    "billing.credit_warning",
    "billing.credit_shutdown",
    "call.inbound_start",
    "call.inbound_hangup",
    "call.outbound_start",
    "call.outbound_hangup",
    "did.assigned",
    "did.unassigned",
    "job.status_update",
    "media.library.status_update",
    "media.recording.new",
    "media.recording.status_update",
    "sms.mo",
    "sms.mt.status_update",
)
HMAC_ALGOS = ("MD5", "SHA1", "SHA256", "SHA512")


def _options(options: Any) -> dict[str, Any]:
    """Webhook.Options with defaults ``{format: JSON, hmac_algo: null, hmac_secret: null}``."""
    opts = {} if options is None else want_obj(options, "options")
    no_unknown_keys(opts, {"format", "hmac_algo", "hmac_secret"}, "options")
    out: dict[str, Any] = {"format": "JSON", "hmac_algo": None, "hmac_secret": None}
    if opts.get("format") is not None:
        out["format"] = want_enum(opts["format"], "options.format", ("JSON",))
    if opts.get("hmac_algo") is not None:
        out["hmac_algo"] = want_enum(opts["hmac_algo"], "options.hmac_algo", HMAC_ALGOS)
    secret = opts.get("hmac_secret")
    if secret is not None:
        if not isinstance(secret, str) or not 8 <= len(secret) <= 1024:
            raise invalid("options.hmac_secret", "must be a string of 8 to 1024 characters")
        out["hmac_secret"] = secret
    return out


def _fields(hook_type: str, endpoint: str, options: Any) -> dict[str, Any]:
    want_enum(hook_type, "type", EVENT_TYPES)
    want_url(endpoint, "endpoint")
    return {"type": hook_type, "endpoint": endpoint, "options": _options(options)}


@register("webhooks.get_event_types")
def get_event_types(ctx: Ctx) -> list[str]:
    return list(EVENT_TYPES)


@register("webhooks.subscribe", str, str, (dict, NULL))
def subscribe(ctx: Ctx, hook_type: str, endpoint: str, options: Any) -> dict[str, Any]:
    fields = _fields(hook_type, endpoint, options)
    now = fmt_date_ms(ctx.now)
    hook = {
        "hash": new_hash(ctx.state, "webhook"),
        **fields,
        "status": "ENABLED",
        "created_at": now,
        "updated_at": now,
    }
    ctx.account["webhooks"][hook["hash"]] = hook
    return copy.deepcopy(hook)


def _read_view(ctx: Ctx, hook: dict[str, Any]) -> dict[str, Any]:
    view = copy.deepcopy(hook)
    if "webhook-list-hides-secret" in ctx.variants:
        view["options"].pop("hmac_secret", None)
    return view


@register("webhooks.get_list")
def get_list(ctx: Ctx) -> list[dict[str, Any]]:
    return [_read_view(ctx, h) for h in ctx.account["webhooks"].values()]


@register("webhooks.get", str)
def get(ctx: Ctx, hook_hash: str) -> dict[str, Any]:
    return _read_view(ctx, get_or_404(ctx.account["webhooks"], hook_hash, "webhook"))


@register("webhooks.update", str, str, str, (dict, NULL))
def update(ctx: Ctx, hook_hash: str, hook_type: str, endpoint: str, options: Any) -> dict[str, Any]:
    """A full replacement of type, endpoint and options."""
    hook = get_or_404(ctx.account["webhooks"], hook_hash, "webhook")
    hook.update(_fields(hook_type, endpoint, options), updated_at=fmt_date_ms(ctx.now))
    return copy.deepcopy(hook)


@register("webhooks.unsubscribe", str)
def unsubscribe(ctx: Ctx, hook_hash: str) -> bool:
    get_or_404(ctx.account["webhooks"], hook_hash, "webhook")
    del ctx.account["webhooks"][hook_hash]
    return True
