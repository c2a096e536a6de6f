"""Media prompts (``media:``): text-to-speech or an audio file, identified by name."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, PrivateAttr, model_validator

from provisioner.manifest.paths import PATH_ERRORS, reason, shown
from provisioner.models.values import Locale, Spec, bounded, check_media_ref

if TYPE_CHECKING:
    from provisioner.errors import Problem
    from provisioner.manifest.desired import Desired, Origin

Voice = Literal[
    "TTS_DE-DE_ANNA", "TTS_DE-DE_YANNICK", "TTS_EN-GB_DANIEL", "TTS_EN-GB_SERENA",
    "TTS_FR-FR_AUDREY", "TTS_FR-FR_SEBASTIEN", "TTS_FR-FR_THOMAS", "TTS_FR-FR_VIRGINIE",
    "TTS_IT-IT_PAOLO", "TTS_IT-IT_SILVIA", "TTS_NL-BE_ELLEN", "TTS_NL-NL_CLAIRE",
    "TTS_NL-NL_XANDER",
]
Category = Literal["FAILURE", "IVR", "MISC", "RINGTONE", "VOICEMAIL", "WELCOME", "WHISPER"]
MediaName = Annotated[str, AfterValidator(check_media_ref)]


class Tts(Spec):
    text: str
    voice: Voice
    rate: bounded(1, 100) = 50  # type: ignore[valid-type]


class MediaSpec(Spec):
    """Exactly one of ``tts`` or ``file`` (a WAV file, relative to the manifest file)."""

    tts: Tts | None = None
    file: str | None = None
    text: str | None = None
    """What an audio file says (sent with it; defaults to the media's name)."""
    category: Category | None = None
    language: Locale | None = None
    absent: bool = False
    protect: bool = False
    """Any delete or replace of this object is a plan error (remove the flag to allow one)."""
    previous_names: list[MediaName] = Field(default_factory=list)
    """Names the media had: a live media with one of them (none with the new name) is renamed."""
    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The audio file on disk: ``file`` resolved against its manifest's folder by ``finish``."""
        if self.file is None:
            return None
        return self._path if self._path is not None else Path(self.file)

    @model_validator(mode="after")
    def _one_content(self) -> MediaSpec:
        if not self.absent and (self.tts is None) == (self.file is None):
            raise ValueError("give exactly one of 'tts' or 'file'")
        return self


def finish(spec: MediaSpec, origin: Origin) -> tuple[Any, list[Problem]]:
    """Resolve ``file`` relative to the manifest file and check that it is a readable WAV.

    ``file`` keeps the path as written (plans show it, the same on every machine); the resolved
    path is kept beside it, in ``path``.
    """
    if spec.file is None or spec.absent:
        return spec, []
    try:
        path = (Path(origin.doc.file).parent / spec.file).resolve()
        refused = refused_path(spec.file, path, origin)
        if refused is not None:
            return None, [origin.problem(refused, "file")]
        with path.open("rb") as audio:
            head = audio.read(12)
    except PATH_ERRORS as exc:
        return None, [origin.problem(f"cannot read {shown(spec.file)}: {reason(exc)}", "file")]
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None, [origin.problem(f"{spec.file} is not a WAV file", "file")]
    resolved = spec.model_copy()
    resolved._path = path
    return resolved, []


def refused_path(written: str, path: Path, origin: Origin,
                 what: str = "audio files") -> str | None:
    """Files a manifest refers to (audio files, scenario files) stay inside the folder given on
    the command line (``Document.root``): no absolute path, no ``..`` or symlink leading out of
    it; and they are regular files."""
    root = origin.doc.root or Path(origin.doc.file).resolve().parent
    if Path(written).is_absolute():
        return f"{written} is an absolute path: give a path relative to the manifest file"
    if not path.is_relative_to(root.resolve()):
        return (f"{written} points outside the manifests' folder: {what} must stay inside "
                "the PATH given on the command line")
    if path.exists() and not path.is_file():
        return f"{written} is not a regular file"
    return None


def check_references(desired: Desired) -> list[Problem]:
    """Every media name used in an app's media fields is a media of the same account."""
    from provisioner.manifest.pydantic_errors import closest
    from provisioner.models.apps import MEDIA_PATHS

    problems: list[Problem] = []
    for app_name, app in desired.apps.items():
        if app.absent:
            continue  # its params are not applied
        params = app.params.model_dump(exclude_unset=True)
        for path, name in _media_names(params, MEDIA_PATHS):
            media = desired.media.get(name)
            if media is not None and not media.absent:
                continue
            if desired.is_defined("media", name) and media is None:
                continue  # invalid entry: its own problem is reported
            what = "is marked absent" if media is not None else "is not defined"
            hint = "" if media is not None else closest(name, desired.names("media"))
            origin = desired.origins[("apps", app_name)]
            problems.append(origin.problem(f"media {name!r} {what} in media{hint}", "params",
                                           *path))
    return problems


def _media_names(params: dict[str, Any],
                 paths: tuple[tuple[str, ...], ...]) -> list[tuple[tuple[str, ...], str]]:
    found: list[tuple[tuple[str, ...], str]] = []
    for path in paths:
        nodes: list[tuple[tuple[str, ...], Any]] = [((), params)]
        for part in path:
            nxt: list[tuple[tuple[str, ...], Any]] = []
            for prefix, node in nodes:
                if isinstance(node, dict):
                    keys = list(node) if part == "*" else [part]
                    nxt.extend(((*prefix, k), node[k]) for k in keys if k in node)
            nodes = nxt
        found.extend((p, v) for p, v in nodes if isinstance(v, str))
    return found
