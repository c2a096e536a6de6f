"""The media kind against the in-process emulator: content by fingerprint, tags, the wait on
conversion, ids resolved into apps, deletion, ambiguity and interrupted applies."""

from __future__ import annotations

import io
import shutil
import struct
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.applying.executor import Executor, Status
from provisioner.emulator import Emulator
from provisioner.errors import ManifestError, PlanError
from provisioner.manifest.desired import load
from provisioner.planning.engine import build_plan
from provisioner.planning.plan import MISSING, Action, Change, Plan
from provisioner.render.text import render_plan
from provisioner.resources.base import LiveReader
from provisioner.resources.media import MediaKind, file_fingerprint, tts_fingerprint
from tests.conftest import Account

Write = Callable[..., Path]
DATA = Path(__file__).parent.parent / "data" / "media"

TTS = """\
    version: 1
    media:
      welcome-fr:
        tts: {{text: "{text}", voice: {voice}, rate: {rate}}}
        category: WELCOME
    """


def wav_bytes(frames: int = 800, level: int = 0) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(struct.pack("<h", level) * frames)
    return buffer.getvalue()


def tts(manifest: Write, text: str = "Bienvenue chez Acme.", voice: str = "TTS_FR-FR_AUDREY",
        rate: int = 50) -> Path:
    return manifest(TTS.format(text=text, voice=voice, rate=rate), name="welcome.yaml")


def file_media(manifest: Write, tmp_path: Path, data: bytes | None = None,
               extra: str = "") -> Path:
    audio = tmp_path / "audio" / "hold.wav"
    audio.parent.mkdir(exist_ok=True)
    if data is None:
        shutil.copyfile(DATA / "beep.wav", audio)
    else:
        audio.write_bytes(data)
    text = ("version: 1\nmedia:\n  hold-music:\n    file: audio/hold.wav\n"
            f"    category: RINGTONE\n{extra}")
    return manifest(text, name="hold.yaml")


def library(emulator: Emulator) -> list[dict[str, Any]]:
    state = emulator.snapshot()
    return list(state["accounts"][state["master"]]["media"].values())


def live_media(client: CallrClient) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in client.call("media/library.get_list", categories=None).values()}


def only(plan: Plan) -> Change:
    assert len(plan.changes) == 1, [c.address for c in plan.changes]
    return plan.changes[0]


def methods(change: Change) -> list[str]:
    return [call.method for call in change.calls]


def fields(change: Change) -> dict[str, tuple[Any, Any]]:
    return {f.path: (f.old, f.new) for f in change.fields}


# --- create, round trip, reading ------------------------------------------------------------


def test_tts_round_trip(account: Account, client: CallrClient, manifest: Write) -> None:
    path = tts(manifest)
    plan = account.converge(path)
    change = only(plan)
    assert change.action is Action.CREATE
    assert methods(change) == ["media/library.create", "media/library.set_tags",
                               "media/tts.set_content", "media/library.get"]
    assert change.calls[-1].until is not None and change.calls[-1].until.ready == ("READY",)
    assert fields(change)["content"] == (
        None, 'tts TTS_FR-FR_AUDREY: "Bienvenue chez Acme." (rate 50)')
    media = live_media(client)["welcome-fr"]
    assert media["status"] == "READY"  # apply waited for the conversion
    assert media["voice"] == "TTS_FR-FR_AUDREY" and media["content"] == "Bienvenue chez Acme."
    assert media["tags"] == {
        "CATEGORY": ["WELCOME"],
        "FINGERPRINT": [tts_fingerprint("Bienvenue chez Acme.", "TTS_FR-FR_AUDREY", 50)],
    }
    assert account.plan(path).is_empty


