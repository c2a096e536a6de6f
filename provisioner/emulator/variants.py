"""The alternative behaviours of every API guess the tool depends on.

The emulator embodies our reading of CALLR's API, and several parts of that reading are guesses
(``shared/callr-api/methods.md`` marks each method confirmed or inferred). Each *variant* switches
one guess to its alternative, so tests (and users, with ``emulator serve --variant``) can check
that the tool stays correct whichever way the guess turns out.

Handlers read ``ctx.variants``; methods a variant removes answer -32601 before they run
(``missing_methods``); ``check_request`` refuses what a variant forbids in any method (a search
page above 50 under ``small-pages``); ``auth_status`` is the HTTP status of an authentication
failure. ``parse`` turns ``NAME[,NAME...]`` into a validated set.

``--sandbox`` plays variants too: ``--sandbox-variant NAME[,NAME...]`` or the environment
variable ``PROVISIONER_SANDBOX_VARIANTS`` (``target.SANDBOX_VARIANTS_ENV``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..api.methods import METHODS
from .errors import invalid

SMALL_PAGE_MAX = 50
"""The largest search page ``small-pages`` accepts (CALLR's documented default page)."""

VARIANTS: dict[str, str] = {
    "sub-create-without-hash": "account/sub.create returns the SubAccount without `hash`",
    "strict-sub-params": "account/sub.create/edit reject `params.default` with error 151",
    "no-webhook-update": "webhooks.update does not exist (-32601)",
    "webhook-list-hides-secret": "webhooks.get_list omits `hmac_secret`",
    "no-webhook-list": "webhooks.get_list does not exist (-32601)",
    "no-sip": "every sip/* method does not exist (-32601)",
    "assign-requires-free-did": "apps.assign_did of a DID held by another app fails (error 151)",
    "no-did-get": "did.get does not exist (-32601)",
    "small-pages": "a search with quantity > 50 fails with error 151",
    "http-auth-errors": "bad credentials answer HTTP 401 with the JSON-RPC error body",
    # REST v2 (emulator/rest/)
    "rest-numbers-without-scenario": "REST GET /numbers objects carry no `scenario` field",
}


def parse(names: Iterable[str]) -> frozenset[str]:
    """``["a,b", "c"]`` -> ``{"a", "b", "c"}``; an unknown name is a ValueError naming the known."""
    chosen = {n.strip() for text in names for n in text.split(",") if n.strip()}
    unknown = sorted(chosen - VARIANTS.keys())
    if unknown:
        raise ValueError(f"unknown variant {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    return frozenset(chosen)


def missing_methods(variants: frozenset[str]) -> frozenset[str]:
    """The methods that do not exist under these variants."""
    missing: set[str] = set()
    if "no-webhook-update" in variants:
        missing.add("webhooks.update")
    if "no-webhook-list" in variants:
        missing.add("webhooks.get_list")
    if "no-did-get" in variants:
        missing.add("did.get")
    if "no-sip" in variants:
        missing.update(m for m in METHODS if m.startswith("sip/"))
    return frozenset(missing)


def check_request(variants: frozenset[str], method: str, params: list[Any]) -> None:
    """Raise the ApiError a variant answers for this request, before the method runs."""
    if "small-pages" in variants and method.endswith(".search") and len(params) > 1:
        options = params[1]
        quantity = options.get("quantity") if isinstance(options, dict) else None
        if isinstance(quantity, int) and quantity > SMALL_PAGE_MAX:
            raise invalid("options.quantity", f"must not exceed {SMALL_PAGE_MAX}")


def auth_status(variants: frozenset[str]) -> int:
    """The HTTP status of an authentication failure: 401 under ``http-auth-errors``, else 200
    (the JSON-RPC error 22 in an HTTP 200, as the official SDKs expect)."""
    return 401 if "http-auth-errors" in variants else 200


