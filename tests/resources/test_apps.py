"""The apps kind end to end on the emulator: plan, apply, plan again (empty)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.emulator import Emulator
from provisioner.errors import PlanError
from provisioner.planning.plan import Action
from provisioner.render.text import render_plan
from provisioner.resources.apps import AppKind
from provisioner.resources.base import LiveReader
from provisioner.resources.numbers import NumberKind
from provisioner.sensitive import Secret

if TYPE_CHECKING:
    from tests.conftest import Account

Write = Callable[..., Path]


def media(client: CallrClient, name: str) -> int:
    return int(client.call("media/library.create", name=name))


def live_apps(client: CallrClient) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for app in client.apps_get_list(True):
        out.setdefault(app["name"], []).append(app)
    return out


def rich_manifest(m1: int, m2: int) -> str:
    return f"""
        version: 1
        apps:
          tracking:
            package: CALLTRACKING10
            params:
              targets:
                - {{number: "+33 1 23 45 67 89", timeout: 25}}
                - {{number: "+33198765432"}}
              options: {{feeds: leg_a, locale: en_US, ner: false, pii: false,
                         record_calls: true, sentiment: false, transcription: true}}
              vms:
                active: true
                emails: [support@example.com, ops@example.com]
                file_format: wav
                file_name: voicemail
                intro: {m1}
                locale: fr_FR
                ner: false
                record: true
                timeout: 60
                timezone: Europe/Paris
                transcription: false
              ga: {{ua: UA-12345-1}}
              medias: {{bridge: {m1}, ringtone: {m2}, welcome: {m1}, whisper: 0}}
          c2c:
            package: CLICKTOCALL10
            params:
              medias: {{A_ringtone: {m1}, AB_bridge: {m2}}}
              options:
                A_attempts: 2
                A_retrypause: 45
                locale: fr_FR
                record_calls: true
                A_vms_detect: {{active: true, method: DTMF, dtmf_iterations: 3,
                               dtmf_media: {m1}, dtmf_timeout: 5}}
                B_vms_detect: {{active: true, method: SILENCE, silence_iterations: 2,
                               silence_media: {m2}, silence_ms: 900, silence_timeout: 10}}
              vms: {{active: true, timeout: 200, emails: [c2c@example.com]}}
          realtime:
            package: REALTIME10
            params:
              url: https://bot.example.com/callr
              login: bot
              password: rt-clear-secret
              data_format: JSON
          actions:
            package: ACTIONS10
            params:
              format: YAML
              script: |
                branches:
                  inbound-call:
                    actions:
                      - action: say@v2
                        params:
                          what: Closed
                      - action: hangup@v1
    """


def test_all_four_packages_apply_then_plan_empty(account: Account, client: CallrClient,
                                                 manifest: Write) -> None:
    m1, m2 = media(client, "one"), media(client, "two")
    path = manifest(rich_manifest(m1, m2))
    plan = account.converge(path)
    assert [(c.address, c.action, c.summary) for c in plan.changes] == [
        ("app.tracking", Action.CREATE, "CALLTRACKING10"),
        ("app.c2c", Action.CREATE, "CLICKTOCALL10"),
        ("app.realtime", Action.CREATE, "REALTIME10"),
        ("app.actions", Action.CREATE, "ACTIONS10"),
    ]
    apps = {name: found[0] for name, found in live_apps(client).items()}
    tracking = apps["tracking"]["p"]
    assert tracking["targets"] == [{"number": "+33123456789", "timeout": 25},
                                   {"number": "+33198765432", "timeout": 30}]
    assert tracking["vms"]["intro"] == m1 and tracking["medias"]["ringtone"] == m2
    assert tracking["options"]["feeds"] == "leg_a"
    c2c = apps["c2c"]["p"]["options"]
    assert c2c["A_vms_detect"]["method"] == "DTMF" and c2c["A_vms_detect"]["dtmf_media"] == m1
    assert c2c["B_vms_detect"]["silence_ms"] == 900
    assert apps["realtime"]["p"]["password"] == "rt-clear-secret"  # revealed on the wire only
    assert apps["actions"]["p"]["script"].startswith("branches:\n  inbound-call:")
    second = account.plan(path)
    assert second.is_empty, render_plan(second)


def test_live_read_costs_two_calls(client: CallrClient, account: Account,
                                   manifest: Write) -> None:
    account.converge(manifest("""
        version: 1
        apps: {a: {package: ACTIONS10}, b: {package: REALTIME10}}
        numbers: {"+33199000001": a}
    """))
    before = client.call_count
    reader = LiveReader(client)
    apps = AppKind().read(reader)
    numbers = NumberKind().read(reader)
    assert client.call_count - before == 2
    assert sorted(a.identity for a in apps) == ["a", "b"]
    assert len(numbers) == 20
    by_number = {n.identity: n.attrs["app"] for n in numbers}
    assert by_number["+33199000001"] == next(a.id for a in apps if a.identity == "a")
    assert by_number["+33199000002"] is None


def test_update_shows_field_old_new_and_applies(account: Account, client: CallrClient,
                                                manifest: Write) -> None:
    text = """
        version: 1
        apps:
          a:
            package: CALLTRACKING10
            params:
              targets: [{number: "+33123456789", timeout: 20}]
              options: {locale: fr_FR}
    """
    account.converge(manifest(text))
    client.apps_edit(live_apps(client)["a"][0]["hash"], None, {
        **live_apps(client)["a"][0]["p"], "ga": {"ua": "UA-outside"}})
    changed = manifest(text.replace("fr_FR", "en_GB").replace("timeout: 20", "timeout: 40"))
    plan = account.plan(changed)
    assert len(plan.changes) == 1
    change = plan.changes[0]
    assert (change.address, change.action) == ("app.a", Action.UPDATE)
    assert [(f.path, f.old, f.new) for f in change.fields] == [
        ("params.options.locale", "fr_FR", "en_GB"),
        ("params.targets[0].timeout", 20, 40),
    ]
    out = render_plan(plan)
    assert "  ~ app.a  CALLTRACKING10" in out
    assert '      params.options.locale: "fr_FR" -> "en_GB"' in out
    assert "      params.targets[0].timeout: 20 -> 40" in out
    account.converge(changed)
    live = live_apps(client)["a"][0]["p"]
    assert live["options"]["locale"] == "en_GB"
    assert live["targets"] == [{"number": "+33123456789", "timeout": 40}]
    assert live["ga"] == {"ua": "UA-outside"}, "apps.edit must keep unmanaged params"
    assert account.plan(changed).is_empty


def test_unmanaged_field_changed_outside_is_not_reported(account: Account,
                                                         client: CallrClient,
                                                         manifest: Write) -> None:
    path = manifest("""
        version: 1
        apps:
          a: {package: CLICKTOCALL10, params: {options: {A_attempts: 3}}}
    """)
    account.converge(path)
    app = live_apps(client)["a"][0]
    params = app["p"]
    params["options"]["locale"] = "de_DE"
    params["vms"]["active"] = True
    params["options"]["A_vms_detect"]["silence_ms"] = 500
    client.apps_edit(app["hash"], None, params)
    assert account.plan(path).is_empty


def test_value_the_api_already_has_is_not_a_change(account: Account, client: CallrClient,
                                                   manifest: Write) -> None:
    client.apps_create("CALLTRACKING10", "a", None)
    client.apps_create("CLICKTOCALL10", "b", None)
    client.apps_create("REALTIME10", "c", None)
    path = manifest("""
        version: 1
        apps:
          a:
            package: CALLTRACKING10
            params:
              options: {feeds: both, record_calls: false, ner: true}
              vms: {active: false, timeout: 120, file_format: mp3}
              targets: []
          b:
            package: CLICKTOCALL10
            params:
              options: {A_attempts: 1, A_retrypause: 30,
                        A_vms_detect: {method: SILENCE, silence_ms: 1800, silence_timeout: 3}}
          c: {package: REALTIME10, params: {data_format: JSON}}
    """)
    plan = account.plan(path)
    assert plan.is_empty, render_plan(plan)


def test_number_formats_are_normalized(account: Account, client: CallrClient,
                                       manifest: Write) -> None:
    client.apps_create("CALLTRACKING10", "a", {"targets": [{"number": "+33123456789"}]})
    path = manifest("""
        version: 1
        apps:
          a:
            package: CALLTRACKING10
            params: {targets: [{number: "+33 1 23 45 67 89"}]}
        numbers:
          "+33 1 99 00 00 01": a
          "+33.1.99.00.00.02": null
    """)
    plan = account.plan(path)
    assert [(c.address, c.action) for c in plan.changes] == [
        ("number.+33199000001", Action.ASSIGN)]
    account.converge(path)
    assert account.plan(path).is_empty


def test_secret_change_is_sensitive_everywhere(account: Account, manifest: Write) -> None:
    text = """
        version: 1
        apps:
          bot: {package: REALTIME10, params: {url: "https://b.example.com", password: first-pw}}
    """
    account.converge(manifest(text))
    assert account.plan(manifest(text)).is_empty
    plan = account.plan(manifest(text.replace("first-pw", "second-pw")))
    (change,) = plan.changes
    (field,) = change.fields
    assert (field.path, field.sensitive) == ("params.password", True)
    assert isinstance(field.old, Secret) and isinstance(field.new, Secret)
    out = render_plan(plan)
    assert "params.password: (sensitive) -> (sensitive)" in out
    assert "first-pw" not in out and "second-pw" not in out
    assert "first-pw" not in repr(plan) and "second-pw" not in repr(plan)


DUP = """
    version: 1
    apps: {dup: {package: ACTIONS10, params: {script: {branches: {
        x: {actions: [{action: hangup@v1}]}}}}}}