def test_file_round_trip(account: Account, client: CallrClient, emulator: Emulator,
                         manifest: Write, tmp_path: Path) -> None:
    path = file_media(manifest, tmp_path, extra="    language: fr_FR\n")
    plan = account.converge(path)
    change = only(plan)
    assert methods(change) == ["media/library.create", "media/library.set_tags",
                               "media/library.set_content", "media/library.get"]
    data = (DATA / "beep.wav").read_bytes()
    args = change.calls[2].kwargs()
    assert args["text"] == "hold-music"  # no text given: the media's name
    digest = file_fingerprint(data)
    # The plan holds a reference to the file and its digest; the bytes are read at apply time.
    assert args["audio_base64"].shown == "audio/hold.wav"
    assert args["audio_base64"].sha256 == digest
    assert plan.to_dict()["changes"][0]["calls"][2]["params"]["audio_base64"] == {
        "$file": "audio/hold.wav", "sha256": digest}
    assert fields(change)["content"] == (None, f"file audio/hold.wav ({digest[:15]}…)")
    assert "file audio/hold.wav (sha256:" in render_plan(plan)
    [stored] = library(emulator)
    assert stored["tags"] == {"CATEGORY": ["RINGTONE"], "LANGUAGE": ["fr_FR"],
                              "FINGERPRINT": [digest]}
    # The real bytes reached the API: the emulator measured the WAV's duration from them.
    with wave.open(str(DATA / "beep.wav")) as wav:
        assert stored["duration"] == max(1, round(wav.getnframes() / wav.getframerate()))
    assert live_media(client)["hold-music"]["status"] == "READY"
    assert account.plan(path).is_empty


def test_read_is_one_call(account: Account, client: CallrClient, manifest: Write,
                          tmp_path: Path) -> None:
    account.converge(tts(manifest), file_media(manifest, tmp_path))
    before = client.call_count
    found = MediaKind().read(LiveReader(client))
    assert client.call_count - before == 1
    assert sorted(obj.identity for obj in found) == ["hold-music", "welcome-fr"]
    assert all(isinstance(obj.id, int) for obj in found)


# --- changes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("edit", [
    {"text": "Bienvenue chez Acme, bonjour."},
    {"voice": "TTS_FR-FR_THOMAS"},
    {"rate": 70},
])
def test_tts_content_change(account: Account, client: CallrClient, manifest: Write,
                            edit: dict[str, Any]) -> None:
    account.converge(tts(manifest))
    first_id = live_media(client)["welcome-fr"]["id"]
    changed = tts(manifest, **edit)
    change = only(account.plan(changed))
    assert change.action is Action.UPDATE
    assert list(fields(change)) == ["content"]
    # content first and fingerprint after, so an interrupted apply sets the content again
    assert methods(change) == ["media/tts.set_content", "media/library.set_tags",
                               "media/library.get"]
    account.converge(changed)
    media = live_media(client)["welcome-fr"]
    assert media["id"] == first_id and media["status"] == "READY"
    want = {"text": "Bienvenue chez Acme.", "voice": "TTS_FR-FR_AUDREY", "rate": 50, **edit}
    assert media["tags"]["FINGERPRINT"] == [tts_fingerprint(**want)]
    assert account.plan(changed).is_empty


def test_file_bytes_change(account: Account, client: CallrClient, manifest: Write,
                           tmp_path: Path) -> None:
    account.converge(file_media(manifest, tmp_path))
    louder = wav_bytes(level=1000)
    path = file_media(manifest, tmp_path, louder)
    change = only(account.plan(path))
    old, new = fields(change)["content"]
    assert old.startswith("file (sha256:") and new.startswith("file audio/hold.wav (sha256:")
    assert methods(change)[0] == "media/library.set_content"
    account.converge(path)
    assert live_media(client)["hold-music"]["tags"]["FINGERPRINT"] == [file_fingerprint(louder)]
    assert account.plan(path).is_empty


def test_file_text_change(account: Account, client: CallrClient, manifest: Write,
                          tmp_path: Path) -> None:
    account.converge(file_media(manifest, tmp_path))
    path = file_media(manifest, tmp_path, extra='    text: "Please hold"\n')
    change = only(account.plan(path))
    assert fields(change) == {"text": ("hold-music", "Please hold")}
    assert methods(change)[0] == "media/library.set_content"
    account.converge(path)
    assert live_media(client)["hold-music"]["content"] == "Please hold"
    assert account.plan(path).is_empty


