"""account/sub.*, jobs.get and Login-As isolation."""

from __future__ import annotations

import re
from typing import Any

from .conftest import FakeClock, Rpc, expect


def _props(company: str = "ACME") -> dict[str, Any]:
    return {
        "account": {"company": company, "firstname": "Ada", "lastname": "L"},
        "contact": {"emails": ["ada@acme.example"], "phones": ["+33612345678"]},
        "params": {
            "billing": {"emails": ["billing@acme.example"]},
            "default": {"locale": "en_GB", "timezone": "Europe/London"},
        },
    }


def test_create_and_read(rpc: Rpc) -> None:
    sub = rpc.call("account/sub.create", _props(), None)
    assert re.fullmatch(r"[A-Z0-9]{8}", sub["hash"])
    assert re.fullmatch(r"[A-Za-z0-9]{16}", sub["credentials"]["password"])
    assert sub["params"] == {
        "billing": {"addresses": [], "currency_code": "EUR", "emails": ["billing@acme.example"]},
        "default": {"locale": "en_GB", "timezone": "Europe/London"},
    }
    assert sub["state"] == {
        "allow_calls_in": True,
        "allow_calls_out": True,
        "allow_sms_in": True,
        "allow_sms_out": True,
        "archived": False,
        "credit": "0.00",
        "disabled": False,
    }
    got = rpc.call("account/sub.get", sub["hash"])
    assert got["credentials"] == {"login": sub["credentials"]["login"], "password": None}
    assert got["hash"] == sub["hash"] and got["contact"]["phones"] == ["+33612345678"]
    manual = rpc.call(
        "account/sub.create",
        _props("B"),
        {"password": {"method": "MANUAL", "value": "Sup3rS3cret!"}},
    )
    assert manual["credentials"]["password"] == "Sup3rS3cret!"
    hits = rpc.call("account/sub.search", {}, {})["hits"]
    assert [h["hash"] for h in hits] == [sub["hash"], manual["hash"]]
    assert all(h["credentials"]["password"] is None for h in hits)
    assert rpc.call("account/sub.get_quota") == {"actual": 2, "max": 50}


def test_create_validation(rpc: Rpc) -> None:
    props = _props()
    del props["account"]["company"]
    expect(rpc, 150, "account/sub.create", props, None, contains="company")
    props = _props()
    props["contact"]["emails"] = []
    expect(rpc, 150, "account/sub.create", props, None, contains="emails")
    props = _props()
    props["contact"]["phones"] = ["0612345678"]
    expect(rpc, 151, "account/sub.create", props, None, contains="phones")
    props = _props()
    props["params"]["default"]["timezone"] = "Nowhere/City"
    expect(rpc, 151, "account/sub.create", props, None, contains="timezone")
    err = expect(
        rpc,
        151,
        "account/sub.create",
        _props(),
        {"password": {"method": "MANUAL", "value": "short"}},
    )
    assert "short" not in err.message.replace("options.password.value", "")
    expect(rpc, 150, "account/sub.create", _props(), {"password": {"method": "MANUAL"}})
    assert rpc.call("account/sub.get_quota")["actual"] == 0


def test_edit(rpc: Rpc) -> None:
    sub = rpc.call("account/sub.create", _props(), None)
    edited = rpc.call(
        "account/sub.edit",
        sub["hash"],
        {"contact": {"emails": ["new@acme.example"]}, "params": {"billing": {"emails": []}}},
        None,
    )
    assert edited["contact"] == {
        "addresses": [],
        "emails": ["new@acme.example"],
        "phones": [],
        "tech_emails": [],
    }
    assert edited["params"]["billing"]["emails"] == []
    assert edited["params"]["default"]["locale"] == "en_GB"  # untouched
    expect(rpc, 151, "account/sub.edit", sub["hash"], {"account": {"company": "X"}}, None)
    expect(rpc, 110, "account/sub.edit", "NOPE0000", {}, None)


def test_sub_accounts_get_their_own_dids(rpc: Rpc) -> None:
    first = rpc.call("account/sub.create", _props("one"), None)
    second = rpc.call("account/sub.create", _props("two"), None)
    one = rpc.as_sub(first["hash"]).call("apps.get_dids", False)
    two = rpc.as_sub(second["hash"]).call("apps.get_dids", False)
    assert [d["intl_number"] for d in one] == [f"+33199001{i:03d}" for i in range(1, 6)]
    assert [d["intl_number"] for d in two] == [f"+33199002{i:03d}" for i in range(1, 6)]
    assert rpc.as_sub(first["hash"]).call("apps.get_authorized_clis", "CALL") == []


