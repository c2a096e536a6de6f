"""THE table of the REST API v2 backend: each operation the resource kinds plan, as a verb, a
path, a body and the shape of its result.

Operations are named by the rows of ``provisioner/api/methods.py`` (``apps.create``,
``apps.assign_did`` ...) and take the same keyword arguments: that table stays the one place
for JSON-RPC method names and argument order, and this one is the one place for REST verbs and
paths. Each row turns the REST answer back into the operation's result shape (an app's id under
``hash``, a DID's under ``hash`` ...), so kinds, the executor, recovery and saved plans read one
shape whatever the API. Over REST, an app's id is its scenario ``sid`` and a number's id is its
E.164 value (``rest-v2.md`` §1.4: numbers have no other id).

Marks, as in ``methods.py``: ``C`` = the verb and path are CONFIRMED in ``rest-v2.md`` (checked
against it by ``tests/api/test_rest_contract.py``), ``I`` = INFERRED. ``body`` marks the request
and result bodies separately: most bodies beyond the scenario object are INFERRED. An operation
with no row has no REST v2 equivalent: the engine refuses its kind at plan time. The number
store rows are EXPERIMENTAL (documented paths, undocumented bodies): plans say so.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from provisioner.api.methods import METHODS

Mark = Literal["C", "I"]
Args = dict[str, Any]
Json = Any

ACTIONS = "ACTIONS10"


@dataclass(frozen=True)
class Request:
    path: dict[str, str]
    query: dict[str, str]
    body: Json = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    """A ``multipart/form-data`` body (field -> (filename, bytes, content type)) instead of
    the JSON ``body``."""


@dataclass(frozen=True)
class Row:
    operation: str
    verb: str
    path: str
    mark: Mark
    body: Mark
    build: Callable[[Args], Request]
    result: Callable[[Json, Args], Json]
    paged: bool = False
    """GET a search envelope page by page (``offset``/``limit`` <= 100, ``hasMore``); the
    result function then receives the list of every hit."""
    note: str = ""

    @property
    def read_only(self) -> bool:
        return METHODS[self.operation].read_only


# -- shapes ----------------------------------------------------------------------------------

def app_of(scenario: dict[str, Any]) -> dict[str, Any]:
    """A scenario in the apps kind's shape: hash = sid, package ACTIONS10, params, DIDs."""
    dids = [did_of(number, scenario["sid"]) for number in scenario.get("numbers") or []]
    return {"hash": scenario["sid"], "name": scenario.get("name", ""),
            "package": {"name": ACTIONS},
            "p": {"format": str(scenario.get("format", "yaml")).upper(),
                  "script": scenario.get("script", "")},
            "did": dids}


def did_of(number: dict[str, Any], scenario: str | None = None) -> dict[str, Any]:
    """A number in the numbers kind's shape: hash = E.164, app = the scenario's sid or None."""
    e164 = number["e164"]
    return {"hash": e164, "intl_number": e164, "app": scenario or number.get("scenario"),
            "class": str(number.get("class", "")).upper() or None,
            "type": str(number.get("type", "")).upper() or None,
            "country_code": number.get("country")}


def _scenario_body(args: Args) -> dict[str, Any]:
    params = args.get("params") or {}
    body: dict[str, Any] = {}
    if args.get("name") is not None:
        body["name"] = args["name"]
    if params.get("script") is not None:
        body["script"] = params["script"]
        body["format"] = "yaml"
    return body


def _create_body(args: Args) -> Request:
    if args["package"] != ACTIONS:
        raise ValueError(f"REST v2 manages only {ACTIONS} scenarios, not {args['package']}")
    return Request({}, {}, _scenario_body(args))


def _search_query(args: Args) -> dict[str, str]:
    options = args.get("options") or {}
    query = {"offset": str(options.get("offset", 0)),
             "limit": str(min(int(options.get("quantity", 100)), 100))}
    name = (args.get("filters") or {}).get("name")
    if name:
        query["name"] = str(name)
    return query


