"""Media (``media:``): TTS prompts whole; audio files as a path the user fills in.

The API gives a TTS media's text and voice back but not its rate: the rate is found by matching
the ``FINGERPRINT`` tag that apply recorded against each possible rate (1 to 100). Audio cannot
be downloaded as the WAV that was uploaded (``media/library.*`` has no such method; ``url`` is a
converted MP3), so an audio media is written as ``file: audio/<name>.wav`` (beside the manifest
that names it: ``subaccounts/audio/<sub-account>/`` for a sub-account) with a comment giving
the fingerprint the original file has, and listed for the user to supply: with the original
file in place, the plan shows no change.
"""

from __future__ import annotations

from typing import Any

from provisioner.models.media import MediaSpec
from provisioner.models.values import MEDIA_NAME_PATTERN
from provisioner.resources.base import Live, LiveReader, ResourceKind
from provisioner.resources.media import tts_fingerprint

from .common import AudioFile, ExportContext, prune, unique_slug

DEFAULT_RATE = 50


def export(kind: ResourceKind, reader: LiveReader, ctx: ExportContext) -> dict[str, Any]:
    raw = reader.call("media/library.get_list", categories=None) or {}
    groups: dict[str, list[Live]] = {}
    for live in kind.read(reader):
        groups.setdefault(str(live.identity), []).append(live)
    out: dict[str, Any] = {}
    files: set[str] = set()
    for name in sorted(groups):
        lives = groups[name]
        ids = ", ".join(str(live.id) for live in lives)
        if len(lives) > 1:
            ctx.notice(f"media {name!r}: {len(lives)} media have this name ({ids}): left out "
                       "(apps refer to them by id)")
            continue
        if not MEDIA_NAME_PATTERN.match(name):
            ctx.notice(f"media {ids} {name!r}: left out, its name is not a manifest media name "
                       "(apps refer to it by id)")
            continue
        live = lives[0]
        entry = _entry(name, live, raw.get(str(live.id)) or {}, files, ctx)
        entry = prune(MediaSpec, entry, f"media {name!r}", ctx) if entry else {}
        if entry:
            out[name] = entry
            ctx.media_names[int(live.id)] = name
    return out


def _entry(name: str, live: Live, raw: dict[str, Any], files: set[str],
           ctx: ExportContext) -> dict[str, Any]:
    status = live.attrs["status"]
    if status == "PENDING_CONTENT":
        ctx.notice(f"media {name!r}: left out, it has no content yet (apps refer to it by id)")
        return {}
    if status == "ERROR":
        ctx.notice(f"media {name!r}: its conversion failed on CALLR: plan will set its content "
                   "again")
    entry: dict[str, Any] = {}
    voice = raw.get("voice")
    if voice:
        entry["tts"] = _tts(name, live, str(voice), ctx)
    else:
        entry.update(_file(name, live, raw, files, ctx))
    for key in ("category", "language"):
        value = live.attrs[key]
        if isinstance(value, list):
            ctx.notice(f"media {name!r}: {key} left out (unmanaged): the media has several "
                       f"({', '.join(map(str, value))}), a manifest sets one")
        elif value:
            entry[key] = value
    return entry


def _tts(name: str, live: Live, voice: str, ctx: ExportContext) -> dict[str, Any]:
    text = live.attrs["text"]
    tts: dict[str, Any] = {"text": text, "voice": voice}
    fingerprint = live.attrs["fingerprint"]
    rate = next((r for r in range(1, 101) if tts_fingerprint(text, voice, r) == fingerprint),
                None)
    if rate is None:
        ctx.notice(f"media {name!r}: its TTS rate is unknown (it was not set by this tool): "
                   f"written as {DEFAULT_RATE}; plan will set its content once")
        rate = DEFAULT_RATE
    if rate != DEFAULT_RATE:
        tts["rate"] = rate
    return tts


def _file(name: str, live: Live, raw: dict[str, Any], files: set[str],
          ctx: ExportContext) -> dict[str, Any]:
    stem = unique_slug(name, files)
    # Beside the manifest that names it, so the path never leaves the manifest's folder.
    written = f"audio/{ctx.slug}/{stem}.wav" if ctx.slug else f"audio/{stem}.wav"
    path = f"subaccounts/{written}" if ctx.slug else written
    fingerprint = live.attrs["fingerprint"]
    ctx.shared.audio.append(AudioFile(path, f"{ctx.where}media.{name}", fingerprint,
                                      str(raw.get("url") or "")))
    where = f"sha256 {fingerprint.partition(':')[2]}" if fingerprint else "fingerprint unknown"
    ctx.comments[("media", name, "file")] = (
        f"supply this file: CALLR does not give the uploaded audio back ({where})")
    if fingerprint is None:
        ctx.notice(f"media {name!r}: the live audio has no fingerprint (not set by this tool): "
                   "plan will upload the file you supply once")
    entry: dict[str, Any] = {"file": written}
    text = live.attrs["text"]
    if text and text != name:
        entry["text"] = text
    return entry
