"""DID store orders (``numbers.order``): buy numbers, then assign them, only when allowed.

An order is satisfied when its app already has ``quantity`` numbers that ``numbers:`` does not
list explicitly. Otherwise the account's unassigned numbers that match the order (same class,
in the order's area code: its ``intl_prefix`` and type from ``did/areacode.get_list``), and that
``numbers:`` does not list, are assigned to the app first: a number bought by an apply whose
assignment failed, or by a partial buy, is such a number, so a re-run after any failure never
buys more than the manifest asks for in total. Only what is still missing is bought: the plan
quotes it (``did/store.get_quote``, a read) and holds a PURCHASE change: reserve, buy, then
assign each bought DID, with Refs into the buy result. Apply refuses a plan with a purchase
unless ``--allow-purchase`` is given. Releasing a number is never planned: only ``provisioner
release`` does it.
"""

from __future__ import annotations

from typing import Any

from provisioner.manifest.desired import Desired
from provisioner.models.numbers import OrderSpec
from provisioner.models.values import compact_number
from provisioner.planning.plan import Action, Call, Change, FieldChange, Ref
from provisioner.resources.base import PlanContext, over_rest

EXPERIMENTAL = ("EXPERIMENTAL: REST v2 number store bodies are inferred (rest-v2.md §2.4); "
                "no quote is available through REST v2, so the cost is not shown")


def plan_orders(desired: Desired, ctx: PlanContext) -> list[Change]:
    changes = []
    rest = over_rest(ctx)
    taken: set[str] = set()  # unassigned numbers already given to an order of this plan
    for index, (key, order) in enumerate(desired.orders.items()):
        target = ctx.id_of("app", order.app)
        if target is None:
            continue  # the app could not be planned; its own error says why
        if not _area_known(desired.origin("orders", key), order, rest, ctx):
            continue
        missing = order.quantity - _owned(order, target, desired, ctx)
        if missing <= 0:
            continue
        for number, did_hash in _spare(order, desired, ctx, taken)[:missing]:
            taken.add(number)
            changes.append(_assign_spare(index, order, target, number, did_hash, ctx))
            missing -= 1
        if missing > 0:
            changes.append(_purchase(index, order, target, missing, ctx))
    return changes


def _area_known(origin: Any, order: OrderSpec, rest: bool, ctx: PlanContext) -> bool:
    """Whether the order's store area can be used through this API; an error says why not.
    (An ``area_code_id`` through REST is refused earlier, by ``migrate.readiness``.)"""
    where = f"{origin}: " if origin is not None else ""
    if not rest:
        if order.area_code_id is None:
            ctx.error(f"{where}order for {order.app}: 'prefix' and 'area' name a store area "
                      "through REST v2 only; through JSON-RPC write 'area_code_id' "
                      "(did/areacode.get_list)")
            return False
        return True
    listed = ctx.read("did/areacode.get_list", country_code=None, type=None) or []
    wanted = ("prefix", order.prefix) if order.prefix is not None else ("area", order.area)
    if any(str(row.get(wanted[0], "")).lower() == str(wanted[1]).lower() for row in listed):
        return True
    known = sorted({str(row.get(wanted[0])) for row in listed})
    ctx.error(f"{where}order for {order.app}: {wanted[0]} {wanted[1]!r} is not in the number "
              f"store (GET /numbers/store/prefixes lists {', '.join(known) or 'none'})")
    return False


def _spare(order: OrderSpec, desired: Desired, ctx: PlanContext,
           taken: set[str]) -> list[tuple[str, str]]:
    """(number, DID hash) of the account's unassigned numbers that match the order, that the
    manifest does not list and no earlier order took, in number order."""
    free = ctx.read("apps.get_dids", only_available=True)
    if not free:
        return []
    out = []
    for did in free:
        number = compact_number(did.get("intl_number"))
        if (did.get("app") or number in desired.numbers or number in taken
                or did.get("class") != order.class_):
            continue
        prefix = (_area_prefix(order.area_code_id, did.get("country_code"), did.get("type"), ctx)
                  if order.area_code_id is not None else _store_prefix(order, ctx))
        if prefix is not None and number.startswith(prefix):
            out.append((number, str(did["hash"])))
    return sorted(out)


def _area_prefix(area_code_id: int, country: Any, did_type: Any,
                 ctx: PlanContext) -> str | None:
    """The ``intl_prefix`` of the order's area code among those of the DID's country and type
    (one cached read per country and type), None when it is not one of them."""
    if not isinstance(country, str):
        return None
    areas = ctx.read("did/areacode.get_list", country_code=country, type=did_type) or []
    prefix = next((a.get("intl_prefix") for a in areas if a.get("id") == area_code_id), None)
    return compact_number(prefix) if isinstance(prefix, str) and prefix else None


