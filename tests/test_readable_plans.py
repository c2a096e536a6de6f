"""Plans a reviewer can read: targeted routing impact, refs shown as "known after apply",
unmanaged apps by name, drift told apart from the pull request's own changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from provisioner.api.client import CallrClient
from provisioner.manifest.desired import load
from provisioner.planning.engine import build_plan
from provisioner.planning.outside import changed_outside
from provisioner.planning.plan import Ref
from tests.conftest import Account
from tests.terminal import run

Write = Callable[..., Path]
SCENARIO = "{branches: {main: {actions: [{action: hangup@v1}]}}}"
"""A valid Callr Actions scenario (ACTIONS10 params are checked)."""

BASE = """\
version: 1
apps:
  support-line:
    package: CALLTRACKING10
    params: {targets: [{number: "+33123456789", timeout: 30}]}
  bot:
    package: REALTIME10
    params: {url: "https://bot.example.com/a", login: bot}
numbers:
  "+33199000001": support-line
  "+33199000002": bot
"""


def did_hash(client: CallrClient, number: str) -> str:
    (did,) = [d for d in client.apps_get_dids(False) if d["intl_number"] == number]
    return str(did["hash"])


def app_hash(client: CallrClient, name: str) -> str:
    (app,) = [a for a in client.apps_get_list(False) if a["name"] == name]
    return str(app["hash"])


def test_targeted_routing_shows_only_what_will_run(account: Account, client: CallrClient,
                                                   manifest: Write) -> None:
    account.converge(manifest(BASE))
    client.apps_assign_did(app_hash(client, "support-line"), did_hash(client, "+33199000002"))
    changed = manifest(BASE.replace("+33123456789", "+33123456780"))
    full = account.plan(changed)
    assert {r.number for r in full.routing} == {"+33199000001", "+33199000002"}
    targeted = build_plan(load([changed], {}), client, "test", targets=["apps.support-line"])
    assert [c.address for c in targeted.changes] == ["app.support-line"]
    routes = {r.number: r.after for r in targeted.routing}
    assert routes == {n: "app support-line (CALLTRACKING10) -> targets +33123456780"
                      for n in ("+33199000001", "+33199000002")}, \
        "the drifted number stays on support-line: the targeted apply does not move it"
    only_bot = build_plan(load([changed], {}), client, "test", targets=["apps.bot"])
    assert only_bot.changes == () and only_bot.routing == ()


WITH_MEDIA = """\
version: 1
media:
  greeting: {tts: {text: "Hello", voice: TTS_EN-GB_SERENA}}
apps:
  support-line:
    package: CALLTRACKING10
    params:
      targets: [{number: "+33123456789"}]
      medias: {welcome: greeting}
