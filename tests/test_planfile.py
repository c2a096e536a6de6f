"""Saved plans (``plan --out``, ``apply PLAN.json``): round trip, secret references, exact calls,
stale and foreign plans refused with nothing written, routing impact, CLI exit codes and colors."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from scenario_text import say
from terminal import run, run_in_pty

from provisioner.api.client import CallrClient
from provisioner.errors import StalePlan
from provisioner.planning import planfile
from provisioner.planning.engine import apply_plan
from provisioner.planning.plan import Action, Plan, RouteChange
from provisioner.render.codec import PlanFileError
from provisioner.sensitive import Secret
from tests.conftest import Account

BEFORE = """
version: 1
subaccounts:
  Acme Corp:
    account: {firstname: Ada, lastname: Lovelace}
    contact: {emails: [ops@acme.example]}
    resources:
      apps:
        desk:
          package: CALLTRACKING10
          params: {targets: [{number: "+33144556677", timeout: 30}]}
apps:
  support:
    package: CALLTRACKING10
    params: {targets: [{number: "+33123456789", timeout: 30}]}
  bot:
    package: REALTIME10
    params: {url: "https://bot.example.com/v1", login: bot, password: "${env:BOT_PASSWORD}"}
  old:
    package: ACTIONS10
    params: {format: YAML, script: "branches: {inbound-call: {actions: [{action: hangup@v1}]}}\\n"}
numbers:
  "+33199000001": support
  "+33199000002": old
  "+33199000003": bot
webhooks:
  - type: call.inbound_hangup
    endpoint: https://hooks.example.com/callr
    options: {hmac_algo: SHA256, hmac_secret: "${env:HOOK_SECRET}"}
"""

AFTER = """
version: 1
subaccounts:
  Acme Corp:
    account: {firstname: Ada, lastname: Lovelace}
    contact: {emails: [ops@acme.example]}
    resources:
      apps:
        desk:
          package: CALLTRACKING10
          params:
            targets: [{number: "+33144556677", timeout: 30}, {number: "+33144556688", timeout: 20}]
apps:
  support:
    package: CALLTRACKING10
    params:
      targets: [{number: "+33123456789", timeout: 30}, {number: "+33198765432", timeout: 20}]
  bot:
    package: REALTIME10
    params: {url: "https://bot.example.com/v2", login: bot, password: "${env:BOT_PASSWORD}"}
  old: {package: ACTIONS10, absent: true}
numbers:
  "+33199000001": support
  "+33199000002": bot
  "+33199000004": support
webhooks:
  - type: call.inbound_hangup
    endpoint: https://hooks.example.com/callr
    options: {hmac_algo: SHA256, hmac_secret: "${env:HOOK_SECRET}"}