def test_login_as_isolation(rpc: Rpc) -> None:
    a = rpc.call("account/sub.create", _props("a"), None)["hash"]
    b = rpc.call("account/sub.create", _props("b"), None)["hash"]
    in_a = rpc.as_sub(a)
    app = in_a.call("apps.create", "REALTIME10", "only in a", None)
    media = in_a.call("media/library.create", "a media")
    hook = in_a.call("webhooks.subscribe", "sms.mo", "https://a.example", None)
    assert rpc.call("apps.get_list", False) == []
    assert rpc.as_sub(b).call("apps.get_list", False) == []
    assert [x["hash"] for x in in_a.call("apps.get_list", False)] == [app["hash"]]
    expect(rpc, 110, "apps.get", app["hash"])
    expect(rpc.as_sub(b), 110, "apps.get", app["hash"])
    expect(rpc.as_sub(b), 110, "webhooks.get", hook["hash"])
    assert rpc.call("media/library.get_list", None) == {}
    assert set(in_a.call("media/library.get_list", None)) == {str(media)}
    master_did = rpc.call("apps.get_dids", False)[0]["hash"]
    expect(in_a, 110, "apps.assign_did", app["hash"], master_did)
    # lower-case prefix and User.login work too
    lower = Rpc(rpc.client, f"account.hash {a}")
    assert [x["hash"] for x in lower.call("apps.get_list", False)] == [app["hash"]]
    login = rpc.call("account/sub.get", a)["credentials"]["login"]
    by_login = Rpc(rpc.client, f"User.login {login}")
    assert [x["hash"] for x in by_login.call("apps.get_list", False)] == [app["hash"]]


def test_login_as_refusals(rpc: Rpc) -> None:
    a = rpc.call("account/sub.create", _props("a"), None)["hash"]
    err = expect(rpc.as_sub("ZZZZ9999"), 22, "apps.get_list", False)
    assert "ZZZZ9999" in err.message
    expect(Rpc(rpc.client, f"Account.id {a}"), 22, "apps.get_list", False)
    expect(Rpc(rpc.client, "User.login nobody"), 22, "apps.get_list", False)
    master = rpc.call("account/sub.search", None, None)  # the master is not its own sub
    assert master["total"] == 1
    expect(rpc.as_sub(a), 100, "account/sub.create", _props("nested"), None)
    expect(rpc.as_sub(a), 100, "account/sub.search", {}, {})
    expect(rpc.as_sub(a), 100, "account/sub.get_quota")


def test_disable_archive_job(rpc: Rpc, clock: FakeClock) -> None:
    sub = rpc.call("account/sub.create", _props(), None)["hash"]
    expect(rpc, 151, "account/sub.archive", sub, None, contains="disabled")
    assert rpc.call("account/sub.disable", sub) is True
    assert rpc.call("account/sub.get", sub)["state"]["disabled"] is True
    job_id = rpc.call("account/sub.archive", sub, None)
    assert isinstance(job_id, str)
    job = rpc.call("jobs.get", job_id)
    assert (job["status"], job["percent"], job["done_at"], job["error"]) == (
        "PENDING",
        "0.00",
        "0000-00-00 00:00:00",
        None,
    )
    clock.advance(5)
    assert rpc.call("jobs.get", job_id)["status"] == "RUNNING"
    assert rpc.call("account/sub.get", sub)["state"]["archived"] is False
    clock.advance(5)
    done = rpc.call("jobs.get", job_id)
    assert (done["status"], done["percent"], done["done_at"]) == (
        "DONE",
        "100.00",
        "2027-01-15 08:00:10",
    )
    assert rpc.call("account/sub.get", sub)["state"]["archived"] is True
    assert rpc.call("account/sub.search", {}, {})["total"] == 0
    assert rpc.call("account/sub.search", {"archived": True}, {})["total"] == 1
    assert rpc.call("account/sub.search", {"archived": None}, {})["total"] == 1
    assert rpc.call("account/sub.unarchive", sub) is True
    state = rpc.call("account/sub.get", sub)["state"]
    assert state["archived"] is False and state["disabled"] is True
    expect(rpc, 151, "account/sub.unarchive", sub)
    assert rpc.call("account/sub.enable", sub) is True
    assert rpc.call("account/sub.get", sub)["state"]["disabled"] is False
    expect(rpc, 110, "jobs.get", "NOPEJOB1")
    expect(rpc.as_sub(sub), 110, "jobs.get", job_id)
    expect(rpc, 110, "account/sub.disable", "NOPE0000")
