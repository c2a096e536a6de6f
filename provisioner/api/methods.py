"""THE table of CALLR JSON-RPC methods: name, positional parameters in order, and confidence.

Every call the project makes goes through this table: the client orders keyword arguments by
``params`` to build the positional ``params`` array the API requires, and the emulator serves the
same names with the same arity. A row proven wrong against the live API is a one-line fix here.

Marks follow ``shared/callr-api/methods.md``: ``C`` confirmed in official CALLR material,
``C3`` seen in third-party code calling the live API, ``I`` inferred from CALLR's naming patterns.
``read_only`` rows are safe to retry after a transport fault; writes are never retried blindly.

Retrying a write (``rpc.py``) rests on one assumption about the API's front end: HTTP 429 and
HTTP 503 are answered *before* the request reaches the method, so a write refused that way did
not run and may be sent again (as may one whose connection never opened: nothing was sent).
CALLR does not document this; it is the usual contract of rate limiters and load balancers. Any
other failure of a sent write (timeout, reset, 500, 502, 504, a body that is not JSON-RPC)
raises ``AmbiguousWriteError``, and the account must be re-read to learn whether it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mark = Literal["C", "C3", "I"]


@dataclass(frozen=True)
class Method:
    name: str
    params: tuple[str, ...]
    mark: Mark
    read_only: bool = False


def _rows(*methods: Method) -> dict[str, Method]:
    return {m.name: m for m in methods}


def _sip_rows(service: str) -> tuple[Method, ...]:
    """The inferred CRUD shape shared by SIP subscribers and both trunk directions."""
    return (
        Method(f"{service}.create", ("properties", "options"), "I"),
        Method(f"{service}.edit", ("id", "properties", "options"), "I"),
        Method(f"{service}.delete", ("id",), "I"),
        Method(f"{service}.get", ("id",), "I", read_only=True),
        Method(f"{service}.search", ("filters", "options"), "I", read_only=True),
    )


METHODS: dict[str, Method] = _rows(
    # system
    Method("system.get_timestamp", (), "C", read_only=True),
    # voice apps
    Method("apps.create", ("package", "name", "params"), "C"),
    Method("apps.edit", ("hash", "name", "params"), "C"),
    Method("apps.delete", ("hash",), "C"),
    Method("apps.get", ("hash",), "C", read_only=True),
    Method("apps.get_list", ("with_numbers",), "C", read_only=True),
    Method("apps.search", ("filters", "options"), "C", read_only=True),
    # Reassigning calls assign_did on a DID that has an app, assumed to move it (no gap in
    # service); if the live API refuses, apply falls back to remove_did + assign_did
    # (provisioner/adapt.py; variant assign-requires-free-did).
    Method("apps.assign_did", ("app_hash", "did_hash"), "C"),
    Method("apps.remove_did", ("did_hash",), "C"),
    Method("apps.get_dids", ("only_available",), "C", read_only=True),
    Method("apps.get_authorized_clis", ("type",), "C", read_only=True),
    # DIDs and the DID store
    Method("did.search", ("filters", "options"), "C", read_only=True),
    Method("did.get", ("hash",), "I", read_only=True),
    Method("did/areacode.countries", (), "C", read_only=True),
    Method("did/areacode.types", ("country_code",), "C", read_only=True),
    Method("did/areacode.get_list", ("country_code", "type"), "C", read_only=True),
    Method("did/store.get_quote", ("area_code_id", "class", "quantity"), "C", read_only=True),
    Method("did/store.reserve", ("area_code_id", "class", "quantity", "mode"), "C"),
    Method("did/store.view_order", ("token",), "C", read_only=True),
    Method("did/store.buy_order", ("token",), "C"),
    Method("did/store.cancel_order", ("token",), "C"),
    Method("did/store.cancel_subscription", ("did_hash",), "C"),
    Method("did/store.get_quota_status", (), "C", read_only=True),
    # SIP (all inferred)
    *_sip_rows("sip/subscriber"),
    *_sip_rows("sip/trunk/origination"),
    *_sip_rows("sip/trunk/termination"),
    # webhooks
    Method("webhooks.subscribe", ("type", "endpoint", "options"), "C"),
    Method("webhooks.get_event_types", (), "C", read_only=True),
    Method("webhooks.get_list", (), "I", read_only=True),
    Method("webhooks.get", ("hash",), "I", read_only=True),
    Method("webhooks.update", ("hash", "type", "endpoint", "options"), "I"),
    Method("webhooks.unsubscribe", ("hash",), "I"),
    # sub-accounts and jobs
    # The new sub-account's hash is read from the create result (``hash``), which methods.md
    # confirms only for search hits; without it, apply finds it with account/sub.search by
    # company and login (provisioner/adapt.py; variant sub-create-without-hash). params.default
    # is sent only when the manifest sets it, and dropped if refused (strict-sub-params).
    Method("account/sub.create", ("properties", "options"), "C"),
    Method("account/sub.edit", ("hash", "properties", "options"), "C3"),
    Method("account/sub.get", ("hash",), "C", read_only=True),
    Method("account/sub.search", ("filters", "options"), "C", read_only=True),
    Method("account/sub.disable", ("hash",), "C"),
    Method("account/sub.enable", ("hash",), "C3"),
    Method("account/sub.archive", ("hash", "options"), "C"),
    Method("account/sub.unarchive", ("hash",), "C"),
    Method("account/sub.get_quota", (), "C", read_only=True),
    Method("jobs.get", ("job_id",), "C", read_only=True),
    # media library and text-to-speech
    Method("media/library.create", ("name",), "C"),
    Method("media/library.get", ("id",), "C", read_only=True),
    Method("media/library.get_list", ("categories",), "C", read_only=True),
    Method("media/library.set_name", ("id", "name"), "C"),
    Method("media/library.set_tags", ("id", "tags"), "C"),
    Method("media/library.set_content", ("id", "text", "audio_base64"), "C"),
    Method("media/library.delete", ("id",), "C"),
    Method("media/tts.set_content", ("id", "text", "voice", "options"), "C"),
)

SEARCH_PAGE_SIZE = 100
"""The emulator caps ``Search.Options.quantity`` at 100; the live maximum is undocumented."""


def method(name: str) -> Method:
    """The table row for ``name``; a KeyError names a method the project never declared."""
    return METHODS[name]


def positional(name: str, args: dict[str, object]) -> list[object]:
    """Order keyword ``args`` into the positional array of method ``name``.

    Every declared parameter must be given (pass ``None`` for an API null): a missing or an
    unknown keyword is a programming error, raised as TypeError before anything is sent.
    """
    row = METHODS[name]
    unknown = set(args) - set(row.params)
    missing = [p for p in row.params if p not in args]
    if unknown or missing:
        raise TypeError(
            f"{name}{row.params}: unknown {sorted(unknown)}, missing {missing}"
        )
    return [args[p] for p in row.params]
