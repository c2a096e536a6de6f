"""Is this object on the account? Answered by reading a list, never by an error code.

CALLR's code for "object not found" is unconfirmed (110 is a third-party client's reading, see
``shared/callr-api/methods.md``), and ``did.get`` itself is inferred. So the client layer never
turns an error code into "absent": each function here reads the list or search the plan
already uses (all confirmed methods but the webhook list) and returns the object, or None when
it is not there. Any error of the read itself propagates: an error is never an answer.
"""

from __future__ import annotations

from typing import Any

from provisioner.api.client import CallrClient, JsonObject


def _first(hits: Any, key: str, wanted: object) -> JsonObject | None:
    for hit in hits or []:
        if isinstance(hit, dict) and str(hit.get(key)) == str(wanted):
            return hit
    return None


def find_app(client: CallrClient, app_hash: str) -> JsonObject | None:
    """The voice app ``app_hash`` with its numbers (``apps.get_list``), or None."""
    return _first(client.apps_get_list(True), "hash", app_hash)


def find_did(client: CallrClient, did_hash: str) -> JsonObject | None:
    """The DID ``did_hash`` with its ``app`` (``did.search`` by hash), or None."""
    return _first(client.search_all("did.search", {"hash": did_hash}), "hash", did_hash)


def find_media(client: CallrClient, media_id: int) -> JsonObject | None:
    """The media-library item ``media_id`` (``media/library.get_list``), or None."""
    library = client.media_library_get_list()
    return _first(library.values(), "id", media_id)


def find_webhook(client: CallrClient, webhook_hash: str) -> JsonObject | None:
    """The webhook ``webhook_hash`` (``webhooks.get_list``, inferred: a -32601 propagates), or
    None."""
    return _first(client.webhooks_get_list(), "hash", webhook_hash)


def find_sub_account(client: CallrClient, account_hash: str) -> JsonObject | None:
    """The sub-account ``account_hash``, archived or not (``account/sub.search``), or None."""
    return _first(client.account_sub_search(archived=None), "hash", account_hash)


def find_sip(client: CallrClient, service: str, ident: int) -> JsonObject | None:
    """The SIP object ``ident`` of ``service`` (``sip/subscriber`` ...), or None."""
    return _first(client.sip_search(service), "id", ident)
