"""REST v2 views of the shared state, and the search envelope (``rest-v2.md`` §1.4-1.6, §2.2).

A scenario is an ACTIONS10 app seen through REST: ``sid`` is the lower-cased hash (CONFIRMED),
``format`` is ``"yaml"`` (JSON-RPC's ``"YAML"``), dates are RFC 3339 with milliseconds.
A number is keyed by its E.164 value; its ``scenario`` field (the sid it is assigned to, or
null) is INFERRED: the Number object was not found. An audio file's ``sid`` is its JSON-RPC
media id on 8 digits (INFERRED: media ids are integers and have no hash to lower-case).
"""

from __future__ import annotations

from typing import Any

from .server import Request, bad_request

ACTIONS = "ACTIONS10"
SORTS = {"name": "name", "created": "date_creation", "updated": "date_update"}
SCENARIO_VERSION = "1.0"
NAME_MAX = 64
SCRIPT_MAX = 32768
LIMIT_MAX = 100
LIMIT_DEFAULT = 10


def rfc3339(date: str | None) -> str | None:
    """``2024-04-24 12:00:42`` -> ``2024-04-24T12:00:42.000Z`` (null stays null)."""
    if not date or date.startswith("0000"):
        return None
    day, _, time = date.partition(" ")
    if "." not in time:
        time += ".000"
    return f"{day}T{time}Z"


def number_view(did: dict[str, Any], scenario: str | None, assigned: str | None) -> dict[str, Any]:
    return {
        "e164": did["intl_number"],
        "class": str(did.get("class", "")).lower(),
        "type": str(did.get("type", "")).lower(),
        "country": did.get("country_code", "FR"),
        "assigned": rfc3339(assigned) if scenario else None,
        "scenario": scenario,
    }


def scenario_view(app: dict[str, Any]) -> dict[str, Any]:
    params = app.get("p") or {}
    numbers = [number_view(did, app["hash"].lower(), app.get("date_update"))
               for did in app.get("did") or []]
    for number in numbers:
        number.pop("scenario")
    return {
        "sid": app["hash"].lower(),
        "name": app["name"],
        "script": params.get("script", ""),
        "format": "yaml",
        "numbers": sorted(numbers, key=lambda n: n["e164"]),
        "version": SCENARIO_VERSION,
        "created": rfc3339(app.get("date_creation")),
        "updated": rfc3339(app.get("date_update")),
    }


def is_scenario(app: dict[str, Any]) -> bool:
    return bool((app.get("package") or {}).get("name") == ACTIONS)


def media_sid(media_id: int) -> str:
    return f"{int(media_id):08d}"


def media_id(sid: str) -> int:
    if len(sid) != 8 or not sid.isdigit():
        raise bad_request("an audio file sid is 8 characters")
    return int(sid)


def audio_view(media: dict[str, Any]) -> dict[str, Any]:
    return {
        "sid": media_sid(media["id"]),
        "name": media["name"],
        "status": str(media.get("status", "")).lower().replace("_", "-"),
        "duration": media.get("duration", 0),
        "url": media.get("url", ""),
    }


def paging(request: Request, sorts: tuple[str, ...] = ()) -> tuple[int, int, str, str]:
    """``offset`` (>= 0, default 0), ``limit`` (1..100, default 10), ``sort``, ``order``."""
    query = request.query
    offset = _integer(query.get("offset", "0"), "offset")
    limit = _integer(query.get("limit", str(LIMIT_DEFAULT)), "limit")
    if offset < 0:
        raise bad_request("offset must be >= 0")
    if not 1 <= limit <= LIMIT_MAX:
        raise bad_request(f"limit must be between 1 and {LIMIT_MAX}")
    sort = query.get("sort", sorts[-1] if sorts else "")
    if sorts and sort not in sorts:
        raise bad_request(f"sort must be one of {', '.join(sorts)}")
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise bad_request("order must be asc or desc")
    return offset, limit, sort, order


def envelope(items: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
    """``{offset, total, hasMore, hits}`` (CONFIRMED shape; semantics INFERRED)."""
    hits = items[offset:offset + limit]
    return {"offset": offset, "total": len(items), "hasMore": offset + len(hits) < len(items),
            "hits": hits}


def _integer(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
