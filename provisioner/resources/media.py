"""Media prompts (``media:``): identity is the media's name.

Live read: ``media/library.get_list(null)``, one call for the whole library (keyed by id).
Content is compared without downloading audio: apply records a fingerprint of what it uploaded
(sha256 over the TTS text, voice and rate, or over the WAV file's bytes) in the media's
``FINGERPRINT`` tag. A live media without one (made outside the tool), without content or whose
conversion failed counts as different content, so it is set once and then stable.

``media/library.set_tags`` replaces every tag: each call sends ``CATEGORY``, ``LANGUAGE`` and
``FINGERPRINT`` together, laid over the live tags so tags the manifest does not manage stay.
A category or language the manifest leaves out is unmanaged, like every other field.

New content is converted before it can be played: the change that sets it ends with
``media/library.get`` polled until the status is READY (an ERROR status or the timeout fails
apply), and media rank before apps, so an app is wired to a media only once it is ready. Each
managed media publishes its id (or a Ref to ``media/library.create``'s result, the id itself)
for the apps kind, which resolves media names in params.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from provisioner.models.apps import MEDIA_PATHS
from provisioner.models.media import MediaSpec
from provisioner.planning.plan import (
    MISSING,
    Action,
    Call,
    Change,
    FieldChange,
    FileData,
    Ref,
    Until,
)
from provisioner.resources import duplicates
from provisioner.resources.base import Live, LiveReader, PlanContext, ResourceKind, over_rest
from provisioner.resources.duplicates import Split

FINGERPRINT = "FINGERPRINT"
READY_TIMEOUT = 300.0
CONVERTING = ("PENDING_CONVERSION", "PROCESSING")
"""Seconds apply waits for a media's conversion before it fails."""
_UNSETTLED = ("PENDING_CONTENT", "ERROR")
"""Live statuses whose content is missing or unusable whatever the fingerprint says."""
_SHOWN_TEXT = 40
NAME_LIMIT = 64
"""Characters in an audio file's name (REST v2, §2.2 and §2.8)."""
_NAMED = re.compile(r"^(?P<name>.+) #(?P<digest>[0-9a-f]{8})$")
"""``<name> #<8 hex of the sha256>``: the fingerprint carried in the name (REST v2 has no
tags); JSON-RPC reads it too, so a media made through either API is matched by the other."""


@dataclass(frozen=True)
class Content:
    """What a media should say: its fingerprint, how to show it, and the call that sets it."""

    fingerprint: str
    shown: str
    method: str
    args: dict[str, Any]
    text: str | None = None
    """What an audio file says (the live ``content``), compared beside the fingerprint."""


@dataclass(frozen=True)
class Wanted:
    spec: MediaSpec
    content: Content


