"""sip/subscriber.*, sip/trunk/*.* and webhooks.*."""

from __future__ import annotations

import re

import pytest

from provisioner.emulator import Emulator

from .conftest import Rpc, expect


def test_subscriber_create_defaults(rpc: Rpc, emu: Emulator) -> None:
    sub = rpc.call("sip/subscriber.create", {}, None)
    assert re.fullmatch(r"sub\d{6}", sub["username"])
    assert re.fullmatch(r"[A-Za-z0-9]{16}", sub["password"])
    assert sub["domain"] == emu.snapshot()["master"].lower() + ".sip.callr.example"
    assert (sub["cli"], sub["codecs"], sub["privacy"], sub["ring_timeout"], sub["srtp"]) == (
        "BLOCKED",
        [],
        "full",
        30,
        False,
    )
    assert sub["vms"]["timeout"] == 120 and len(sub["vms"]) == 14
    assert rpc.call("sip/subscriber.get", sub["id"]) == sub


def test_subscriber_validation_and_edit(rpc: Rpc) -> None:
    props = {
        "username": "alice",
        "cli": "+33199000003",
        "codecs": ["PCMA", "OPUS"],
        "privacy": "off",
        "ring_timeout": 60,
        "srtp": True,
    }
    sub = rpc.call("sip/subscriber.create", props, {"vms": {"timeout": 60}})
    assert sub["vms"]["timeout"] == 60 and sub["cli"] == "+33199000003"
    assert rpc.call("sip/subscriber.create", {"cli": "+33612345678"}, None)["cli"] == "+33612345678"
    expect(rpc, 151, "sip/subscriber.create", {"username": "alice"}, None, contains="username")
    expect(rpc, 151, "sip/subscriber.create", {"username": "a!"}, None)
    expect(rpc, 151, "sip/subscriber.create", {"cli": "+33700000000"}, None, contains="cli")
    expect(rpc, 151, "sip/subscriber.create", {"codecs": ["GSM"]}, None)
    expect(rpc, 151, "sip/subscriber.create", {"ring_timeout": 121}, None)
    expect(rpc, 151, "sip/subscriber.create", {"privacy": "partial"}, None)
    expect(rpc, 151, "sip/subscriber.create", {"color": "red"}, None)
    expect(rpc, 151, "sip/subscriber.create", {}, {"vms": {"timeout": 5}})
    edited = rpc.call("sip/subscriber.edit", sub["id"], {"ring_timeout": 20}, None)
    assert edited["ring_timeout"] == 20 and edited["codecs"] == ["PCMA", "OPUS"]
    assert edited["password"] == sub["password"] and edited["vms"]["timeout"] == 60
    err = expect(rpc, 151, "sip/subscriber.edit", sub["id"], {"password": "hunter22"}, None)
    assert "hunter22" not in err.message
    expect(rpc, 151, "sip/subscriber.edit", sub["id"], {"domain": "x"}, None)
    assert rpc.call("sip/subscriber.edit", sub["id"], {"username": "alice"}, None)
    expect(rpc, 110, "sip/subscriber.edit", 999, {}, None)
    found = rpc.call("sip/subscriber.search", {"username": "alice"}, {})
    assert found["total"] == 1 and found["hits"][0]["id"] == sub["id"]
    domain = sub["domain"]
    assert rpc.call("sip/subscriber.search", {"domain": domain}, {})["total"] == 2
    assert rpc.call("sip/subscriber.delete", sub["id"]) is True
    expect(rpc, 110, "sip/subscriber.get", sub["id"])


@pytest.mark.parametrize("service", ["sip/trunk/origination", "sip/trunk/termination"])
def test_trunks_are_opaque(rpc: Rpc, service: str) -> None:
    trunk = rpc.call(f"{service}.create", {"ip": "192.0.2.1", "any": [1]}, None)
    assert trunk == {
        "id": trunk["id"],
        "properties": {"ip": "192.0.2.1", "any": [1]},
        "options": {},
    }
    edited = rpc.call(f"{service}.edit", trunk["id"], {"ip": "192.0.2.2"}, {"x": True})
    assert edited["properties"] == {"ip": "192.0.2.2"} and edited["options"] == {"x": True}
    assert rpc.call(f"{service}.search", {}, {})["hits"] == [edited]
    assert rpc.call(f"{service}.get", trunk["id"]) == edited
    assert rpc.call(f"{service}.delete", trunk["id"]) is True
    expect(rpc, 110, f"{service}.get", trunk["id"])


def test_webhooks(rpc: Rpc) -> None:
    types = rpc.call("webhooks.get_event_types")
    assert len(types) == 15 and "sms.mo" in types and "call.inbound_answer" not in types
    hook = rpc.call("webhooks.subscribe", "sms.mo", "https://h.example/mo", None)
    assert hook["options"] == {"format": "JSON", "hmac_algo": None, "hmac_secret": None}
    assert hook["status"] == "ENABLED"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", hook["created_at"])
    opts = {"format": "JSON", "hmac_algo": "SHA256", "hmac_secret": "supersecret"}
    updated = rpc.call("webhooks.update", hook["hash"], "did.assigned", "http://h.example/d", opts)
    assert updated["options"] == opts and updated["type"] == "did.assigned"
    assert rpc.call("webhooks.get", hook["hash"]) == updated
    assert rpc.call("webhooks.get_list") == [updated]
    err = expect(
        rpc,
        151,
        "webhooks.subscribe",
        "sms.mo",
        "https://h.example",
        {"hmac_secret": "short7!"},
        contains="hmac_secret",
    )
    assert "short7!" not in err.message
    expect(rpc, 151, "webhooks.subscribe", "sms.mo", "https://h.example", {"hmac_algo": "CRC"})
    expect(rpc, 151, "webhooks.subscribe", "sms.mo", "https://h.example", {"format": "XML"})
    expect(rpc, 151, "webhooks.subscribe", "sms.unknown", "https://h.example", None)
    expect(rpc, 151, "webhooks.subscribe", "sms.mo", "mailto:x@y.z", None, contains="endpoint")
    expect(rpc, 110, "webhooks.update", "NOPE0000", "sms.mo", "https://h.example", None)
    assert rpc.call("webhooks.unsubscribe", hook["hash"]) is True
    expect(rpc, 110, "webhooks.get", hook["hash"])
    assert rpc.call("webhooks.get_list") == []
