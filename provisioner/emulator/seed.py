"""Bulk seeding for benchmarks and tests: many DIDs at once, without going through the API."""

from __future__ import annotations

from .errors import not_found
from .store import NULL_DATE, State, add_did, new_hash

# +339 7x xx xx xx: outside the store catalogue (+331 99 005.., +334 65 71.., +336 39 98..) and the
# numbers every new account starts with (+331 99 0...).
FIRST = 339_7000_0000
LAST = 339_9999_9999


def provision_numbers(state: State, count: int, account_hash: str | None = None) -> list[str]:
    """Add ``count`` unassigned CLASSIC GEOGRAPHIC DIDs to an account; return their numbers."""
    if count < 0:
        raise ValueError("count must be >= 0")
    acc_hash = account_hash or state["master"]
    account = state["accounts"].get(acc_hash)
    if account is None:
        raise not_found("account", acc_hash)
    owned = state["numbers"]
    cursor: int = state["counters"].get("provisioned", FIRST)
    numbers: list[str] = []
    while len(numbers) < count:
        if cursor > LAST:
            raise ValueError("no more numbers to provision")
        number = f"+{cursor}"
        cursor += 1
        if number not in owned:
            add_did(state, account, number, "CLASSIC", "GEOGRAPHIC")
            numbers.append(number)
    state["counters"]["provisioned"] = cursor
    return numbers


def add_app(state: State, package: str, name: str, *, has_did: bool = True,
            params: dict[str, object] | None = None, account_hash: str | None = None) -> str:
    """An app of any package, even one ``apps.create`` refuses (real accounts hold packages
    such as ``CALLFORWARDING10`` that the tool does not manage); return its hash."""
    account = state["accounts"].get(account_hash or state["master"])
    if account is None:
        raise not_found("account", account_hash)
    app_hash = new_hash(state, "app")
    kind = package.rstrip("0123456789")
    account["apps"][app_hash] = {
        "hash": app_hash, "name": name,
        "package": {"name": package, "type": kind, "has_did": has_did},
        "p": dict(params or {}), "date_creation": NULL_DATE, "date_update": NULL_DATE,
    }
    return app_hash
