"""Looking at a path the user gave without a traceback: a NUL byte, a name longer than the
file system allows, a symlink loop or a permission problem becomes a short reason to report
(located by the caller), never an exception. ``expand_paths`` turns the PATH arguments into the
manifest files they name."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from pathlib import Path

from provisioner.errors import Problem

YAML_SUFFIXES = (".yaml", ".yml")
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


def expand_paths(paths: Sequence[str | Path]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        kind, why = probe(path)
        if kind is Kind.DIRECTORY:
            found = _yaml_files(path)
            if not found:
                problems.append(Problem(str(path), 1, 1, "", "no .yaml or .yml file in directory"))
            files.extend(found)
        elif kind is Kind.FILE:
            files.append(path)
        else:
            problems.append(Problem(shown(path), 1, 1, "",
                                    f"cannot use this path: {why}" if why
                                    else "no such file or directory"))
    return files, problems


def _yaml_files(folder: Path) -> list[Path]:
    """The YAML files under ``folder``, hidden ones left out (``_hidden``); a name the file
    system refuses is skipped."""
    found = []
    for path in folder.rglob("*"):
        if (path.suffix in YAML_SUFFIXES and not _hidden(path.relative_to(folder))
                and probe(path)[0] is Kind.FILE):
            found.append(path)
    return sorted(found)


def _hidden(relative: Path) -> bool:
    """A dot-file, or a file under a dot-folder, below a directory being scanned (``.github``
    workflows, ``.pre-commit-hooks.yaml``): not a manifest unless named on the command line."""
    return any(part.startswith(".") for part in relative.parts)
