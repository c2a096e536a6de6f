"""Secret values: carried through models and plans wrapped, revealed only on the wire.

A ``Secret`` compares by value (so a changed password is a change) but prints as
``(sensitive)`` everywhere: repr, str, plans, logs, JSON output. ``reveal`` unwraps a structure for
the request body; ``redact`` replaces every secret for anything a person or a log reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

REDACTED = "(sensitive)"


@dataclass(frozen=True)
class Secret:
    value: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    def __str__(self) -> str:
        return REDACTED


def reveal(value: Any) -> Any:
    """A copy of ``value`` with every Secret replaced by its clear value (for the wire only)."""
    if isinstance(value, Secret):
        return value.value
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(v) for v in value]
    return value


def redact(value: Any) -> Any:
    """A copy of ``value`` with every Secret replaced by ``(sensitive)``."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def wrap_paths(value: Any, paths: frozenset[tuple[str, ...]],
               prefix: tuple[str, ...] = ()) -> Any:
    """A copy of a plain structure with the values at ``paths`` (key tuples) wrapped in Secret."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            path = (*prefix, key)
            if path in paths and isinstance(item, str) and item:
                out[key] = Secret(item)
            else:
                out[key] = wrap_paths(item, paths, path)
        return out
    if isinstance(value, list):
        return [wrap_paths(v, paths, prefix) for v in value]
    return value


SECRET_FIELDS = frozenset({
    "password", "hmac_secret", "secret", "api_key", "apikey", "auth", "token", "refresh_token",
})
"""Keys whose values are secret in API objects read back in clear: a SIP subscriber's
``password``, a webhook's ``hmac_secret``, an endpoint's ``auth`` (``login:password``), session
and order ``token``s, a sub-account's ``options.password`` ({method, value}) ..."""


def redact_fields(value: Any) -> Any:
    """A copy of a plain structure (a request's params, a response's result) for a log: every
    Secret, and every value under a key of ``SECRET_FIELDS``, shows as ``(sensitive)``.

    A secret key's nested object is redacted leaf by leaf; null and empty values stay visible
    (that a password is *unset* is not a secret)."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, dict):
        return {k: _hide(v) if str(k).lower() in SECRET_FIELDS else redact_fields(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_fields(v) for v in value]
    return value


def _hide(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _hide(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_hide(v) for v in value]
    if value is None or value == "" or isinstance(value, bool):
        return value
    return REDACTED


def redact_authorization(header: str) -> str:
    """``Basic ***`` or ``Api-Key ***``: the scheme of an Authorization header, never its value."""
    scheme = header.strip().partition(" ")[0]
    return f"{scheme} ***" if scheme else "***"


class LogScrubber(logging.Filter):
    """A last line of defence for log handlers: any registered secret (a password, an API key,
    the base64 token of a Basic header) that reached a message anyway shows as ``***``."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, *secrets: str) -> None:
        self._secrets.update(s for s in secrets if len(s) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            clean = message
            for secret in sorted(self._secrets, key=len, reverse=True):
                clean = clean.replace(secret, "***")
            if clean != message:
                record.msg, record.args = clean, None
        return True


SCRUBBER = LogScrubber()
"""The scrubber the CLI attaches to its log handler; targets register their credentials."""
