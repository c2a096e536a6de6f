"""The packages' ``p`` schemas: ONE table per package, holding every documented field's default.

Defaults follow ``objects.txt`` where it states one: VmsDetect silence_ms 1800,
silence_iterations 1, silence_timeout 3, dtmf_iterations 2, dtmf_timeout 2; media ids 0;
feeds "both"; ner/pii/sentiment true; Target timeout 30. Elsewhere the emulator picks:
booleans false, strings "" (an empty locale/timezone/url means "account default"/"unset"),
lists [], ``transcription`` null (the account default), ``email_template`` null,
vms timeout 120, file_format "mp3", A_attempts 1, A_retrypause 30, VmsDetect method "SILENCE".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioner import actions

from .errors import invalid
from .validate import Bool, Enum, Int, List, Media, MediaCheck, Obj, Spec, Str, want_str

FEEDS = ("all", "both", "leg_a", "leg_b")

VMS = Obj(
    fields={
        "active": Bool(False),
        "email_template": Str(None, nullable=True, kind="hash"),
        "emails": List(item=Str(kind="email")),
        "file_format": Enum("mp3", values=("mp3", "sln", "wav")),
        "file_name": Str(""),
        "intro": Media(),
        "locale": Str("", kind="locale"),
        "ner": Bool(True),
        "pii": Bool(True),
        "record": Bool(False),
        "sentiment": Bool(True),
        "timeout": Int(120, lo=30, hi=300),
        "timezone": Str("", kind="timezone"),
        "transcription": Bool(None, nullable=True),
    }
)

VMS_DETECT = Obj(
    fields={
        "active": Bool(False),
        "dtmf_iterations": Int(2, lo=1, hi=30),
        "dtmf_media": Media(),
        "dtmf_timeout": Int(2, lo=0, hi=120),
        "method": Enum("SILENCE", values=("DTMF", "SILENCE")),
        "silence_iterations": Int(1, lo=1, hi=30),
        "silence_media": Media(),
        "silence_ms": Int(1800, lo=50, hi=10000),
        "silence_timeout": Int(3, lo=0, hi=120),
    }
)

TARGET = Obj(
    fields={
        "number": Str(required=True, kind="e164"),
        "timeout": Int(30, lo=5, hi=300),
    }
)


def _call_options(**extra: Spec) -> dict[str, Spec]:
    return {
        **extra,
        "feeds": Enum("both", values=FEEDS),
        "locale": Str("", kind="locale"),
        "ner": Bool(True),
        "pii": Bool(True),
        "record_calls": Bool(False),
        "sentiment": Bool(True),
        "transcription": Bool(None, nullable=True),
    }


CALLTRACKING10 = Obj(
    fields={
        "ga": Obj(fields={"ua": Str("")}),
        "medias": Obj(
            fields={"bridge": Media(), "ringtone": Media(), "welcome": Media(), "whisper": Media()}
        ),
        "options": Obj(fields=_call_options()),
        "targets": List(item=TARGET),
        "vms": VMS,
    }
)

CLICKTOCALL10 = Obj(
    fields={
        "medias": Obj(
            fields={
                "A_ringtone": Media(),
                "A_welcome": Media(),
                "AB_bridge": Media(),
                "B_whisper": Media(),
            }
        ),
        "options": Obj(
            fields=_call_options(
                A_attempts=Int(1, lo=1, hi=5),
                A_retrypause=Int(30, lo=30, hi=300),
                A_vms_detect=VMS_DETECT,
                B_vms_detect=VMS_DETECT,
            )
        ),
        "vms": VMS,
    }
)

REALTIME10 = Obj(
    fields={
        "data_format": Enum("JSON", values=("JSON",)),
        "login": Str(""),
        "password": Str(""),
        "url": Str("", kind="url"),
    }
)



@dataclass(frozen=True)
class Script(Spec):
    """An Actions scenario: YAML text that parses to a mapping, 1..32,768 characters (the
    REST v2 limit; "" only as the default of an app created without one)."""

    default: Any = ""

    def check_value(self, value: Any, path: str, media: MediaCheck) -> Any:
        text = want_str(value, path)
        if len(text) > actions.MAX_SCRIPT_CHARS:
            raise invalid(path, f"is longer than {actions.MAX_SCRIPT_CHARS} characters")
        try:
            data = actions.parse(text).data
        except actions.ScenarioSyntaxError:
            raise invalid(path, "is not valid YAML") from None
        if not isinstance(data, dict):
            raise invalid(path, "must be a YAML mapping (a Callr Actions scenario)")
        return text


ACTIONS10 = Obj(fields={"format": Enum("YAML", values=("YAML",)), "script": Script()})

PACKAGES: dict[str, tuple[str, bool, Obj]] = {
    "ACTIONS10": ("ACTIONS", True, ACTIONS10),
    "CALLTRACKING10": ("CALLTRACKING", True, CALLTRACKING10),
    "CLICKTOCALL10": ("CLICKTOCALL", False, CLICKTOCALL10),
    "REALTIME10": ("REALTIME", True, REALTIME10),
}
"""package name -> (App.Package.type, has_did, params schema)."""


def normalize_params(package: str, params: Any, media: MediaCheck) -> dict[str, Any]:
    """Validate ``params`` for ``package`` and fill every documented field with its default."""
    schema = PACKAGES[package][2]
    result: dict[str, Any] = schema.check(params, "p", media)
    return result


def normalize_vms(vms: Any, path: str, media: MediaCheck) -> dict[str, Any]:
    result: dict[str, Any] = VMS.check(vms, path, media)
    return result
