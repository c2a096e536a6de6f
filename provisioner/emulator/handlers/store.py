"""``did/areacode.*`` and ``did/store.*``: a small fictional French number catalogue.

Area codes 1 Paris, 2 Lyon (GEOGRAPHIC) and 3 Mobile (MOBILE); in each, the first 5 numbers are GOLD
and the rest CLASSIC. A number owned by any account (or quarantined after cancel_subscription) or
held by a live reservation is not available.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from ..errors import invalid, not_found
from ..store import add_did, fmt_date, new_hash, rng
from ..validate import want_enum
from .base import NULL, Ctx, get_or_404, register

AREA_CODES: dict[int, dict[str, Any]] = {
    1: {
        "label": "Paris",
        "type": "GEOGRAPHIC",
        "intl_prefix": "+331",
        "local_prefix": "01",
        "first": 33199005000,
        "count": 100,
    },
    2: {
        "label": "Lyon",
        "type": "GEOGRAPHIC",
        "intl_prefix": "+334",
        "local_prefix": "04",
        "first": 33465710000,
        "count": 50,
    },
    3: {
        "label": "Mobile",
        "type": "MOBILE",
        "intl_prefix": "+336",
        "local_prefix": "06",
        "first": 33639980000,
        "count": 20,
    },
}
GOLD_PER_AREA = 5
UNIT_COST = {"CLASSIC": 20000, "GOLD": 150000}  # hundredths of a cent: "200.00", "1500.00"
RESERVATION_SECONDS = 300
TYPE_LABELS = {"GEOGRAPHIC": "Geographic", "MOBILE": "Mobile"}


def _numbers(area_id: int, klass: str) -> list[str]:
    area = AREA_CODES[area_id]
    numbers = [f"+{area['first'] + i}" for i in range(area["count"])]
    return numbers[:GOLD_PER_AREA] if klass == "GOLD" else numbers[GOLD_PER_AREA:]


def _held(ctx: Ctx) -> set[str]:
    held: set[str] = set()
    for res in ctx.state["reservations"].values():
        if res["expire_ts"] > ctx.now:
            held.update(item["intl_number"] for item in res["items"])
    return held


def available(ctx: Ctx, area_id: int, klass: str) -> list[str]:
    owned, held = ctx.state["numbers"], _held(ctx)
    return [n for n in _numbers(area_id, klass) if n not in owned and n not in held]


def _availability(ctx: Ctx, area_ids: list[int]) -> dict[str, int]:
    return {k: sum(len(available(ctx, a, k)) for a in area_ids) for k in ("CLASSIC", "GOLD")}


def _amount(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _plus_one_month(ts: float) -> str:
    now = dt.datetime.fromtimestamp(ts, dt.UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    day = min(now.day, calendar.monthrange(year, month)[1])
    return fmt_date(now.replace(year=year, month=month, day=day).timestamp())


def _contract_cost(ctx: Ctx, klass: str, quantity: int) -> dict[str, Any]:
    per_month = _amount(UNIT_COST[klass] * quantity)
    return {
        "contract": {
            "billing_mode": "PREPAID",
            "duration_month": 1,
            "end_date": _plus_one_month(ctx.now),
        },
        "cost": {
            "amount_per_month": per_month,
            "amount_prepaid_debit": per_month,
            "amount_unit": _amount(UNIT_COST[klass]),
            "discount_percent": 0,
            "quantity": quantity,
            "quantity_paying": quantity,
        },
    }


def _order_args(area_code_id: int, klass: str, quantity: int) -> None:
    if area_code_id not in AREA_CODES:
        raise not_found("area code", area_code_id)
    want_enum(klass, "class", ("CLASSIC", "GOLD"))
    if quantity < 1:
        raise invalid("quantity", "must be at least 1")


@register("did/areacode.countries")
def countries(ctx: Ctx) -> list[dict[str, Any]]:
    return [{"code": "FR", "label": "France", "available": _availability(ctx, list(AREA_CODES))}]


@register("did/areacode.types", str)
def types(ctx: Ctx, country_code: str) -> list[dict[str, Any]]:
    if country_code != "FR":
        return []
    return [
        {
            "code": t,
            "label": label,
            "available": _availability(ctx, [i for i, a in AREA_CODES.items() if a["type"] == t]),
        }
        for t, label in TYPE_LABELS.items()
    ]


@register("did/areacode.get_list", str, (str, NULL))
def get_list(ctx: Ctx, country_code: str, did_type: str | None) -> list[dict[str, Any]]:
    if country_code != "FR":
        return []
    return [
        {
            "id": i,
            "country_code": "FR",
            "label": a["label"],
            "type": a["type"],
            "intl_prefix": a["intl_prefix"],
            "local_prefix": a["local_prefix"],
            "available": _availability(ctx, [i]),
        }
        for i, a in AREA_CODES.items()
        if did_type is None or a["type"] == did_type
    ]


@register("did/store.get_quote", int, str, int)
def get_quote(ctx: Ctx, area_code_id: int, klass: str, quantity: int) -> dict[str, Any]:
    _order_args(area_code_id, klass, quantity)
    return {
        "available": len(available(ctx, area_code_id, klass)),
        **_contract_cost(ctx, klass, quantity),
    }


def _reservation_view(res: dict[str, Any]) -> dict[str, Any]:
    return {key: res[key] for key in ("token", "expire", "items", "contract", "cost")}


@register("did/store.reserve", int, str, int, str)
def reserve(ctx: Ctx, area_code_id: int, klass: str, quantity: int, mode: str) -> dict[str, Any]:
    _order_args(area_code_id, klass, quantity)
    want_enum(mode, "mode", ("RANDOM", "SEQUENTIAL"))
    free = available(ctx, area_code_id, klass)
    if quantity > len(free):
        raise invalid("quantity", f"exceeds the {len(free)} numbers available")
    reservations = ctx.state["reservations"]
    for token in [t for t, r in reservations.items() if r["expire_ts"] <= ctx.now]:
        del reservations[token]
    chosen = free[:quantity] if mode == "SEQUENTIAL" else sorted(rng().sample(free, quantity))
    items = [
        {"hash": new_hash(ctx.state, "did"), "intl_number": n, "local_number": "0" + n[3:]}
        for n in chosen
    ]
    res = {
        "token": f"{rng().getrandbits(128):032x}",
        "expire": fmt_date(ctx.now + RESERVATION_SECONDS),
        "expire_ts": ctx.now + RESERVATION_SECONDS,
        "items": items,
        "account": ctx.account["hash"],
        "area_code_id": area_code_id,
        "class": klass,
        **_contract_cost(ctx, klass, quantity),
    }
    ctx.state["reservations"][res["token"]] = res
    return _reservation_view(res)


def _live_reservation(ctx: Ctx, token: str) -> dict[str, Any]:
    res = ctx.state["reservations"].get(token)
    if res is None or res["account"] != ctx.account["hash"] or res["expire_ts"] <= ctx.now:
        raise not_found("reservation token", "(hidden)")
    return res  # type: ignore[no-any-return]


@register("did/store.view_order", str)
def view_order(ctx: Ctx, token: str) -> dict[str, Any]:
    return _reservation_view(_live_reservation(ctx, token))


@register("did/store.buy_order", str)
def buy_order(ctx: Ctx, token: str) -> dict[str, Any]:
    """Buys the reservation's numbers; one that another account owns by now (the store sold it
    elsewhere) is left out: it is listed in ``errors``, a partial BuyStatus."""
    res = _live_reservation(ctx, token)
    did_type = AREA_CODES[res["area_code_id"]]["type"]
    success, errors = [], []
    for item in res["items"]:
        if item["intl_number"] in ctx.state["numbers"]:
            errors.append({**item, "error": "no longer available"})
            continue
        add_did(ctx.state, ctx.account, item["intl_number"], res["class"], did_type, item["hash"])
        ctx.account["bought"].append(ctx.now)
        success.append(item)
    del ctx.state["reservations"][token]
    return {"contract": res["contract"], "cost": res["cost"], "errors": errors,
            "success": success}


@register("did/store.cancel_order", str)
def cancel_order(ctx: Ctx, token: str) -> bool:
    res = ctx.state["reservations"].get(token)
    if res is None or res["account"] != ctx.account["hash"]:
        raise not_found("reservation token", "(hidden)")
    del ctx.state["reservations"][token]
    return True


@register("did/store.cancel_subscription", str)
def cancel_subscription(ctx: Ctx, did_hash: str) -> bool:
    """The DID leaves the account at once; its number stays quarantined (never sold again)."""
    did = get_or_404(ctx.account["dids"], did_hash, "DID")
    del ctx.account["dids"][did_hash]
    ctx.state["numbers"][did["intl_number"]] = "quarantine"
    return True


@register("did/store.get_quota_status")
def get_quota_status(ctx: Ctx) -> dict[str, Any]:
    recent = [t for t in ctx.account["bought"] if t > ctx.now - 30 * 86400]
    return {
        "assigned_count": len(ctx.account["dids"]),
        "assigned_max": -1,
        "quota_current_count": len(recent),
        "quota_current_remaining": -1,
        "quota_max_over_period": -1,
        "quota_period_days": 30,
    }
