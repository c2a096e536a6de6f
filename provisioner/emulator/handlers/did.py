"""``did.search`` and ``did.get``: the account's phone numbers."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import invalid
from .base import NULL, Ctx, filters_obj, get_or_404, paginate, register


def _matches(did: dict[str, Any], flt: dict[str, Any]) -> bool:
    for key in ("hash", "class", "type"):
        if flt.get(key) is not None and did[key] != flt[key]:
            return False
    keywords = flt.get("KEYWORDS")
    if keywords:
        digits = "".join(ch for ch in keywords if ch.isdigit())
        haystacks = (did["intl_number"], did["local_number"])
        return bool(digits) and any(digits in h for h in haystacks)
    return True


@register("did.search", (dict, NULL), (dict, NULL))
def search(ctx: Ctx, filters: Any, options: Any) -> dict[str, Any]:
    """Filters: ``hash``, ``class``, ``type`` exact; ``KEYWORDS`` a digit substring."""
    flt = filters_obj(filters, {"hash", "KEYWORDS", "class", "type"})
    for key, value in flt.items():
        if value is not None and not isinstance(value, str):
            raise invalid(f"filters.{key}", "must be a string")
    dids = list(ctx.account["dids"].values())
    if any(value is not None for value in flt.values()):
        dids = [d for d in dids if _matches(d, flt)]
    return paginate(dids, options, copy.deepcopy)


@register("did.get", str)
def get(ctx: Ctx, did_hash: str) -> dict[str, Any]:
    return copy.deepcopy(get_or_404(ctx.account["dids"], did_hash, "DID"))
