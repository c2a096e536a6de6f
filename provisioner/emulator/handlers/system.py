"""``system.get_timestamp``."""

from __future__ import annotations

from .base import Ctx, register


@register("system.get_timestamp")
def get_timestamp(ctx: Ctx) -> int:
    return int(ctx.now)
