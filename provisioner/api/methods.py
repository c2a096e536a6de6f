"""THE table of CALLR JSON-RPC methods: name, positional parameters in order, and confidence.

Every call the project makes goes through this table: the client orders keyword arguments by
``params`` to build the positional ``params`` array the API requires, and the emulator serves the
same names with the same arity. A row proven wrong against the live API is a one-line fix here.

Marks follow ``shared/callr-api/methods.md``: ``C`` confirmed in official CALLR material,
``C3`` seen in third-party code calling the live API, ``I`` inferred from CALLR's naming patterns.
``read_only`` rows are safe to retry after a transport fault; writes are never retried blindly.

What is guessed about a row (the whole method when it is ``I``, else a behaviour: ``guess``)
says which emulator variant plays the alternative (``variants``, see ``emulator/variants.py``)
or why none is needed (``reason``); ``GUESSES`` does the same for behaviours of the API as a
whole. A test holds every guess to a variant or a reason, and ``provisioner doctor`` shows on a
real account which way each method turned out.

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
    guess: str = ""
    """What is unconfirmed beyond the mark (an ``I`` row: the method itself, by default)."""
    variants: tuple[str, ...] = ()
    """The emulator variants that play the alternatives of the guess."""
    reason: str = ""
    """Why no variant is needed: what the tool does if the guess is wrong."""

    @property
    def guessed(self) -> str:
        """What is guessed about this row ("" when everything is confirmed)."""
        if self.guess:
            return self.guess
        return "the method exists, with these parameters" if self.mark == "I" else ""


@dataclass(frozen=True)
class Guess:
    """A behaviour of the API as a whole that is unconfirmed."""

    guess: str
    variants: tuple[str, ...] = ()
    reason: str = ""


def _rows(*methods: Method) -> dict[str, Method]:
    return {m.name: m for m in methods}


SIP = ("no-sip",)


def _sip_rows(service: str) -> tuple[Method, ...]:
    """The inferred CRUD shape shared by SIP subscribers and both trunk directions."""
    return (
        Method(f"{service}.create", ("properties", "options"), "I", variants=SIP),
        Method(f"{service}.edit", ("id", "properties", "options"), "I", variants=SIP),
        Method(f"{service}.delete", ("id",), "I", variants=SIP),
        Method(f"{service}.get", ("id",), "I", read_only=True, variants=SIP),
        Method(f"{service}.search", ("filters", "options"), "I", read_only=True, variants=SIP),
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
    # (provisioner/applying/adapt.py).
    Method("apps.assign_did", ("app_hash", "did_hash"), "C",
           guess="it moves a DID that another app holds",
           variants=("assign-requires-free-did",)),
    Method("apps.remove_did", ("did_hash",), "C"),
    Method("apps.get_dids", ("only_available",), "C", read_only=True),
    Method("apps.get_authorized_clis", ("type",), "C", read_only=True),
    # DIDs and the DID store
    Method("did.search", ("filters", "options"), "C", read_only=True),
    Method("did.get", ("hash",), "I", read_only=True, variants=("no-did-get",)),
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
    Method("webhooks.get_list", (), "I", read_only=True,
           guess="the method exists, and its webhooks carry hmac_secret",
           variants=("no-webhook-list", "webhook-list-hides-secret")),
    Method("webhooks.get", ("hash",), "I", read_only=True,
           reason="never called: plan and the recovery of a lost write read "
                  "webhooks.get_list"),
    Method("webhooks.update", ("hash", "type", "endpoint", "options"), "I",
           variants=("no-webhook-update",)),
    Method("webhooks.unsubscribe", ("hash",), "C3"),
    # sub-accounts and jobs
    # The new sub-account's hash is read from the create result (``hash``), which methods.md
    # confirms only for search hits; without it, apply finds it with account/sub.search by
    # company and login (provisioner/applying/adapt.py). params.default is sent only when the
    # manifest sets it, and dropped if refused.
    Method("account/sub.create", ("properties", "options"), "C",
           guess="the result carries `hash`; `params.default` is accepted",
           variants=("sub-create-without-hash", "strict-sub-params")),
    Method("account/sub.edit", ("hash", "properties", "options"), "C3",
           guess="`params.default` is accepted", variants=("strict-sub-params",)),
    Method("account/sub.get", ("hash",), "C", read_only=True,
           guess="its parameter is the sub-account's hash",
           reason="never called: plan and the recovery of a lost write read "
                  "account/sub.search"),
    Method("account/sub.search", ("filters", "options"), "C", read_only=True),
    Method("account/sub.disable", ("hash",), "C"),
    Method("account/sub.enable", ("hash",), "C3"),
    Method("account/sub.archive", ("hash", "options"), "C"),
    Method("account/sub.unarchive", ("hash",), "C",
           guess="its parameter is the sub-account's hash",
           reason="a refusal fails that change with the API's error, before anything else "
                  "depends on it; doctor cannot probe a write"),
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

GUESSES: tuple[Guess, ...] = (
    Guess("a search page may hold 100 items (the documented default is 50)",
          variants=("small-pages",)),
    Guess("bad credentials answer HTTP 200 with error 22 (SDKs treat any non-200 as an error)",
          variants=("http-auth-errors",)),
    Guess("error 110 means 'object not found'",
          reason="never relied on: whether an object exists is read from the lists the "
                 "plan uses"),
    Guess("no rate limit below the live default of --max-rps",
          reason="every HTTP 429 halves the request rate for the rest of the run "
                 "(api/limits.py)"),
    Guess("REST v2: GET /numbers objects name the scenario a number is assigned to "
          "(inferred; the REST table, api/rest/table.py, marks its own rows)",
          variants=("rest-numbers-without-scenario",)),
    Guess("every app package is one of the four the tool manages",
          reason="apps of other packages are read and left alone, even under prune; plan "
                 "and doctor list them, export writes them as comments"),
)
"""Unconfirmed behaviours of the API as a whole (the rows above hold the per-method ones)."""

SEARCH_PAGE_SIZES = (100, 50, 20)
"""Search page sizes tried in turn: the live maximum of ``Search.Options.quantity`` is
undocumented (the default page is 50; the emulator caps pages at 100). When a page is refused
for its size (an invalid-params error), the client tries the next size and remembers the first
accepted one for the rest of the session; the ``small-pages`` variant refuses pages above 50."""

SEARCH_PAGE_SIZE = SEARCH_PAGE_SIZES[0]
"""The first page size tried."""


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


INTEGER, OBJECT = "an integer", "an object"
OBJECTS, STRINGS = "a list of objects", "a list of strings"
RESULTS: dict[str, str] = {
    "system.get_timestamp": INTEGER,
    "apps.get": OBJECT, "apps.get_list": OBJECTS, "apps.search": OBJECT,
    "apps.get_dids": OBJECTS, "apps.get_authorized_clis": OBJECTS,
    "did.search": OBJECT, "did.get": OBJECT, "did/areacode.countries": OBJECTS,
    "did/areacode.types": OBJECTS, "did/areacode.get_list": OBJECTS,
    "did/store.get_quote": OBJECT, "did/store.view_order": OBJECT,
    "did/store.get_quota_status": OBJECT,
    **{f"{service}.{verb}": OBJECT for service in
       ("sip/subscriber", "sip/trunk/origination", "sip/trunk/termination")
       for verb in ("get", "search")},
    "webhooks.get_event_types": STRINGS, "webhooks.get_list": OBJECTS, "webhooks.get": OBJECT,
    "account/sub.get": OBJECT, "account/sub.search": OBJECT, "account/sub.get_quota": OBJECT,
    "jobs.get": OBJECT, "media/library.get": OBJECT,
}
"""What the read-only methods answer, checked by the client before anyone uses it (a method
not listed, such as ``media/library.get_list``, which may answer null, is not checked)."""
