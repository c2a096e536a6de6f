"""SIP subscribers and trunks against the in-process emulator: plan, apply, converge."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.emulator import Emulator
from provisioner.errors import PlanError
from provisioner.planning.plan import Action, Plan
from provisioner.render import RENDERERS

if TYPE_CHECKING:
    from conftest import Account

Write = Callable[..., Path]

ALICE = """
    version: 1
    sip:
      subscribers:
        alice:
          cli: "+33199000001"
          codecs: [OPUS, PCMA]
          privacy: "off"
          ring_timeout: 30
          srtp: true
          vms: {active: true, timeout: 60}
"""


def _sip(emulator: Emulator, table: str) -> list[dict[str, Any]]:
    state = emulator.snapshot()
    master = state["accounts"][state["master"]]
    return sorted(master["sip"][table].values(), key=lambda obj: int(obj["id"]))


def _subscribers(emulator: Emulator) -> dict[str, dict[str, Any]]:
    return {sub["username"]: sub for sub in _sip(emulator, "subscriber")}


def _trunks(emulator: Emulator, direction: str) -> list[dict[str, Any]]:
    return _sip(emulator, f"trunk/{direction}")


def _methods(plan: Plan) -> list[str]:
    return [call.method for call in plan.calls()]


def _outputs(plan: Plan) -> list[str]:
    return [render(plan) for render in RENDERERS.values()] + [json.dumps(plan.to_dict())]


# -- subscribers -------------------------------------------------------------------------------


def test_subscriber_create_round_trip(account: Account, emulator: Emulator,
                                      manifest: Write) -> None:
    path = manifest(ALICE)
    plan, report = account.apply(path)
    assert report.ok
    [change] = plan.changes
    assert (change.address, change.action) == ("sip_subscriber.alice", Action.CREATE)
    assert change.generated_secrets == ("password",)
    alice = _subscribers(emulator)["alice"]
    assert alice["cli"] == "+33199000001"
    assert alice["codecs"] == ["OPUS", "PCMA"]
    assert (alice["privacy"], alice["ring_timeout"], alice["srtp"]) == ("off", 30, True)
    assert alice["vms"]["active"] is True and alice["vms"]["timeout"] == 60
    # the generated password is handed back in the apply results, for --show-generated-secrets
    assert report.results[change.calls[0].id]["password"] == alice["password"]
    assert account.plan(path).is_empty


def test_generated_password_never_in_plan_output(account: Account, emulator: Emulator,
                                                 manifest: Write) -> None:
    account.converge(manifest(ALICE))
    alice = _subscribers(emulator)["alice"]
    secret, domain = alice["password"], alice["domain"]
    update = account.plan(manifest(ALICE.replace("ring_timeout: 30", "ring_timeout: 40")))
    delete = account.plan(manifest("""
        version: 1
        sip: {subscribers: {alice: {absent: true}}}
    """))
    assert [c.action for c in update.changes] == [Action.UPDATE]
    assert [c.action for c in delete.changes] == [Action.DELETE]
    for plan in (update, delete):
        for output in _outputs(plan):
            assert secret not in output
            assert domain not in output
            assert "password" not in output


def test_unmanaged_fields_not_diffed(account: Account, client: CallrClient, emulator: Emulator,
                                     manifest: Write) -> None:
    path = manifest("""
        version: 1
        sip: {subscribers: {bob: {codecs: [PCMU]}}}
    """)
    account.converge(path)
    bob = _subscribers(emulator)["bob"]
    client.call("sip/subscriber.edit", id=bob["id"],
                properties={"ring_timeout": 90, "privacy": "off", "srtp": True},
                options={"vms": {"active": True, "timeout": 200}})
    assert account.plan(path).is_empty
    client.call("sip/subscriber.edit", id=bob["id"], properties={"codecs": ["OPUS"]},
                options=None)
    [change] = account.plan(path).changes
    assert [(f.path, f.old, f.new) for f in change.fields] == [("codecs[0]", "OPUS", "PCMU")]


def test_update_shows_field_changes_and_sends_only_them(account: Account, emulator: Emulator,
                                                        manifest: Write) -> None:
    account.converge(manifest(ALICE))
    changed = manifest(ALICE.replace("[OPUS, PCMA]", "[PCMA, G729]")
                       .replace("ring_timeout: 30", "ring_timeout: 45")
                       .replace("timeout: 60}", "timeout: 90}"))
    plan = account.plan(changed)
    [change] = plan.changes
    assert change.action is Action.UPDATE
    fields = {f.path: (f.old, f.new) for f in change.fields}
    assert fields["ring_timeout"] == (30, 45)
    assert fields["vms.timeout"] == (60, 90)
    assert {p for p in fields if p.startswith("codecs")} == {"codecs[0]", "codecs[1]"}
    assert not any(p in fields for p in ("cli", "privacy", "srtp", "vms.active"))
    [call] = change.calls
    args = call.kwargs()
    assert call.method == "sip/subscriber.edit"
    assert args["properties"] == {"codecs": ["PCMA", "G729"], "ring_timeout": 45}
    # the whole vms is sent, live keys the manifest leaves out included
    assert args["options"]["vms"]["active"] is True
    assert args["options"]["vms"]["timeout"] == 90
    assert args["options"]["vms"]["file_format"] == "mp3"
    account.converge(changed)
    alice = _subscribers(emulator)["alice"]
    assert (alice["codecs"], alice["ring_timeout"]) == (["PCMA", "G729"], 45)
    assert (alice["vms"]["timeout"], alice["vms"]["active"]) == (90, True)
    assert account.plan(changed).is_empty


def test_update_without_vms_change_sends_no_options(account: Account, manifest: Write) -> None:
    account.converge(manifest(ALICE))
    [change] = account.plan(manifest(ALICE.replace("srtp: true", "srtp: false"))).changes
    assert change.calls[0].kwargs()["options"] is None
    assert change.calls[0].kwargs()["properties"] == {"srtp": False}


def test_subscriber_delete_when_absent(account: Account, emulator: Emulator,
                                       manifest: Write) -> None:
    account.converge(manifest(ALICE))
    absent = manifest("""
        version: 1
        sip: {subscribers: {alice: {absent: true}, nobody: {absent: true}}}
    """)
    plan = account.converge(absent)
    assert [(c.address, c.action) for c in plan.changes] == [
        ("sip_subscriber.alice", Action.DELETE)
    ]
    assert _subscribers(emulator) == {}
    assert account.plan(absent).is_empty


def test_unlisted_live_subscriber_is_left_alone(account: Account, client: CallrClient,
                                                emulator: Emulator, manifest: Write) -> None:
    client.call("sip/subscriber.create", properties={"username": "legacy"}, options=None)
    account.converge(manifest(ALICE))
    assert set(_subscribers(emulator)) == {"alice", "legacy"}


@pytest.mark.parametrize("cli", ["BLOCKED", "+33199000007", "+33 6 12 34 56 78"])
def test_cli_accepted(cli: str, account: Account, emulator: Emulator, manifest: Write) -> None:
    path = manifest(f"""
        version: 1
        sip: {{subscribers: {{carol: {{cli: "{cli}"}}}}}}
    """)
    account.converge(path)
    assert _subscribers(emulator)["carol"]["cli"] == cli.replace(" ", "")
    assert account.plan(path).is_empty


def test_authorized_clis_read_only_when_needed(account: Account, emulator: Emulator,
                                               manifest: Write) -> None:
    emulator.faults.fail("apps.get_authorized_clis", times=10)
    plan = account.plan(manifest("""
        version: 1
        sip:
          subscribers:
            carol: {cli: BLOCKED}
            dave: {cli: "+33199000002"}
    """))
    assert len(plan.changes) == 2


def test_unauthorized_cli_is_a_plan_error_before_any_write(account: Account, emulator: Emulator,
                                                           manifest: Write) -> None:
    before = emulator.snapshot()
    path = manifest(ALICE + '        mallory: {cli: "+33712345678"}\n')
    with pytest.raises(PlanError) as caught:
        account.apply(path)
    message = str(caught.value)
    assert "mallory" in message and "+33712345678" in message
    assert "BLOCKED" in message and "authorize" in message
    assert "alice" not in message
    assert emulator.snapshot() == before


# -- trunks ------------------------------------------------------------------------------------

TRUNKS = """
    version: 1
    sip:
      trunks:
        origination:
          pbx-paris: {properties: {host: pbx.example.com, port: 5060}}
        termination:
          pbx-paris:
            properties: {allowed_ips: ["203.0.113.10"]}
            options: {max_channels: 10}
