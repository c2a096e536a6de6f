"""--target: a plan limited to some objects and, transitively, what their calls refer to."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from terminal import run

from provisioner.api.client import CallrClient
from provisioner.errors import ConfigError
from provisioner.manifest.desired import load
from provisioner.planning.engine import apply_plan, build_plan
from provisioner.planning.targeting import available, resolve

Write = Callable[..., Path]
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

MANIFEST = """\
version: 1
media:
  welcome: {tts: {text: Hello, voice: TTS_EN-GB_SERENA}}
apps:
  desk:
    package: CALLTRACKING10
    params: {medias: {welcome: welcome}}
  bot: {package: ACTIONS10}
  my app: {package: ACTIONS10}
numbers:
  "+33199000001": desk
  "+33199000002": bot
webhooks:
  - {type: call.inbound_hangup, endpoint: "https://hooks.example.com/h"}
sip:
  subscribers:
    desk-1: {}
subaccounts:
  Client A:
    account: {firstname: Jane, lastname: Doe}
    contact: {emails: [ops@client.example], phones: ["+33612345670"]}
    resources:
      apps: {orders: {package: ACTIONS10}}
"""


def addresses(manifest_path: Path, client: CallrClient, *targets: str) -> list[str]:
    plan = build_plan(load([manifest_path], env={}), client, "t", targets=targets)
    return [change.address for change in plan.changes]


def test_a_number_brings_its_app_and_the_apps_media(manifest: Write,
                                                     client: CallrClient) -> None:
    path = manifest(MANIFEST)
    assert addresses(path, client, 'numbers.+33199000001') == [
        "media.welcome", "app.desk", "number.+33199000001"]


def test_an_app_alone_brings_no_number(manifest: Write, client: CallrClient) -> None:
    path = manifest(MANIFEST)
    assert addresses(path, client, "apps.bot") == ["app.bot"]
    assert addresses(path, client, "apps.bot", "webhooks.call.inbound_hangup->"
                     "https://hooks.example.com/h") == [
        "app.bot", "webhook.call.inbound_hangup->https://hooks.example.com/h"]


def test_quoted_and_plain_names(manifest: Write, client: CallrClient) -> None:
    path = manifest(MANIFEST)
    assert addresses(path, client, 'apps."my app"') == ['app["my app"]']
    assert addresses(path, client, "apps.my app") == ['app["my app"]']
    assert addresses(path, client, "sip.subscribers.desk-1") == ["sip_subscriber.desk-1"]


def test_subaccount_targets(manifest: Write, client: CallrClient) -> None:
    path = manifest(MANIFEST)
    whole = addresses(path, client, "subaccounts.Client A")
    assert whole == ['subaccount["Client A"]', 'subaccount["Client A"].app.orders']
    # one resource of a sub-account created by this plan brings the sub-account (Login-As)
    assert addresses(path, client, "subaccounts.Client A.apps.orders") == whole


def test_targets_after_apply_and_a_targeted_apply(manifest: Write,
                                                  client: CallrClient) -> None:
    path = manifest(MANIFEST)
    plan = build_plan(load([path], env={}), client, "t", targets=["numbers.+33199000002"])
    assert [c.address for c in plan.changes] == ["app.bot", "number.+33199000002"]
    assert apply_plan(plan, client).ok
    # only those were applied: the rest still shows, the targeted ones are in sync
    assert addresses(path, client, "numbers.+33199000002") == []
    rest = addresses(path, client)
    assert "app.bot" not in rest and "app.desk" in rest
    # an app that exists now is not re-planned for a number that moves to it
    path.write_text(MANIFEST.replace('"+33199000001": desk', '"+33199000001": bot'))
    assert addresses(path, client, "numbers.+33199000001") == ["number.+33199000001"]


@pytest.mark.parametrize(("printed", "manifest_form"), [
    ("app.bot", "apps.bot"), ("number.+33199000001", "numbers.+33199000001"),
    ("sip_subscriber.desk-1", "sip.subscribers.desk-1"), ("media.welcome", "media.welcome"),
    ('app["my app"]', 'apps."my app"'),
    ("webhook.call.inbound_hangup->https://hooks.example.com/h",
     "webhooks.call.inbound_hangup->https://hooks.example.com/h"),
    ('subaccount["Client A"]', "subaccounts.Client A"),
    ('subaccount["Client A"].app.orders', "subaccounts.Client A.apps.orders"),
])
def test_targets_accept_the_addresses_plans_print(manifest: Write, client: CallrClient,
                                                  printed: str, manifest_form: str) -> None:
    path = manifest(MANIFEST)
    selected = addresses(path, client, printed)
    assert selected == addresses(path, client, manifest_form)
    assert printed in selected, "the address printed by the plan selects its own change"


def test_every_address_a_plan_prints_is_a_target(manifest: Write, client: CallrClient) -> None:
    path = manifest(MANIFEST)
    for address in addresses(path, client):
        assert address in addresses(path, client, address)


def test_unknown_targets_with_hints(manifest: Write) -> None:
    desired = load([manifest(MANIFEST)], env={})
    with pytest.raises(ConfigError) as info:
        resolve(desired, ["apps.bto", "numbers.+33199000009", "apps.bot", "nonsense"])
    message = str(info.value)
    assert "unknown target 'apps.bto' (did you mean 'apps.bot'?)" in message
    assert "unknown target 'numbers.+33199000009' (did you mean 'numbers.+3319900000" in message
    assert "unknown target 'nonsense'. A target is SECTION.NAME" in message
    assert message.count("unknown target") == 3  # apps.bot is known


def test_available_lists_every_section(manifest: Write) -> None:
    offered = set(available(load([manifest(MANIFEST)], env={})))
    assert {"apps.desk", "apps.bot", 'apps."my app"', "apps.my app", "media.welcome",
            "numbers.+33199000001", "sip.subscribers.desk-1", "subaccounts.Client A",
            'subaccounts."Client A"', "subaccounts.Client A.apps.orders",
            "webhooks.call.inbound_hangup->https://hooks.example.com/h"} <= offered


def test_trunk_targets() -> None:
    desired = load([EXAMPLES / "sip"], env={})
    offered = available(desired)
    trunks = sorted(t for t in offered if t.startswith("sip.trunks."))
    assert trunks and all(offered[t].address.startswith("sip_trunk.") for t in trunks)


def test_cli_target_and_unknown_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       manifest: Write) -> None:
    for var in ("CALLR_API_KEY", "CALLR_LOGIN", "CALLR_PASSWORD", "CALLR_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    path = manifest(MANIFEST)
    state = tmp_path / "sb" / "state.json"
    ok = run("plan", path, "--target", "numbers.+33199000002", "--sandbox",
             "--sandbox-state", state)
    assert ok.exit_code == 0, ok.output
    assert "+ app.bot" in ok.stdout and "number.+33199000002" in ok.stdout
    assert "app.desk" not in ok.stdout and "media.welcome" not in ok.stdout
    bad_state = tmp_path / "never" / "state.json"
    bad = run("plan", path, "--target", "apps.dsk", "--sandbox", "--sandbox-state", bad_state)
    assert bad.exit_code == 1
    assert "unknown target 'apps.dsk' (did you mean 'apps.desk'?)" in bad.stderr
    assert not bad_state.parent.exists()  # failed before opening the account
    checked = run("validate", path, "--target", "apps.nope")
    assert checked.exit_code == 1 and "unknown target 'apps.nope'" in checked.stderr


def test_a_targeted_replace_brings_the_moves_of_its_numbers(manifest: Write,
                                                             client: CallrClient) -> None:
    before = manifest("""\
        version: 1
        apps: {desk: {package: ACTIONS10, params: {script: {branches: {
            inbound-call: {actions: [{action: hangup@v1}]}}}}}}
        numbers: {"+33199000001": desk, "+33199000002": desk}
    """)
    apply_plan(build_plan(load([before], env={}), client, "t"), client)
    after = manifest("""\
        version: 1
        apps: {desk: {package: REALTIME10, params: {url: "https://bot.example.com"}}}
        numbers: {"+33199000001": desk, "+33199000002": desk}
        webhooks:
          - {type: call.inbound_hangup, endpoint: "https://hooks.example.com/h"}
    """)
    # Without the reassignments, deleting the old app would leave both numbers with no app.
    assert addresses(after, client, "apps.desk") == [
        "app.desk", "number.+33199000001", "number.+33199000002", "app.desk"]
    targeted = build_plan(load([after], env={}), client, "t", targets=("apps.desk",))
    assert apply_plan(targeted, client).ok
    rest = build_plan(load([after], env={}), client, "t")
    assert [c.address for c in rest.changes] == [
        "webhook.call.inbound_hangup->https://hooks.example.com/h"]
