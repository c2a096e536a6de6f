"""Saved plans that replace an object (issue 11 follow-up): a replace is a create and a delete at
one address, and its basis describes the object being replaced, so applying the saved plan on an
unchanged account runs it (it used to be refused as stale: "was created since the plan"), while
a change to the old object, or a twin of the new one appearing, still makes it stale."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from terminal import run

from provisioner.api.client import CallrClient
from provisioner.errors import StalePlan
from provisioner.planning import planfile
from provisioner.planning.engine import apply_plan
from provisioner.planning.plan import Action
from tests.conftest import Account

ACCOUNT = "sandbox:/tmp/replace.json"

TRUNK = """
    version: 1
    sip:
      trunks:
        origination:
          pbx: {{properties: {{host: {host}, port: 5060}}}}
"""

APP = """
    version: 1
    apps:
      desk: {{package: {package}, params: {params}}}
    numbers:
      "+33199000001": desk
"""
CALLTRACKING = '{targets: [{number: "+33123456789", timeout: 30}]}'
REALTIME = '{url: "https://bot.example.com/v1", login: bot}'


def trunks(client: CallrClient) -> list[dict[str, Any]]:
    return [t["properties"] for t in client.search_all("sip/trunk/origination.search")]


def saved_replace(account: Account, manifest: Callable[..., Path], tmp_path: Path,
                  before: str, after: str) -> Path:
    account.converge(manifest(before, "before.yaml"))
    plan = account.plan(manifest(after, "after.yaml"))
    assert Action.REPLACE in {c.action for c in plan.changes}
    out = tmp_path / "plan.json"
    planfile.save(plan, out, ACCOUNT)
    return out


def test_saved_trunk_replace_applies(account: Account, client: CallrClient,
                                     manifest: Callable[..., Path], tmp_path: Path) -> None:
    out = saved_replace(account, manifest, tmp_path, TRUNK.format(host="a.example"),
                        TRUNK.format(host="b.example"))
    loaded = planfile.load(out, client, ACCOUNT, {})
    assert apply_plan(loaded, client).ok
    assert [t["host"] for t in trunks(client)] == ["b.example"]
    assert not account.plan(manifest(TRUNK.format(host="b.example"), "after.yaml")).changes


def test_saved_app_replace_applies(account: Account, client: CallrClient,
                                   manifest: Callable[..., Path], tmp_path: Path) -> None:
    before = APP.format(package="CALLTRACKING10", params=CALLTRACKING)
    after = APP.format(package="REALTIME10", params=REALTIME)
    out = saved_replace(account, manifest, tmp_path, before, after)
    loaded = planfile.load(out, client, ACCOUNT, {})
    assert apply_plan(loaded, client).ok
    apps = client.call("apps.get_list", with_numbers=True)
    assert [(a["name"], a["package"]["name"]) for a in apps] == [("desk", "REALTIME10")]
    assert not account.plan(manifest(after, "after.yaml")).changes


SUB = """
    version: 1
    subaccounts:
      Acme Corp:
        account: {{firstname: Ada, lastname: Lovelace}}
        contact: {{emails: [ops@acme.example]}}
        resources:
          apps:
            desk: {{package: {package}, params: {params}}}
          sip:
            trunks:
              origination:
                pbx: {{properties: {{host: {host}}}}}
              termination:
                pbx: {{properties: {{allowed_ips: ["{ip}"]}}}}
