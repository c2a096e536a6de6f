"""Looking at a path the user gave without a traceback: a NUL byte, a name longer than the
file system allows, a symlink loop or a permission problem becomes a short reason to report
(located by the caller), never an exception."""

from __future__ import annotations

import enum
from pathlib import Path

PATH_ERRORS = (OSError, ValueError, RuntimeError)
"""What looking at a path may raise: OSError (too long, no permission, loop), ValueError (a
NUL byte), RuntimeError (``Path.resolve`` on a symlink loop, before Python 3.13)."""


class Kind(enum.Enum):
    FILE = "file"
    DIRECTORY = "directory"
    MISSING = "missing"
    OTHER = "other"


def probe(path: Path) -> tuple[Kind, str]:
    """What ``path`` is, and why it cannot be used when that is known ("" otherwise)."""
    if "\0" in str(path):  # Path.is_dir and the like answer False: say why
        return Kind.OTHER, "the path contains a NUL byte"
    try:
        if path.is_dir():
            return Kind.DIRECTORY, ""
        if path.is_file():
            return Kind.FILE, ""
        if path.is_symlink():
            path.stat()  # a dangling link or a loop: say which
        return (Kind.OTHER, "not a regular file") if path.exists() else (Kind.MISSING, "")
    except FileNotFoundError:
        return Kind.MISSING, ""
    except PATH_ERRORS as exc:
        return Kind.OTHER, reason(exc)


def reason(exc: BaseException) -> str:
    """A short, value-free reason for a PATH_ERRORS exception."""
    if isinstance(exc, ValueError):
        return "the path contains a NUL byte" if "null" in str(exc) else "invalid path"
    if isinstance(exc, RuntimeError):
        return "a symlink loop"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


def shown(path: str | Path) -> str:
    """The path as it may be printed: control characters (a NUL byte ...) escaped."""
    text = str(path)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
