"""``provisioner export``: manifests from a live (emulated) account, checked by planning them.

The round trip is the contract: apply an example to a fresh emulated account, export it, set
the listed variables to the secrets used when applying and put the original audio in the listed
places, and the plan of the export against the same account is empty.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Account
from ruamel.yaml import YAML

from provisioner.api.client import CallrClient
from provisioner.errors import ManifestError
from provisioner.export import Export, export_account
from provisioner.export.write import SCHEMA_URL, schema_ref, write
from provisioner.manifest.desired import load
from provisioner.planning.engine import build_plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HOLD_WAV = EXAMPLES / "agency" / "audio" / "hold.wav"
Write = Callable[..., Path]

ROUND_TRIPS: dict[str, tuple[dict[str, str], dict[str, Path]]] = {
    "agency": (
        {"APP_IVR_BOT_PASSWORD": "example-only-secret",
         "WEBHOOK_CALL_INBOUND_HANGUP_HMAC_SECRET": "example-only-hmac-secret",
         "CLIENT_B_CLINIC_WEBHOOK_CALL_INBOUND_HANGUP_HMAC_SECRET": "example-only-clinic-secret"},
        {"audio/agency-hold.wav": HOLD_WAV},
    ),
    "quickstart": ({"APP_BOT_PASSWORD": "sandbox-only-secret"}, {}),
    "media": ({}, {"audio/hold-music.wav": EXAMPLES / "media" / "audio" / "hold.wav"}),
    "sip": ({}, {}),
    "webhooks": ({"WEBHOOK_CALL_INBOUND_HANGUP_HMAC_SECRET": "example-secret-change-me"}, {}),
}


def exported(client: CallrClient, out: Path, audio: dict[str, Path] | None = None) -> Export:
    """Export the account into ``out`` and put the given audio files where it asks for them."""
    result = export_account(client)
    write(result, out)
    for path, source in (audio or {}).items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, out / path)
    return result


def replan(client: CallrClient, out: Path, env: dict[str, str] | None = None) -> list[str]:
    plan = build_plan(load([out], env or {}), client, "test account")
    return [f"{c.address} {c.action.value}" for c in plan.changes]


def read_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def all_text(out: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(out.rglob("*")) if p.is_file()
                   and p.suffix != ".wav")


@pytest.mark.parametrize("example", sorted(ROUND_TRIPS))
def test_export_then_plan_shows_no_change(example: str, account: Account, client: CallrClient,
                                          tmp_path: Path) -> None:
    env, audio = ROUND_TRIPS[example]
    account.converge(EXAMPLES / example)
    out = tmp_path / "export"
    result = exported(client, out, audio)
    assert [var.name for var in result.env] == sorted(env)
    assert sorted(a.path for a in result.audio) == sorted(audio)
    assert replan(client, out, env) == []
    if env:
        lines = (out / ".env.example").read_text().splitlines()
        assert sorted(line for line in lines if line and not line.startswith("#")) == sorted(
            f"{name}=" for name in env)


def test_the_audio_to_supply_is_required(account: Account, client: CallrClient,
                                         tmp_path: Path) -> None:
    account.converge(EXAMPLES / "media")
    out = tmp_path / "export"
    result = exported(client, out)
    (audio,) = result.audio
    assert audio.fingerprint is not None and audio.fingerprint.startswith("sha256:")
    media = (out / "media.yaml").read_text()
    assert "file: audio/hold-music.wav  # supply this file" in media
    assert audio.fingerprint.partition(":")[2] in media
    with pytest.raises(ManifestError) as error:
        load([out])
    assert ["cannot read audio/hold-music.wav" in p.message for p in error.value.problems] == [
        True]


def test_agency_files_and_shapes(account: Account, client: CallrClient, tmp_path: Path) -> None:
    account.converge(EXAMPLES / "agency")
    out = tmp_path / "export"
    exported(client, out)
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == [".env.example", "apps.yaml", "media.yaml", "numbers.yaml",
                     "scenarios/client-b-clinic/after-hours.yaml", "scenarios/closed.yaml",
                     "sip.yaml", "subaccounts/client-a-bakeries.yaml",
                     "subaccounts/client-b-clinic.yaml", "webhooks.yaml"]
    for name in (n for n in names[1:] if not n.startswith("scenarios/")):  # scenarios: as live
        first = (out / name).read_text().splitlines()[0]
        assert first == f"# yaml-language-server: $schema={SCHEMA_URL}"
    apps = read_yaml(out / "apps.yaml")["apps"]
    # Media by name, not by id; the package's defaults left out.
    assert apps["front-desk"]["params"]["medias"] == {"ringtone": "agency-hold",
                                                      "welcome": "agency-welcome"}
    assert apps["sales-callback"]["params"]["options"]["B_vms_detect"] == {
        "active": True, "dtmf_media": "agency-voicemail", "method": "DTMF"}
    # A scenario in its own file, exactly the text the account holds.
    assert apps["closed"]["params"] == {"script_file": "scenarios/closed.yaml"}
    closed = (out / "scenarios" / "closed.yaml").read_text(encoding="utf-8")
    live = {a["name"]: a["p"] for a in client.call("apps.get_list", with_numbers=False)}
    assert closed == live["closed"]["script"]
    assert "what: We are closed. Please call back on a working day." in closed
    numbers = read_yaml(out / "numbers.yaml")["numbers"]
    assert list(numbers)[:4] == ["+33199000004", "+33199000001", "+33199000002", "+33199000003"]
    assert numbers["+33199000005"] is None
    client_b = read_yaml(out / "subaccounts" / "client-b-clinic.yaml")["subaccounts"]
    entry = client_b["Client B Clinic"]
    assert entry["enabled"] is False
    assert entry["resources"]["numbers"]["+33199002001"] == "booking"


def test_no_secret_is_written(account: Account, client: CallrClient, tmp_path: Path) -> None:
    account.converge(EXAMPLES / "agency")
    subscribers = client.search_all("sip/subscriber.search")
    passwords = [s["password"] for s in subscribers]
    assert len(passwords) == 2 and all(passwords)
    out = tmp_path / "export"
    exported(client, out)
    text = all_text(out)
    for secret in ("example-only-secret", "example-only-hmac-secret",
                   "example-only-clinic-secret", *passwords):
        assert secret not in text
    assert "password: ${env:APP_IVR_BOT_PASSWORD}" in (out / "apps.yaml").read_text()


def test_exporting_an_empty_account(client: CallrClient, tmp_path: Path) -> None:
    for did in client.call("apps.get_dids", only_available=False):
        client.did_store_cancel_subscription(did["hash"])  # a new sandbox account has DIDs
    out = tmp_path / "export"
    result = exported(client, out)
    assert result.is_empty and not result.env and not result.audio
    assert sorted(p.name for p in out.iterdir()) == ["manifest.yaml"]
    assert read_yaml(out / "manifest.yaml") == {"version": 1}
    assert replan(client, out) == []


def test_defaults_are_left_out(account: Account, client: CallrClient, manifest: Write,
                               tmp_path: Path) -> None:
    account.converge(manifest("""
        version: 1
        apps:
          plain: {package: CALLTRACKING10}
          line:
            package: CALLTRACKING10
            params:
              targets: [{number: "+33123456789", timeout: 30}]
              options: {record_calls: false, feeds: both, ner: true}
              vms: {timeout: 120, active: false}
          bot: {package: REALTIME10, params: {url: "https://bot.example.com/x"}}
        sip:
          subscribers:
            phone: {}
        webhooks:
          - {type: sms.mo, endpoint: "https://hooks.example.com/a", options: {format: JSON}}
    """))
    out = tmp_path / "export"
    exported(client, out)
    assert read_yaml(out / "apps.yaml")["apps"] == {
        "bot": {"package": "REALTIME10", "params": {"url": "https://bot.example.com/x"}},
        "line": {"package": "CALLTRACKING10", "params": {"targets": [{"number": "+33123456789"}]}},
        "plain": {"package": "CALLTRACKING10"},
    }
    assert read_yaml(out / "sip.yaml")["sip"] == {"subscribers": {"phone": {}}}
    assert read_yaml(out / "webhooks.yaml")["webhooks"] == [
        {"type": "sms.mo", "endpoint": "https://hooks.example.com/a"}]
    assert replan(client, out) == []


def test_export_is_deterministic(account: Account, client: CallrClient, tmp_path: Path) -> None:
    account.converge(EXAMPLES / "agency")
    first, second = tmp_path / "one", tmp_path / "two"
    exported(client, first)
    exported(client, second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_tts_rate_is_recovered_from_the_fingerprint(account: Account, client: CallrClient,
                                                     manifest: Write, tmp_path: Path) -> None:
    account.converge(manifest("""
        version: 1
        media:
          slow: {tts: {text: "Hello", voice: TTS_EN-GB_DANIEL, rate: 80}}
    """))
    out = tmp_path / "export"
    exported(client, out)
    assert read_yaml(out / "media.yaml")["media"] == {
        "slow": {"tts": {"text": "Hello", "voice": "TTS_EN-GB_DANIEL", "rate": 80}}}
    assert replan(client, out) == []


def test_media_made_outside_the_tool(client: CallrClient, tmp_path: Path) -> None:
    """No fingerprint: the export says so, and the plan sets the content once (documented)."""
    media_id = client.call("media/library.create", name="outside")
    client.call("media/tts.set_content", id=media_id, text="Hi", voice="TTS_FR-FR_AUDREY",
                options=None)
    empty_id = client.call("media/library.create", name="no-content")
    client.call("apps.create", package="CALLTRACKING10", name="line",
                params={"medias": {"welcome": empty_id, "whisper": media_id}})
    out = tmp_path / "export"
    result = exported(client, out)
    assert any("'outside': its TTS rate is unknown" in n for n in result.notices)
    assert any("'no-content': left out, it has no content" in n for n in result.notices)
    medias = read_yaml(out / "apps.yaml")["apps"]["line"]["params"]["medias"]
    assert medias == {"welcome": empty_id, "whisper": "outside"}
    assert replan(client, out) == ["media.outside update"]


def test_what_a_manifest_cannot_name_is_left_out(client: CallrClient,
                                                 tmp_path: Path) -> None:
    twins = [client.call("apps.create", package="ACTIONS10", name="twin", params=None)["hash"]
             for _ in range(2)]
    did = client.call("apps.get_dids", only_available=True)[0]
    client.call("apps.assign_did", app_hash=twins[0], did_hash=did["hash"])
    for _ in range(2):
        client.call("webhooks.subscribe", type="sms.mo", endpoint="https://h.example.com/x",
                    options=None)
    out = tmp_path / "export"
    result = exported(client, out)
    assert any("app 'twin': 2 apps have this name" in n for n in result.notices)
    assert any(f"number {did['intl_number']}: left out" in n for n in result.notices)
    assert any("webhook sms.mo -> https://h.example.com/x: left out" in n
               for n in result.notices)
    assert not (out / "apps.yaml").exists() and not (out / "webhooks.yaml").exists()
    assert did["intl_number"] not in read_yaml(out / "numbers.yaml")["numbers"]
    assert replan(client, out) == []


def test_secret_names_never_collide(account: Account, client: CallrClient, manifest: Write,
                                    tmp_path: Path) -> None:
    account.converge(manifest("""
        version: 1
        webhooks:
          - {type: sms.mo, endpoint: "https://a.example.com/h", options: {hmac_secret: secret-one}}
          - {type: sms.mo, endpoint: "https://b.example.com/h", options: {hmac_secret: secret-two}}
    """))
    out = tmp_path / "export"
    result = exported(client, out)
    assert [v.name for v in result.env] == ["WEBHOOK_SMS_MO_B_EXAMPLE_COM_HMAC_SECRET",
                                            "WEBHOOK_SMS_MO_HMAC_SECRET"]
    env = {"WEBHOOK_SMS_MO_HMAC_SECRET": "secret-one",
           "WEBHOOK_SMS_MO_B_EXAMPLE_COM_HMAC_SECRET": "secret-two"}
    assert replan(client, out, env) == []
    swapped = dict(zip(env, reversed(env.values()), strict=True))
    assert sorted(replan(client, out, swapped)) == [
        "webhook.sms.mo->https://a.example.com/h replace",
        "webhook.sms.mo->https://b.example.com/h replace",
    ]


def test_archived_subaccounts_are_left_out(account: Account, client: CallrClient,
                                           manifest: Write, tmp_path: Path) -> None:
    path = manifest("""
        version: 1
        subaccounts:
          Gone: {contact: {emails: [a@b.example]}}
          Kept: {contact: {emails: [k@b.example]}}
    """)
    account.converge(path)
    account.converge(manifest("""
        version: 1
        subaccounts:
          Gone: {absent: true}
    """))
    out = tmp_path / "export"
    result = exported(client, out)
    assert any("sub-account 'Gone'" in n and "archived" in n for n in result.notices)
    assert [p.name for p in (out / "subaccounts").iterdir()] == ["kept.yaml"]
    kept = read_yaml(out / "subaccounts" / "kept.yaml")["subaccounts"]["Kept"]
    assert {k: v for k, v in kept.items() if k != "resources"} == {
        "contact": {"emails": ["k@b.example"]},
        "params": {"default": {"locale": "fr_FR", "timezone": "Europe/Paris"}}}
    assert replan(client, out) == []


def test_schema_reference() -> None:
    assert schema_ref(ROOT) == "schemas/manifest.schema.json"
    assert schema_ref(ROOT / "exported") == "../schemas/manifest.schema.json"
    assert schema_ref(ROOT / "exported" / "subaccounts") == "../../schemas/manifest.schema.json"
    assert schema_ref(Path("/")) == SCHEMA_URL


def test_cli_export(tmp_path: Path, no_callr_env: None) -> None:
    from terminal import run

    state = tmp_path / "sandbox.json"
    assert run("apply", EXAMPLES / "agency", "--sandbox-state", state, "--yes").exit_code == 0
    out = tmp_path / "export"
    result = run("export", "--sandbox-state", state, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "APP_IVR_BOT_PASSWORD  # app ivr-bot: params.password" in result.stdout
    assert f"{out / 'audio' / 'agency-hold.wav'}  # media.agency-hold, sha256:" in result.stdout
    assert (out / "apps.yaml").is_file()
    again = run("export", "--sandbox-state", state, "-o", out)
    assert again.exit_code == 1
    assert "already holds manifests" in again.stderr
    assert run("export", "--sandbox-state", state, "-o", out, "--force").exit_code == 0


def test_subaccount_audio_stays_beside_its_manifest(account: Account, client: CallrClient,
                                                    manifest: Write, tmp_path: Path) -> None:
    shutil.copy(HOLD_WAV, tmp_path / "hold.wav")
    account.converge(manifest("""
        version: 1
        subaccounts:
          Shop:
            contact: {emails: [shop@example.com]}
            resources:
              media:
                hold: {file: hold.wav, category: RINGTONE}
    """))
    out = tmp_path / "export"
    result = exported(client, out)
    assert [a.path for a in result.audio] == ["subaccounts/audio/shop/hold.wav"]
    shop = read_yaml(out / "subaccounts" / "shop.yaml")["subaccounts"]["Shop"]
    assert shop["resources"]["media"] == {"hold": {"file": "audio/shop/hold.wav",
                                                   "category": "RINGTONE"}}
    (out / result.audio[0].path).parent.mkdir(parents=True)
    shutil.copy(HOLD_WAV, out / result.audio[0].path)
    assert replan(client, out) == []
    assert replan(client, out / "subaccounts" / "shop.yaml") == []
