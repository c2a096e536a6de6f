"""apps.*: packages, normalized params, validation, DIDs, search paging."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import FakeClock, Rpc, expect

MASTER_NUMBERS = [f"+331990000{i:02d}" for i in range(1, 21)]


def test_create_every_package_with_defaults(rpc: Rpc) -> None:
    expected = {
        "ACTIONS10": ("ACTIONS", True, {"format": "YAML", "script": ""}),
        "REALTIME10": (
            "REALTIME",
            True,
            {"data_format": "JSON", "url": "", "login": "", "password": ""},
        ),
        "CALLTRACKING10": ("CALLTRACKING", True, None),
        "CLICKTOCALL10": ("CLICKTOCALL", False, None),
    }
    for package, (ptype, has_did, p) in expected.items():
        app = rpc.call("apps.create", package, f"app {package}", None)
        assert app["package"] == {"name": package, "type": ptype, "has_did": has_did}
        assert re.fullmatch(r"[A-Z0-9]{8}", app["hash"])
        assert app["did"] == []
        assert app["date_creation"] == "2027-01-15 08:00:00"
        if p is not None:
            assert app["p"] == p


def test_calltracking_defaults_are_full(rpc: Rpc) -> None:
    p = rpc.call("apps.create", "CALLTRACKING10", "ct", {})["p"]
    assert p["ga"] == {"ua": ""}
    assert p["medias"] == {"bridge": 0, "ringtone": 0, "welcome": 0, "whisper": 0}
    assert p["options"]["feeds"] == "both" and p["options"]["transcription"] is None
    assert p["options"]["ner"] is True and p["options"]["record_calls"] is False
    assert p["targets"] == []
    assert p["vms"]["timeout"] == 120 and p["vms"]["file_format"] == "mp3"
    assert set(p["vms"]) == {
        "active",
        "email_template",
        "emails",
        "file_format",
        "file_name",
        "intro",
        "locale",
        "ner",
        "pii",
        "record",
        "sentiment",
        "timeout",
        "timezone",
        "transcription",
    }


def test_clicktocall_vms_detect_defaults(rpc: Rpc) -> None:
    opts = rpc.call("apps.create", "CLICKTOCALL10", "c2c", None)["p"]["options"]
    assert opts["A_vms_detect"] == {
        "active": False,
        "dtmf_iterations": 2,
        "dtmf_media": 0,
        "dtmf_timeout": 2,
        "method": "SILENCE",
        "silence_iterations": 1,
        "silence_media": 0,
        "silence_ms": 1800,
        "silence_timeout": 3,
    }
    assert opts["A_attempts"] == 1 and opts["A_retrypause"] == 30


def test_target_defaults_and_partial_objects(rpc: Rpc) -> None:
    p = {"targets": [{"number": "+33612345678"}], "options": {"record_calls": True}}
    app = rpc.call("apps.create", "CALLTRACKING10", "ct", p)
    assert app["p"]["targets"] == [{"number": "+33612345678", "timeout": 30}]
    assert app["p"]["options"]["record_calls"] is True
    assert app["p"]["options"]["pii"] is True


@pytest.mark.parametrize(
    ("package", "params", "code", "fragment"),
    [
        (
            "CALLTRACKING10",
            {"targets": [{"number": "+33612345678", "timeout": 3}]},
            151,
            "p.targets[0].timeout must be between 5 and 300",
        ),
        ("CALLTRACKING10", {"targets": [{"timeout": 30}]}, 150, "p.targets[0].number"),
        ("CALLTRACKING10", {"targets": [{"number": "0612345678"}]}, 151, "p.targets[0].number"),
        ("CALLTRACKING10", {"bogus": 1}, 151, "p.bogus"),
        ("CALLTRACKING10", {"vms": {"timeout": 10}}, 151, "p.vms.timeout"),
        ("CALLTRACKING10", {"vms": {"file_format": "ogg"}}, 151, "p.vms.file_format"),
        ("CALLTRACKING10", {"vms": {"locale": "french"}}, 151, "p.vms.locale"),
        ("CALLTRACKING10", {"vms": {"timezone": "Mars/Olympus"}}, 151, "p.vms.timezone"),
        ("CALLTRACKING10", {"vms": {"active": "yes"}}, 151, "p.vms.active"),
        ("CALLTRACKING10", {"options": {"feeds": "none"}}, 151, "p.options.feeds"),
        ("CALLTRACKING10", {"medias": {"welcome": 42}}, 151, "p.medias.welcome"),
        ("CALLTRACKING10", {"medias": {"welcome": -1}}, 151, "p.medias.welcome"),
        ("CLICKTOCALL10", {"options": {"A_attempts": 6}}, 151, "p.options.A_attempts"),
        ("CLICKTOCALL10", {"options": {"A_retrypause": 10}}, 151, "p.options.A_retrypause"),
        (
            "CLICKTOCALL10",
            {"options": {"B_vms_detect": {"silence_ms": 20}}},
            151,
            "p.options.B_vms_detect.silence_ms",
        ),
        (
            "CLICKTOCALL10",
            {"options": {"A_vms_detect": {"method": "VOICE"}}},
            151,
            "p.options.A_vms_detect.method",
        ),
        (
            "CLICKTOCALL10",
            {"options": {"A_vms_detect": {"silence_iterations": 31}}},
            151,
            "silence_iterations",
        ),
        ("REALTIME10", {"url": "ftp://x.example"}, 151, "p.url"),
        ("REALTIME10", {"data_format": "XML"}, 151, "p.data_format"),
        ("ACTIONS10", {"format": "JSON"}, 151, "p.format"),
    ],
)
def test_params_validation(
    rpc: Rpc, package: str, params: dict[str, Any], code: int, fragment: str
) -> None:
    expect(rpc, code, "apps.create", package, "bad", params, contains=fragment)
    assert rpc.call("apps.get_list", False) == []


def test_secret_not_in_messages(rpc: Rpc) -> None:
    err = expect(
        rpc,
        151,
        "apps.create",
        "REALTIME10",
        "rt",
        {"url": "not-a-url-hunter2", "password": "hunter2"},
    )
    assert "hunter2" not in err.message
    err = expect(rpc, 151, "apps.create", "REALTIME10", "rt", {"password": 12345678})
    assert "12345678" not in err.message


def test_create_package_and_name_errors(rpc: Rpc) -> None:
    expect(rpc, 151, "apps.create", "VOICEMAIL10", "x", None, contains="package")
    expect(rpc, 150, "apps.create", "REALTIME10", None, None, contains="Missing property: name")
    expect(rpc, 151, "apps.create", "REALTIME10", "", None, contains="name")


def test_media_reference_must_exist(rpc: Rpc) -> None:
    media_id = rpc.call("media/library.create", "welcome")
    app = rpc.call("apps.create", "CALLTRACKING10", "ct", {"medias": {"welcome": media_id}})
    assert app["p"]["medias"]["welcome"] == media_id


def test_edit_is_full_replacement(rpc: Rpc, clock: FakeClock) -> None:
    app = rpc.call(
        "apps.create", "REALTIME10", "rt", {"url": "https://a.example/hook", "login": "bob"}
    )
    clock.advance(60)
    edited = rpc.call("apps.edit", app["hash"], None, {"url": "https://b.example/"})
    assert edited["name"] == "rt"
    assert edited["p"] == {
        "data_format": "JSON",
        "url": "https://b.example/",
        "login": "",
        "password": "",
    }
    assert edited["date_update"] == "2027-01-15 08:01:00"
    assert edited["date_creation"] == app["date_creation"]
    renamed = rpc.call("apps.edit", app["hash"], "rt2", {})
    assert renamed["name"] == "rt2" and renamed["p"]["url"] == ""
    expect(rpc, 110, "apps.edit", "ZZZZZZZZ", None, {})
    expect(rpc, 151, "apps.edit", app["hash"], None, {"url": 3})
    assert rpc.call("apps.get", app["hash"])["name"] == "rt2"


def test_duplicate_names_allowed_and_get_list(rpc: Rpc) -> None:
    a = rpc.call("apps.create", "REALTIME10", "same", None)
    b = rpc.call("apps.create", "REALTIME10", "same", None)
    assert a["hash"] != b["hash"]
    assert [x["hash"] for x in rpc.call("apps.get_list", False)] == [a["hash"], b["hash"]]


def test_dids_assign_move_remove_delete(rpc: Rpc) -> None:
    dids = rpc.call("apps.get_dids", True)
    assert [d["intl_number"] for d in dids] == MASTER_NUMBERS
    assert dids[0] == {
        "hash": dids[0]["hash"],
        "intl_number": "+33199000001",
        "local_number": "0199000001",
        "local_number_f": "01 99 00 00 01",
        "country_code": "FR",
        "type": "GEOGRAPHIC",
        "class": "CLASSIC",
        "app": None,
    }
    a = rpc.call("apps.create", "CALLTRACKING10", "a", None)
    b = rpc.call("apps.create", "REALTIME10", "b", None)
    c2c = rpc.call("apps.create", "CLICKTOCALL10", "c", None)
    did = dids[0]["hash"]
    assert rpc.call("apps.assign_did", a["hash"], did) is True
    assert rpc.call("did.get", did)["app"] == a["hash"]
    assert [d["hash"] for d in rpc.call("apps.get", a["hash"])["did"]] == [did]
    assert rpc.call("apps.assign_did", b["hash"], did) is True  # moves
    assert rpc.call("apps.get", a["hash"])["did"] == []
    assert rpc.call("apps.edit", b["hash"], None, None)["did"] == []  # only get/get_list fill it
    listed = {x["hash"]: x for x in rpc.call("apps.get_list", True)}
    assert [d["hash"] for d in listed[b["hash"]]["did"]] == [did]
    assert all(x["did"] == [] for x in rpc.call("apps.get_list", False))
    assert len(rpc.call("apps.get_dids", True)) == 19
    assert len(rpc.call("apps.get_dids", False)) == 20
    expect(
        rpc,
        205,
        "apps.assign_did",
        c2c["hash"],
        dids[1]["hash"],
        contains="This voice app cannot be assigned a DID",
    )
    expect(rpc, 110, "apps.assign_did", "NOPE0000", dids[1]["hash"])
    expect(rpc, 110, "apps.assign_did", a["hash"], "NOPE0000")
    assert rpc.call("apps.remove_did", did) is True
    assert rpc.call("did.get", did)["app"] is None
    rpc.call("apps.assign_did", b["hash"], did)
    assert rpc.call("apps.delete", b["hash"]) is True
    assert rpc.call("did.get", did)["app"] is None
    expect(rpc, 110, "apps.get", b["hash"])
    expect(rpc, 110, "apps.delete", b["hash"])
    expect(rpc, 110, "apps.remove_did", "NOPE0000")


def test_authorized_clis(rpc: Rpc) -> None:
    assert rpc.call("apps.get_authorized_clis", "CALL") == [
        {"cli": "+33612345678", "label": "Mobile", "comment": ""}
    ]
    expect(rpc, 151, "apps.get_authorized_clis", "FAX")


def test_search_paging_120_apps(rpc: Rpc) -> None:
    for i in range(120):
        rpc.call("apps.create", "ACTIONS10", f"scenario {i:03d}", None)
    first = rpc.call("apps.search", {}, {})
    assert (len(first["hits"]), first["total"], first["offset"], first["has_more"]) == (
        50,
        120,
        0,
        True,
    )
    seen: list[str] = []
    offset = 0
    while True:
        page = rpc.call("apps.search", None, {"offset": offset, "quantity": 1000})
        assert len(page["hits"]) <= 100
        seen += [h["name"] for h in page["hits"]]
        offset += len(page["hits"])
        if not page["has_more"]:
            break
    assert seen == [f"scenario {i:03d}" for i in range(120)]
    found = rpc.call("apps.search", {"name": "scenario 11"}, None)
    assert found["total"] == 10 and not found["has_more"]
    expect(rpc, 151, "apps.search", {"label": "x"}, {})
    expect(rpc, 151, "apps.search", {}, {"quantity": 0})
    expect(rpc, 151, "apps.search", {}, {"offset": -1})
    expect(rpc, 151, "apps.search", {}, {"limit": 5})


def test_did_search(rpc: Rpc) -> None:
    everything = rpc.call("did.search", {}, None)
    assert everything["total"] == 20
    hits = rpc.call("did.search", {"KEYWORDS": "0199000017"}, {})["hits"]
    assert [d["intl_number"] for d in hits] == ["+33199000017"]
    one = everything["hits"][3]
    assert rpc.call("did.search", {"hash": one["hash"]}, {})["hits"] == [one]
    assert rpc.call("did.search", {"class": "GOLD"}, {})["total"] == 0
    assert rpc.call("did.search", {"type": "GEOGRAPHIC"}, {"quantity": 5})["has_more"] is True
    expect(rpc, 110, "did.get", "NOPE0000")
