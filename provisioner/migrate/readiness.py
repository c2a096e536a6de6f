"""What REST API v2 cannot manage in a set of manifests, object by object, and why.

One function (``blockers``) serves two ends: a plan through REST refuses these objects before any
call (``refuse``), and a plan through JSON-RPC ends with a "REST v2 readiness" note counting them
(``note``), so a team sees what stands between it and the 2027-06-30 shutdown. The reasons come
from ``shared/callr-api/rest-v2.md``: REST v2 knows only Callr Actions scenarios (§2.2), and no
endpoint was found for webhooks (§2.10), sub-accounts, SIP (§2.11) or text-to-speech (§2.8).
Audio files have no tags (§2.8: a media's category or language cannot be kept) and the number
store has no numeric area codes (§2.4: an order names a prefix or an area instead).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.errors import PlanError
from provisioner.manifest.desired import Desired
from provisioner.resources.base import PlanContext

ACTIONS = "ACTIONS10"
MIGRATE = "provisioner migrate"
NO_EQUIVALENT = "no REST v2 equivalent documented"
_SECTIONS = (
    ("webhooks", "webhook", "", NO_EQUIVALENT + " (webhooks are configured in the CALLR portal)"),
    ("sip_subscribers", "sip_subscriber", "", NO_EQUIVALENT + " (SIP)"),
    ("trunks_origination", "sip_trunk", "origination.", NO_EQUIVALENT + " (SIP)"),
    ("trunks_termination", "sip_trunk", "termination.", NO_EQUIVALENT + " (SIP)"),
)
"""(section, kind, identity prefix, reason): addresses as the kinds write them."""


_UNSUPPORTED = ("media", "subaccounts", *(section for section, _, _, _ in _SECTIONS))


@dataclass(frozen=True, order=True)
class Blocker:
    """One manifest object REST v2 cannot manage."""

    address: str
    kind: str
    detail: str
    """The package of an app ("CALLTRACKING10"), "tts" for a media, "" otherwise."""
    reason: str
    where: str = ""

    def message(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{where}{self.address}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "kind": self.kind, "detail": self.detail or None,
                "reason": self.reason}


def blockers(desired: Desired) -> list[Blocker]:
    """Every object of the manifests (sub-accounts included) REST v2 cannot manage."""
    return sorted(_blockers(desired, PlanContext({})))


def _blockers(desired: Desired, ctx: PlanContext) -> Iterator[Blocker]:
    for name, spec in desired.apps.items():
        if spec.package != ACTIONS:
            yield _blocker(desired, ctx, "apps", "app", name, spec.package,
                           f"package {spec.package} is not supported by REST v2 (only Callr "
                           f"Actions scenarios, {ACTIONS}): run `{MIGRATE}`")
    for name, spec in desired.media.items():
        if spec.tts is not None:
            yield _blocker(desired, ctx, "media", "media", name, "tts",
                           NO_EQUIVALENT + " (text-to-speech media; use say@v2 in a scenario)")
        elif spec.category is not None or spec.language is not None:
            yield _blocker(desired, ctx, "media", "media", name, "file",
                           "category and language are media tags, and REST v2 audio files "
                           "have no tags: remove them to manage this media through REST v2")
    for section, kind, shown, reason in _SECTIONS:
        for identity in getattr(desired, section):
            yield _blocker(desired, ctx, section, kind, identity, "", reason, shown)
    for key, order in desired.orders.items():
        if order.area_code_id is not None:
            yield _blocker(desired, ctx, "orders", "order", key, "",
                           "area_code_id is a JSON-RPC store id: REST v2 replaced numeric area "
                           "codes with a prefix or an area (rest-v2.md §2.4), and GET "
                           "/numbers/store/prefixes lists no ids: write 'prefix: \"+331\"' or "
                           "'area: paris' (as that list names them) instead")
    for name in desired.subaccounts:
        yield _blocker(desired, ctx, "subaccounts", "subaccount", name, "",
                       NO_EQUIVALENT + " (sub-accounts)")
    for section in _UNSUPPORTED:
        managed = section in desired.present or desired.policy.prunes(section)
        if managed and not getattr(desired, section):
            yield Blocker(f"{ctx.prefix}{section}", "section", "",
                          "the manifest manages this section (written, or listed in "
                          "policy.prune), and REST v2 cannot read it")
    for name, nested in desired.accounts.items():
        yield from _blockers(nested, PlanContext({}, account=name))


def _blocker(desired: Desired, ctx: PlanContext, section: str, kind: str, identity: Any,
             detail: str, reason: str, shown: str = "") -> Blocker:
    """One blocker, addressed as the kind addresses its changes (a webhook ``type->url``)."""
    origin = desired.origin(section, identity)
    text = "->".join(map(str, identity)) if isinstance(identity, tuple) else str(identity)
    address = ctx.address(kind, shown + text)
    return Blocker(address, kind, detail, reason, str(origin) if origin is not None else "")


def refuse(desired: Desired) -> None:
    """PlanError naming every object REST v2 cannot manage (before any call)."""
    found = blockers(desired)
    if found:
        raise PlanError([b.message() for b in found] + [
            f"{len(found)} object(s) cannot be managed through REST v2: remove them, plan them "
            f"through --api jsonrpc, or convert legacy apps with `{MIGRATE}`"])


def counts(found: Sequence[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """``[("app CALLTRACKING10", 2), ("webhook", 1)]``: by kind and package, most first
    (``found``: ``Blocker.to_dict()`` items, as a plan carries them)."""
    tally = Counter(f"{b['kind']} {b['detail']}" if b["kind"] == "app" or b["detail"] == "tts"
                    else str(b["kind"]) for b in found)
    return sorted(tally.items(), key=lambda item: (-item[1], item[0]))


def note(found: Sequence[Mapping[str, Any]]) -> list[str]:
    """The "REST v2 readiness" lines a JSON-RPC plan ends with ([] when ready)."""
    if not found:
        return []
    parts = ", ".join(f"{n} {what}" for what, n in counts(found))
    return [f"REST v2 readiness: {len(found)} object(s) cannot be managed through REST v2, "
            f"which replaces JSON-RPC on 2027-06-30: {parts}.",
            f"Run `{MIGRATE} --check PATH...` for the details and `{MIGRATE} PATH... -o DIR` "
            "to convert legacy apps to Callr Actions scenarios."]
