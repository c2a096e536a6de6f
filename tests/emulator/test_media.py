"""media/library.* and media/tts.set_content, with lazily computed conversion status."""

from __future__ import annotations

import base64
import io
import wave

from .conftest import FakeClock, Rpc, expect


def _wav(seconds: int) -> str:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000 * seconds)
    return base64.b64encode(buffer.getvalue()).decode()


def test_create_and_shape(rpc: Rpc) -> None:
    first = rpc.call("media/library.create", "welcome")
    second = rpc.call("media/library.create", "bye")
    assert (first, second) == (1, 2)
    media = rpc.call("media/library.get", first)
    assert media == {
        "id": 1,
        "hash": media["hash"],
        "name": "welcome",
        "category": [],
        "language": [],
        "content": "",
        "duration": 0,
        "is_editable": True,
        "status": "PENDING_CONTENT",
        "tags": {},
        "url": "",
        "voice": None,
    }
    expect(rpc, 110, "media/library.get", 99)
    expect(rpc, 151, "media/library.create", "")


def test_tts_status_transitions(rpc: Rpc, clock: FakeClock) -> None:
    mid = rpc.call("media/library.create", "welcome")
    text = "Bonjour et bienvenue chez nous"
    assert rpc.call("media/tts.set_content", mid, text, "TTS_FR-FR_AUDREY", None) is True
    media = rpc.call("media/library.get", mid)
    assert media["status"] == "PENDING_CONVERSION" and media["url"] == ""
    assert media["voice"] == "TTS_FR-FR_AUDREY" and media["content"] == text
    assert media["duration"] == len(text) // 12 + 1
    clock.advance(5)
    assert rpc.call("media/library.get", mid)["status"] == "PROCESSING"
    clock.advance(5)
    ready = rpc.call("media/library.get", mid)
    assert ready["status"] == "READY"
    assert ready["url"] == f"https://media.callr.example/{ready['hash'].lower()}.mp3"
    expect(rpc, 151, "media/tts.set_content", mid, text, "TTS_XX_NOBODY", None, contains="voice")
    expect(rpc, 151, "media/tts.set_content", mid, text, "TTS_FR-FR_AUDREY", {"rate": 101})
    expect(rpc, 151, "media/tts.set_content", mid, "", "TTS_FR-FR_AUDREY", {"rate": 50})
    expect(rpc, 151, "media/tts.set_content", mid, text, "TTS_FR-FR_AUDREY", {"speed": 5})
    expect(rpc, 110, "media/tts.set_content", 77, text, "TTS_FR-FR_AUDREY", None)


def test_audio_content(rpc: Rpc, clock: FakeClock) -> None:
    good = rpc.call("media/library.create", "wav")
    bad = rpc.call("media/library.create", "mp3")
    rpc.call("media/library.set_content", good, "hello", _wav(3))
    not_wav = base64.b64encode(b"ID3 this is not a wave file").decode()
    rpc.call("media/library.set_content", bad, "hello", not_wav)
    assert rpc.call("media/library.get", good)["duration"] == 3
    assert rpc.call("media/library.get", bad)["status"] == "PENDING_CONVERSION"
    clock.advance(10)
    assert rpc.call("media/library.get", good)["status"] == "READY"
    assert rpc.call("media/library.get", good)["voice"] is None
    errored = rpc.call("media/library.get", bad)
    assert errored["status"] == "ERROR" and errored["url"] == ""
    expect(rpc, 151, "media/library.set_content", good, "x", "***not base64***")


def test_tags_and_list(rpc: Rpc) -> None:
    a = rpc.call("media/library.create", "a")
    b = rpc.call("media/library.create", "b")
    rpc.call(
        "media/library.set_tags",
        a,
        {"CATEGORY": ["WELCOME"], "LANGUAGE": ["fr_FR"], "project": ["x"]},
    )
    rpc.call("media/library.set_tags", b, {"CATEGORY": ["IVR", "MISC"]})
    media = rpc.call("media/library.get", a)
    assert media["category"] == ["WELCOME"] and media["language"] == ["fr_FR"]
    assert media["tags"]["project"] == ["x"]
    rpc.call("media/library.set_tags", a, {"project": ["y"]})  # replaces all tags
    media = rpc.call("media/library.get", a)
    assert media["tags"] == {"project": ["y"]} and media["category"] == []
    listed = rpc.call("media/library.get_list", None)
    assert set(listed) == {str(a), str(b)} and listed[str(b)]["name"] == "b"
    assert set(rpc.call("media/library.get_list", ["MISC"])) == {str(b)}
    assert rpc.call("media/library.get_list", ["WELCOME"]) == {}
    expect(rpc, 151, "media/library.set_tags", a, {"CATEGORY": ["MUSIC"]})
    expect(rpc, 151, "media/library.set_tags", a, {"LANGUAGE": ["french"]})
    expect(rpc, 151, "media/library.set_tags", a, {"project": "y"})
    expect(rpc, 151, "media/library.get_list", ["MUSIC"])
    assert rpc.call("media/library.set_name", a, "renamed") is True
    assert rpc.call("media/library.get", a)["name"] == "renamed"
    assert rpc.call("media/library.delete", a) is True
    expect(rpc, 110, "media/library.delete", a)
    assert set(rpc.call("media/library.get_list", None)) == {str(b)}
    # a deleted media can no longer be referenced by an app
    expect(rpc, 151, "apps.create", "CALLTRACKING10", "ct", {"medias": {"welcome": a}})
