"""Voice apps: the four packages' params objects, field for field as ``objects.txt`` names them.

Every field is optional: a field absent from the manifest is unmanaged (the live value stays),
a field given is managed. ``model_dump(exclude_unset=True)`` therefore yields exactly what the
manifest asks for, nested objects included.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from provisioner.models.values import (
    E164,
    Email,
    Locale,
    MediaRef,
    NonNegative,
    Spec,
    Timezone,
    Url,
    bounded,
)

Feeds = Literal["all", "both", "leg_a", "leg_b"]


class Target(Spec):
    number: E164
    timeout: bounded(5, 300) = 30  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _timeout_is_always_set(self) -> Target:
        # The API fills the default in; counting it as set makes both sides of a diff alike.
        self.__pydantic_fields_set__.add("timeout")
        return self


class Vms(Spec):
    """App.Param.Vms: voicemail."""

    active: bool | None = None
    email_template: str | None = None
    emails: list[Email] | None = None
    file_format: Literal["mp3", "sln", "wav"] | None = None
    file_name: str | None = None
    intro: MediaRef | None = None
    locale: Locale | None = None
    ner: bool | None = None
    pii: bool | None = None
    record: bool | None = None
    sentiment: bool | None = None
    timeout: bounded(30, 300) | None = None  # type: ignore[valid-type]
    timezone: Timezone | None = None
    transcription: bool | None = None


class VmsDetect(Spec):
    """App.Param.VmsDetect: outbound voicemail detection."""

    active: bool | None = None
    dtmf_iterations: NonNegative | None = None
    dtmf_media: MediaRef | None = None
    dtmf_timeout: NonNegative | None = None
    method: Literal["DTMF", "SILENCE"] | None = None
    silence_iterations: bounded(1, 30) | None = None  # type: ignore[valid-type]
    silence_media: MediaRef | None = None
    silence_ms: bounded(50, 10000) | None = None  # type: ignore[valid-type]
    silence_timeout: bounded(0, 120) | None = None  # type: ignore[valid-type]


class TranscriptionOptions(Spec):
    feeds: Feeds | None = None
    locale: Locale | None = None
    ner: bool | None = None
    pii: bool | None = None
    record_calls: bool | None = None
    sentiment: bool | None = None
    transcription: bool | None = None


class CallTrackingMedias(Spec):
    bridge: MediaRef | None = None
    ringtone: MediaRef | None = None
    welcome: MediaRef | None = None
    whisper: MediaRef | None = None


class CallTrackingGA(Spec):
    ua: str | None = None


class CallTrackingParams(Spec):
    """CALLTRACKING10: call tracking with forwarding, prompts and voicemail."""

    ga: CallTrackingGA | None = None
    medias: CallTrackingMedias | None = None
    options: TranscriptionOptions | None = None
    targets: list[Target] | None = None
    vms: Vms | None = None


class ClickToCallMedias(Spec):
    A_ringtone: MediaRef | None = None
    A_welcome: MediaRef | None = None
    AB_bridge: MediaRef | None = None
    B_whisper: MediaRef | None = None


class ClickToCallOptions(TranscriptionOptions):
    A_attempts: bounded(1, 5) | None = None  # type: ignore[valid-type]
    A_retrypause: bounded(30, 300) | None = None  # type: ignore[valid-type]
    A_vms_detect: VmsDetect | None = None
    B_vms_detect: VmsDetect | None = None


class ClickToCallParams(Spec):
    """CLICKTOCALL10: click-to-call with dynamic A/B parties (takes no DID)."""

    medias: ClickToCallMedias | None = None
    options: ClickToCallOptions | None = None
    vms: Vms | None = None


class RealtimeParams(Spec):
    """REALTIME10: the call is driven in real time by the customer's URL."""

    data_format: Literal["JSON"] | None = None
    login: str | None = None
    password: str | None = None
    url: Url | None = None


class ActionsParams(Spec):
    """ACTIONS10: a Callr Actions scenario, written one of three ways: ``script`` as YAML text,
    ``script`` as a mapping (the scenario inline), or ``script_file`` (a YAML file relative to
    the manifest file). ``variables`` are merged into the scenario's own ``variables`` before it
    is sent (``provisioner.models.scenarios``); ``format`` defaults to ``YAML``."""

    format: Literal["YAML"] | None = None
    script: str | dict[str, Any] | None = Field(
        default=None,
        description="The Callr Actions scenario: YAML text (script: |) or the scenario itself "
                    "as a mapping (description, compat, defaults, variables, branches).")
    script_file: str | None = Field(
        default=None,
        description="A Callr Actions scenario file, relative to this manifest file and inside "
                    "the manifests' folder (instead of script).")
    variables: dict[str, Any] | None = Field(
        default=None, json_schema_extra={"propertyNames": {"pattern": "^\\$"}},
        description="$name: value pairs merged into the scenario's variables before it is "
                    "sent: one scenario file, many apps.")

    @model_validator(mode="after")
    def _one_source(self) -> ActionsParams:
        if self.script is not None and self.script_file is not None:
            raise ValueError("give either 'script' or 'script_file', not both")
        return self


class _App(Spec):
    absent: bool = False
    protect: bool = False
    """Any delete or replace of this object is a plan error (remove the flag to allow one)."""
    previous_names: list[str] = Field(default_factory=list)
    """Names the app had: a live app with one of them (and none with the new name) is renamed."""
    has_did: ClassVar[bool] = True
    sensitive: ClassVar[frozenset[tuple[str, ...]]] = frozenset()


class CallTrackingApp(_App):
    package: Literal["CALLTRACKING10"]
    params: CallTrackingParams = Field(default_factory=CallTrackingParams)


class ClickToCallApp(_App):
    package: Literal["CLICKTOCALL10"]
    params: ClickToCallParams = Field(default_factory=ClickToCallParams)
    has_did: ClassVar[bool] = False


class RealtimeApp(_App):
    package: Literal["REALTIME10"]
    params: RealtimeParams = Field(default_factory=RealtimeParams)
    sensitive: ClassVar[frozenset[tuple[str, ...]]] = frozenset({("password",)})


class ActionsApp(_App):
    package: Literal["ACTIONS10"]
    params: ActionsParams = Field(default_factory=ActionsParams)


AppSpec = Annotated[
    CallTrackingApp | ClickToCallApp | RealtimeApp | ActionsApp,
    Field(discriminator="package"),
]
APP_CLASSES: dict[str, type[_App]] = {
    "CALLTRACKING10": CallTrackingApp,
    "CLICKTOCALL10": ClickToCallApp,
    "REALTIME10": RealtimeApp,
    "ACTIONS10": ActionsApp,
}
PACKAGES = tuple(APP_CLASSES)
MEDIA_PATHS: tuple[tuple[str, ...], ...] = (
    ("medias", "*"),
    ("vms", "intro"),
    ("options", "A_vms_detect", "dtmf_media"),
    ("options", "A_vms_detect", "silence_media"),
    ("options", "B_vms_detect", "dtmf_media"),
    ("options", "B_vms_detect", "silence_media"),
)
"""Where a package's params hold media-library ids (``*``: every key of that object)."""
