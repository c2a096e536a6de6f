"""The emulator's method handlers, one module per service, all registered in ``HANDLERS``."""

from __future__ import annotations

from . import account_sub, apps, did, media, sip, store, system, webhooks
from .base import HANDLERS, Ctx, Registered, check_params

__all__ = [
    "HANDLERS",
    "Ctx",
    "Registered",
    "account_sub",
    "apps",
    "check_params",
    "did",
    "media",
    "sip",
    "store",
    "system",
    "webhooks",
]