def test_category_and_language_change_only_retag(account: Account, client: CallrClient,
                                                 manifest: Write) -> None:
    account.converge(tts(manifest))
    media_id = live_media(client)["welcome-fr"]["id"]
    tags = live_media(client)["welcome-fr"]["tags"]
    client.call("media/library.set_tags", id=media_id, tags={**tags, "TEAM": ["support"]})
    path = manifest("""\
        version: 1
        media:
          welcome-fr:
            tts: {text: "Bienvenue chez Acme.", voice: TTS_FR-FR_AUDREY}
            category: IVR
            language: fr_FR
        """, name="welcome.yaml")
    change = only(account.plan(path))
    assert fields(change) == {"category": ("WELCOME", "IVR"), "language": (MISSING, "fr_FR")}
    assert methods(change) == ["media/library.set_tags"]
    account.converge(path)
    after = live_media(client)["welcome-fr"]
    assert after["tags"] == {"CATEGORY": ["IVR"], "LANGUAGE": ["fr_FR"], "TEAM": ["support"],
                             "FINGERPRINT": tags["FINGERPRINT"]}
    assert after["category"] == ["IVR"] and after["language"] == ["fr_FR"]
    assert account.plan(path).is_empty


def test_unmanaged_category_is_kept(account: Account, client: CallrClient,
                                    manifest: Write) -> None:
    account.converge(tts(manifest))
    path = manifest("""\
        version: 1
        media:
          welcome-fr:
            tts: {text: "Hello.", voice: TTS_EN-GB_SERENA}
        """, name="welcome.yaml")
    change = only(account.plan(path))
    assert list(fields(change)) == ["content"]
    account.converge(path)
    assert live_media(client)["welcome-fr"]["category"] == ["WELCOME"]


def test_media_made_outside_is_set_once(account: Account, client: CallrClient,
                                        manifest: Write) -> None:
    media_id = client.call("media/library.create", name="welcome-fr")
    client.call("media/tts.set_content", id=media_id, text="Bienvenue chez Acme.",
                voice="TTS_FR-FR_AUDREY", options=None)
    client.call("media/library.set_tags", id=media_id, tags={"CATEGORY": ["WELCOME"]})
    path = tts(manifest)
    change = only(account.plan(path))
    assert change.action is Action.UPDATE and list(fields(change)) == ["content"]
    assert "no fingerprint" in fields(change)["content"][0]
    assert any("no fingerprint" in note for note in change.notes)
    account.converge(path)
    assert list(live_media(client)) == ["welcome-fr"]
    assert live_media(client)["welcome-fr"]["id"] == media_id
    assert account.plan(path).is_empty


def test_copies_of_one_media_keep_the_oldest(account: Account, client: CallrClient,
                                            manifest: Write) -> None:
    first = client.call("media/library.create", name="welcome-fr")
    second = client.call("media/library.create", name="welcome-fr")
    path = tts(manifest)
    plan = account.plan(path)
    (removed,) = [c for c in plan.changes if c.action is Action.DELETE]
    assert removed.summary.startswith("duplicate ") and removed.summary.endswith(str(second))
    assert f"{first} is kept" in removed.notes[0]
    account.converge(path)
    assert live_media(client)["welcome-fr"]["id"] == first
    assert [m["id"] for m in client.media_library_get_list().values()] == [first]
    assert account.plan(path).is_empty


