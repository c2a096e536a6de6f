"""Absence is a read result (a list without the object), never an error code."""

from __future__ import annotations

import pytest

from provisioner.api import lookup
from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator
from provisioner.errors import NotFoundError, ProtocolError


def connect(emu: Emulator) -> CallrClient:
    return CallrClient.connect(Credentials("sandbox", "sandbox"),
                               "http://emulator/json-rpc/v1.1/", transport=emu.transport())


def test_each_lookup_finds_what_exists_and_answers_none_for_what_does_not() -> None:
    emu = Emulator(media_delay=0, job_delay=0)
    emu.provision_numbers(1)
    with connect(emu) as api:
        app = api.apps_create("REALTIME10", "desk", None)
        did = api.did_search()[0]
        hook = api.call("webhooks.subscribe", type="sms.mo", endpoint="https://e.test/h",
                        options=None)
        media = api.call("media/library.create", name="hello")
        properties = {"account": {"company": "C"}, "contact": {"emails": ["a@b.example"]}}
        sub = api.call("account/sub.create", properties=properties, options=None)
        assert lookup.find_app(api, app["hash"])["name"] == "desk"  # type: ignore[index]
        assert lookup.find_did(api, did["hash"])["hash"] == did["hash"]  # type: ignore[index]
        assert lookup.find_webhook(api, hook["hash"]) is not None
        assert lookup.find_media(api, media) is not None
        assert lookup.find_sub_account(api, sub["hash"]) is not None
        api.apps_delete(app["hash"])
        api.call("webhooks.unsubscribe", hash=hook["hash"])
        api.call("media/library.delete", id=media)
        assert lookup.find_app(api, app["hash"]) is None
        assert lookup.find_webhook(api, hook["hash"]) is None
        assert lookup.find_media(api, media) is None
        assert lookup.find_did(api, "NOPE0000") is None
        assert lookup.find_sub_account(api, "NOPE0000") is None
        assert lookup.find_sip(api, "sip/subscriber", 999) is None


def test_an_error_of_the_read_is_never_taken_for_absence() -> None:
    emu = Emulator()
    emu.faults.fail("apps.get_list", code=110, message="Object not found")
    with connect(emu) as api, pytest.raises(NotFoundError):
        lookup.find_app(api, "ABCDEFGH")
    with connect(Emulator(variants=["no-webhook-list"])) as api, pytest.raises(ProtocolError):
        lookup.find_webhook(api, "ABCDEFGH")
