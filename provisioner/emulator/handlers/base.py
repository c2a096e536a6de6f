"""The handler registry (one dispatch table keyed by method name), request context and paging."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...api.methods import METHODS
from ..errors import INVALID_PARAMS, ApiError, not_found
from ..store import Account, State
from ..validate import is_int, no_unknown_keys, want_int, want_obj, want_str

Handler = Callable[..., Any]
NULL: type = type(None)

DEFAULT_QUANTITY = 50
MAX_QUANTITY = 100


@dataclass
class Ctx:
    """What a handler sees: the whole state, the account the request runs as, and the time."""

    state: State
    account: Account
    now: float
    media_delay: float
    job_delay: float
    variants: frozenset[str] = frozenset()  # see emulator/variants.py

    @property
    def is_sub(self) -> bool:
        return self.account["parent"] is not None

    def media_exists(self, media_id: int) -> bool:
        return str(media_id) in self.account["media"]


@dataclass(frozen=True)
class Registered:
    handler: Handler
    types: tuple[tuple[type, ...], ...]


HANDLERS: dict[str, Registered] = {}

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "a boolean",
    dict: "an object",
    list: "an array",
    NULL: "null",
}


def register(name: str, *types: type | tuple[type, ...]) -> Callable[[Handler], Handler]:
    """Serve ``name``; ``types`` gives the accepted JSON types of each positional param."""
    if name not in METHODS:
        raise KeyError(f"{name} is not in provisioner.api.methods.METHODS")
    if len(types) != len(METHODS[name].params):
        raise TypeError(f"{name}: {len(types)} types for params {METHODS[name].params}")
    norm = tuple(t if isinstance(t, tuple) else (t,) for t in types)

    def wrap(handler: Handler) -> Handler:
        HANDLERS[name] = Registered(handler, norm)
        return handler

    return wrap


def _type_ok(value: Any, allowed: tuple[type, ...]) -> bool:
    for kind in allowed:
        if kind is int and is_int(value):
            return True
        if kind is bool and isinstance(value, bool):
            return True
        if kind not in (int, bool) and isinstance(value, kind):
            return True
    return False


def check_params(name: str, params: list[Any]) -> None:
    """-32602 for a wrong number of params or a param of the wrong JSON type."""
    expected = METHODS[name].params
    if len(params) != len(expected):
        raise ApiError(
            INVALID_PARAMS,
            f"Invalid params: {name} expects {len(expected)} params "
            f"({', '.join(expected) or 'none'}), got {len(params)}",
        )
    for pname, value, allowed in zip(expected, params, HANDLERS[name].types, strict=True):
        if not _type_ok(value, allowed):
            kinds = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in allowed)
            raise ApiError(INVALID_PARAMS, f"Invalid params: {name} param {pname} must be {kinds}")


def get_or_404(table: dict[str, Any], key: object, kind: str) -> Any:
    value = table.get(str(key))
    if value is None:
        raise not_found(kind, key)
    return value


def filters_obj(filters: Any, allowed: set[str]) -> dict[str, Any]:
    """Search filters: an object (null = {}) with only the documented keys."""
    if filters is None:
        return {}
    obj = want_obj(filters, "filters")
    no_unknown_keys(obj, allowed, "filters")
    return obj


def paginate(
    items: list[Any], options: Any, view: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """Search.Results for ``items`` under Search.Options (``{}`` or null valid, quantity <= 100).

    ``view`` (e.g. ``copy.deepcopy``) is applied to the hits of the page only.
    """
    opts = {} if options is None else want_obj(options, "options")
    no_unknown_keys(opts, {"offset", "quantity", "order"}, "options")
    offset = want_int(opts.get("offset", 0), "options.offset", 0)
    quantity = want_int(opts.get("quantity", DEFAULT_QUANTITY), "options.quantity", 1)
    quantity = min(quantity, MAX_QUANTITY)
    order = opts.get("order")
    if order is not None:
        key = want_str(order, "options.order").lstrip("-")
        if key and items and isinstance(items[0], dict) and key in items[0]:
            items = sorted(items, key=lambda it: str(it.get(key)), reverse=order.startswith("-"))
    page = items[offset : offset + quantity]
    if view is not None:
        page = [view(item) for item in page]
    return {
        "hits": page,
        "total": len(items),
        "offset": offset,
        "has_more": offset + len(page) < len(items),
    }
