"""Webhooks (``webhooks:``): identity is (type, endpoint); options are updated in place."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field

from provisioner.models.values import Spec

TYPE_PATTERN = re.compile(r"^[a-z]+(\.[a-z_]+)+$")
DOCUMENTED_TYPES = (
    "billing.credit", "billing.credit_warning", "billing.credit_shutdown",
    "call.inbound_start", "call.inbound_hangup", "call.outbound_start", "call.outbound_hangup",
    "did.assigned", "did.unassigned", "job.status_update", "media.library.status_update",
    "media.recording.new", "media.recording.status_update", "sms.mo", "sms.mt.status_update",
)
"""The event types CALLR documents; the account's own list (get_event_types) is checked at plan."""


def check_type(value: str) -> str:
    if not TYPE_PATTERN.match(value):
        raise ValueError(f"{value!r} is not an event type such as \"call.inbound_hangup\"")
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(value: str) -> str:
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return value
    if parts.scheme == "http" and host and is_loopback(host):
        return value
    raise ValueError(f"{value!r} must be an https:// URL (plain http only for loopback hosts)")


UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")


def utc_time(value: Any) -> Any:
    """A date or ``YYYY-MM-DD HH:MM[:SS]`` (UTC) as ``YYYY-MM-DD HH:MM:SS``, the API's form."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC) if value.tzinfo else value
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d 00:00:00")
    if isinstance(value, str) and UTC_TIME.match(value.strip()):
        text = value.strip()
        return text + ("" if len(text) == 19 else ":00" if len(text) == 16 else " 00:00:00")
    if isinstance(value, str):
        raise ValueError(f"{value!r} is not a UTC time such as \"2026-12-02 15:30\"")
    return value


EventType = Annotated[str, AfterValidator(check_type)]
Endpoint = Annotated[str, AfterValidator(check_endpoint)]


class WebhookOptions(Spec):
    format: Literal["JSON"] | None = None
    hmac_algo: Literal["MD5", "SHA1", "SHA256", "SHA512"] | None = None
    hmac_secret: Annotated[str, Field(min_length=8, max_length=1024)] | None = None


class WebhookSpec(Spec):
    type: EventType
    endpoint: Endpoint
    options: WebhookOptions | None = None
    secret_rotated_at: Annotated[str, BeforeValidator(utc_time)] | None = None
    """When ``options.hmac_secret`` last changed (UTC). Only for an API that does not show
    secrets: a live webhook subscribed before it is re-subscribed with the new secret."""
    absent: bool = False
    protect: bool = False
    """Any delete or replace of this object is a plan error (remove the flag to allow one)."""


def identity(spec: WebhookSpec) -> tuple[str, str]:
    return (spec.type, spec.endpoint)


def show(key: tuple[str, str]) -> str:
    return f"{key[0]} -> {key[1]}"
