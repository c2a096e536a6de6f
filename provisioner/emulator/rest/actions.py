"""``/actions``: Callr Actions scenarios over REST v2, stored as ACTIONS10 apps (§2.2).

Constraints enforced as documented (CONFIRMED): ``name`` 1..64 characters, ``script``
1..32,768, ``format`` only ``yaml``; search by partial ``name`` (<= 64), ``sort`` name | created
| updated (default updated), ``order`` (default desc), ``offset``/``limit`` paging with
``hasMore``. INFERRED: 201 on create, 204 on delete and on (un)assigning a number, unknown body
fields refused with 400, a script that is not a YAML mapping refused with 400.
"""

from __future__ import annotations

from typing import Any

from provisioner import actions

from ..store import fmt_date
from .server import Answer, Request, Rest, bad_request, not_found, route
from .views import (
    ACTIONS,
    NAME_MAX,
    SCRIPT_MAX,
    SORTS,
    envelope,
    is_scenario,
    paging,
    rfc3339,
    scenario_view,
)

FIELDS = ("name", "script", "format")


def scenarios(rest: Rest) -> list[dict[str, Any]]:
    """Every scenario of the account, as the JSON-RPC app objects (with their DIDs)."""
    return [app for app in rest.run("apps.get_list", True) if is_scenario(app)]


def scenario_hash(rest: Rest, sid: str) -> str:
    """The JSON-RPC hash of scenario ``sid`` (404 if none, or if the app is not ACTIONS10)."""
    for app in rest.run("apps.get_list", False):
        if app["hash"].lower() == sid and is_scenario(app):
            return str(app["hash"])
    raise not_found(f"scenario {sid}")


def _scenario(rest: Rest, sid: str) -> dict[str, Any]:
    return scenario_view(rest.run("apps.get", scenario_hash(rest, sid)))


@route("GET", "/ping")
def ping(rest: Rest, request: Request) -> Answer:
    timestamp = int(rest.run("system.get_timestamp"))
    return 200, {"pong": "pong", "time": rfc3339(fmt_date(timestamp))}


@route("GET", "/actions")
def search(rest: Rest, request: Request) -> Answer:
    offset, limit, sort, order = paging(request, ("name", "created", "updated"))
    needle = request.query.get("name")
    if needle is not None and len(needle) > NAME_MAX:
        raise bad_request(f"name must be at most {NAME_MAX} characters")
    apps = scenarios(rest)
    if needle:
        apps = [app for app in apps if needle.lower() in app["name"].lower()]
    key = SORTS[sort]
    apps.sort(key=lambda app: (str(app.get(key, "")), app["hash"]), reverse=order == "desc")
    return 200, envelope([scenario_view(app) for app in apps], offset, limit)


@route("POST", "/actions")
def create(rest: Rest, request: Request) -> Answer:
    body = _body(request, required=("name", "script"))
    app = rest.run("apps.create", ACTIONS, body["name"],
                   {"format": "YAML", "script": body["script"]})
    return 201, scenario_view(rest.run("apps.get", app["hash"]))


@route("GET", "/actions/{sid}")
def get(rest: Rest, request: Request) -> Answer:
    return 200, _scenario(rest, request.args["sid"])


@route("PATCH", "/actions/{sid}")
def edit(rest: Rest, request: Request) -> Answer:
    body = _body(request, required=())
    app_hash = scenario_hash(rest, request.args["sid"])
    app = rest.run("apps.get", app_hash)
    script = body.get("script", (app.get("p") or {}).get("script", ""))
    rest.run("apps.edit", app_hash, body.get("name"), {"format": "YAML", "script": script})
    return 200, scenario_view(rest.run("apps.get", app_hash))


@route("DELETE", "/actions/{sid}")
def delete(rest: Rest, request: Request) -> Answer:
    rest.run("apps.delete", scenario_hash(rest, request.args["sid"]))
    return 204, None


def _body(request: Request, required: tuple[str, ...]) -> dict[str, Any]:
    body = request.json()
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise bad_request(f"unknown field(s): {', '.join(unknown)}")
    for field in required:
        if field not in body:
            raise bad_request(f"{field} is required")
    name = body.get("name")
    if "name" in body and (not isinstance(name, str) or not 1 <= len(name) <= NAME_MAX
                           or not name.strip()):
        raise bad_request(f"name must be a string of 1 to {NAME_MAX} characters")
    script = body.get("script")
    if "script" in body:
        if not isinstance(script, str) or not 1 <= len(script) <= SCRIPT_MAX:
            raise bad_request(f"script must be a string of 1 to {SCRIPT_MAX} characters")
        _check_script(script)
    if "format" in body and body["format"] != "yaml":
        raise bad_request("format must be yaml")
    return body


def _check_script(script: str) -> None:
    """INFERRED: a scenario the Callr Actions rules refuse is a 400 (the portal validates
    live); warnings (an action the catalogue does not know) pass."""
    _, findings = actions.check(script)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise bad_request(f"script line {first.line}: {first.message}{more}")
