"""did/areacode.* and did/store.*: catalogue, quotes, reservations, buying, cancelling."""

from __future__ import annotations

from .conftest import FakeClock, Rpc, expect


def test_catalogue(rpc: Rpc) -> None:
    assert rpc.call("did/areacode.countries") == [
        {"code": "FR", "label": "France", "available": {"CLASSIC": 155, "GOLD": 15}}
    ]
    types = rpc.call("did/areacode.types", "FR")
    assert [(t["code"], t["available"]) for t in types] == [
        ("GEOGRAPHIC", {"CLASSIC": 140, "GOLD": 10}),
        ("MOBILE", {"CLASSIC": 15, "GOLD": 5}),
    ]
    areas = rpc.call("did/areacode.get_list", "FR", None)
    assert [(a["id"], a["label"], a["intl_prefix"], a["local_prefix"]) for a in areas] == [
        (1, "Paris", "+331", "01"),
        (2, "Lyon", "+334", "04"),
        (3, "Mobile", "+336", "06"),
    ]
    assert [a["id"] for a in rpc.call("did/areacode.get_list", "FR", "MOBILE")] == [3]
    assert rpc.call("did/areacode.get_list", "US", None) == []


def test_quote(rpc: Rpc) -> None:
    quote = rpc.call("did/store.get_quote", 1, "GOLD", 2)
    assert quote["available"] == 5
    assert quote["cost"]["amount_unit"] == "1500.00"
    assert quote["cost"]["amount_per_month"] == "3000.00"
    assert quote["cost"]["amount_prepaid_debit"] == "3000.00"
    assert quote["contract"] == {
        "billing_mode": "PREPAID",
        "duration_month": 1,
        "end_date": "2027-02-15 08:00:00",
    }
    assert rpc.call("did/store.get_quote", 2, "CLASSIC", 3)["cost"]["amount_per_month"] == "600.00"
    expect(rpc, 110, "did/store.get_quote", 9, "CLASSIC", 1)
    expect(rpc, 151, "did/store.get_quote", 1, "CLASSIC", 0)
    expect(rpc, 151, "did/store.get_quote", 1, "PLATINUM", 1)


def test_reserve_buy(rpc: Rpc) -> None:
    res = rpc.call("did/store.reserve", 1, "CLASSIC", 3, "SEQUENTIAL")
    assert [i["intl_number"] for i in res["items"]] == [
        "+33199005005",
        "+33199005006",
        "+33199005007",
    ]
    assert res["items"][0]["local_number"] == "0199005005"
    assert res["expire"] == "2027-01-15 08:05:00"
    assert rpc.call("did/store.get_quote", 1, "CLASSIC", 1)["available"] == 92
    assert rpc.call("did/store.view_order", res["token"]) == res
    status = rpc.call("did/store.buy_order", res["token"])
    assert status["errors"] == [] and status["success"] == res["items"]
    bought = rpc.call("did.get", res["items"][0]["hash"])
    assert bought["app"] is None and bought["intl_number"] == "+33199005005"
    assert len(rpc.call("apps.get_dids", True)) == 23
    assert rpc.call("did/store.get_quote", 1, "CLASSIC", 1)["available"] == 92
    expect(rpc, 110, "did/store.buy_order", res["token"])
    quota = rpc.call("did/store.get_quota_status")
    assert quota["assigned_max"] == -1 and quota["quota_current_count"] == 3


def test_reservation_expiry_and_cancel(rpc: Rpc, clock: FakeClock) -> None:
    res = rpc.call("did/store.reserve", 3, "GOLD", 5, "RANDOM")
    assert len({i["intl_number"] for i in res["items"]}) == 5
    expect(rpc, 151, "did/store.reserve", 3, "GOLD", 1, "RANDOM", contains="quantity")
    clock.advance(301)
    expect(rpc, 110, "did/store.view_order", res["token"])
    expect(rpc, 110, "did/store.buy_order", res["token"])
    again = rpc.call("did/store.reserve", 3, "GOLD", 5, "SEQUENTIAL")
    assert rpc.call("did/store.cancel_order", again["token"]) is True
    assert rpc.call("did/store.get_quote", 3, "GOLD", 1)["available"] == 5
    expect(rpc, 110, "did/store.cancel_order", again["token"])
    expect(rpc, 151, "did/store.reserve", 3, "GOLD", 1, "ORDERED")
    expect(rpc, 110, "did/store.view_order", "unknown")


def test_cancel_subscription(rpc: Rpc) -> None:
    res = rpc.call("did/store.reserve", 2, "CLASSIC", 1, "SEQUENTIAL")
    rpc.call("did/store.buy_order", res["token"])
    did_hash = res["items"][0]["hash"]
    app = rpc.call("apps.create", "REALTIME10", "rt", None)
    rpc.call("apps.assign_did", app["hash"], did_hash)
    assert rpc.call("did/store.cancel_subscription", did_hash) is True
    expect(rpc, 110, "did.get", did_hash)
    assert rpc.call("apps.get", app["hash"])["did"] == []
    # the number is quarantined: never sold again
    assert rpc.call("did/store.get_quote", 2, "CLASSIC", 1)["available"] == 44
    expect(rpc, 110, "did/store.cancel_subscription", did_hash)