"""

BOT_PASSWORD = "bot-pass-7f3a9c"
OLD_HOOK_SECRET = "hook-old-51d2e8"
NEW_HOOK_SECRET = "hook-new-a94b07"
ENV_BEFORE = {"BOT_PASSWORD": BOT_PASSWORD, "HOOK_SECRET": OLD_HOOK_SECRET}
ENV_AFTER = {"BOT_PASSWORD": BOT_PASSWORD, "HOOK_SECRET": NEW_HOOK_SECRET}
ACCOUNT = "sandbox:/tmp/test-account.json"
KEY = b"plan-key-0d9e4c"
KEYED = {"PROVISIONER_PLAN_KEY": KEY.decode()}


@dataclass
class Rich:
    client: CallrClient
    plan: Plan
    after: Path

    def save(self, path: Path) -> Path:
        planfile.save(self.plan, path, ACCOUNT)
        return path


def rich_plan(client: CallrClient, manifest: Callable[..., Path]) -> tuple[Plan, Path]:
    """The account as BEFORE left it, and the plan to AFTER (apps, a reassigned number, a
    webhook whose secret changes, a delete, a sub-account)."""
    Account(client, ENV_BEFORE).converge(manifest(BEFORE, "before.yaml"))
    after = manifest(AFTER, "after.yaml")
    return Account(client, ENV_AFTER).plan(after), after


@pytest.fixture
def rich(client: CallrClient, manifest: Callable[..., Path]) -> Rich:
    plan, after = rich_plan(client, manifest)
    return Rich(client, plan, after)


def app_names(client: CallrClient) -> list[str]:
    return sorted(app["name"] for app in client.call("apps.get_list", with_numbers=True))


def test_round_trip(rich: Rich, tmp_path: Path) -> None:
    path = rich.save(tmp_path / "plan.json")
    loaded = planfile.load(path, rich.client, ACCOUNT, ENV_AFTER)
    assert loaded == rich.plan
    assert [c.calls for c in loaded.changes] == [c.calls for c in rich.plan.changes]
    assert loaded.basis and loaded.routing
    # the reloaded plan saves to the same bytes
    assert planfile.dumps(loaded, ACCOUNT) == path.read_text()


def test_file_holds_references_not_secrets(rich: Rich, tmp_path: Path) -> None:
    text = rich.save(tmp_path / "plan.json").read_text()
    for secret in (BOT_PASSWORD, OLD_HOOK_SECRET, NEW_HOOK_SECRET):
        assert secret not in text
    body = json.loads(text)
    assert body["format_version"] == planfile.FORMAT_VERSION
    assert body["target"]["account"] == ACCOUNT
    bot = next(c for c in body["changes"] if c["address"] == "app.bot")
    params = dict(bot["calls"][0]["args"])["params"]
    assert params["password"] == {"$secret": "env:BOT_PASSWORD"}
    hook = next(c for c in body["changes"] if c["kind"] == "webhook")
    secret_field = hook["fields"][0]
    assert secret_field["new"] == {"$secret": "env:HOOK_SECRET"}
    assert secret_field["old"]["$secret"].startswith("live:webhook:")
    fingerprints = {(e["kind"], e["address"]): e["fingerprint"] for e in body["basis"]}
    assert fingerprints[("number", "number.+33199000002")] != planfile.ABSENT
    assert ("app", 'subaccount["Acme Corp"].app.desk') in fingerprints


def test_same_input_same_bytes(rich: Rich, manifest: Callable[..., Path]) -> None:
    again = Account(rich.client, ENV_AFTER).plan(rich.after)
    assert planfile.dumps(again, ACCOUNT) == planfile.dumps(rich.plan, ACCOUNT)


def test_literal_secret_saved_as_a_reference_to_its_manifest(
        account: Account, client: CallrClient, manifest: Callable[..., Path],
        tmp_path: Path) -> None:
    path = manifest("""
        version: 1
        apps:
          bot: {package: REALTIME10, params: {url: "https://b.example.com", password: lit-9999}}
    """)
    out = tmp_path / "plan.json"
    planfile.save(account.plan(path), out, ACCOUNT)
    text = out.read_text(encoding="utf-8")
    assert "lit-9999" not in text
    refs = [c["args"] for ch in json.loads(text)["changes"] for c in ch["calls"]]
    assert '"$secret": "manifest:' in json.dumps(refs)
    # Applying reads the secret again from the manifest: the app gets the real value.
    report = apply_plan(planfile.load(out, client, ACCOUNT, {}), client)
    assert report.ok
    [bot] = client.call("apps.get_list", with_numbers=True)
    assert bot["p"]["password"] == "lit-9999"


def test_literal_secret_changed_in_the_manifest_is_refused(
        account: Account, client: CallrClient, manifest: Callable[..., Path],
        tmp_path: Path) -> None:
    path = manifest("""
        version: 1
        apps:
          bot: {package: REALTIME10, params: {url: "https://b.example.com", password: lit-9999}}
    """)
    out = tmp_path / "plan.json"
    planfile.save(account.plan(path), out, ACCOUNT, KEY)
    path.write_text(path.read_text().replace("lit-9999", "other-8888"))
    with pytest.raises(StalePlan, match="a secret differs"):
        planfile.load(out, client, ACCOUNT, KEYED)
    assert client.call("apps.get_list", with_numbers=True) == []


def test_apply_saved_plan_makes_exactly_the_recorded_calls(rich: Rich, tmp_path: Path) -> None:
    path = rich.save(tmp_path / "plan.json")
    loaded = planfile.load(path, rich.client, ACCOUNT, ENV_AFTER)
    before = rich.client.call_count
    report = apply_plan(loaded, rich.client)
    assert report.ok, [(s.change.address, s.error) for s in report.steps if s.error]
    assert rich.client.call_count - before == len(list(rich.plan.calls()))
    assert Account(rich.client, ENV_AFTER).plan(rich.after).is_empty
    hooks = rich.client.call("webhooks.get_list")
    assert [h["options"]["hmac_secret"] for h in hooks] == [NEW_HOOK_SECRET]


def test_saved_plan_of_a_subaccount_renamed_in_place(account: Account, client: CallrClient,
                                                     manifest: Callable[..., Path],
                                                     tmp_path: Path) -> None:
    sub = """
        version: 1
        subaccounts:
          {name}:
            {previous}
            account: {{firstname: Ada, lastname: Lovelace}}
            contact: {{emails: [ops@acme.example]}}
            resources:
              apps: {{desk: {{package: ACTIONS10, params: {{script: {script}}}}}}}
    """
    account.converge(manifest(sub.format(name="OldCo", previous="", script=json.dumps(say("a")))))
    renamed = manifest(sub.format(name="NewCo", previous="previous_names: [OldCo]",
                                  script=json.dumps(say("b"))))
    out = tmp_path / "plan.json"
    planfile.save(account.plan(renamed), out, ACCOUNT)
    # The sub-account keeps its company name: the saved plan finds it by hash, not by name.
    report = apply_plan(planfile.load(out, client, ACCOUNT, {}), client)
    assert report.ok
    assert account.plan(renamed).is_empty


def test_stale_plan_refused_nothing_written(rich: Rich, tmp_path: Path) -> None:
    path = rich.save(tmp_path / "plan.json")
    bot = next(a for a in rich.client.call("apps.get_list", with_numbers=True)
               if a["name"] == "bot")
    rich.client.call("apps.edit", hash=bot["hash"], name=None,
                     params={**bot["p"], "url": "https://elsewhere.example.com"})
    written = rich.client.call_count
    with pytest.raises(StalePlan) as caught:
        planfile.load(path, rich.client, ACCOUNT, ENV_AFTER)
    assert "app.bot: changed since the plan" in str(caught.value)
    assert "app.support" not in str(caught.value)
    assert "old" in app_names(rich.client), "nothing was deleted"
    # only reads were made: the live account is as the edit left it
    assert rich.client.call_count > written
    live_bot = next(a for a in rich.client.call("apps.get_list", with_numbers=True)
                    if a["name"] == "bot")
    assert live_bot["p"]["url"] == "https://elsewhere.example.com"


def test_stale_when_an_object_appears(rich: Rich, tmp_path: Path,
                                      manifest: Callable[..., Path]) -> None:
    plan = Account(rich.client, ENV_AFTER).plan(manifest("""
        version: 1
        apps:
          fresh: {package: ACTIONS10, params: {format: YAML, script: {branches: {
              inbound-call: {actions: [{action: hangup@v1}]}}}}}
    """))
    assert plan.basis[0].fingerprint == planfile.ABSENT
    planfile.save(plan, tmp_path / "p.json", ACCOUNT)
    rich.client.call("apps.create", package="ACTIONS10", name="fresh", params=None)
    with pytest.raises(StalePlan, match=r"app\.fresh: was created since the plan"):
        planfile.load(tmp_path / "p.json", rich.client, ACCOUNT, {})
    assert app_names(rich.client).count("fresh") == 1


def test_changed_environment_secret_refused(rich: Rich, tmp_path: Path) -> None:
    """With PROVISIONER_PLAN_KEY, apply tells a changed secret (an HMAC under the key)."""
    path = tmp_path / "plan.json"
    planfile.save(rich.plan, path, ACCOUNT, KEY)
    with pytest.raises(StalePlan, match=r"\$\{env:HOOK_SECRET\}"):
        planfile.load(path, rich.client, ACCOUNT, {**ENV_AFTER, **KEYED, "HOOK_SECRET": "x"})
    with pytest.raises(PlanFileError, match="BOT_PASSWORD"):
        planfile.load(path, rich.client, ACCOUNT, {**KEYED, "HOOK_SECRET": NEW_HOOK_SECRET})
    assert planfile.load(path, rich.client, ACCOUNT, {**ENV_AFTER, **KEYED}) == rich.plan


def test_other_account_and_versions_refused(rich: Rich, tmp_path: Path) -> None:
    path = rich.save(tmp_path / "plan.json")
    with pytest.raises(PlanFileError, match=r"planned for sandbox:/tmp/test-account\.json"):
        planfile.load(path, rich.client, "sandbox:/elsewhere.json", ENV_AFTER)
    body = json.loads(path.read_text())
    for key, bad, message in (("format_version", 99, "format 99"),
                              ("tool_version", "0.0.0-old", "made by provisioner 0.0.0-old"),
                              ("type", "something", "not a saved plan")):
        broken = tmp_path / f"{key}.json"
        broken.write_text(json.dumps({**body, key: bad}))
        calls = rich.client.call_count
        with pytest.raises(PlanFileError, match=message):
            planfile.load(broken, rich.client, ACCOUNT, ENV_AFTER)
        assert rich.client.call_count == calls, "refused before any API call"
    assert "old" in app_names(rich.client)


def test_routing_impact(rich: Rich) -> None:
    routes = {r.number: r for r in rich.plan.routing}
    assert routes["+33199000002"] == RouteChange(
        "", "+33199000002", "app old (ACTIONS10)",
        "app bot (REALTIME10) -> URL https://bot.example.com/v2")
    assert routes["+33199000001"].after == ("app support (CALLTRACKING10) -> targets "
                                            "+33123456789, +33198765432")
    assert routes["+33199000004"].before == "no app"
    assert routes["+33199000003"].before.endswith("URL https://bot.example.com/v1")
    assert set(routes) == {"+33199000001", "+33199000002", "+33199000003", "+33199000004"}


def test_routing_of_a_deleted_app(account: Account, manifest: Callable[..., Path]) -> None:
    account.converge(manifest("""
        version: 1
        apps: {gone: {package: ACTIONS10, params: {format: YAML, script: {branches: {
            inbound-call: {actions: [{action: hangup@v1}]}}}}}}
        numbers: {"+33199000007": gone}
    """))
    plan = account.plan(manifest("""
        version: 1
        apps: {gone: {package: ACTIONS10, absent: true}}
    """))
    assert plan.routing == (RouteChange("", "+33199000007", "app gone (ACTIONS10)", "no app"),)
    assert any(c.action is Action.UNASSIGN for c in plan.changes)


@pytest.mark.parametrize("policy", ["prune: [numbers]", "prune: [apps]"])
def test_routing_of_numbers_the_plan_unassigns_by_policy(
        account: Account, manifest: Callable[..., Path], policy: str) -> None:
    account.converge(manifest("""
        version: 1
        apps:
          keep: {package: ACTIONS10}
          desk: {package: ACTIONS10}
        numbers: {"+33199000001": keep, "+33199000002": desk}
    """))
    plan = account.plan(manifest(f"""
        version: 1
        policy: {{{policy}}}
        apps: {{keep: {{package: ACTIONS10}}}}
        numbers: {{"+33199000001": keep}}
    """))
    assert plan.routing == (RouteChange("", "+33199000002", "app desk (ACTIONS10)", "no app"),)


def test_routing_names_an_ignored_app_by_name(account: Account,
                                              manifest: Callable[..., Path]) -> None:
    account.converge(manifest("""
        version: 1
        apps: {legacy-ivr: {package: ACTIONS10}}
        numbers: {"+33199000001": legacy-ivr}
    """))
    plan = account.plan(manifest("""
        version: 1
        policy: {ignore: {apps: ["legacy-*"]}}
        apps: {desk: {package: ACTIONS10}}
        numbers: {"+33199000001": desk}
    """))
    [route] = plan.routing
    assert route.before == "app legacy-ivr (not managed)"
    assert route.after == "app desk (ACTIONS10)"
    [number] = [c for c in plan.changes if c.kind == "number"]
    assert number.summary == "legacy-ivr -> desk"


def test_secret_sources_stay_in_memory(rich: Rich) -> None:
    assert "secret_sources" not in repr(rich.plan)
    assert all(isinstance(v, str) and BOT_PASSWORD not in v
               for v in rich.plan.secret_sources.values())
    assert not any(isinstance(k, Secret) for k in rich.plan.secret_sources)


# -- the command -------------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, no_callr_env: None, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # apply journals under ./.provisioner
    monkeypatch.delenv("NO_COLOR", raising=False)
    for name, value in ENV_BEFORE.items():
        monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("cli_env")
def test_cli_plan_out_and_apply(tmp_path: Path, manifest: Callable[..., Path],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state.json"
    before, after = manifest(BEFORE, "before.yaml"), manifest(AFTER, "after.yaml")
    assert run("apply", "--sandbox-state", state, "--yes", before).exit_code == 0
    monkeypatch.setenv("HOOK_SECRET", NEW_HOOK_SECRET)
    out = tmp_path / "plan.json"
    planned = run("plan", "--sandbox-state", state, "--out", out, "--detailed-exitcode", after)
    assert planned.exit_code == 2, planned.stderr
    assert "Routing impact:" in planned.stdout
    assert "7 objects differ from the manifests: app.support (1 field), app.bot (1 field)" \
        in planned.stderr
    assert "Saved the plan" in planned.stderr and "Saved" not in planned.stdout
    assert NEW_HOOK_SECRET not in out.read_text()
    two = run("apply", "--sandbox-state", state, "--yes", out, out.with_name("other.json"))
    assert two.exit_code == 1 and "one .json plan file" in two.stderr
    other = run("apply", "--sandbox-state", tmp_path / "other.json", "--yes", out)
    assert other.exit_code == 1 and "was planned for sandbox:" in other.stderr
    applied = run("apply", "--sandbox-state", state, "--yes", "--quiet", out)
    assert applied.exit_code == 0, applied.stderr
    assert applied.stdout.startswith("Apply complete: 7 changes applied.\n")
    assert "Routing impact" not in applied.stdout
    assert "done:" not in applied.stderr
    again = run("apply", "--sandbox-state", state, "--yes", out)
    assert again.exit_code == 1
    assert "the account changed since the plan was made" in again.stderr
    clean = run("plan", "--sandbox-state", state, "--detailed-exitcode", after)
    assert clean.exit_code == 0 and "differ" not in clean.stderr


@pytest.mark.usefixtures("cli_env")
def test_cli_stale_plan_writes_nothing(tmp_path: Path, manifest: Callable[..., Path]) -> None:
    state = tmp_path / "state.json"
    first = manifest("""
        version: 1
        apps: {a: {package: ACTIONS10, params: {format: YAML, script: {branches: {
            inbound-call: {actions: [{action: hangup@v1}]}}}}}}
    """)
    assert run("plan", "--sandbox-state", state, "--out", tmp_path / "p.json", first
               ).exit_code == 0
    assert run("apply", "--sandbox-state", state, "--yes", first).exit_code == 0
    stale = run("apply", "--sandbox-state", state, "--yes", tmp_path / "p.json")
    assert stale.exit_code == 1
    assert "app.a: was created since the plan" in stale.stderr
    data = json.loads(state.read_text())
    assert [a["name"] for a in data["accounts"][data["master"]]["apps"].values()] == ["a"]


def _plan_in_pty(tmp_path: Path, manifest: Callable[..., Path], *flags: str) -> str:
    path = manifest("""
        version: 1
        apps: {a: {package: ACTIONS10, params: {format: YAML, script: {branches: {
            inbound-call: {actions: [{action: hangup@v1}]}}}}}}
    """)
    code, shown = run_in_pty(["plan", "--sandbox-state", str(tmp_path / "s.json"), *flags,
                              str(path)], "", b"\x00never")
    assert code == 0, shown
    assert "+ app.a" in shown.replace("\x1b[32m\x1b[1m+\x1b[0m", "+")
    return shown


@pytest.mark.usefixtures("cli_env")
def test_colors_on_a_terminal_unless_disabled(tmp_path: Path, manifest: Callable[..., Path],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert "\x1b[" in _plan_in_pty(tmp_path, manifest)
    assert "\x1b[" not in _plan_in_pty(tmp_path, manifest, "--no-color")
    monkeypatch.setenv("NO_COLOR", "1")
    assert os.environ["NO_COLOR"] == "1"
    assert "\x1b[" not in _plan_in_pty(tmp_path, manifest)