def test_the_copy_an_app_uses_is_kept_and_two_in_use_are_a_plan_error(
        account: Account, client: CallrClient, manifest: Write) -> None:
    first = client.call("media/library.create", name="welcome-fr")
    second = client.call("media/library.create", name="welcome-fr")
    client.apps_create("CALLTRACKING10", "line", {"medias": {"welcome": second}, "targets": []})
    plan = account.plan(tts(manifest))
    (removed,) = [c for c in plan.changes if c.action is Action.DELETE]
    assert removed.summary.endswith(str(first)) and f"{second} is kept" in removed.notes[0]
    client.apps_create("CALLTRACKING10", "other", {"medias": {"welcome": first}, "targets": []})
    with pytest.raises(PlanError) as caught:
        account.plan(tts(manifest))
    message = str(caught.value)
    assert "2 media on the account are identified as 'welcome-fr'" in message
    assert f"({first}, {second})" in message


# --- delete -----------------------------------------------------------------------------------


def test_delete_with_absent(account: Account, client: CallrClient, manifest: Write,
                            tmp_path: Path) -> None:
    kept = tts(manifest)
    account.converge(kept, file_media(manifest, tmp_path))
    media_id = live_media(client)["hold-music"]["id"]
    gone = manifest("""\
        version: 1
        media:
          hold-music: {absent: true}
        """, name="hold.yaml")
    change = only(account.plan(gone, kept))
    assert change.action is Action.DELETE and change.address == "media.hold-music"
    assert [(c.method, c.kwargs()) for c in change.calls] == [
        ("media/library.delete", {"id": media_id})]
    account.converge(gone, kept)
    assert list(live_media(client)) == ["welcome-fr"]
    assert account.plan(gone, kept).is_empty


# --- apps use media by name -------------------------------------------------------------------


def test_app_uses_media_created_in_the_same_apply(account: Account, client: CallrClient,
                                                  manifest: Write, tmp_path: Path) -> None:
    media = file_media(manifest, tmp_path)
    welcome = tts(manifest)
    app = manifest("""\
        version: 1
        apps:
          support-line:
            package: CALLTRACKING10
            params:
              medias: {welcome: welcome-fr, ringtone: hold-music, whisper: 0}
              vms: {intro: welcome-fr}
        """, name="apps.yaml")
    plan = account.converge(media, welcome, app)
    assert [c.address for c in plan.changes] == [
        "media.hold-music", "media.welcome-fr", "app.support-line"]
    ids = {name: m["id"] for name, m in live_media(client).items()}
    [live_app] = client.call("apps.get_list", with_numbers=True)
    medias = live_app["p"]["medias"]
    assert {k: medias[k] for k in ("welcome", "ringtone", "whisper")} == {
        "welcome": ids["welcome-fr"], "ringtone": ids["hold-music"], "whisper": 0}
    assert live_app["p"]["vms"]["intro"] == ids["welcome-fr"]
    assert account.plan(media, welcome, app).is_empty


def test_unknown_media_name_is_a_validation_error(manifest: Write) -> None:
    path = with_app(manifest)  # names welcome-fr, which no media: section defines
    with pytest.raises(ManifestError) as caught:
        load([path], {})
    [problem] = caught.value.problems
    assert problem.path == "apps.support-line.params.medias.welcome"
    assert "media 'welcome-fr' is not defined in media" in problem.message


# --- the wait on conversion -------------------------------------------------------------------


