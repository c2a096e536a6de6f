"""Running one JSON-RPC call against the state: envelope parsing, Login-As, write entries.

A write runs as an *entry* (method, params, Login-As header, time, rng seed, delays): the same
function runs it live and replays it from the change log, so both give the same state.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import AUTH_FAILED, INVALID_REQUEST, PARSE_ERROR, ApiError
from .handlers import HANDLERS, Ctx
from .handlers.account_sub import settle_jobs
from .store import Account, State, seeded


def auth_error(reason: str) -> ApiError:
    return ApiError(AUTH_FAILED, f"Authentication failed: {reason}")


def parse(body: bytes) -> dict[str, Any]:
    """The validated envelope, or -32700 / -32600."""
    try:
        request = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(PARSE_ERROR, "Parse error") from None
    if not isinstance(request, dict):
        raise ApiError(INVALID_REQUEST, "Invalid request: the body must be one JSON object")
    req_id = request.get("id")
    valid_id = isinstance(req_id, str) or (isinstance(req_id, int) and not isinstance(req_id, bool))
    if request.get("jsonrpc") != "2.0":
        raise ApiError(INVALID_REQUEST, 'Invalid request: jsonrpc must be "2.0"')
    if not valid_id:
        raise ApiError(INVALID_REQUEST, "Invalid request: id must be an integer or a string")
    if not isinstance(request.get("method"), str):
        raise ApiError(INVALID_REQUEST, "Invalid request: method must be a string")
    params = request.get("params", [])
    if params is None:
        params = []
    if not isinstance(params, list):
        raise ApiError(INVALID_REQUEST, "Invalid request: params must be an array (positional)")
    return {"id": req_id, "method": request["method"], "params": params}


def login_as(state: State, header: str) -> Account:
    """The account the request runs as: the master, or one of its direct sub-accounts."""
    master: Account = state["accounts"][state["master"]]
    header = header.strip()
    if not header:
        return master
    prefix, _, value = header.partition(" ")
    value = value.strip()
    subs = [state["accounts"][h] for h in master["subs"]]
    if prefix.lower() == "account.hash":
        found = [a for a in subs if a["hash"] == value]
    elif prefix.lower() == "user.login":
        found = [a for a in subs if a["sub"]["login"] == value]
    else:
        raise auth_error("CALLR-Login-As must be 'Account.hash <hash>' or 'User.login <login>'")
    if not found:
        raise auth_error(f"Login-As target {value!r} is not a sub-account of this account")
    account: Account = found[0]
    return account


def read(state: State, method: str, params: list[Any], header: str, now: float,
         media_delay: float, job_delay: float, variants: frozenset[str] = frozenset()) -> Any:
    """Run a read-only method (no randomness, nothing logged)."""
    settle_jobs(state, now, job_delay)
    ctx = Ctx(state, login_as(state, header), now, media_delay, job_delay, variants)
    return HANDLERS[method].handler(ctx, *params)


def run_entry(state: State, entry: dict[str, Any]) -> Any:
    """Run a write entry; handlers validate before they mutate, so a failure changes nothing."""
    settle_jobs(state, entry["now"], entry["jd"])
    account = login_as(state, entry["as"])
    # The variants are logged with the write so a replay gives the same state.
    ctx = Ctx(state, account, entry["now"], entry["md"], entry["jd"],
              frozenset(entry.get("v", ())))
    with seeded(entry["seed"]):
        return HANDLERS[entry["m"]].handler(ctx, *entry["p"])


def replay_entry(state: State, entry: dict[str, Any]) -> None:
    """Re-run a logged write (the persistence layer's replay callback)."""
    run_entry(state, entry)
