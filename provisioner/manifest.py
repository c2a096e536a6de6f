"""Manifest files -> one validated ``Desired`` account, or every problem at once.

Steps: expand the paths (directories give their ``*.yaml``/``*.yml`` files, recursively, sorted),
load each file with positions and ``${env:...}`` substitution, validate it against
``ManifestFile``, merge the files (the same identity twice is an error naming both places), then
check references across entries (a number's app must be defined and take DIDs ...). Nothing here
talks to the API.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from provisioner.errors import ManifestError, Problem
from provisioner.loader import Document, Path_, default_env, load_document
from provisioner.models.apps import AppSpec
from provisioner.models.manifest import ManifestFile
from provisioner.pydantic_errors import did_you_mean, problems_from, strip_optional

YAML_SUFFIXES = (".yaml", ".yml")
SECTIONS = tuple(name for name in ManifestFile.model_fields if name != "version")


@dataclass(frozen=True)
class Origin:
    """Where an entry was defined: its document and its path inside it."""

    doc: Document
    path: Path_

    def __str__(self) -> str:
        line, col = self.doc.position(self.path, key=True)
        return f"{self.doc.file}:{line}:{col}"

    def problem(self, message: str, *sub: str | int, key: bool = False) -> Problem:
        return self.doc.problem((*self.path, *sub), message, key=key)


@dataclass
class Desired:
    """The merged desired state of one account (the master, or a sub-account's resources)."""

    apps: dict[str, AppSpec] = field(default_factory=dict)
    numbers: dict[str, str | None] = field(default_factory=dict)
    origins: dict[tuple[str, Any], Origin] = field(default_factory=dict)
    invalid: set[tuple[str, Any]] = field(default_factory=set)

    def origin(self, section: str, identity: Any) -> Origin | None:
        return self.origins.get((section, identity))

    def names(self, section: str) -> list[Any]:
        """Every identity defined in ``section``, valid or not (for "did you mean" hints)."""
        return [identity for (sec, identity) in self.origins if sec == section]


def expand_paths(paths: Sequence[str | Path]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
            if not found:
                problems.append(Problem(str(path), 1, 1, "", "no .yaml or .yml file in directory"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), 1, 1, "", "no such file or directory"))
    return files, problems


def load(paths: Sequence[str | Path], env: Mapping[str, str] | None = None) -> Desired:
    """Load, validate and merge manifest files; raise ManifestError listing every problem."""
    env = default_env() if env is None else env
    files, problems = expand_paths(paths)
    desired = Desired()
    for path in files:
        doc, doc_problems = load_document(path, _display(path), env)
        problems.extend(doc_problems)
        if doc.data is None and not doc_problems:
            problems.append(Problem(doc.file, 1, 1, "", "empty manifest: add 'version: 1'"))
            continue
        if doc_problems and doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            problems.append(doc.problem((), "a manifest is a mapping with 'version: 1' at the top"))
            continue
        _validate_and_merge(desired, doc, problems)
    problems.extend(check_references(desired))
    if problems:
        raise ManifestError(problems)
    return desired


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _validate_and_merge(desired: Desired, doc: Document, problems: list[Problem]) -> None:
    """Validate the file entry by entry, so one bad app does not hide problems elsewhere."""
    data: dict[Any, Any] = doc.data
    fields = ManifestFile.model_fields
    for key in data:
        if key not in fields:
            hint = did_you_mean(str(key), list(fields))
            problems.append(doc.problem((key,), f"unknown section {key!r}{hint}", key=True))
    if "version" not in data:
        problems.append(doc.problem((), "missing 'version: 1' at the top of the file"))
    elif data["version"] != 1:
        problems.append(doc.problem(("version",), f"unsupported version {data['version']!r}: use 1"))
    for section in SECTIONS:
        if data.get(section) is not None:
            _merge_section(desired, section, doc, problems)


def _merge_section(desired: Desired, section: str, doc: Document, problems: list[Problem]) -> None:
    raw = doc.data[section]
    key_type, value_type = typing.get_args(strip_optional(ManifestFile.model_fields[section].annotation))
    if not isinstance(raw, dict):
        problems.append(doc.problem((section,), f"{section} must be a mapping"))
        return
    target: dict[Any, Any] = getattr(desired, section)
    for raw_key, raw_value in raw.items():
        origin = Origin(doc, (section, raw_key))
        identity = _validated(key_type, raw_key, doc, (section, raw_key), problems, key=True)
        if identity is None:
            continue
        value = _validated(value_type, raw_value, doc, (section, raw_key), problems)
        first = desired.origins.get((section, identity))
        if first is not None:
            problems.append(origin.problem(
                f"{_singular(section)} {identity!r} is defined twice: also at {first}", key=True
            ))
            continue
        desired.origins[(section, identity)] = origin
        if value is _INVALID:
            desired.invalid.add((section, identity))
        else:
            target[identity] = value


_INVALID: Any = object()


@cache
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def _validated(tp: Any, value: Any, doc: Document, path: Path_, problems: list[Problem],
               *, key: bool = False) -> Any:
    try:
        return _adapter(tp).validate_python(value)
    except ValidationError as exc:
        located = problems_from(exc, doc, tp, path)
        if key:
            located = [doc.problem(path, p.message, key=True) for p in located]
        problems.extend(located)
        return None if key else _INVALID


def _singular(section: str) -> str:
    return {"apps": "app", "numbers": "number"}.get(section, section)


def check_references(desired: Desired) -> list[Problem]:
    """Cross-entry checks: every number's app is defined, present, and takes DIDs."""
    problems: list[Problem] = []
    for number, app_name in desired.numbers.items():
        if app_name is None:
            continue
        origin = desired.origins[("numbers", number)]
        app = desired.apps.get(app_name)
        if app is None and ("apps", app_name) in desired.invalid:
            continue
        if app is None:
            hint = _closest(app_name, desired.names("apps"))
            problems.append(origin.problem(f"app {app_name!r} is not defined in apps{hint}"))
        elif app.absent:
            problems.append(origin.problem(f"app {app_name!r} is marked absent: it takes no DID"))
        elif not app.has_did:
            problems.append(origin.problem(
                f"app {app_name!r} is a {app.package} app, which cannot be assigned a DID"
            ))
    return problems


def _closest(name: str, candidates: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
