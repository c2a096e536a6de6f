"""Releasing numbers: the one irreversible operation, kept out of plan and apply.

``provisioner release NUMBER...`` finds each number among the account's DIDs and cancels its
subscription (``did/store.cancel_subscription``): the number leaves the account at once and goes
into quarantine. The CLI makes the user type each number back (or pass ``--yes``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from provisioner.api.client import CallrClient
from provisioner.errors import ConfigError
from provisioner.models.values import compact_number, normalize_e164
from provisioner.resources.base import LiveReader
from provisioner.resources.numbers import NumberKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Did:
    number: str
    hash: str
    app: str | None


def find_dids(client: CallrClient, numbers: list[str]) -> list[Did]:
    """The account's DIDs for ``numbers`` (E.164, any spacing); ConfigError naming the missing.

    Read exactly as plan reads numbers (the numbers kind), sharing its two calls.
    """
    reader = LiveReader(client)
    names = {app["hash"]: app.get("name") or app["hash"]
             for app in reader.call("apps.get_list", with_numbers=True)}
    owned = {live.identity: Did(live.identity, live.id, names.get(live.attrs.get("app")))
             for live in NumberKind().read(reader)}
    wanted = list(dict.fromkeys(_e164(n) for n in numbers))  # a number given twice: once
    missing = [n for n in wanted if n not in owned]
    if missing:
        raise ConfigError(f"not on the account: {', '.join(missing)}; nothing was released")
    return [owned[n] for n in wanted]


def _e164(number: str) -> str:
    """``number`` in compact E.164 (digits alone are read as E.164 without its +);
    ConfigError, before any call, for a national number such as ``0199000019``."""
    compact = compact_number(number)
    try:
        return str(normalize_e164(compact))
    except ValueError:
        raise ConfigError(f"{number!r} is not an E.164 number: write it with its country code "
                          "(\"+33199000019\", not \"0199000019\"); nothing was released") from None


def release(client: CallrClient, did: Did) -> None:
    log.info("releasing %s (%s)", did.number, did.hash)
    client.did_store_cancel_subscription(did.hash)