class FakeTime:
    """A clock the executor's waits advance, so a timeout takes no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps = 0

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1

    def clock(self) -> float:
        return self.now


def with_app(manifest: Write) -> Path:
    return manifest("""\
        version: 1
        apps:
          support-line:
            package: CALLTRACKING10
            params:
              medias: {welcome: welcome-fr}
        """, name="apps.yaml")


def test_wait_times_out_before_wiring_the_app(account: Account, client: CallrClient,
                                              emulator: Emulator, manifest: Write) -> None:
    paths = (tts(manifest), with_app(manifest))
    emulator.media_delay = 10_000.0  # the conversion never ends during this apply
    fake = FakeTime()
    report = Executor(client, sleep=fake.sleep, clock=fake.clock).run(account.plan(*paths))
    [failed] = report.with_status(Status.FAILED)
    assert failed.change.address == "media.welcome-fr"
    assert failed.error == ("media.welcome-fr:get: still status=PENDING_CONVERSION "
                            "after 300s")
    assert fake.sleeps > 1  # it polled
    assert [s.change.address for s in report.with_status(Status.SKIPPED)] == [
        "app.support-line"]
    assert client.call("apps.get_list", with_numbers=True) == []
    # Still converting: the next plan waits again before wiring the app, and sends nothing.
    waiting = account.plan(*paths)
    assert [(c.address, [call.method for call in c.calls]) for c in waiting.changes] == [
        ("media.welcome-fr", ["media/library.get"]),
        ("app.support-line", ["apps.create"]),
    ]
    assert waiting.changes[0].calls[0].until is not None
    emulator.media_delay = 0.0
    plan = account.converge(*paths)  # the content is there: only the app is left to do
    assert [c.address for c in plan.changes] == ["app.support-line"]
    assert len(library(emulator)) == 1
    assert account.plan(*paths).is_empty


def test_conversion_error_fails_apply(account: Account, client: CallrClient, emulator: Emulator,
                                      manifest: Write, tmp_path: Path) -> None:
    path = file_media(manifest, tmp_path)
    desired = load([path], {})
    # The file changes between validation and planning: the converter rejects what is sent.
    (tmp_path / "audio" / "hold.wav").write_bytes(b"ID3 not audio at all")
    plan = build_plan(desired, client, "test account")
    report = Executor(client).run(plan)
    [failed] = report.with_status(Status.FAILED)
    assert failed.error == "media.hold-music:get: status is ERROR"
    assert live_media(client)["hold-music"]["status"] == "ERROR"
    # Fixed file: the failed conversion counts as different content, set again on the same id.
    shutil.copyfile(DATA / "beep.wav", tmp_path / "audio" / "hold.wav")
    change = only(account.plan(path))
    assert change.action is Action.UPDATE
    assert "conversion failed" in fields(change)["content"][0]
    account.converge(path)
    assert [m["status"] for m in library_view(client)] == ["READY"]
    assert account.plan(path).is_empty


def library_view(client: CallrClient) -> list[dict[str, Any]]:
    return list(client.call("media/library.get_list", categories=None).values())


# --- interrupted applies converge without duplicates ------------------------------------------


def test_lost_create_response_converges(account: Account, client: CallrClient,
                                        emulator: Emulator, manifest: Write) -> None:
    path = tts(manifest)
    emulator.faults.lose_response("media/library.create")
    _, report = account.apply(path)
    assert report.ok  # the media was found by name and adopted, then its content was set
    assert [s.change.address for s in report.steps if s.recovered] == ["media.welcome-fr"]
    assert [m["name"] for m in library_view(client)] == ["welcome-fr"]
    assert account.plan(path).is_empty


def test_failed_content_after_tags_converges(account: Account, client: CallrClient,
                                             emulator: Emulator, manifest: Write) -> None:
    path = tts(manifest)
    emulator.faults.fail("media/tts.set_content")
    _, report = account.apply(path)
    assert not report.ok
    [media] = library_view(client)
    assert media["status"] == "PENDING_CONTENT" and media["tags"]["FINGERPRINT"]
    # the fingerprint is there but the content is not: the plan still sets it
    change = only(account.plan(path))
    assert methods(change)[0] == "media/tts.set_content"
    account.converge(path)
    assert [m["status"] for m in library_view(client)] == ["READY"]
    assert account.plan(path).is_empty


def test_an_absent_app_may_name_a_deleted_media(manifest: Write) -> None:
    path = manifest("""\
        version: 1
        media:
          welcome-fr: {absent: true}
        apps:
          support-line:
            package: CALLTRACKING10
            absent: true
            params:
              medias: {welcome: welcome-fr}
        """)
    desired = load([path], {})
    assert desired.media["welcome-fr"].absent and desired.apps["support-line"].absent
