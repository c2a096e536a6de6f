"""After an ambiguous write (sent, no answer): re-read the account to learn whether it happened.

A write whose response was lost (``AmbiguousWriteError``, or any ``TransportError`` that is not
``RateLimited``) may or may not have run. Re-sending blindly could make a second app of the same
name or a second webhook for the same (type, endpoint); giving up would leave a half-made
sub-account. So the executor asks the row of ``ROWS`` for that method, a small function that
takes the client (already Login-As'd), the call's resolved arguments and the results of the
calls made so far in this apply, and returns:

- the result object the call would have returned (an app with its ``hash``, a media id ...):
  the write happened; the executor adopts it, so later ``Ref``s resolve to it;
- ``None``: the write did not happen (or it is an idempotent update, for which re-sending the
  same arguments is safe): the executor re-sends the call once.

A row raises ``RecoveryError`` when the outcome cannot be established; the change then fails
and the next plan, which matches live objects by identity, shows what is left.

Rows learn the outcome by re-reading the lists the plan already uses (``apps.get_list``,
``webhooks.get_list``, ``account/sub.search`` ...): "not found" is the absence of an object from
a list, never an error code (error 110 as "not found" and ``did.get`` are both unconfirmed).
A row matches on everything the write sent that identifies the object, so a look-alike already
on the account (same name, another package) is never adopted for an object that was not made.

Two known limits: ``account/sub.archive`` has no row that can find the job id of an archive
that happened (no API lists jobs): it is re-sent, and the API refuses an archive in progress,
so the change fails and the next apply, once the archive job ended, has nothing left to do.
A lost ``did/store.reserve`` is re-sent: an orphan reservation only holds numbers until it
expires, and nothing is bought without ``did/store.buy_order``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from provisioner.api.client import CallrClient
from provisioner.errors import ProvisionerError
from provisioner.resources.sip_trunks import content_key

log = logging.getLogger(__name__)

Row = Callable[[CallrClient, dict[str, Any], Mapping[str, Any]], Any]


class RecoveryError(ProvisionerError):
    """The outcome of a write whose answer was lost could not be established."""


def recover(client: CallrClient, method: str, args: dict[str, Any],
            results: Mapping[str, Any]) -> Any:
    """The result of ``method`` if the lost write happened, None if it must be re-sent."""
    row = ROWS.get(method)
    if row is None:
        raise RecoveryError(f"{method}: the response was lost and no rule tells whether it ran: "
                            "check the account, then plan again")
    return row(client, args, results)


# -- generic rows ------------------------------------------------------------------------------

def resend(client: CallrClient, args: dict[str, Any], results: Mapping[str, Any]) -> Any:
    """An idempotent update: sending the same arguments again is safe."""
    return None


def _gone(lister: Callable[[CallrClient], list[dict[str, Any]]], key: str, arg: str) -> Row:
    """A delete: it happened when the object is no longer in its list."""

    def row(client: CallrClient, args: dict[str, Any], results: Mapping[str, Any]) -> Any:
        wanted = str(args[arg])
        return True if all(str(obj.get(key)) != wanted for obj in lister(client)) else None

    return row


def _apps(client: CallrClient) -> list[dict[str, Any]]:
    return list(client.call("apps.get_list", with_numbers=False) or [])


def _media(client: CallrClient) -> list[dict[str, Any]]:
    return list((client.call("media/library.get_list", categories=None) or {}).values())


def _hooks(client: CallrClient) -> list[dict[str, Any]]:
    return list(client.call("webhooks.get_list") or [])


def sub_accounts(client: CallrClient) -> list[dict[str, Any]]:
    """Every sub-account, archived or not."""
    return client.search_all("account/sub.search", {"archived": None})


def _searched(service: str) -> Callable[[CallrClient], list[dict[str, Any]]]:
    return lambda client: client.search_all(f"{service}.search")


def _last(hits: list[dict[str, Any]], key: str = "id") -> dict[str, Any] | None:
    """One of several matching objects, chosen deterministically (the greatest ``key``: for
    numeric ids the newest; for random hashes just a stable choice), None when there is none."""
    if not hits:
        return None
    return max(hits, key=lambda hit: (str(hit.get(key, "")).zfill(20)))


# -- apps and numbers --------------------------------------------------------------------------

def _app_created(client: CallrClient, args: dict[str, Any], results: Mapping[str, Any]) -> Any:
    found = [app for app in _apps(client)
             if app.get("name") == args["name"]
             and (app.get("package") or {}).get("name") == args["package"]]
    return _last(found, "hash")


def did_app(client: CallrClient, did_hash: str) -> str | None:
    """The hash of the app holding a DID (None: no app), from ``apps.get_list(true)``, the
    list the plan reads."""
    for app in client.call("apps.get_list", with_numbers=True) or []:
        if any(did.get("hash") == did_hash for did in app.get("did") or []):
            return str(app["hash"])
    return None


def _assigned(client: CallrClient, args: dict[str, Any], results: Mapping[str, Any]) -> Any:
    return True if did_app(client, args["did_hash"]) == args["app_hash"] else None


def _removed(client: CallrClient, args: dict[str, Any], results: Mapping[str, Any]) -> Any:
    return True if did_app(client, args["did_hash"]) is None else None


# -- media -------------------------------------------------------------------------------------

def _media_created(client: CallrClient, args: dict[str, Any],
                   results: Mapping[str, Any]) -> Any:
    found = [m for m in _media(client) if m.get("name") == args["name"]]
    hit = _last(found)
    return None if hit is None else int(hit["id"])


# -- SIP ---------------------------------------------------------------------------------------

def _subscriber_created(client: CallrClient, args: dict[str, Any],
                        results: Mapping[str, Any]) -> Any:
    username = (args.get("properties") or {}).get("username")
    if not username:
        raise RecoveryError("sip/subscriber.create without a username: cannot tell whether it "
                            "ran; check the account, then plan again")
    return _last(client.search_all("sip/subscriber.search", {"username": username}))


def _trunk_created(service: str) -> Row:
    def row(client: CallrClient, args: dict[str, Any], results: Mapping[str, Any]) -> Any:
        key = content_key(args.get("properties"), args.get("options"))
        found = [t for t in client.search_all(f"{service}.search")
                 if content_key(t.get("properties"), t.get("options")) == key]
        return _last(found)

    return row


# -- webhooks ----------------------------------------------------------------------------------

def _subscribed(client: CallrClient, args: dict[str, Any], results: Mapping[str, Any]) -> Any:
    found = [hook for hook in _hooks(client)
             if hook.get("type") == args["type"] and hook.get("endpoint") == args["endpoint"]]
    return _last(found, "hash")


# -- sub-accounts ------------------------------------------------------------------------------

def _sub_created(client: CallrClient, args: dict[str, Any], results: Mapping[str, Any]) -> Any:
    """The sub-account of that company with the account names and contact emails sent."""
    properties = args.get("properties") or {}
    sent = properties.get("account") or {}
    company = sent.get("company")
    emails = (properties.get("contact") or {}).get("emails")
    found = [hit for hit in sub_accounts(client)
             if all((hit.get("account") or {}).get(k) == v for k, v in sent.items())
             and (hit.get("contact") or {}).get("emails") == emails]
    hit = _last(found, "hash")
    if hit is not None:
        log.warning("account/sub.create happened but its answer was lost: the generated "
                    "password of %r is not known (reset it in the CALLR portal)", company)
    return hit


def _sub_state(flag: str, wanted: bool) -> Row:
    def row(client: CallrClient, args: dict[str, Any], results: Mapping[str, Any]) -> Any:
        hit = next((h for h in sub_accounts(client) if h.get("hash") == args["hash"]), None)
        if hit is None:
            raise RecoveryError(f"sub-account {args['hash']} is not listed by "
                                "account/sub.search: check the account, then plan again")
        state = hit.get("state") or {}
        return True if bool(state.get(flag)) is wanted else None

    return row


# -- DID store ---------------------------------------------------------------------------------

def _bought(client: CallrClient, args: dict[str, Any], results: Mapping[str, Any]) -> Any:
    """The reservation's numbers (known from the reserve result) that are on the account were
    bought: a BuyStatus of those; none of them: not bought, sent again (an expired reservation
    is then refused, and nothing is spent)."""
    reservation = next((r for r in results.values()
                        if isinstance(r, dict) and r.get("token") == args["token"]), None)
    items = (reservation or {}).get("items") or []
    if not items:
        raise RecoveryError("did/store.buy_order: the reservation's numbers are unknown: check "
                            "the account before ordering again")
    owned = {did.get("intl_number"): did
             for did in client.call("apps.get_dids", only_available=False) or []}
    bought = [owned[item["intl_number"]] for item in items if item.get("intl_number") in owned]
    if not bought:
        return None
    return {"contract": reservation.get("contract") if reservation else None,
            "cost": reservation.get("cost") if reservation else None,
            "errors": [], "success": bought}


def _sip_rows(service: str, created: Row) -> dict[str, Row]:
    return {f"{service}.create": created, f"{service}.edit": resend,
            f"{service}.delete": _gone(_searched(service), "id", "id")}


ROWS: dict[str, Row] = {
    "apps.create": _app_created,
    "apps.edit": resend,
    "apps.delete": _gone(_apps, "hash", "hash"),
    "apps.assign_did": _assigned,
    "apps.remove_did": _removed,
    "media/library.create": _media_created,
    "media/library.set_name": resend,
    "media/library.set_tags": resend,
    "media/library.set_content": resend,
    "media/tts.set_content": resend,
    "media/library.delete": _gone(_media, "id", "id"),
    **_sip_rows("sip/subscriber", _subscriber_created),
    **_sip_rows("sip/trunk/origination", _trunk_created("sip/trunk/origination")),
    **_sip_rows("sip/trunk/termination", _trunk_created("sip/trunk/termination")),
    "webhooks.subscribe": _subscribed,
    "webhooks.update": resend,
    "webhooks.unsubscribe": _gone(_hooks, "hash", "hash"),
    "account/sub.create": _sub_created,
    "account/sub.edit": resend,
    "account/sub.disable": _sub_state("disabled", True),
    "account/sub.enable": _sub_state("disabled", False),
    "account/sub.archive": resend,
    "account/sub.unarchive": _sub_state("archived", False),
    "did/store.reserve": resend,
    "did/store.buy_order": _bought,
    "did/store.cancel_order": resend,
}
"""Every write method the resource kinds use, by name (``tests/test_recovery.py`` checks the
table covers each write of ``api/methods.py`` that a kind plans)."""
