"""The webhooks kind against the in-process emulator: plan, apply, converge, redact."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.emulator import Emulator
from provisioner.errors import ManifestError, PlanError
from provisioner.manifest.desired import load
from provisioner.planning.plan import Action, Plan
from provisioner.render import RENDERERS
from provisioner.resources.base import PlanContext
from provisioner.resources.webhooks import WebhookKind
from provisioner.sensitive import Secret

Write = Callable[..., Path]
HOOK = "https://hooks.example.com/callr"
ADDRESS = f"webhook.call.inbound_hangup->{HOOK}"
SECRET_A = "wh-secret-Alpha-7f3c91"
SECRET_B = "wh-secret-Bravo-e24d08"


def hooks(client: CallrClient) -> list[dict[str, Any]]:
    return sorted(client.webhooks_get_list(), key=lambda h: (h["type"], h["endpoint"]))


def one_hook(write: Write, *, options: str = "", absent: bool = False,
             hook_type: str = "call.inbound_hangup", endpoint: str = HOOK) -> Path:
    lines = ["version: 1", "webhooks:", f"  - type: {hook_type}", f"    endpoint: {endpoint}"]
    if options:
        lines.append(f"    options: {options}")
    if absent:
        lines.append("    absent: true")
    return write("\n".join(lines) + "\n", name="webhooks.yaml")


def test_create_then_plan_is_empty(account: Any, client: CallrClient, manifest: Write) -> None:
    path = one_hook(manifest, options=f"{{hmac_algo: SHA256, hmac_secret: {SECRET_A}}}")
    plan = account.converge(path)
    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.CREATE)]
    assert [c.method for c in plan.calls()] == ["webhooks.subscribe"]
    live = hooks(client)
    assert len(live) == 1
    assert live[0]["type"] == "call.inbound_hangup" and live[0]["endpoint"] == HOOK
    assert live[0]["options"]["hmac_algo"] == "SHA256"
    assert live[0]["options"]["hmac_secret"] == SECRET_A
    assert account.plan(path).is_empty


def test_create_without_options_sends_null(account: Any, client: CallrClient,
                                           manifest: Write) -> None:
    plan = account.converge(one_hook(manifest))
    (call,) = plan.calls()
    assert call.kwargs()["options"] is None
    assert hooks(client)[0]["options"]["format"] == "JSON"


def test_options_change_by_unsubscribe_then_subscribe(account: Any, client: CallrClient,
                                                       manifest: Write) -> None:
    """webhooks.update is unconfirmed (no public client calls it): a change re-subscribes."""
    account.converge(one_hook(manifest, options="{hmac_algo: SHA1}"))
    (before,) = hooks(client)
    path = one_hook(manifest, options="{hmac_algo: SHA512}")
    plan = account.converge(path)
    (change,) = plan.changes
    assert change.action is Action.REPLACE and change.address == ADDRESS
    assert [(f.path, f.old, f.new) for f in change.fields] == [
        ("options.hmac_algo", "SHA1", "SHA512")
    ]
    assert [(c.method, c.kwargs().get("hash")) for c in change.calls] == [
        ("webhooks.unsubscribe", before["hash"]), ("webhooks.subscribe", None)]
    assert any("new hash" in note for note in change.notes)
    (after,) = hooks(client)
    assert after["options"]["hmac_algo"] == "SHA512"
    assert account.plan(path).is_empty


def test_update_keeps_live_options_the_manifest_omits(account: Any, client: CallrClient,
                                                      manifest: Write) -> None:
    account.converge(one_hook(manifest, options=f"{{hmac_algo: SHA1, hmac_secret: {SECRET_A}}}"))
    account.converge(one_hook(manifest, options="{hmac_algo: MD5}"))
    (after,) = hooks(client)
    assert after["options"] == {"format": "JSON", "hmac_algo": "MD5", "hmac_secret": SECRET_A}


def test_unmentioned_webhooks_are_left_alone(account: Any, client: CallrClient,
                                             manifest: Write) -> None:
    other = client.call("webhooks.subscribe", type="sms.mo", endpoint="https://other.example/mo",
                        options=None)
    assert account.converge(one_hook(manifest)).changes
    assert {h["hash"] for h in hooks(client)} >= {other["hash"]}
    assert len(hooks(client)) == 2


def test_absent_unsubscribes_and_converges(account: Any, client: CallrClient,
                                           manifest: Write) -> None:
    account.converge(one_hook(manifest))
    keep = client.call("webhooks.subscribe", type="sms.mo", endpoint=HOOK, options=None)
    path = one_hook(manifest, absent=True)
    plan = account.converge(path)
    assert [(c.address, c.action) for c in plan.changes] == [(ADDRESS, Action.DELETE)]
    assert [c.method for c in plan.calls()] == ["webhooks.unsubscribe"]
    assert [h["hash"] for h in hooks(client)] == [keep["hash"]]
    assert account.plan(path).is_empty


def test_secret_change_is_a_sensitive_update_and_never_shown(
    account: Any, client: CallrClient, manifest: Write, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account.converge(one_hook(manifest, options=f"{{hmac_algo: SHA256, hmac_secret: {SECRET_A}}}"))
    path = one_hook(manifest, options=f"{{hmac_algo: SHA256, hmac_secret: {SECRET_B}}}")
    plan = account.converge(path)
    (change,) = plan.changes
    assert change.action is Action.REPLACE
    (field,) = change.fields
    assert field.path == "options.hmac_secret" and field.sensitive
    assert field.old == Secret(SECRET_A) and field.new == Secret(SECRET_B)
    assert hooks(client)[0]["options"]["hmac_secret"] == SECRET_B
    assert account.plan(path).is_empty
    outputs = [render(plan) for render in RENDERERS.values()]
    outputs.append(json.dumps(plan.to_dict()))
    outputs.append(caplog.text)
    outputs.extend(str(r.args) for r in caplog.records)
    assert "-> webhooks.subscribe" in caplog.text  # the RPC layer's DEBUG log was captured
    for output in outputs:
        assert SECRET_A not in output and SECRET_B not in output
    assert "(sensitive)" in RENDERERS["text"](plan)


def test_secret_in_create_is_redacted(account: Any, manifest: Write) -> None:
    plan = account.plan(one_hook(manifest, options=f"{{hmac_secret: {SECRET_A}}}"))
    (field,) = plan.changes[0].fields
    assert field.sensitive
    for render in RENDERERS.values():
        assert SECRET_A not in render(plan)
    assert SECRET_A not in json.dumps(plan.to_dict())


def test_live_secret_missing_plans_an_update_that_sets_it(
    account: Any, client: CallrClient, manifest: Write
) -> None:
    client.call("webhooks.subscribe", type="call.inbound_hangup", endpoint=HOOK, options=None)
    path = one_hook(manifest, options=f"{{hmac_secret: {SECRET_A}}}")
    plan = account.converge(path)
    (change,) = plan.changes
    assert change.action is Action.REPLACE
    (field,) = change.fields
    assert field.sensitive and field.old is None and field.new == Secret(SECRET_A)
    assert any("secret is set" in note for note in change.notes)
    assert SECRET_A not in RENDERERS["text"](plan)
    assert hooks(client)[0]["options"]["hmac_secret"] == SECRET_A
    assert account.plan(path).is_empty


def test_unknown_event_type_is_a_plan_error_before_any_write(
    account: Any, client: CallrClient, emulator: Emulator, manifest: Write
) -> None:
    path = manifest(f"""\
        version: 1
        webhooks:
          - type: sms.mo
            endpoint: {HOOK}
          - type: call.inbound_hangpu
            endpoint: {HOOK}
        """)
    before = emulator.snapshot()
    with pytest.raises(PlanError) as caught:
        account.plan(path)
    (message,) = caught.value.messages
    assert "unknown event type 'call.inbound_hangpu'" in message
    assert "did you mean 'call.inbound_hangup'?" in message
    assert "webhook.call.inbound_hangpu->" in message
    assert ":5:" in message  # the entry's line in the file
    assert emulator.snapshot() == before
    assert hooks(client) == []


def test_unknown_type_without_close_match_points_to_the_list(account: Any,
                                                             manifest: Write) -> None:
    with pytest.raises(PlanError, match=r"webhooks\.get_event_types"):
        account.plan(one_hook(manifest, hook_type="zzz.qqq"))


def test_types_checked_against_documented_list_without_reader(manifest: Write) -> None:
    desired = load([one_hook(manifest, hook_type="call.inbound_hangpu")], {})
    ctx = PlanContext({})
    assert WebhookKind().plan(desired, ctx) == []
    assert len(ctx.errors) == 1 and "did you mean 'call.inbound_hangup'" in ctx.errors[0]
    ok = load([one_hook(manifest)], {})
    ctx = PlanContext({})
    (change,) = WebhookKind().plan(ok, ctx)
    assert change.action is Action.CREATE and not ctx.errors


def test_duplicate_live_webhooks_are_removed_keeping_the_oldest(
        account: Any, client: CallrClient, manifest: Write) -> None:
    made = [client.call("webhooks.subscribe", type="call.inbound_hangup", endpoint=HOOK,
                        options=None)["hash"] for _ in range(2)]
    path = one_hook(manifest, options="{hmac_algo: SHA1}")
    plan = account.plan(path)
    assert [(c.action, c.summary.startswith("duplicate")) for c in plan.changes] == [
        (Action.REPLACE, False), (Action.DELETE, True)]  # deletes come last
    assert f"{made[0]} is kept" in plan.changes[1].notes[0]
    assert plan.changes[0].calls[0].kwargs()["hash"] == made[0]  # re-subscribed for SHA1
    account.converge(path)
    (kept,) = hooks(client)
    assert kept["options"]["hmac_algo"] == "SHA1" and kept["hash"] not in made[1:]
    assert account.plan(path).is_empty


def test_an_absent_entry_removes_every_copy(account: Any, client: CallrClient,
                                            manifest: Write) -> None:
    for _ in range(2):
        client.call("webhooks.subscribe", type="call.inbound_hangup", endpoint=HOOK, options=None)
    plan = account.converge(one_hook(manifest, absent=True))
    assert [c.action for c in plan.changes] == [Action.DELETE, Action.DELETE]
    assert hooks(client) == []


def test_env_substitution_of_the_secret(account: Any, client: CallrClient,
                                        manifest: Write) -> None:
    account.env = {"HOOK_SECRET": SECRET_A}
    path = one_hook(manifest, options='{hmac_algo: SHA256, hmac_secret: "${env:HOOK_SECRET}"}')
    account.converge(path)
    assert hooks(client)[0]["options"]["hmac_secret"] == SECRET_A
    assert account.plan(path).is_empty
    account.env = {}
    with pytest.raises(ManifestError) as caught:
        account.plan(path)
    assert "environment variable HOOK_SECRET is not set" in str(caught.value.problems)


def test_loopback_http_endpoint_is_allowed(account: Any, client: CallrClient,
                                           manifest: Write) -> None:
    path = one_hook(manifest, endpoint="http://127.0.0.1:8080/hook")
    plan = account.converge(path)
    assert plan.changes[0].address == "webhook.call.inbound_hangup->http://127.0.0.1:8080/hook"
    assert hooks(client)[0]["endpoint"] == "http://127.0.0.1:8080/hook"
    assert account.plan(path).is_empty


@pytest.mark.parametrize("method", ["webhooks.subscribe", "webhooks.unsubscribe"])
def test_lost_response_converges_without_duplicates(
    account: Any, client: CallrClient, emulator: Emulator, manifest: Write, method: str
) -> None:
    if method == "webhooks.unsubscribe":
        account.converge(one_hook(manifest, options="{hmac_algo: SHA1}"))
    path = one_hook(manifest, options=f"{{hmac_algo: SHA256, hmac_secret: {SECRET_A}}}")
    emulator.faults.lose_response(method)
    _, report = account.apply(path)
    assert report.ok and [s.recovered for s in report.steps] == [1]
    (live,) = hooks(client)
    assert live["options"]["hmac_algo"] == "SHA256"
    assert account.plan(path).is_empty


def test_failed_call_stops_and_next_apply_converges(account: Any, client: CallrClient,
                                                    emulator: Emulator, manifest: Write) -> None:
    path = manifest(f"""\
        version: 1
        webhooks:
          - {{type: sms.mo, endpoint: {HOOK}}}
          - {{type: did.assigned, endpoint: {HOOK}}}
        """)
    emulator.faults.fail("webhooks.subscribe", skip=1)
    _, report = account.apply(path)
    assert not report.ok
    assert len(hooks(client)) == 1
    plan = account.converge(path)
    assert [c.address for c in plan.changes] == [f"webhook.did.assigned->{HOOK}"]
    assert len(hooks(client)) == 2
    assert account.plan(path).is_empty


def test_plan_is_deterministic(account: Any, manifest: Write) -> None:
    path = manifest(f"""\
        version: 1
        webhooks:
          - {{type: sms.mo, endpoint: {HOOK}, options: {{hmac_secret: {SECRET_A}}}}}
          - {{type: did.assigned, endpoint: {HOOK}}}
        """)
    first: Plan = account.plan(path)
    assert first.to_dict() == account.plan(path).to_dict()
    assert [c.address for c in first.changes] == [f"webhook.sms.mo->{HOOK}",
                                                  f"webhook.did.assigned->{HOOK}"]


def test_example_converges(account: Any) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "webhooks"
    account.converge(example)
    assert account.plan(example).is_empty


def test_reads_nothing_without_webhooks_and_one_call_with_them(
    account: Any, client: CallrClient, manifest: Write, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="provisioner.api.rpc")
    account.plan(manifest("version: 1\napps: {}\n"))
    sent = [r.getMessage().split()[1] for r in caplog.records if r.getMessage().startswith("->")]
    assert "webhooks.get_list" not in sent
    assert "webhooks.get_event_types" not in sent
    caplog.clear()
    account.plan(one_hook(manifest))
    sent = [r.getMessage().split()[1] for r in caplog.records if r.getMessage().startswith("->")]
    assert sent.count("webhooks.get_list") == 1 and sent.count("webhooks.get_event_types") == 1


def test_webhook_in_a_subaccount_created_by_the_same_plan(account: Any, manifest: Write) -> None:
    path = manifest(f"""\
        version: 1
        subaccounts:
          Acme:
            contact: {{emails: [ops@acme.example]}}
            resources:
              webhooks:
                - type: call.inbound_hangup
                  endpoint: {HOOK}
                  options: {{hmac_secret: {SECRET_A}}}
        """)
    plan = account.converge(path)
    assert f'subaccount["Acme"].{ADDRESS}' in [c.address for c in plan.changes]
    assert SECRET_A not in RENDERERS["text"](plan)
    assert account.plan(path).is_empty
