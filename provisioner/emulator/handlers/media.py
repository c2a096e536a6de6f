"""``media/library.*`` and ``media/tts.set_content``.

A media's conversion is computed lazily from the clock: PENDING_CONVERSION right after new content,
PROCESSING after ``media_delay / 2``, READY (or ERROR for audio that is not RIFF/WAVE) after
``media_delay``. No threads are involved.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import io
import wave
from typing import Any

from ..errors import invalid
from ..store import new_hash, next_id
from ..validate import LOCALE_RE, want_enum, want_int, want_list, want_obj, want_str
from .base import NULL, Ctx, get_or_404, register

CATEGORIES = ("FAILURE", "IVR", "MISC", "RINGTONE", "VOICEMAIL", "WELCOME", "WHISPER")
VOICES = (
    "TTS_DE-DE_ANNA",
    "TTS_DE-DE_YANNICK",
    "TTS_EN-GB_DANIEL",
    "TTS_EN-GB_SERENA",
    "TTS_FR-FR_AUDREY",
    "TTS_FR-FR_SEBASTIEN",
    "TTS_FR-FR_THOMAS",
    "TTS_FR-FR_VIRGINIE",
    "TTS_IT-IT_PAOLO",
    "TTS_IT-IT_SILVIA",
    "TTS_NL-BE_ELLEN",
    "TTS_NL-NL_CLAIRE",
    "TTS_NL-NL_XANDER",
)
URL_TEMPLATE = "https://media.callr.example/{hash}.mp3"


def status_of(ctx: Ctx, media: dict[str, Any]) -> str:
    started = media["content_at"]
    if started is None:
        return "PENDING_CONTENT"
    elapsed = ctx.now - started
    if elapsed >= ctx.media_delay:
        return "READY" if media["content_ok"] else "ERROR"
    return "PROCESSING" if elapsed >= ctx.media_delay / 2 else "PENDING_CONVERSION"


def media_view(ctx: Ctx, media: dict[str, Any]) -> dict[str, Any]:
    status = status_of(ctx, media)
    tags = copy.deepcopy(media["tags"])
    return {
        "id": media["id"],
        "hash": media["hash"],
        "name": media["name"],
        "category": list(tags.get("CATEGORY", [])),
        "language": list(tags.get("LANGUAGE", [])),
        "content": media["content"],
        "duration": media["duration"],
        "is_editable": True,
        "status": status,
        "tags": tags,
        "voice": media["voice"],
        "url": URL_TEMPLATE.format(hash=media["hash"].lower()) if status == "READY" else "",
    }


def _media(ctx: Ctx, media_id: int) -> dict[str, Any]:
    return get_or_404(ctx.account["media"], media_id, "media")  # type: ignore[no-any-return]


def _name(name: str) -> str:
    if not name.strip():
        raise invalid("name", "must be a non-empty string")
    return name


@register("media/library.create", str)
def create(ctx: Ctx, name: str) -> int:
    checked = _name(name)
    media_id = next_id(ctx.state, "media")
    ctx.account["media"][str(media_id)] = {
        "id": media_id,
        "hash": new_hash(ctx.state, "media"),
        "name": checked,
        "tags": {},
        "content": "",
        "duration": 0,
        "voice": None,
        "content_at": None,
        "content_ok": False,
    }
    return media_id


@register("media/library.get", int)
def get(ctx: Ctx, media_id: int) -> dict[str, Any]:
    return media_view(ctx, _media(ctx, media_id))


@register("media/library.get_list", (list, NULL))
def get_list(ctx: Ctx, categories: list[Any] | None) -> dict[str, Any]:
    """Keyed by the media id as a string; only medias in one of ``categories`` when given."""
    wanted = None
    if categories is not None:
        wanted = {want_enum(c, f"categories[{i}]", CATEGORIES) for i, c in enumerate(categories)}
    return {
        key: media_view(ctx, media)
        for key, media in ctx.account["media"].items()
        if wanted is None or wanted & set(media["tags"].get("CATEGORY", []))
    }


@register("media/library.set_name", int, str)
def set_name(ctx: Ctx, media_id: int, name: str) -> bool:
    _media(ctx, media_id)["name"] = _name(name)
    return True


def _check_tags(tags: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, values in want_obj(tags, "tags").items():
        path = f"tags.{key}"
        items = [want_str(v, f"{path}[{i}]") for i, v in enumerate(want_list(values, path))]
        for i, value in enumerate(items):
            if key == "CATEGORY":
                want_enum(value, f"{path}[{i}]", CATEGORIES)
            elif key == "LANGUAGE" and not LOCALE_RE.match(value):
                raise invalid(f"{path}[{i}]", "must be a locale like fr_FR")
        out[key] = items
    return out


@register("media/library.set_tags", int, dict)
def set_tags(ctx: Ctx, media_id: int, tags: dict[str, Any]) -> bool:
    """Replaces all tags; CATEGORY and LANGUAGE feed the ``category`` and ``language`` arrays."""
    media = _media(ctx, media_id)
    media["tags"] = _check_tags(tags)
    return True


def _wav_duration(data: bytes) -> int | None:
    """Seconds of a RIFF/WAVE file, or None when ``data`` is not one."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    with contextlib.suppress(wave.Error, EOFError), wave.open(io.BytesIO(data)) as wav:
        rate: int = wav.getframerate() or 1
        frames: int = wav.getnframes()
        return max(1, round(frames / rate))
    return 1


@register("media/library.set_content", int, str, str)
def set_content(ctx: Ctx, media_id: int, text: str, audio_base64: str) -> bool:
    media = _media(ctx, media_id)
    try:
        data = base64.b64decode(audio_base64, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("audio_base64", "is not valid base64") from None
    duration = _wav_duration(data)
    media.update(
        content=text,
        voice=None,
        duration=duration or 0,
        content_at=ctx.now,
        content_ok=duration is not None,
    )
    return True


@register("media/library.delete", int)
def delete(ctx: Ctx, media_id: int) -> bool:
    _media(ctx, media_id)
    del ctx.account["media"][str(media_id)]
    return True


@register("media/tts.set_content", int, str, str, (dict, NULL))
def tts_set_content(
    ctx: Ctx, media_id: int, text: str, voice: str, options: dict[str, Any] | None
) -> bool:
    media = _media(ctx, media_id)
    if not text.strip():
        raise invalid("text", "must be a non-empty string")
    want_enum(voice, "voice", VOICES)
    opts = options or {}
    for key in opts:
        if key != "rate":
            raise invalid(f"options.{key}", "is not a known property")
    want_int(opts.get("rate", 50), "options.rate", 1, 100)
    media.update(
        content=text, voice=voice, duration=len(text) // 12 + 1, content_at=ctx.now, content_ok=True
    )
    return True
