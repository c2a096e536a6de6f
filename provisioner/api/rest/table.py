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
with no row has no REST v2 equivalent: the engine refuses its kind at plan time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    return {"hash": e164, "intl_number": e164, "app": scenario or number.get("scenario")}


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
    from datetime import datetime

    return int(datetime.fromisoformat(str(answer["time"]).replace("Z", "+00:00")).timestamp())


def _sid(key: str) -> Callable[[Args], Request]:
    return lambda args: Request({"sid": str(args[key])}, {})


def _true(_: Json, __: Args) -> Json:
    return True


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
)


def row(operation: str) -> Row | None:
    """The REST row of ``operation``; None when REST v2 has no documented equivalent."""
    return REST_ROWS.get(operation)