"""


def test_saved_replaces_inside_a_subaccount_apply(
        account: Account, client: CallrClient, manifest: Callable[..., Path],
        tmp_path: Path) -> None:
    """Two trunks (one per direction) and an app replaced in a sub-account, in one saved plan."""
    before = SUB.format(package="CALLTRACKING10", params=CALLTRACKING, host="a.example",
                        ip="203.0.113.10")
    after = SUB.format(package="REALTIME10", params=REALTIME, host="b.example",
                       ip="203.0.113.20")
    out = saved_replace(account, manifest, tmp_path, before, after)
    replaces = [c["address"] for c in json.loads(out.read_text())["changes"]
                if c["action"] == "replace"]
    assert len(replaces) == 3
    loaded = planfile.load(out, client, ACCOUNT, {})
    assert apply_plan(loaded, client).ok
    assert not account.plan(manifest(after, "after.yaml")).changes


@pytest.mark.parametrize(("method", "edit", "message"), [
    ("edit", {"properties": {"host": "a.example", "port": 5061}, "options": None},
     "changed since the plan"),
    ("delete", {}, "was deleted since the plan"),
])
def test_trunk_replaced_is_stale_when_the_old_trunk_changed(
        account: Account, client: CallrClient, manifest: Callable[..., Path], tmp_path: Path,
        method: str, edit: dict[str, Any], message: str) -> None:
    out = saved_replace(account, manifest, tmp_path, TRUNK.format(host="a.example"),
                        TRUNK.format(host="b.example"))
    (old,) = client.search_all("sip/trunk/origination.search")
    client.call(f"sip/trunk/origination.{method}", id=old["id"], **edit)
    left = trunks(client)
    with pytest.raises(StalePlan, match=rf"sip_trunk\.origination\.pbx: {message}"):
        planfile.load(out, client, ACCOUNT, {})
    assert trunks(client) == left  # nothing written


def test_app_replaced_is_stale_when_the_old_app_changed(
        account: Account, client: CallrClient, manifest: Callable[..., Path],
        tmp_path: Path) -> None:
    before = APP.format(package="CALLTRACKING10", params=CALLTRACKING)
    out = saved_replace(account, manifest, tmp_path, before,
                        APP.format(package="REALTIME10", params=REALTIME))
    (old,) = client.call("apps.get_list", with_numbers=True)
    client.call("apps.edit", hash=old["hash"], name=None,
                params={"targets": [{"number": "+33123456789", "timeout": 45}]})
    with pytest.raises(StalePlan, match=r"app\.desk: changed since the plan"):
        planfile.load(out, client, ACCOUNT, {})


def test_one_basis_entry_per_replaced_object(account: Account, manifest: Callable[..., Path],
                                             tmp_path: Path) -> None:
    """The create and the delete of a replace share one entry: the old object's fingerprint."""
    out = saved_replace(account, manifest, tmp_path, TRUNK.format(host="a.example"),
                        TRUNK.format(host="b.example"))
    body = json.loads(out.read_text())
    assert [c["action"] for c in body["changes"]] == ["replace", "delete"]
    (entry,) = body["basis"]
    assert entry["address"] == "sip_trunk.origination.pbx"
    assert entry["fingerprint"] != "absent"


@pytest.mark.usefixtures("no_callr_env")
def test_cli_saved_trunk_replace_needs_force_and_applies(
        tmp_path: Path, manifest: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # apply journals under ./.provisioner
    state, out = tmp_path / "state.json", tmp_path / "plan.json"
    before = manifest(TRUNK.format(host="a.example"), "before.yaml")
    after = manifest(TRUNK.format(host="b.example"), "after.yaml")
    assert run("apply", "--sandbox-state", state, "--yes", before).exit_code == 0
    refused = run("plan", "--sandbox-state", state, "--out", out, after)
    assert refused.exit_code == 3, refused.stderr
    planned = run("plan", "--sandbox-state", state, "--out", out, "--force", after)
    assert planned.exit_code == 0, planned.stderr
    unforced = run("apply", "--sandbox-state", state, "--yes", out)
    assert unforced.exit_code == 3, unforced.stderr
    applied = run("apply", "--sandbox-state", state, "--yes", "--force", out)
    assert applied.exit_code == 0, applied.stderr
    assert "since the plan" not in applied.stderr
    assert "Apply complete: 2 changes applied." in applied.stdout
    clean = run("plan", "--sandbox-state", state, "--detailed-exitcode", after)
    assert clean.exit_code == 0, clean.stdout + clean.stderr