class MediaKind(ResourceKind):
    kind = "media"
    section = "media"
    rank = 20

    def read(self, reader: LiveReader) -> list[Live]:
        library = reader.call("media/library.get_list", categories=None) or {}
        out = []
        for key in sorted(library, key=_id_order):
            media = library[key]
            tags = {str(k): list(v) for k, v in (media.get("tags") or {}).items()}
            status = media.get("status", "")
            name, named = split_name(str(media.get("name", "")))
            found = (tags.get(FINGERPRINT) or [named])[0]
            ident = media["sid"] if "sid" in media else int(media["id"])  # REST: the sid
            out.append(Live(ident, name, {
                "fingerprint": None if status in _UNSETTLED else found,
                "named": found is not None and found == named,
                "content": _live_shown(media, found),
                "text": media.get("content") or "",
                "category": _one(tags.get("CATEGORY")),
                "language": _one(tags.get("LANGUAGE")),
                "tags": tags,
                "status": status,
            }))
        return out

    def keep(self, identity: Any, found: list[Live], ctx: PlanContext) -> Split | None:
        """Copies of one media (same name): keep the one an app uses, or the oldest (lowest
        id); two copies in use cannot be told apart safely."""
        used = media_in_use(ctx.read("apps.get_list", with_numbers=True))
        return duplicates.split(found, lambda obj: obj.id in used, lambda obj: obj.id)

    def want(self, name: Any, spec: MediaSpec, ctx: PlanContext) -> Wanted | None:
        content = self._content(name, spec, ctx)
        if content is not None and over_rest(ctx) and len(named(name, content.fingerprint)) > \
                NAME_LIMIT:
            ctx.error(f"{ctx.address(self.kind, name)}: the name is too long for REST v2 (an "
                      f"audio file name is at most {NAME_LIMIT} characters, and the tool adds "
                      f"' #' and 8 hex digits of the content fingerprint: {NAME_LIMIT - 10} "
                      "characters at most)")
            return None
        return None if content is None else Wanted(spec, content)


    def _content(self, name: str, spec: MediaSpec, ctx: PlanContext) -> Content | None:
        if spec.tts is not None:
            tts = spec.tts
            return Content(
                tts_fingerprint(tts.text, tts.voice, tts.rate),
                f'tts {tts.voice}: "{_short(tts.text)}" (rate {tts.rate})',
                "media/tts.set_content",
                {"text": tts.text, "voice": tts.voice, "options": {"rate": tts.rate}},
            )
        path = spec.path
        assert path is not None and spec.file is not None  # the model allows no third case
        try:
            data = path.read_bytes()
        except OSError as exc:
            ctx.error(f"{ctx.address(self.kind, name)}: cannot read {spec.file}: {exc.strerror}")
            return None
        fingerprint = file_fingerprint(data)
        return Content(
            fingerprint,
            f"file {spec.file} ({_short_hash(fingerprint)})",
            "media/library.set_content",
            {"text": spec.text or name,
             "audio_base64": FileData(str(path), spec.file, fingerprint)},
            spec.text or name,
        )

    def create(self, name: str, want: Wanted, ctx: PlanContext) -> Change:
        spec, content = want.spec, want.content
        address = ctx.address(self.kind, name)
        if over_rest(ctx):  # no tags: the fingerprint rides in the name
            create = ctx.call(address, "media/library.create",
                              name=named(name, content.fingerprint))
            media_id = Ref(create.id)
            calls: tuple[Call, ...] = (create,
                                       *self._set_content(address, media_id, content, ctx))
        else:
            create = ctx.call(address, "media/library.create", name=name)
            media_id = Ref(create.id)
            tags = _tags({}, spec, content.fingerprint)
            calls = (create, ctx.call(address, "media/library.set_tags", id=media_id, tags=tags),
                     *self._set_content(address, media_id, content, ctx))
        ctx.publish(self.kind, name, media_id)
        fields = [FieldChange("content", None, content.shown)]
        if over_rest(ctx):  # REST audio files carry no text; the name carries the fingerprint
            fields.append(FieldChange("name", None, named(name, content.fingerprint)))
        elif content.text is not None:
            fields.append(FieldChange("text", None, content.text))
        fields.extend(FieldChange(key, None, value) for key, value in _managed(spec).items())
        return Change(address, self.kind, Action.CREATE, _summary(spec), tuple(fields), calls,
                      account=ctx.account)

    def update(self, name: str, live: Live, want: Wanted, ctx: PlanContext) -> Change | None:
        spec, content = want.spec, want.content
        fields: list[FieldChange] = []
        if not same_fingerprint(live.attrs["fingerprint"], content.fingerprint):
            fields.append(FieldChange("content", live.attrs["content"], content.shown))
        if (content.text is not None and not live.attrs["named"] and not over_rest(ctx)
                and live.attrs["text"] != content.text):  # REST audio files carry no text
            fields.append(FieldChange("text", live.attrs["text"], content.text))
        new_content = bool(fields)
        if new_content and over_rest(ctx):
            return self._replace(name, live, want, fields, ctx)
        for key, value in _managed(spec).items():
            if live.attrs[key] != value:
                old = MISSING if live.attrs[key] is None else live.attrs[key]
                fields.append(FieldChange(key, old, value))
        address = ctx.address(self.kind, name)
        if not fields:
            return self._still_converting(name, live, ctx)
        set_tags = ctx.call(address, "media/library.set_tags", id=live.id,
                            tags=_tags(live.attrs["tags"], spec, content.fingerprint))
        calls: tuple[Call, ...] = (set_tags,)
        notes: tuple[str, ...] = ()
        if new_content:
            # Content first, fingerprint after: an interrupted apply leaves the old fingerprint,
            # so the next plan sets the content again.
            set_content, wait = self._set_content(address, live.id, content, ctx)
            calls = (set_content, set_tags, wait)
            if live.attrs["status"] != "PENDING_CONTENT" and not _has_fingerprint(live):
                notes = ("the live media has no fingerprint (made outside the tool): its "
                         "content is set once",)
        return Change(address, self.kind, Action.UPDATE, f"id {live.id}", tuple(fields), calls,
                      notes, ctx.account)

    def _replace(self, name: str, live: Live, want: Wanted, fields: list[FieldChange],
                 ctx: PlanContext) -> Change:
        """REST v2: a changed file is a new audio file (its name carries the new fingerprint,
        and audio files cannot be renamed), then the old one is deleted once the new is ready."""
        created = self.create(name, want, ctx)
        delete = ctx.call(created.address, "media/library.delete", id=live.id)
        notes = ("REST v2: a new audio file replaces the old one (new sid), which is deleted "
                 "once the new one is ready",)
        return Change(created.address, self.kind, Action.REPLACE, f"sid {live.id}",
                      tuple(fields), (*created.calls, delete), notes, ctx.account)

    def _still_converting(self, name: str, live: Live, ctx: PlanContext) -> Change | None:
        """Up to date but not READY yet (an earlier apply stopped waiting): wait again, so apps
        are not wired to a media that cannot play."""
        if live.attrs["status"] not in CONVERTING:
            return None
        address = ctx.address(self.kind, name)
        until = Until(field="status", ready=("READY",), failed=("ERROR",), timeout=READY_TIMEOUT)
        wait = ctx.call(address, "media/library.get", until=until, id=live.id)
        return Change(address, self.kind, Action.UPDATE, f"id {live.id}",
                      (FieldChange("status", live.attrs["status"], "READY"),), (wait,),
                      ("content is up to date; waiting for CALLR to finish converting it",),
                      ctx.account)

    @staticmethod
    def _set_content(address: str, media_id: int | Ref, content: Content,
                     ctx: PlanContext) -> tuple[Call, Call]:
        set_content = ctx.call(address, content.method, id=media_id, **content.args)
        until = Until(field="status", ready=("READY",), failed=("ERROR",), timeout=READY_TIMEOUT)
        wait = ctx.call(address, "media/library.get", until=until, id=media_id)
        return set_content, wait

    def renaming(self, name: str, live: Live, change: Change | None,
                 ctx: PlanContext) -> Change:
        """A media found by a previous name: ``media/library.set_name`` first (same id, so apps
        wired to it keep playing it), then the content and tag calls of ``change``, if any.
        REST v2 cannot rename an audio file: the plan reports it."""
        address = ctx.address(self.kind, name)
        if over_rest(ctx):
            ctx.error(f"{address}: renaming {live.identity} -> {name} needs "
                      "media/library.set_name, which REST v2 does not have: plan it through "
                      "--api jsonrpc, or drop previous_names to create a new audio file")
            return change if change is not None else Change(address, self.kind, Action.UPDATE,
                                                            "", account=ctx.account)
        call = ctx.call(address, "media/library.set_name", id=live.id, name=name)
        field = FieldChange("name", live.identity, name)
        summary = f"rename {live.identity} -> {name}"
        if change is None:
            return Change(address, self.kind, Action.UPDATE, summary, (field,), (call,),
                          account=ctx.account)
        return replace(change, summary=summary, fields=(field, *change.fields),
                       calls=(call, *change.calls))

    def delete(self, name: str, live: Live, ctx: PlanContext) -> Change:
        address = ctx.address(self.kind, name)
        ctx.deleted[self.kind].add(live.id)
        ctx.names[(self.kind, live.id)] = name
        call = ctx.call(address, "media/library.delete", id=live.id)
        return Change(address, self.kind, Action.DELETE, f"id {live.id}", calls=(call,),
                      notes=("absent: true",), account=ctx.account)


