"""What REST v2 cannot manage, object by object (``migrate.readiness``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_migrate import CLIENT_A

from provisioner.errors import PlanError
from provisioner.manifest.desired import load
from provisioner.migrate.readiness import blockers, counts, refuse

MANIFEST = """\
version: 1
policy:
  prune: [webhooks]
apps:
  desk:
    package: ACTIONS10
    params: {script: "branches: {inbound-call: {actions: [{action: hangup@v1}]}}"}
  old:
    package: CALLTRACKING10
media:
  hello:
    tts: {text: Hello, voice: TTS_EN-GB_SERENA}
sip:
  subscribers:
    alice: {ring_timeout: 30}
""" + CLIENT_A + """\
        bot: {package: REALTIME10, params: {url: "https://bot.example.com"}}
"""


def test_every_object_named_with_its_place_and_reason(manifest: Callable[..., Path]) -> None:
    path = manifest(MANIFEST)
    found = {b.address: b for b in blockers(load([path]))}
    assert set(found) == {"app.old", "media.hello", "sip_subscriber.alice",
                          'subaccount["Client A"]', 'subaccount["Client A"].app.bot', "webhooks"}
    assert found["app.old"].where == f"{path}:8:3"
    assert "CALLTRACKING10 is not supported by REST v2" in found["app.old"].reason
    assert "text-to-speech" in found["media.hello"].reason
    assert "policy.prune" in found["webhooks"].reason
    assert dict(counts([b.to_dict() for b in found.values()])) == {
        "app CALLTRACKING10": 1, "app REALTIME10": 1, "media tts": 1, "section": 1,
        "sip_subscriber": 1, "subaccount": 1}


def test_refuse_lists_them_all(manifest: Callable[..., Path]) -> None:
    with pytest.raises(PlanError) as refused:
        refuse(load([manifest(MANIFEST)]))
    assert len(refused.value.messages) == 7
    assert refused.value.messages[-1].startswith("6 object(s) cannot be managed through REST v2")


def test_actions_only_is_ready(manifest: Callable[..., Path]) -> None:
    ready = MANIFEST.split("  old:")[0].replace("policy:\n  prune: [webhooks]\n", "")
    assert blockers(load([manifest(ready)])) == []
