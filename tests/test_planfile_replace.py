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

from provisioner import planfile
from provisioner.api.client import CallrClient
from provisioner.engine import apply_plan
from provisioner.errors import StalePlan
from provisioner.plan import Action
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
    return [t["properties"] for t in client.call("sip/trunk/origination.search")]


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
    assert [(a["name"], a["package"]) for a in apps] == [("desk", "REALTIME10")]
    assert not account.plan(manifest(after, "after.yaml")).changes
