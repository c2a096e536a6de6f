"""``/numbers``: the account's phone numbers, keyed by E.164, and their scenario (§2.3, §2.2).

CONFIRMED paths: ``GET /numbers``, ``PATCH|DELETE /numbers/{number}``,
``PUT|DELETE /numbers/{number}/scenario/{sid}`` and ``PUT|DELETE /actions/{sid}/numbers/{number}``.
INFERRED: ``GET /numbers/{number}``, the Number object's ``scenario`` field, the PATCH body
``{"scenario": sid | null}``, 204 answers, 404 for a number of another account. A number held by
a legacy (non-ACTIONS10) app shows ``scenario: null``: REST v2 only knows scenarios.
"""

from __future__ import annotations

from typing import Any

from .actions import scenario_hash
from .server import Answer, Request, Rest, bad_request, not_found, route
from .views import envelope, is_scenario, number_view, paging


def _e164(text: str) -> str:
    """``+33...`` raw or ``%2B``-encoded (already decoded by routing)."""
    if not text.startswith("+") or not text[1:].isdigit():
        raise bad_request("a number is written in E.164 (+33199001020)")
    return text


def _numbers(rest: Rest) -> list[dict[str, Any]]:
    scenarios = {app["hash"]: app for app in rest.run("apps.get_list", False)
                 if is_scenario(app)}
    out = []
    for did in rest.run("apps.get_dids", False):
        app = scenarios.get(did.get("app") or "")
        sid = app["hash"].lower() if app is not None else None
        view = number_view(did, sid, app.get("date_update") if app else None)
        if "rest-numbers-without-scenario" in rest.emu.variants:
            del view["scenario"]
        out.append(view)
    return sorted(out, key=lambda number: number["e164"])


def _did_hash(rest: Rest, number: str) -> tuple[str, str | None]:
    """(JSON-RPC DID hash, hash of the app it is assigned to) of ``number``; 404 if not owned."""
    for did in rest.run("apps.get_dids", False):
        if did["intl_number"] == number:
            return str(did["hash"]), did.get("app")
    raise not_found(f"number {number}")


@route("GET", "/numbers")
def search(rest: Rest, request: Request) -> Answer:
    offset, limit, _, order = paging(request)
    numbers = _numbers(rest)
    if order == "desc":
        numbers.reverse()
    return 200, envelope(numbers, offset, limit)


@route("GET", "/numbers/{number}")
def get(rest: Rest, request: Request) -> Answer:
    number = _e164(request.args["number"])
    for view in _numbers(rest):
        if view["e164"] == number:
            return 200, view
    raise not_found(f"number {number}")


@route("PATCH", "/numbers/{number}")
def edit(rest: Rest, request: Request) -> Answer:
    body = request.json()
    if set(body) != {"scenario"} or not isinstance(body["scenario"], str | None):
        raise bad_request('the body is {"scenario": "<sid>"} or {"scenario": null}')
    number = _e164(request.args["number"])
    did_hash, _ = _did_hash(rest, number)
    if body["scenario"] is None:
        rest.run("apps.remove_did", did_hash)
    else:
        rest.run("apps.assign_did", scenario_hash(rest, body["scenario"]), did_hash)
    return get(rest, request)


@route("DELETE", "/numbers/{number}")
def release(rest: Rest, request: Request) -> Answer:
    did_hash, _ = _did_hash(rest, _e164(request.args["number"]))
    rest.run("did/store.cancel_subscription", did_hash)
    return 204, None


@route("PUT", "/numbers/{number}/scenario/{sid}")
def assign(rest: Rest, request: Request) -> Answer:
    app_hash = scenario_hash(rest, request.args["sid"])
    did_hash, _ = _did_hash(rest, _e164(request.args["number"]))
    rest.run("apps.assign_did", app_hash, did_hash)
    return 204, None


@route("DELETE", "/numbers/{number}/scenario/{sid}")
def unassign(rest: Rest, request: Request) -> Answer:
    number = _e164(request.args["number"])
    app_hash = scenario_hash(rest, request.args["sid"])
    did_hash, current = _did_hash(rest, number)
    if current != app_hash:
        raise not_found(f"number {number} on scenario {request.args['sid']}")
    rest.run("apps.remove_did", did_hash)
    return 204, None


@route("PUT", "/actions/{sid}/numbers/{number}")
def assign_to_scenario(rest: Rest, request: Request) -> Answer:
    return assign(rest, request)


@route("DELETE", "/actions/{sid}/numbers/{number}")
def unassign_from_scenario(rest: Rest, request: Request) -> Answer:
    return unassign(rest, request)
