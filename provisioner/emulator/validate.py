"""Shared validators and the small schema language the emulator normalizes objects with.

Every failure raises ``ApiError`` 151 (150 for a missing required property) whose message names
the property path and the reason, never the offending value (it could be a secret).
"""

from __future__ import annotations

import copy
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .errors import invalid, missing

E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")
LOCALE_RE = re.compile(r"^[a-z]{2,3}_[A-Z]{2}$")
HASH_RE = re.compile(r"^[A-Z0-9]{8}$")
URL_RE = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

MediaCheck = Callable[[int], bool]
"""Tells whether a media-library id exists in the current account."""


@lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def want_obj(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(path, "must be an object")
    return value


def want_str(value: object, path: str, *, empty: bool = True) -> str:
    if not isinstance(value, str):
        raise invalid(path, "must be a string")
    if not empty and not value:
        raise invalid(path, "must not be empty")
    return value


def want_bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(path, "must be a boolean")
    return value


def want_int(value: object, path: str, lo: int | None = None, hi: int | None = None) -> int:
    if not is_int(value):
        raise invalid(path, "must be an integer")
    assert isinstance(value, int)
    if lo is not None and hi is not None and not lo <= value <= hi:
        raise invalid(path, f"must be between {lo} and {hi}")
    if lo is not None and value < lo:
        raise invalid(path, f"must be at least {lo}")
    if hi is not None and value > hi:
        raise invalid(path, f"must be at most {hi}")
    return value


def want_enum(value: object, path: str, values: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in values:
        raise invalid(path, f"must be one of {', '.join(values)}")
    return value


def want_e164(value: object, path: str) -> str:
    if not isinstance(value, str) or not E164_RE.match(value):
        raise invalid(path, "must be an E.164 phone number (+CCNSN)")
    return value


def want_locale(value: object, path: str, *, empty: bool = False) -> str:
    text = want_str(value, path)
    if (text or not empty) and not LOCALE_RE.match(text):
        raise invalid(path, "must be a locale like fr_FR")
    return text


def want_timezone(value: object, path: str, *, empty: bool = False) -> str:
    text = want_str(value, path)
    if (text or not empty) and text not in timezones():
        raise invalid(path, "must be an IANA timezone name like Europe/Paris")
    return text


def want_url(value: object, path: str, *, empty: bool = False) -> str:
    text = want_str(value, path)
    if (text or not empty) and not URL_RE.match(text):
        raise invalid(path, "must be an http(s) URL")
    return text


def want_email(value: object, path: str) -> str:
    if not isinstance(value, str) or not EMAIL_RE.match(value):
        raise invalid(path, "must be an email address")
    return value


def want_list(value: object, path: str, max_len: int | None = None) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(path, "must be an array")
    if max_len is not None and len(value) > max_len:
        raise invalid(path, f"must have at most {max_len} items")
    return value


def no_unknown_keys(
    obj: Mapping[str, Any], allowed: Mapping[str, Any] | set[str], path: str
) -> None:
    for key in obj:
        if key not in allowed:
            raise invalid(f"{path}.{key}" if path else str(key), "is not a known property")


# --- schema language -------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """A field: its default and how to validate/normalize a given value."""

    default: Any = None
    nullable: bool = False
    required: bool = False

    def make_default(self) -> Any:
        return copy.deepcopy(self.default)

    def check(self, value: Any, path: str, media: MediaCheck) -> Any:
        if value is None and self.nullable:
            return None
        if value is None:
            raise invalid(path, "must not be null")
        return self.check_value(value, path, media)

    def check_value(self, value: Any, path: str, media: MediaCheck) -> Any:
        return value


@dataclass(frozen=True)
class Bool(Spec):
    def check_value(self, value: Any, path: str, media: MediaCheck) -> Any:
        return want_bool(value, path)


@dataclass(frozen=True)
class Int(Spec):
    lo: int | None = None
    hi: int | None = None

    def check_value(self, value: Any, path: str, media: MediaCheck) -> Any:
        return want_int(value, path, self.lo, self.hi)


@dataclass(frozen=True)
class Media(Spec):
    """An int media-library id; 0 means none, anything else must exist in the account."""

    default: Any = 0

    def check_value(self, value: Any, path: str, media: MediaCheck) -> Any:
        ident = want_int(value, path, 0)
        if ident and not media(ident):
            raise invalid(path, "is not a media of this account's library")
        return ident


@dataclass(frozen=True)
class Str(Spec):
    """A string; ``kind`` picks a format: text, e164, locale, timezone, url, email, hash."""

    default: Any = ""
    kind: str = "text"

    def check_value(self, value: Any, path: str, media: MediaCheck) -> Any:
        checks: dict[str, Callable[[Any, str], str]] = {
            "text": want_str,
            "e164": want_e164,
            "email": want_email,
            "locale": lambda v, p: want_locale(v, p, empty=True),
            "timezone": lambda v, p: want_timezone(v, p, empty=True),
            "url": lambda v, p: want_url(v, p, empty=True),
        }
        if self.kind == "hash":
            if not isinstance(value, str) or not HASH_RE.match(value):
                raise invalid(path, "must be an 8-character hash")
            return value
        return checks[self.kind](value, path)


@dataclass(frozen=True)
class Enum(Spec):
    values: tuple[str, ...] = ()

    def check_value(self, value: Any, path: str, media: MediaCheck) -> Any:
        return want_enum(value, path, self.values)


@dataclass(frozen=True)
class List(Spec):
    item: Spec = field(default_factory=Spec)
    max_len: int | None = None

    def make_default(self) -> Any:
        return []

    def check_value(self, value: Any, path: str, media: MediaCheck) -> Any:
        items = want_list(value, path, self.max_len)
        return [self.item.check(v, f"{path}[{i}]", media) for i, v in enumerate(items)]


@dataclass(frozen=True)
class Obj(Spec):
    """An object with documented fields; null or a missing field takes the defaults."""

    fields: Mapping[str, Spec] = field(default_factory=dict)

    def make_default(self) -> Any:
        return {name: spec.make_default() for name, spec in self.fields.items()}

    def check(self, value: Any, path: str, media: MediaCheck) -> Any:
        if value is None:
            value = {}
        return self.check_value(value, path, media)

    def check_value(self, value: Any, path: str, media: MediaCheck) -> Any:
        obj = want_obj(value, path)
        no_unknown_keys(obj, self.fields, path)
        out: dict[str, Any] = {}
        for name, spec in self.fields.items():
            sub = f"{path}.{name}" if path else name
            if name not in obj:
                if spec.required:
                    raise missing(sub)
                out[name] = spec.make_default()
            else:
                out[name] = spec.check(obj[name], sub, media)
        return out