"""


def test_trunks_create_round_trip(account: Account, emulator: Emulator, manifest: Write) -> None:
    path = manifest(TRUNKS)
    plan = account.converge(path)
    assert [(c.address, c.action) for c in plan.changes] == [
        ("sip_trunk.origination.pbx-paris", Action.CREATE),
        ("sip_trunk.termination.pbx-paris", Action.CREATE),
    ]
    [orig] = _trunks(emulator, "origination")
    [term] = _trunks(emulator, "termination")
    assert orig["properties"] == {"host": "pbx.example.com", "port": 5060}
    assert orig["options"] == {}
    assert term["properties"] == {"allowed_ips": ["203.0.113.10"]}
    assert term["options"] == {"max_channels": 10}
    assert account.plan(path).is_empty


def test_trunk_matched_by_content_not_by_name(account: Account, manifest: Write) -> None:
    account.converge(manifest(TRUNKS))
    renamed = manifest("""
        version: 1
        sip:
          trunks:
            origination:
              another-name: {properties: {port: 5060, host: pbx.example.com}}
            termination:
              pbx-paris:
                options: {max_channels: 10}
                properties: {allowed_ips: ["203.0.113.10"]}
    """)
    assert account.plan(renamed).is_empty


def test_changed_trunk_is_created_before_the_old_one_is_deleted(
    account: Account, emulator: Emulator, manifest: Write
) -> None:
    account.converge(manifest(TRUNKS))
    [old] = _trunks(emulator, "origination")
    changed = manifest(TRUNKS.replace("port: 5060", "port: 5080")
                       + '      subscribers: {alice: {cli: BLOCKED}}\n')
    plan = account.plan(changed)
    assert [(c.address, c.action) for c in plan.changes] == [
        ("sip_subscriber.alice", Action.CREATE),
        ("sip_trunk.origination.pbx-paris", Action.REPLACE),
        ("sip_trunk.origination.pbx-paris", Action.DELETE),
    ]
    replace, delete = plan.changes[1:]
    assert any(str(old["id"]) in note for note in replace.notes)
    assert [(f.path, f.old, f.new) for f in replace.fields] == [("properties.port", 5060, 5080)]
    assert _methods(plan)[1:] == ["sip/trunk/origination.create", "sip/trunk/origination.delete"]
    assert delete.calls[0].kwargs() == {"id": old["id"]}
    account.converge(changed)
    [new] = _trunks(emulator, "origination")
    assert new["properties"] == {"host": "pbx.example.com", "port": 5080}
    assert new["id"] != old["id"]
    assert len(_trunks(emulator, "termination")) == 1
    assert account.plan(changed).is_empty


def test_extra_live_trunk_deleted_only_when_its_direction_is_managed(
    account: Account, client: CallrClient, emulator: Emulator, manifest: Write
) -> None:
    stray = {"host": "old.example.com"}
    for direction in ("origination", "termination"):
        client.call(f"sip/trunk/{direction}.create", properties=stray, options=None)
    only_origination = manifest("""
        version: 1
        sip:
          trunks:
            origination:
              pbx-paris: {properties: {host: pbx.example.com}}
    """)
    plan = account.plan(only_origination)
    # a desired trunk and a stray one in the same direction read as a replace
    assert [c.action for c in plan.changes] == [Action.REPLACE, Action.DELETE]
    assert all(c.address.startswith("sip_trunk.origination.") for c in plan.changes)
    account.converge(only_origination)
    assert [t["properties"] for t in _trunks(emulator, "origination")] == [
        {"host": "pbx.example.com"}
    ]
    assert [t["properties"] for t in _trunks(emulator, "termination")] == [stray]

    client.call("sip/trunk/origination.create", properties={"host": "x.example.com"},
                options={"a": 1})
    [extra] = account.plan(only_origination).changes
    assert extra.action is Action.DELETE
    assert extra.calls[0].method == "sip/trunk/origination.delete"
    account.converge(only_origination)
    assert len(_trunks(emulator, "origination")) == 1


def test_empty_direction_means_no_trunk_of_that_direction(
    account: Account, client: CallrClient, emulator: Emulator, manifest: Write
) -> None:
    client.call("sip/trunk/termination.create", properties={"host": "a.example.com"},
                options=None)
    client.call("sip/trunk/origination.create", properties={"host": "b.example.com"},
                options=None)
    none_terminating = manifest("""
        version: 1
        sip:
          trunks:
            termination: {}
    """)
    [delete] = account.plan(none_terminating).changes
    assert (delete.action, delete.calls[0].method) == (Action.DELETE,
                                                       "sip/trunk/termination.delete")
    account.converge(none_terminating)
    assert _trunks(emulator, "termination") == []
    assert len(_trunks(emulator, "origination")) == 1  # its direction is not in the manifest


def test_absent_trunk_entry(account: Account, client: CallrClient, emulator: Emulator,
                            manifest: Write) -> None:
    client.call("sip/trunk/termination.create", properties={"host": "old.example.com"},
                options=None)
    path = manifest("""
        version: 1
        sip:
          trunks:
            termination:
              old: {properties: {host: old.example.com}, absent: true}
    """)
    [change] = account.plan(path).changes
    assert (change.address, change.action) == ("sip_trunk.termination.old", Action.DELETE)
    assert change.notes[0] == "absent: true"
    assert change.notes[1].startswith("experimental: the sip/* methods are inferred")
    account.converge(path)
    assert _trunks(emulator, "termination") == []
    assert account.plan(path).is_empty


@pytest.mark.parametrize("fault", ["fail_delete", "lose_create"])
def test_fault_mid_replace_converges_without_duplicate(
    fault: str, account: Account, emulator: Emulator, manifest: Write
) -> None:
    account.converge(manifest(TRUNKS))
    changed = manifest(TRUNKS.replace("port: 5060", "port: 5080"))
    if fault == "fail_delete":
        emulator.faults.fail("sip/trunk/origination.delete")
    else:
        emulator.faults.lose_response("sip/trunk/origination.create")
    _, report = account.apply(changed)
    if fault == "fail_delete":
        assert not report.ok
        assert len(_trunks(emulator, "origination")) == 2  # the new one exists, the old too
        plan = account.converge(changed)
        assert [c.action for c in plan.changes] == [Action.DELETE]
    else:
        assert report.ok  # the lost create is found by content and adopted, not repeated
        assert report.steps[0].recovered == 1
    [trunk] = _trunks(emulator, "origination")
    assert trunk["properties"] == {"host": "pbx.example.com", "port": 5080}
    assert account.plan(changed).is_empty


def test_sip_example_converges(account: Account) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "sip"
    plan = account.converge(example)
    assert len(plan.changes) == 4
    assert account.plan(example).is_empty