"""


def test_values_known_after_apply_read_as_terraform_shows_them(manifest: Write,
                                                               tmp_path: Path) -> None:
    path = manifest(WITH_MEDIA)
    for fmt in ("text", "markdown"):
        result = run("plan", path, "--sandbox-state", tmp_path / "sb.json", "--format", fmt)
        assert result.exit_code == 0, result.stderr
        assert "params.medias.welcome" in result.stdout
        assert "(known after apply: media greeting)" in result.stdout
        assert "$ref" not in result.stdout and "media.greeting:create" not in result.stdout
    machine = run("plan", path, "--sandbox-state", tmp_path / "sb.json", "--format", "json")
    assert '"$ref": "media.greeting:create"' in machine.stdout, "JSON keeps the reference"


def test_known_after_apply_names_the_sub_account() -> None:
    assert Ref('subaccount["Client A"].app["my app"]:create', ("hash",)).describe() == \
        "(known after apply: app my app in sub-account Client A)"
    assert Ref("media.greeting:create").describe() == "(known after apply: media greeting)"


def test_an_unmanaged_app_is_named_everywhere(account: Account, client: CallrClient,
                                              manifest: Write, tmp_path: Path) -> None:
    account.converge(manifest(BASE))
    rogue = client.apps_create("CALLTRACKING10", "rogue-app", {})
    client.apps_assign_did(str(rogue["hash"]), did_hash(client, "+33199000002"))
    plan = account.plan(manifest(BASE))
    [number] = plan.changes
    assert number.summary == "rogue-app -> bot"
    [route] = plan.routing
    assert route.before == "app rogue-app (CALLTRACKING10)"
    assert str(rogue["hash"]) not in str(plan.to_dict()["changes"])


def test_plan_base_separates_drift_from_the_pull_requests_changes(
        client: CallrClient, manifest: Write, tmp_path: Path) -> None:
    state = tmp_path / "sb.json"
    base = manifest(BASE, "base/manifests/apps.yaml").parent
    assert run("apply", base, "--yes", "--sandbox-state", state).exit_code == 0
    head = manifest(BASE.replace("+33123456789", "+33123456780")
                    + "  # a comment moves nothing\n", "head/manifests/apps.yaml").parent
    manifest("version: 1\napps: {desk: {package: ACTIONS10, params: {script: "
             + SCENARIO + "}}}\n", "head/manifests/desk.yaml")
    drift = run("plan", "--sandbox-state", state, base)
    assert drift.exit_code == 0 and "No changes" in drift.stdout
    # by hand, on the account: the bot's URL and the number of the bot
    hands = ["--sandbox-state", state]
    edited = manifest(BASE.replace("bot.example.com/a", "bot.example.com/HAND")
                      .replace('"+33199000002": bot', '"+33199000002": support-line'))
    assert run("apply", edited, "--yes", "--force", *hands).exit_code == 0

    text = run("plan", head, "--base", base, "--detailed-exitcode", *hands)
    assert text.exit_code == 2, text.stderr
    outside, own = text.stdout.split("Changed by the manifests:")
    assert "Changed outside the manifests (apply changes them back):" in outside
    assert "~ app.bot" in outside and "~ number.+33199000002" in outside
    assert "app.support-line" not in outside and "app.desk" not in outside
    assert "+ app.desk" in own and "~ app.support-line" in own and "app.bot" not in own
    assert ("2 objects changed outside the manifests: app.bot (1 field), number.+33199000002 "
            "(reassign). 2 objects changed by the manifests:") in text.stderr

    markdown = run("plan", head, "--base", base, "--format", "markdown", *hands).stdout
    outside, own = markdown.split("#### Changed by the manifests")
    assert "#### Changed outside the manifests" in outside and "`app.bot`" in outside
    assert "`app.desk`" in own and "`app.bot`" not in own
    assert "4 changes (2 outside the manifests)" in markdown

    machine = run("plan", head, "--base", base, "--format", "json", *hands).stdout
    assert '"changed_outside": [\n    "app.bot",\n    "number.+33199000002"\n  ]' in machine

    plain = run("plan", head, "--detailed-exitcode", *hands)
    assert "drifted" not in plain.stderr and "Changed outside" not in plain.stdout
    assert "4 objects differ from the manifests" in plain.stderr


def test_pruned_objects_are_outside_unless_the_policy_changed(
        account: Account, client: CallrClient, manifest: Write) -> None:
    head = load([manifest(BASE + "policy: {prune: [apps]}\n")], {})
    account.converge(manifest(BASE))
    client.apps_create("CALLTRACKING10", "rogue-app", {})
    plan = build_plan(head, client, "test")
    assert [c.address for c in plan.changes] == ["app.rogue-app"]
    assert changed_outside(plan, head, head) == ("app.rogue-app",)
    assert changed_outside(plan, head, load([manifest(BASE)], {})) == (), "the PR prunes"


def test_a_var_only_the_pull_request_uses_is_fine_with_base(manifest: Write,
                                                            tmp_path: Path) -> None:
    base = manifest(BASE, "base/apps.yaml").parent
    head = manifest(BASE.replace("https://bot.example.com/a", "https://${var:bot_host}/a"),
                    "head/apps.yaml").parent
    result = run("plan", head, "--base", base, "--var", "bot_host=bot.example.com",
                 "--sandbox-state", tmp_path / "sb.json")
    assert result.exit_code == 0, result.stderr
    assert "--var bot_host" not in result.stderr
