"""``Plan.to_dict`` and ``Plan.fingerprint``: deterministic, redacted, refs as ``$ref``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.planning.plan import Action, Call, Change, FieldChange, Plan, Ref, Until
from provisioner.sensitive import REDACTED, Secret

if TYPE_CHECKING:
    from tests.conftest import Account


def hand_plan(password: str = "clear-pass", url: str = "https://rt.example.com/a") -> Plan:
    create = Call("app.bot:create", "apps.create",
                  (("package", "REALTIME10"), ("name", "bot"),
                   ("params", {"url": url, "password": Secret(password)})))
    assign = Call("number.+33199000001:assign_did", "apps.assign_did",
                  (("app_hash", Ref("app.bot:create", ("hash",))), ("did_hash", "DIDHASH1")))
    wait = Call("media.m:get", "media/library.get", (("id", 3),),
                until=Until("status", ("READY",)))
    return Plan("test", (
        Change("app.bot", "app", Action.CREATE, "REALTIME10",
               (FieldChange("params.password", None, Secret(password), sensitive=True),
                FieldChange("params.url", None, url)), (create,)),
        Change("number.+33199000001", "number", Action.ASSIGN, "to bot", calls=(assign,)),
        Change("media.m", "media", Action.UPDATE, calls=(wait,), notes=("n",)),
    ), ("a warning",))


def test_to_dict_shape_and_redaction() -> None:
    body = hand_plan().to_dict()
    text = json.dumps(body)
    assert "clear-pass" not in text
    assert body["format_version"] == 1
    assert body["target"] == "test"
    assert body["warnings"] == ["a warning"]
    assert body["summary"] == {"assign": 1, "create": 1, "update": 1}
    bot = body["changes"][0]
    assert bot["fields"][0] == {"path": "params.password", "old": None, "new": REDACTED}
    assert bot["calls"][0]["params"]["params"]["password"] == REDACTED
    assert bot["account"] is None
    ref = body["changes"][1]["calls"][0]["params"]["app_hash"]
    assert ref == {"$ref": "app.bot:create", "path": ["hash"]}
    assert body["changes"][2]["calls"][0]["until"] == {"field": "status", "ready": ["READY"]}
    assert body["changes"][2]["notes"] == ["n"]


def test_to_dict_deterministic() -> None:
    first = json.dumps(hand_plan().to_dict(), sort_keys=True)
    assert first == json.dumps(hand_plan().to_dict(), sort_keys=True)
    assert hand_plan().to_dict() == hand_plan().to_dict()


def test_fingerprint_stable_and_sensitive_to_changes() -> None:
    assert hand_plan().fingerprint() == hand_plan().fingerprint()
    assert len(hand_plan().fingerprint()) == 16
    assert hand_plan().fingerprint() != hand_plan(url="https://rt.example.com/b").fingerprint()


def test_fingerprint_ignores_target_and_warnings() -> None:
    plan = hand_plan()
    other = Plan("another target", plan.changes, ())
    assert plan.fingerprint() == other.fingerprint()


def test_fingerprint_of_real_plans(account: Account, manifest: Callable[..., Path]) -> None:
    text = """
        version: 1
        apps:
          bot: {package: REALTIME10, params: {url: "https://rt.example.com/x", password: pw-1}}
        numbers:
          "+33199000001": bot
    """
    path = manifest(text)
    one, two = account.plan(path), account.plan(path)
    assert one.to_dict() == two.to_dict()
    assert one.fingerprint() == two.fingerprint()
    assert "pw-1" not in json.dumps(one.to_dict())
    differs = account.plan(manifest(text.replace("/x", "/y")))
    assert differs.fingerprint() != one.fingerprint()
    moved = account.plan(manifest(text.replace("+33199000001", "+33199000002")))
    assert moved.fingerprint() != one.fingerprint()


def test_fingerprint_does_not_depend_on_secret_values() -> None:
    # A fingerprint is published with the plan: if it hashed secret values, anyone reading the
    # plan could test guesses of a password against it. A changed secret still changes the
    # fingerprint through its FieldChange (covered by the update tests).
    assert hand_plan("pw-1").fingerprint() == hand_plan("pw-2").fingerprint()


def test_codec_round_trip_keeps_every_type() -> None:
    from dataclasses import replace

    from provisioner.planning.plan import MISSING, BasisEntry, FileData, RouteChange
    from provisioner.render.codec import Codec, SecretSource, plan_from_dict, plan_to_dict

    plan = replace(hand_plan(), basis=(BasisEntry("", "app", "app.bot", "absent"),),
                   routing=(RouteChange("", "+33199000001", "no app", "app bot (REALTIME10)"),))
    upload = Call("media.m:set_content", "media/library.set_content",
                  (("id", 3), ("file", FileData("a.wav", "a.wav", "ab" * 32)),
                   ("pair", ("x", 1))), login_as=Ref("sub:create", ("hash",)))
    edited = Change("media.m", "media", Action.UPDATE,
                    fields=(FieldChange("file", MISSING, "a.wav"),), calls=(upload,))
    plan = replace(plan, changes=(*plan.changes, edited))
    sources = {hashlib.sha256(b"clear-pass").hexdigest(): SecretSource("env", "PW").encode()}
    body = json.loads(json.dumps(plan_to_dict(plan, Codec(sources))))
    assert "clear-pass" not in json.dumps(body)
    resolved = plan_from_dict({**body, "target": {"description": "test"}},
                              Codec(resolve=lambda ref: {"PW": "clear-pass"}[ref.name]))
    assert resolved == plan
    assert resolved.changes[-1].calls[0].kwargs()["pair"] == ("x", 1)
    assert resolved.changes[-1].fields[0].old is MISSING


def test_to_dict_has_routing() -> None:
    from dataclasses import replace

    from provisioner.planning.plan import RouteChange

    plan = replace(hand_plan(), routing=(RouteChange("", "+33199000001", "no app", "app x"),))
    assert plan.to_dict()["routing"] == [
        {"account": None, "number": "+33199000001", "before": "no app", "after": "app x"}]
