"""Secret values: carried through models and plans wrapped, revealed only on the wire.

A ``Secret`` compares by value (so a changed password is a change) but prints as
``(sensitive)`` everywhere: repr, str, plans, logs, JSON output. ``reveal`` unwraps a structure for
the request body; ``redact`` replaces every secret for anything a person or a log reads.
"""

from __future__ import annotations

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