def media_in_use(apps: Any) -> set[Any]:
    """The media ids the params of live ``apps`` (``apps.get_list``) refer to."""
    used: set[Any] = set()

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if not path:
            used.add(node)
        elif isinstance(node, dict):
            for key in (node if path[0] == "*" else [path[0]] if path[0] in node else []):
                walk(node[key], path[1:])

    for app in apps if isinstance(apps, list) else []:
        for path in MEDIA_PATHS:
            walk(app.get("p") if isinstance(app, dict) else None, path)
    return used


def split_name(name: str) -> tuple[str, str | None]:
    """``("greeting", "sha256:1a2b3c4d")`` of ``"greeting #1a2b3c4d"``; (name, None) without."""
    found = _NAMED.match(name)
    if found is None:
        return name, None
    return found["name"], "sha256:" + found["digest"]


def named(name: str, fingerprint: str) -> str:
    """The audio file name that carries ``fingerprint``: ``<name> #<first 8 hex>``."""
    return f"{name} #{fingerprint.partition(':')[2][:8]}"


def same_fingerprint(live: str | None, wanted: str) -> bool:
    """A full fingerprint (a tag) matches exactly, one read from a name by its 8-hex prefix."""
    if live is None:
        return False
    return live == wanted or (len(live) == len("sha256:") + 8 and wanted.startswith(live))