def _envelope(page: Json, _: Args) -> Json:
    """REST's ``{offset, total, hasMore, hits}`` as the operation's ``has_more`` envelope."""
    return {"offset": page.get("offset", 0), "total": page.get("total"),
            "has_more": bool(page.get("hasMore")),
            "hits": [app_of(hit) for hit in page.get("hits") or []]}


def _available(numbers: Json, args: Args) -> Json:
    dids = [did_of(number) for number in numbers]
    return [d for d in dids if d["app"] is None] if args["only_available"] else dids


def _ping_time(answer: Json, _: Args) -> Json:
    return int(datetime.fromisoformat(str(answer["time"]).replace("Z", "+00:00")).timestamp())


def _sid(key: str) -> Callable[[Args], Request]:
    return lambda args: Request({"sid": str(args[key])}, {})


def _true(_: Json, __: Args) -> Json:
    return True


def audio_of(audio: dict[str, Any]) -> dict[str, Any]:
    """An audio file in the media kind's shape: id = sid, status ``READY``, no tags (REST v2
    audio files have none; the fingerprint rides in the name, see ``resources/media.py``)."""
    sid = str(audio["sid"])
    return {"id": sid, "sid": sid, "name": audio.get("name", ""), "tags": {},
            "status": str(audio.get("status", "")).upper().replace("-", "_")}


def _library(files: Json, _: Args) -> Json:
    return {media["id"]: media for media in map(audio_of, files)}


_SOUNDS = ((b"RIFF", "audio/wav"), (b"fLaC", "audio/flac"), (b"OggS", "audio/ogg"),
           (b"ID3", "audio/mpeg"), (b"\xff\xfb", "audio/mpeg"))
"""Magic numbers of the accepted formats (§2.8); MP4 is sent as ``audio/mp4`` otherwise."""


def _upload(args: Args) -> Request:
    data = base64.b64decode(str(args["audio_base64"]))
    kind = next((mime for magic, mime in _SOUNDS if data.startswith(magic)), "audio/mp4")
    return Request({"sid": str(args["id"])}, {},
                   files={"file": ("audio." + kind.split("/")[1], data, kind)})


def _reserve(args: Args) -> Request:
    """``{prefix | area, class, quantity, mode}``: the area code of the operation is the v2
    prefix (``+331``) or area (``paris``), which replaced numeric area codes (§2.4)."""
    where = args["area_code_id"]
    if not isinstance(where, str):
        raise ValueError("REST v2 has no numeric area codes: order by prefix or area")
    body = {"prefix" if where.startswith("+") else "area": where,
            "class": str(args["class"]).lower(), "quantity": int(args["quantity"]),
            "mode": str(args["mode"]).lower()}
    return Request({}, {}, body)


def _store_item(e164: str) -> dict[str, Any]:
    return {"hash": e164, "intl_number": e164}


def _order(order: Json, _: Args) -> Json:
    """The reservation in ``did/store.reserve``'s shape: token, items keyed by E.164."""
    return {**order, "items": [_store_item(str(i["e164"])) for i in order.get("items") or []]}


def _bought(answer: Json, _: Args) -> Json:
    return {"success": [_store_item(str(n)) for n in answer.get("numbers") or []], "errors": []}


def _prefixes(args: Args) -> Request:
    query = {"country": args.get("country_code"), "type": args.get("type")}
    return Request({}, {k: str(v) for k, v in query.items() if v is not None})


def _rows(*rows: Row) -> dict[str, Row]:
    return {row.operation: row for row in rows}