"""


def assign(client: CallrClient, app_hash: str, number: str) -> None:
    dids = {d["intl_number"]: d["hash"] for d in client.apps_get_dids(False)}
    client.apps_assign_did(app_hash, dids[number])


def test_duplicate_apps_are_removed_keeping_the_one_with_numbers(
        account: Account, client: CallrClient, manifest: Write) -> None:
    """Two applies at once leave two apps of one name; the number ended on one of them."""
    one = client.apps_create("ACTIONS10", "dup", None)["hash"]
    two = client.apps_create("ACTIONS10", "dup", None)["hash"]
    assign(client, two, "+33199000001")
    path = manifest(DUP + '    numbers: {"+33199000001": dup}\n')
    plan = account.plan(path)
    deletes = [c for c in plan.changes if c.action is Action.DELETE]
    assert [(c.address, c.summary) for c in deletes] == [("app.dup", f"duplicate ACTIONS10 {one}")]
    assert deletes[0].notes[0].startswith("duplicate: 2 apps share this identity")
    assert f"{two} is kept" in deletes[0].notes[0]
    assert f"- app.dup  duplicate ACTIONS10 {one}" in render_plan(plan)
    account.converge(path)
    assert [app["hash"] for app in live_apps(client)["dup"]] == [two]
    assert account.plan(path).is_empty


def test_duplicate_apps_without_numbers_keep_the_oldest(
        account: Account, client: CallrClient, manifest: Write) -> None:
    hashes = [client.apps_create("ACTIONS10", "dup", None)["hash"] for _ in range(3)]
    path = manifest(DUP)
    plan = account.plan(path)
    assert sorted(c.summary for c in plan.changes if c.action is Action.DELETE) == sorted(
        f"duplicate ACTIONS10 {h}" for h in hashes[1:])
    account.converge(path)
    assert [app["hash"] for app in live_apps(client)["dup"]] == hashes[:1]
    assert account.plan(path).is_empty


def test_duplicate_apps_that_both_hold_numbers_are_a_plan_error(
        account: Account, client: CallrClient, emulator: Emulator, manifest: Write) -> None:
    one = client.apps_create("ACTIONS10", "dup", None)["hash"]
    two = client.apps_create("ACTIONS10", "dup", None)["hash"]
    assign(client, one, "+33199000001")
    assign(client, two, "+33199000002")
    before = emulator.snapshot()
    with pytest.raises(PlanError) as info:
        account.plan(manifest(DUP))
    message = str(info.value)
    assert "dup" in message and one in message and two in message
    assert emulator.snapshot() == before, "a PlanError stops before any write"


def test_package_change_replaces(account: Account, client: CallrClient,
                                 manifest: Write) -> None:
    account.converge(manifest("""
        version: 1
        apps: {a: {package: ACTIONS10, params: {script: {branches: {
            x: {actions: [{action: hangup@v1}]}}}}}}
    """))
    old = live_apps(client)["a"][0]["hash"]
    path = manifest("""
        version: 1
        apps: {a: {package: REALTIME10, params: {url: "https://x.example.com"}}}
    """)
    plan = account.plan(path)
    assert [(c.address, c.action) for c in plan.changes] == [
        ("app.a", Action.REPLACE), ("app.a", Action.DELETE)]
    replace, delete = plan.changes
    assert replace.notes == (f"replaces ACTIONS10 app {old}: a package cannot be edited",)
    assert [c.method for c in replace.calls] == ["apps.create"]
    assert delete.calls[0].kwargs() == {"hash": old}
    out = render_plan(plan)
    assert "  -/+ app.a  REALTIME10" in out and f"  - app.a  ACTIONS10 {old}" in out
    account.converge(path)
    assert [a["package"]["name"] for a in live_apps(client)["a"]] == ["REALTIME10"]
    assert account.plan(path).is_empty


def test_interrupted_replace_converges(account: Account, client: CallrClient,
                                       emulator: Emulator, manifest: Write) -> None:
    account.converge(manifest("""
        version: 1
        apps: {a: {package: ACTIONS10}}
    """))
    path = manifest("""
        version: 1
        apps: {a: {package: REALTIME10}}
    """)
    emulator.faults.fail("apps.delete")
    _, report = account.apply(path)
    assert not report.ok
    assert sorted(a["package"]["name"] for a in live_apps(client)["a"]) == [
        "ACTIONS10", "REALTIME10"]
    account.converge(path)
    assert [a["package"]["name"] for a in live_apps(client)["a"]] == ["REALTIME10"]


def test_lost_create_response_creates_no_duplicate(account: Account, client: CallrClient,
                                                   emulator: Emulator,
                                                   manifest: Write) -> None:
    path = manifest("""
        version: 1
        apps:
          a: {package: ACTIONS10, params: {script: {branches: {
              x: {actions: [{action: hangup@v1}]}}}}}
          b: {package: ACTIONS10, params: {script: {branches: {
              y: {actions: [{action: hangup@v1}]}}}}}
        numbers: {"+33199000001": a}
    """)
    emulator.faults.lose_response("apps.create")
    _, report = account.apply(path)
    # The create happened though its answer was lost: apply re-reads the apps, adopts app a
    # (its hash feeds the number's assignment) and does not create it twice.
    assert report.ok
    [lost] = [s for s in report.steps if s.recovered]
    assert lost.change.address == "app.a"
    assert {name: len(found) for name, found in live_apps(client).items()} == {"a": 1, "b": 1}
    assert account.plan(path).is_empty



def test_absent_app_that_does_not_exist_is_no_change(account: Account,
                                                     manifest: Write) -> None:
    path = manifest("""
        version: 1
        apps: {gone: {package: ACTIONS10, absent: true}}
    """)
    assert account.plan(path).is_empty


def test_apps_outside_the_manifest_are_left_alone(account: Account, client: CallrClient,
                                                  manifest: Write) -> None:
    other = client.apps_create("REALTIME10", "not-managed", None)["hash"]
    path = manifest("""
        version: 1
        apps: {a: {package: ACTIONS10}}
    """)
    plan = account.plan(path)
    assert [(c.address, c.action) for c in plan.changes] == [("app.a", Action.CREATE)]
    account.converge(path)
    assert client.apps_get(other)["name"] == "not-managed"
    assert account.plan(path).is_empty