def tts_fingerprint(text: str, voice: str, rate: int) -> str:
    """The fingerprint of a TTS content: sha256 over canonical JSON of its text, voice, rate."""
    canonical = json.dumps({"rate": rate, "text": text, "voice": voice}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def file_fingerprint(data: bytes) -> str:
    """The fingerprint of an audio file: sha256 over its bytes (what ``sha256sum`` prints)."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _tags(live_tags: dict[str, list[str]], spec: MediaSpec,
          fingerprint: str) -> dict[str, list[str]]:
    """Every tag the media ends with: the live ones, with the managed ones laid over them."""
    tags = {key: list(values) for key, values in live_tags.items()}
    for key, value in _managed(spec).items():
        tags[key.upper()] = [value]
    tags[FINGERPRINT] = [fingerprint]
    return dict(sorted(tags.items()))


def _managed(spec: MediaSpec) -> dict[str, str]:
    """The category and language the manifest sets (those it leaves out are unmanaged)."""
    out: dict[str, str] = {}
    if spec.category is not None:
        out["category"] = spec.category
    if spec.language is not None:
        out["language"] = spec.language
    return out


def _summary(spec: MediaSpec) -> str:
    return "tts" if spec.tts is not None else "file"


def _has_fingerprint(live: Live) -> bool:
    return bool(live.attrs["tags"].get(FINGERPRINT))


def _one(values: list[str] | None) -> Any:
    """A tag's values as the manifest writes them: None, one value, or the list of several."""
    if not values:
        return None
    return values[0] if len(values) == 1 else list(values)


def _live_shown(media: dict[str, Any], fingerprint: str | None) -> str:
    status = media.get("status", "")
    if status == "PENDING_CONTENT":
        return "(no content)"
    if media.get("voice"):
        shown = f'tts {media["voice"]}: "{_short(media.get("content") or "")}"'
    else:
        shown = "file" if fingerprint is None else f"file ({_short_hash(fingerprint)})"
    if status == "ERROR":
        return f"{shown} (conversion failed)"
    return shown if fingerprint is not None else f"{shown} (no fingerprint)"


def _short(text: str) -> str:
    return text if len(text) <= _SHOWN_TEXT else text[:_SHOWN_TEXT - 1] + "…"


def _short_hash(fingerprint: str) -> str:
    algo, _, digest = fingerprint.partition(":")
    return f"{algo}:{digest[:8]}…"


def _id_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (0, key)
