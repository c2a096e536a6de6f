"""Webhooks (``webhooks:``): identity is the pair (event type, endpoint).

Live read: ``webhooks.get_list()``, one call for the account (an account without that method,
which is inferred, fails the plan before any write, naming it: ``engine.read_live``). A webhook
of the manifest that is not live is created with ``webhooks.subscribe``; one that is live has
only the options the manifest sets compared, and a difference is changed with
``webhooks.unsubscribe`` then ``webhooks.subscribe`` (the live options with the desired ones laid
over them), as third-party clients of the live API do: ``webhooks.update`` is unconfirmed. The
change is a replace: the webhook gets a new hash, and events of that type are not delivered
between the two calls (a ``protect: true`` entry refuses it).
Entries with ``absent: true`` are unsubscribed; live webhooks the manifest does not mention are
left alone. Of two live webhooks with the same type and endpoint (two applies at once), the plan
keeps the oldest and unsubscribes the other, marked as a duplicate (``duplicates``); an
``absent`` entry unsubscribes every one.

Event types: the manifest only checks their shape offline; at plan time the type of every entry
that is not live yet is checked against the account's ``webhooks.get_event_types`` (the
documented list when the account is created by the same plan), and an unknown type is a plan
error with a "did you mean", so a typo never reaches a write (a live webhook's type was accepted
by the API: a plan with no new webhook makes no call for the list). An ``absent`` entry may also
name a type that some live webhook has.

The HMAC secret is wrapped in ``Secret`` on both sides: it compares by value and shows as
``(sensitive)`` in every output; a changed secret is a change whose field is marked sensitive.
When the list returns ``hmac_secret: null``, the webhook has no secret and a manifest secret is
set. When the list leaves ``hmac_secret`` out altogether, the secret is write-only: it is sent
when the webhook is subscribed and never compared afterwards (the plan would otherwise change
the webhook on every run). A rotation is then told by the manifest: ``secret_rotated_at`` (UTC)
beside the new secret re-subscribes a live webhook whose ``created_at`` is earlier, once (the new
subscription is later). Re-subscribing such a webhook for another option would drop a secret
the manifest does not give, so that is a plan error.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from provisioner.manifest.desired import Desired
from provisioner.models.webhooks import DOCUMENTED_TYPES, WebhookSpec
from provisioner.planning.diff import compare, merge
from provisioner.planning.plan import Action, Change, FieldChange, Ref
from provisioner.resources import duplicates
from provisioner.resources.base import Live, LiveReader, PlanContext, ResourceKind
from provisioner.resources.duplicates import Split
from provisioner.sensitive import REDACTED, wrap_paths

SENSITIVE: frozenset[tuple[str, ...]] = frozenset({("hmac_secret",)})
Identity = tuple[str, str]


@dataclass(frozen=True)
class Want:
    """A manifest webhook, normalized: its options, and when its secret last changed."""

    options: dict[str, Any]
    rotated_at: str | None = None


class WebhookKind(ResourceKind):
    kind = "webhook"
    section = "webhooks"
    rank = 60

    def read(self, reader: LiveReader) -> list[Live]:
        out = []
        for hook in reader.call("webhooks.get_list") or []:
            identity = (str(hook.get("type", "")), str(hook.get("endpoint", "")))
            options = hook.get("options")
            hidden = isinstance(options, dict) and "hmac_secret" not in options
            out.append(Live(hook["hash"], identity, {"options": normalize_options(hook),
                                                     "secret_hidden": hidden,
                                                     "created_at": hook.get("created_at")}))
        return out

    def plan_entries(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        if not self._check_types(desired, ctx):
            return []
        return self.reconcile(desired.webhooks, ctx)

    def keep(self, identity: Any, found: list[Live], ctx: PlanContext) -> Split | None:
        """Copies of one webhook (same type and endpoint) differ at most in options, which
        the plan then sets on the copy kept: the oldest."""
        ages = duplicates.ages(ctx.read("webhooks.get_list"), "created_at")
        return duplicates.split(found, lambda obj: False, lambda obj: ages.get(obj.id, ("", 0)))

    def want(self, identity: Any, spec: WebhookSpec, ctx: PlanContext) -> Want | None:
        rotated = spec.secret_rotated_at
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        if rotated is not None and rotated > now:
            ctx.error(f"{self._address(identity, ctx)}: secret_rotated_at {rotated} is in the "
                      "future: set it to the time the secret changed (UTC)")
            return None
        return Want(desired_options(spec), rotated)

    def _check_types(self, desired: Desired, ctx: PlanContext) -> bool:
        """Report every desired type the account does not know; True when all are known."""
        live = ctx.live.get(self.kind, {})
        live_types = {identity[0] for identity in live}
        # A webhook already live has a type the API accepted; an absent entry may name any
        # type some live webhook has. Only the other entries need the account's list, so a
        # plan with no new webhook makes no call for it.
        unsure = {identity: spec for identity, spec in desired.webhooks.items()
                  if not (identity in live or (spec.absent and identity[0] in live_types))}
        if not unsure:
            return True
        listed = ctx.read("webhooks.get_event_types")
        known = set(DOCUMENTED_TYPES if listed is None else (str(t) for t in listed))
        ok = True
        for identity in unsure:
            hook_type = identity[0]
            if hook_type in known:
                continue
            ok = False
            origin = desired.origin(self.section, identity)
            where = f"{origin}: " if origin is not None else ""
            ctx.error(f"{where}{self._address(identity, ctx)}: unknown event type "
                      f"{hook_type!r}{_suggest(hook_type, known)}")
        return ok

    def entry_address(self, identity: Any, ctx: PlanContext) -> str:
        return self._address(identity, ctx)

    def _address(self, identity: Identity, ctx: PlanContext) -> str:
        return ctx.address(self.kind, f"{identity[0]}->{identity[1]}")

    def create(self, identity: Identity, want: Want, ctx: PlanContext) -> Change:
        options = want.options
        address = self._address(identity, ctx)
        call = ctx.call(address, "webhooks.subscribe", type=identity[0], endpoint=identity[1],
                        options=options or None)
        ctx.publish(self.kind, identity, Ref(call.id, ("hash",)))
        fields = tuple(
            FieldChange(f"options.{key}", None, value, sensitive=(key,) in SENSITIVE)
            for key, value in sorted(options.items())
        )
        return Change(address, self.kind, Action.CREATE, "", fields, (call,),
                      account=ctx.account)

    def update(self, identity: Identity, live: Live, want: Want,
                ctx: PlanContext) -> Change | None:
        options = want.options
        current: dict[str, Any] = live.attrs["options"]
        hidden = bool(live.attrs.get("secret_hidden"))
        compared = {k: v for k, v in options.items() if not (hidden and k == "hmac_secret")}
        fields = compare(current, compared, SENSITIVE, prefix="options")
        if hidden and _set_before(live, want):
            fields = (*fields, FieldChange("options.hmac_secret", REDACTED,
                                           options["hmac_secret"], sensitive=True))
        if not fields:
            return None
        address = self._address(identity, ctx)
        if hidden and options.get("hmac_secret") is None and current.get("hmac_algo"):
            ctx.error(f"{address}: changing it re-subscribes it, and the API does not show its "
                      "HMAC secret: set options.hmac_secret so the secret is not lost")
            return None
        unsubscribe = ctx.call(address, "webhooks.unsubscribe", hash=live.id)
        subscribe = ctx.call(address, "webhooks.subscribe", type=identity[0],
                             endpoint=identity[1], options=merge(current, options) or None)
        notes = ["changed by webhooks.unsubscribe then webhooks.subscribe (webhooks.update is "
                 "unconfirmed): it gets a new hash, and no event is delivered in between"]
        if hidden and _set_before(live, want):
            notes.append(f"subscribed at {live.attrs.get('created_at')}, before "
                         f"secret_rotated_at {want.rotated_at}: its secret is set again")
        if options.get("hmac_secret") is not None and current.get("hmac_secret") is None \
                and not hidden:
            notes.append("the API returns no secret for this webhook: the manifest's secret "
                         "is set")
        # a replace, as it is: the old subscription goes, a new one (new hash) comes
        return Change(address, self.kind, Action.REPLACE, str(live.id), fields,
                      (unsubscribe, subscribe), tuple(notes), ctx.account)

    def delete(self, identity: Identity, live: Live, ctx: PlanContext) -> Change:
        address = self._address(identity, ctx)
        ctx.deleted[self.kind].add(live.id)
        ctx.names[(self.kind, live.id)] = identity
        call = ctx.call(address, "webhooks.unsubscribe", hash=live.id)
        return Change(address, self.kind, Action.DELETE, str(live.id), calls=(call,),
                      notes=("absent: true",), account=ctx.account)


def _set_before(live: Live, want: Want) -> bool:
    """Whether the live webhook was subscribed before the manifest's secret changed."""
    created = live.attrs.get("created_at")
    if want.rotated_at is None or want.options.get("hmac_secret") is None:
        return False
    # No creation time (undocumented answer): never re-subscribe, or every plan would.
    return isinstance(created, str) and created[:19] < want.rotated_at


def normalize_options(hook: dict[str, Any]) -> dict[str, Any]:
    """A live webhook's options as the manifest writes them, the secret wrapped."""
    options = hook.get("options")
    plain = dict(options) if isinstance(options, dict) else {}
    return dict(wrap_paths(plain, SENSITIVE))


def desired_options(spec: WebhookSpec) -> dict[str, Any]:
    """The options the manifest sets (explicit nulls kept), the secret wrapped."""
    if spec.options is None:
        return {}
    return dict(wrap_paths(spec.options.model_dump(exclude_unset=True), SENSITIVE))


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return " (webhooks.get_event_types lists the types this account accepts)"
