"""The handler side of the variants: each plays the alternative of one unconfirmed behaviour."""

from __future__ import annotations

from typing import Any

from provisioner.emulator import Emulator

from .conftest import FakeClock, Rpc, client_for, expect

SUB = {"account": {"company": "Acme"}, "contact": {"emails": ["ops@acme.example"]}}


def _rpc_with(clock: FakeClock, *variants: str) -> tuple[Emulator, Rpc, Any]:
    emu = Emulator(clock=clock, variants=variants)
    client = client_for(emu)
    return emu, Rpc(client), client


def test_sub_create_without_hash_still_lists_the_hash_in_search(clock: FakeClock) -> None:
    _, rpc, client = _rpc_with(clock, "sub-create-without-hash")
    with client:
        created = rpc.call("account/sub.create", SUB, None)
        assert "hash" not in created
        assert created["credentials"]["login"]
        hits = rpc.call("account/sub.search", {"archived": None}, {})["hits"]
        assert [h["credentials"]["login"] for h in hits] == [created["credentials"]["login"]]
        assert hits[0]["hash"]


def test_strict_sub_params_refuse_default_but_take_billing(clock: FakeClock) -> None:
    _, rpc, client = _rpc_with(clock, "strict-sub-params")
    with client:
        with_default = {**SUB, "params": {"default": {"locale": "fr_FR"}}}
        expect(rpc, 151, "account/sub.create", with_default, None, contains="params.default")
        billing = {**SUB, "params": {"billing": {"emails": ["b@acme.example"]}}}
        sub = rpc.call("account/sub.create", billing, None)
        expect(rpc, 151, "account/sub.edit", sub["hash"],
               {"params": {"default": {"locale": "en_US"}}}, None, contains="params.default")
        edited = rpc.call("account/sub.edit", sub["hash"],
                          {"params": {"billing": {"emails": ["c@acme.example"]}}}, None)
        assert edited["params"]["billing"]["emails"] == ["c@acme.example"]


def test_a_hidden_secret_is_still_set(clock: FakeClock) -> None:
    emu, rpc, client = _rpc_with(clock, "webhook-list-hides-secret")
    with client:
        hook = rpc.call("webhooks.subscribe", "sms.mo", "https://h.example/x",
                        {"hmac_algo": "SHA256", "hmac_secret": "s3cret-value"})
        listed = rpc.call("webhooks.get_list")
        assert "hmac_secret" not in listed[0]["options"]
        assert "hmac_secret" not in rpc.call("webhooks.get", hook["hash"])["options"]
        assert listed[0]["options"]["hmac_algo"] == "SHA256"
    stored = emu.snapshot()["accounts"][emu.snapshot()["master"]]["webhooks"][hook["hash"]]
    assert stored["options"]["hmac_secret"] == "s3cret-value"


def test_assign_requires_a_free_did(clock: FakeClock) -> None:
    _, rpc, client = _rpc_with(clock, "assign-requires-free-did")
    with client:
        one = rpc.call("apps.create", "REALTIME10", "one", None)["hash"]
        two = rpc.call("apps.create", "REALTIME10", "two", None)["hash"]
        did = rpc.call("apps.get_dids", True)[0]["hash"]
        assert rpc.call("apps.assign_did", one, did) is True
        assert rpc.call("apps.assign_did", one, did) is True  # its own app: fine
        expect(rpc, 151, "apps.assign_did", two, did, contains="remove it first")
        rpc.call("apps.remove_did", did)
        assert rpc.call("apps.assign_did", two, did) is True


def test_apps_of_unknown_packages_can_be_seeded(emu: Emulator, rpc: Rpc) -> None:
    app_hash = emu.add_app("CALLFORWARDING10", "legacy forward")
    apps = rpc.call("apps.get_list", True)
    assert [(a["hash"], a["package"]["name"]) for a in apps] == [(app_hash, "CALLFORWARDING10")]
    did = rpc.call("apps.get_dids", True)[0]["hash"]
    assert rpc.call("apps.assign_did", app_hash, did) is True
    expect(rpc, 151, "apps.create", "CALLFORWARDING10", "again", None, contains="package")
