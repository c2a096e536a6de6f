"""Saved plans and values from the environment inside strings: the file holds references, and
the plan read back is the plan that was made (same calls, same reading view)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from provisioner.api.client import CallrClient
from provisioner.planning import planfile
from provisioner.planning.engine import apply_plan
from provisioner.sensitive import KNOWN
from tests.conftest import Account

MANIFEST = """
version: 1
apps:
  bot:
    package: REALTIME10
    params: {url: "https://bot.example.com/rt?token=${env:RT_TOKEN}", login: "${env:RT_LOGIN}"}
webhooks:
  - type: call.inbound_hangup
    endpoint: "https://hooks.example.com/${env:HOOK_PATH}/in"
"""
V0 = {"RT_TOKEN": "tok-v0-AAAA", "RT_LOGIN": "login-v0-AAAA", "HOOK_PATH": "path-v0-AAAA"}
V1 = {"RT_TOKEN": "tok-v1-BBBB", "RT_LOGIN": "login-v1-BBBB", "HOOK_PATH": "path-v1-BBBB"}
ACCOUNT = "sandbox:/tmp/test-env-account.json"


def test_a_saved_plan_refers_to_the_environment_and_reads_back_the_same(
        client: CallrClient, manifest: Callable[..., Path], tmp_path: Path) -> None:
    path = manifest(MANIFEST)
    Account(client, V0).converge(path)
    KNOWN.clear()  # a new process: v0's values are not known
    plan = Account(client, V1).plan(path)
    saved = tmp_path / "plan.json"
    planfile.save(plan, saved, ACCOUNT)
    text = saved.read_text(encoding="utf-8")
    for value in (*V0.values(), *V1.values()):
        assert value not in text
    assert "${env:RT_TOKEN}" in text and "${env:HOOK_PATH}" in text

    view, calls = plan.to_dict(), [(c.method, c.args) for c in plan.calls()]
    KNOWN.clear()  # apply runs in another process
    loaded = planfile.load(saved, client, ACCOUNT, V1)
    assert [(c.method, c.args) for c in loaded.calls()] == calls
    assert loaded.to_dict() == view
    assert loaded.fingerprint() == json.loads(text)["fingerprint"]
    assert apply_plan(loaded, client).ok
    assert Account(client, V1).plan(path).is_empty


PRUNED = """
version: 1
policy: {prune: [webhooks]}
webhooks:
  - type: call.inbound_hangup
    endpoint: "https://hooks.example.com/${env:HOOK_PATH}/in"
  - type: call.outbound_hangup
    endpoint: "https://hooks.example.com/${env:HOOK_PATH}/in"
"""


def test_a_rotated_identity_is_deleted_without_showing_the_old_value(
        client: CallrClient, manifest: Callable[..., Path], tmp_path: Path) -> None:
    """A webhook's endpoint is its identity: rotating its token deletes the old webhook, whose
    address holds the old token, known only by the shape of the manifest's string."""
    path = manifest(PRUNED)
    Account(client, V0).converge(path)
    KNOWN.clear()
    plan = Account(client, V1).plan(path)
    assert sum(c.action.value == "delete" for c in plan.changes) == 2
    saved = tmp_path / "plan.json"
    planfile.save(plan, saved, ACCOUNT)
    assert V0["HOOK_PATH"] not in saved.read_text(encoding="utf-8")
    KNOWN.clear()
    loaded = planfile.load(saved, client, ACCOUNT, V1)
    assert apply_plan(loaded, client).ok
    assert Account(client, V1).plan(path).is_empty
