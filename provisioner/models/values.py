"""Value types shared by every manifest model, with the formats and ranges of ``objects.txt``.

Each type is an ``Annotated`` str or int whose validator gives a message a person can act on.
Phone numbers are normalized (spaces, dots, dashes and parentheses removed) so that
``"+33 1 99 00 00 01"`` and ``"+33199000001"`` are the same number on both sides of a diff.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

E164_PATTERN = re.compile(r"^\+[1-9]\d{6,14}$")
LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}_[A-Z]{2}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MEDIA_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


class Spec(BaseModel):
    """Base of manifest models: strict types, unknown keys rejected, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


def normalize_e164(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return value
    if isinstance(value, int):
        raise ValueError(f'phone numbers must be quoted strings, e.g. "+{value}"')
    compact = re.sub(r"[\s.()\-]", "", value)
    if not E164_PATTERN.match(compact):
        raise ValueError(f"{value!r} is not an E.164 number (\"+CCNSN\", e.g. \"+33123456789\")")
    return compact


def compact_number(number: Any) -> Any:
    """A phone number as the API may write it (``"33 1 99 00 00 01"``) in compact E.164.

    Used on live values, which are not validated: anything that is not a number is returned
    unchanged.
    """
    if not isinstance(number, str):
        return number
    compact = re.sub(r"[\s.()\-]", "", number)
    if compact.isdigit():
        compact = "+" + compact
    return compact


def normalize_cli(value: Any) -> Any:
    if value == "BLOCKED":
        return value
    try:
        return normalize_e164(value)
    except ValueError as exc:
        raise ValueError(f"{exc}, or \"BLOCKED\"") from None


def check_locale(value: str) -> str:
    if not LOCALE_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a locale such as \"en_US\" or \"fr_FR\"")
    return value


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError(f"{value!r} is not an IANA timezone such as \"Europe/Paris\"")
    return value


def check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def check_email(value: str) -> str:
    if not EMAIL_PATTERN.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def check_media_ref(value: int | str) -> int | str:
    if isinstance(value, int) and value < 0:
        raise ValueError("a media id is 0 (none) or a positive int")
    if isinstance(value, str) and not MEDIA_NAME_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a media name (letters, digits, space . _ -)")
    return value


E164 = Annotated[str, BeforeValidator(normalize_e164)]
Cli = Annotated[str, BeforeValidator(normalize_cli)]
Locale = Annotated[str, AfterValidator(check_locale)]
Timezone = Annotated[str, AfterValidator(check_timezone)]
Url = Annotated[str, AfterValidator(check_url)]
Email = Annotated[str, AfterValidator(check_email)]
MediaRef = Annotated[int | str, Field(union_mode="left_to_right"), AfterValidator(check_media_ref)]
"""A media-library item: an int id (0 = none) or the name of a ``media:`` entry."""


NonNegative = Annotated[int, Field(ge=0)]
"""An int whose range objects.txt does not document: only negative values are refused."""


def bounded(low: int, high: int) -> Any:
    """An int constrained to ``low..high`` inclusive, as objects.txt documents ranges."""
    return Annotated[int, Field(ge=low, le=high)]