REST_ROWS: dict[str, Row] = _rows(
    Row("system.get_timestamp", "GET", "/ping", "C", "C", lambda _: Request({}, {}),
        _ping_time, note="the JSON-RPC mapping of /ping is INFERRED"),
    # Callr Actions scenarios, the only apps REST v2 knows
    Row("apps.get_list", "GET", "/actions", "C", "C",
        lambda _: Request({}, {"sort": "created", "order": "asc"}),
        lambda hits, _: [app_of(hit) for hit in hits], paged=True),
    Row("apps.search", "GET", "/actions", "C", "C",
        lambda args: Request({}, _search_query(args)), _envelope),
    Row("apps.get", "GET", "/actions/{sid}", "I", "C", _sid("hash"),
        lambda scenario, _: app_of(scenario)),
    Row("apps.create", "POST", "/actions", "C", "C", _create_body,
        lambda scenario, _: app_of(scenario)),
    Row("apps.edit", "PATCH", "/actions/{sid}", "C", "I",
        lambda args: Request({"sid": str(args["hash"])}, {}, _scenario_body(args)),
        lambda scenario, _: app_of(scenario), note="partial update body INFERRED"),
    Row("apps.delete", "DELETE", "/actions/{sid}", "C", "I", _sid("hash"), _true),
    # numbers, keyed by E.164
    Row("apps.assign_did", "PUT", "/numbers/{number}/scenario/{sid}", "C", "I",
        lambda args: Request({"number": str(args["did_hash"]), "sid": str(args["app_hash"])},
                             {}), _true),
    Row("apps.remove_did", "PATCH", "/numbers/{number}", "C", "I",
        lambda args: Request({"number": str(args["did_hash"])}, {}, {"scenario": None}), _true,
        note='body {"scenario": null} INFERRED: the DELETE .../scenario/{sid} form needs the '
             "scenario, which the operation does not carry"),
    Row("apps.get_dids", "GET", "/numbers", "C", "I",
        lambda _: Request({}, {"order": "asc"}), _available, paged=True,
        note="the Number object's scenario field is INFERRED"),
    Row("did/store.cancel_subscription", "DELETE", "/numbers/{number}", "C", "I",
        lambda args: Request({"number": str(args["did_hash"])}, {}), _true,
        note="releases the number (provisioner release only; never planned)"),
    Row("did.get", "GET", "/numbers/{number}", "I", "I",
        lambda args: Request({"number": str(args["hash"])}, {}),
        lambda number, _: did_of(number)),
    # the number store: EXPERIMENTAL (paths CONFIRMED, bodies INFERRED, §2.4)
    Row("did/areacode.get_list", "GET", "/numbers/store/prefixes", "C", "I", _prefixes,
        lambda rows, _: list(rows), note="EXPERIMENTAL: rows {prefix, area, type} INFERRED"),
    Row("did/store.reserve", "POST", "/numbers/store", "C", "I", _reserve, _order,
        note="EXPERIMENTAL: body {prefix|area, class, quantity, mode} and answer INFERRED"),
    Row("did/store.buy_order", "POST", "/numbers/store/{token}", "C", "I",
        lambda args: Request({"token": str(args["token"])}, {}), _bought,
        note="EXPERIMENTAL: answer {numbers: [e164]} INFERRED"),
    Row("did/store.cancel_order", "DELETE", "/numbers/store/{token}", "C", "I",
        lambda args: Request({"token": str(args["token"])}, {}), _true,
        note="EXPERIMENTAL: 204 INFERRED"),
    # audio files (the media library without tags, §2.8)
    Row("media/library.get_list", "GET", "/audio-files", "C", "I",
        lambda _: Request({}, {"order": "asc"}), _library, paged=True),
    Row("media/library.get", "GET", "/audio-files/{sid}", "C", "I", _sid("id"),
        lambda audio, _: audio_of(audio), note="AudioFile fields beyond name, status INFERRED"),
    Row("media/library.create", "POST", "/audio-files", "C", "C",
        lambda args: Request({}, {}, {"name": str(args["name"])}),
        lambda audio, _: str(audio["sid"]), note="JSON body: name only, pending-content"),
    Row("media/library.set_content", "POST", "/audio-files/{sid}/file", "C", "I", _upload,
        _true, note="multipart field name file INFERRED; the text has no REST equivalent"),
    Row("media/library.delete", "DELETE", "/audio-files/{sid}", "C", "I", _sid("id"), _true),
)


def row(operation: str) -> Row | None:
    """The REST row of ``operation``; None when REST v2 has no documented equivalent."""
    return REST_ROWS.get(operation)