def _store_prefix(order: OrderSpec, ctx: PlanContext) -> str | None:
    """REST v2: the order's prefix, or its area's (``GET /numbers/store/prefixes``)."""
    if order.prefix is not None:
        return str(compact_number(order.prefix))
    rows = ctx.read("did/areacode.get_list", country_code=None, type=None) or []
    found = next((r.get("prefix") for r in rows
                  if str(r.get("area", "")).lower() == str(order.area).lower()), None)
    return compact_number(found) if isinstance(found, str) and found else None


def _assign_spare(index: int, order: OrderSpec, app: Any, number: str, did_hash: str,
                  ctx: PlanContext) -> Change:
    address = ctx.address("number", number)
    call = ctx.call(address, "apps.assign_did", app_hash=app, did_hash=did_hash)
    note = (f"an unassigned number of the account that matches order {order.app}[{index}]: "
            "assigned instead of buying one")
    return Change(address, "number", Action.ASSIGN, f"to {order.app}", (), (call,), (note,),
                  ctx.account)


def _owned(order: OrderSpec, app_hash: Any, desired: Desired, ctx: PlanContext) -> int:
    """Numbers of the order's app that the manifest does not list one by one.

    When this plan replaces the app (``app_hash`` is a Ref to the new one), the numbers of the
    replaced app count too: the numbers kind moves them to the replacement.
    """
    owners = {app_hash} | {old for old, new in ctx.replaced.items() if new == app_hash}
    count = 0
    every = {**ctx.live.get("number", {}), **ctx.ignored.get("number", {})}
    for number, lives in every.items():
        if number in desired.numbers:
            continue
        count += sum(1 for live in lives if live.attrs.get("app") in owners)
    return count


def _purchase(index: int, order: OrderSpec, app: Any, missing: int,
              ctx: PlanContext) -> Change:
    address = ctx.address("order", f"{order.app}[{index}]")
    # "class" is a Python keyword: the method table's parameter is passed by dict.
    args: dict[str, Any] = {"area_code_id": order.where, "class": order.class_,
                            "quantity": missing}
    rest = over_rest(ctx)  # no quote through REST v2
    quote = None if rest else ctx.read("did/store.get_quote", **args)
    reserve = ctx.call(address, "did/store.reserve", mode=order.mode, **args)
    buy = ctx.call(address, "did/store.buy_order", token=Ref(reserve.id, ("token",)))
    calls: list[Call] = [reserve, buy]
    for i in range(missing):
        calls.append(ctx.call(address, "apps.assign_did", app_hash=app,
                              did_hash=Ref(buy.id, ("success", i, "hash"))))
    area = (f"area code {order.area_code_id}" if order.area_code_id is not None
            else f"prefix {order.prefix}" if order.prefix is not None else f"area {order.area}")
    summary = (f"buy {missing} {order.class_} number{'s' if missing > 1 else ''} in {area} "
               f"for {order.app}{' (EXPERIMENTAL, REST v2)' if rest else ''}")
    fields, notes = ((), (EXPERIMENTAL,)) if rest else _cost(quote, missing)
    return Change(address, "order", Action.PURCHASE, summary, fields, tuple(calls), notes,
                  ctx.account)


def _cost(quote: Any, missing: int) -> tuple[tuple[FieldChange, ...], tuple[str, ...]]:
    if not isinstance(quote, dict):
        return (), ("no quote: the account does not exist yet",)
    cost = quote.get("cost") or {}
    contract = quote.get("contract") or {}
    currency = _currency(quote)
    monthly = f"{_units(cost.get('amount_per_month'))} {currency}"
    now = f"{_units(cost.get('amount_prepaid_debit'))} {currency}"
    fields = (
        FieldChange("cost.monthly", None, monthly),
        FieldChange("cost.now", None, now),
        FieldChange("contract", None, f"{contract.get('billing_mode', '?')}, "
                    f"{contract.get('duration_month', '?')} month(s)"),
    )
    available = quote.get("available")
    notes: tuple[str, ...] = ()
    if isinstance(available, int) and available < missing:
        notes = (f"only {available} available in the store: buying will fail",)
    return fields, notes


def _currency(quote: dict[str, Any]) -> str:
    """The quote's currency code when the API gives one; CALLR's quotes are in the account's
    billing currency and usually do not name it, so the plan says that instead of a guess."""
    for holder in (quote.get("cost"), quote):
        code = holder.get("currency") if isinstance(holder, dict) else None
        if isinstance(code, str) and code.strip():
            return code.strip().upper()
    return "(account currency)"


def _units(cents: Any) -> str:
    """CALLR amounts are in cents with 2 decimals ("200.00" is 2.00)."""
    try:
        return f"{float(cents) / 100:.2f}"
    except (TypeError, ValueError):
        return "?"
