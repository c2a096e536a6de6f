"""Environments: ``--var-file`` variables and ``--overlay`` files over the base manifests.

An overlay is a manifest-shaped mapping (``version: 1`` optional) applied, in order, on top of the
base manifests, before validation:

- An entry the base defines (``apps.NAME``, ``numbers."+33..."``, ``media.NAME``,
  ``sip.subscribers.NAME``, ``sip.trunks.origination.NAME``, ``subaccounts.NAME`` ...) is
  merged into the base file that defines it: mappings merge recursively, key by key; scalars and
  lists replace; ``null`` is a value like any other (it clears the field, as in a manifest).
- ``$delete: [KEY, ...]`` in any mapping removes those keys from the base before the overlay's
  other keys apply (so ``{$delete: [params], params: {...}}`` replaces a whole mapping). Removing
  an entry makes it unmanaged; ``absent: true`` deletes it from the account. Deleting a key the
  base does not have is an error (it is usually a typo).
- An entry no base file defines is added, exactly as if the overlay were one more manifest.
- A list section (``webhooks``, ``numbers.order``) replaces that section in every base file.

What an overlay sets keeps the overlay's file, line and column, so problems point at it; what
comes from the base keeps the base's position.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner.errors import Problem
from provisioner.manifest.loader import Document, Path_, dotted, load_document, walk
from provisioner.manifest.paths import Kind as PathKind
from provisioner.manifest.paths import probe, shown
from provisioner.manifest.pydantic_errors import closest, did_you_mean
from provisioner.models.manifest import SECTIONS
from provisioner.models.values import compact_number

if TYPE_CHECKING:
    from provisioner.manifest.desired import Desired

DELETE = "$delete"
MAP_SECTIONS = frozenset(s.path for s in SECTIONS if not s.is_list)
LIST_SECTIONS = frozenset(s.path for s in SECTIONS if s.is_list)
CONTAINERS = frozenset(s.path[:depth] for s in SECTIONS for depth in range(1, len(s.path)))
SCALARS = (str, int, float, bool, type(None))
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def read_var_files(paths: Sequence[str | Path], display: Callable[[Path], str],
                   env: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """Variables of ``--var-file`` files (later files override earlier ones) and their problems."""
    variables: dict[str, Any] = {}
    problems: list[Problem] = []
    for raw in paths:
        doc, found = _load_file(Path(raw), "var-file", display, env, None)
        problems.extend(found)
        if doc is None or doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            problems.append(doc.problem((), "a var-file is a mapping of names to values"))
            continue
        for name, value in doc.data.items():
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                problems.append(doc.problem((name,), f"invalid variable name {name!r}", key=True))
            elif not isinstance(value, SCALARS):
                problems.append(doc.problem((name,), "a variable is a string, number or boolean"))
            else:
                variables[name] = value
    return variables, problems


def _load_file(path: Path, what: str, display: Callable[[Path], str], env: Mapping[str, str],
               variables: Mapping[str, Any] | None) -> tuple[Document | None, list[Problem]]:
    """The document of a ``what`` file given on the command line and its problems; no document
    (and why, located at the path) when the path is not a readable file."""
    kind, why = probe(path)
    if kind is not PathKind.FILE:
        return None, [Problem(shown(path), 1, 1, "", f"cannot use this {what}: {why}" if why
                              else f"no such {what}")]
    doc, found = load_document(path, display(path), env, variables)
    doc.root = path.resolve().parent
    return doc, found


def parse_var(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` of ``--var`` (the value is a string); ValueError if malformed."""
    name, sep, value = text.partition("=")
    if not sep or not _NAME.fullmatch(name):
        raise ValueError(f"--var {text!r}: expected NAME=VALUE (NAME: letters, digits, _ and -)")
    return name, value


def apply_overlays(bases: Sequence[Document], paths: Sequence[str | Path],
                   display: Callable[[Path], str], env: Mapping[str, str],
                   variables: Mapping[str, Any]) -> tuple[list[Document], list[Problem]]:
    """Apply each overlay to ``bases`` (in place); return the documents of their new entries."""
    added: list[Document] = []
    problems: list[Problem] = []
    usable = [doc for doc in bases if isinstance(doc.data, dict)]
    for raw in paths:
        doc, found = _load_file(Path(raw), "overlay file", display, env, variables)
        problems.extend(found)
        if doc is None:
            continue
        if doc.data is None:
            if not found:
                problems.append(doc.problem((), "empty overlay: add 'version: 1'"))
            continue
        if not isinstance(doc.data, dict):
            problems.append(doc.problem((), "an overlay is a mapping with the manifest's sections"))
            continue
        overlay = _Overlay(doc, usable)
        overlay.container(doc.data, ())
        problems.extend(overlay.problems)
        added.append(overlay.residual())
    return added, problems


class _Overlay:
    def __init__(self, doc: Document, bases: list[Document]) -> None:
        self.doc = doc
        self.bases = bases
        self.problems: list[Problem] = []
        self.new: dict[Any, Any] = {"version": doc.data.get("version", 1)}

    def residual(self) -> Document:
        """The overlay's own document holding only what no base file defines."""
        return dataclasses.replace(self.doc, data=self.new)

    def spelled(self, path: Path_, key: Any) -> Any:
        """The base's spelling of an entry's key: a number matches however it is written
        (``"+33 1 99 00 00 01"`` and ``"+33199000001"`` are one entry)."""
        if path != ("numbers",) or not isinstance(key, str):
            return key
        for base in self.bases:
            section = base.data.get("numbers") if isinstance(base.data, dict) else None
            if isinstance(section, dict):
                for written in section:
                    if written != key and compact_number(written) == compact_number(key):
                        self.respell((*path, key), (*path, written))
                        return written
        return key

    def respell(self, old: Path_, new: Path_) -> None:
        """The overlay's positions of ``old`` now describe the base's entry ``new``."""
        for table in (self.doc.values, self.doc.keys):
            for where in [w for w in table if w[:len(old)] == old]:
                table[new + where[len(old):]] = table[where]

    def container(self, node: dict[Any, Any], path: Path_) -> None:
        """The top level, ``sip``, ``sip.trunks``, or a section's mapping of entries."""
        for name in (self.spelled(path, n) for n in self.deletions(node, path)):
            owners = [b for b in self.bases if _has(b.data, (*path, name))]
            for base in owners:
                _remove(base, (*path, name))
            if not owners:
                self.not_in_base(path, name, [])
        for key, value in node.items():
            child = (*path, key)
            if key == DELETE or child == ("version",):
                continue
            if child in LIST_SECTIONS:
                for base in self.bases:
                    if _has(base.data, child):
                        _remove(base, child)
                self.add(child)
            elif isinstance(value, dict) and (child in MAP_SECTIONS or child in CONTAINERS):
                self.container(value, child)
            elif path in MAP_SECTIONS:
                child = (*path, self.spelled(path, key))
                owner = next((b for b in self.bases if _has(b.data, child)), None)
                if owner is None:
                    self.add(child)
                else:
                    self.merge(owner, child, value)
            else:
                self.add(child)  # a new section, or a wrong shape: validated as written

    def merge(self, base: Document, path: Path_, value: Any) -> None:
        parent = _node(base.data, path[:-1])
        current = parent.get(path[-1])
        if not (isinstance(value, dict) and isinstance(current, dict)):
            _drop(base, path)
            if not isinstance(value, dict):
                parent[path[-1]] = value
                self.locate(base, path, subtree=True)
                return
            current = parent[path[-1]] = {}
            self.locate(base, path, subtree=False)
        for name in self.deletions(value, path):
            if name in current:
                _remove(base, (*path, name))
            else:
                self.not_in_base(path, name, list(current))
        for key, child in value.items():
            if key != DELETE:
                self.merge(base, (*path, key), child)

    def deletions(self, node: dict[Any, Any], path: Path_) -> list[Any]:
        names = node.get(DELETE)
        if names is None:
            return []
        if isinstance(names, SCALARS):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, SCALARS) for n in names):
            self.problems.append(self.doc.problem((*path, DELETE),
                                                  f"{DELETE} takes a list of keys"))
            return []
        return list(names)

    def not_in_base(self, path: Path_, name: Any, keys: list[Any]) -> None:
        names = _node(self.doc.data, path)[DELETE]
        index = names.index(name) if isinstance(names, list) else None
        where = (*path, DELETE) if index is None else (*path, DELETE, index)
        hint = did_you_mean(str(name), [str(k) for k in keys]) if keys else ""
        shown = dotted((*path, name)) if isinstance(name, str | int) else repr(name)
        self.problems.append(self.doc.problem(
            where, f"cannot delete {shown}: the base manifests do not set it{hint}"))

    def add(self, path: Path_) -> None:
        node = self.new
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _node(self.doc.data, path[:-1])[path[-1]]

    def locate(self, base: Document, path: Path_, *, subtree: bool) -> None:
        """Give ``base`` the overlay's positions of ``path`` (and below, for a subtree)."""
        size = len(path)
        for table, target in ((self.doc.values, base.values), (self.doc.keys, base.keys)):
            for where, position in table.items():
                if where == path or (subtree and where[:size] == path):
                    target[where] = position
                    base.sources[where] = self.doc.file
        base.sources[path] = self.doc.file
        for where in self.doc.env_paths:
            if where == path or (subtree and where[:size] == path):
                base.env_paths.add(where)
        for where, name in self.doc.env_names.items():
            if where == path or (subtree and where[:size] == path):
                base.env_names[where] = name


def _has(data: Any, path: Path_) -> bool:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def _node(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _remove(base: Document, path: Path_) -> None:
    del _node(base.data, path[:-1])[path[-1]]
    _drop(base, path)


def _drop(base: Document, path: Path_) -> None:
    """Forget the positions (and provenance) of ``path`` and everything below it."""
    size = len(path)
    for table in (base.values, base.keys, base.sources, base.env_names):
        for where in [w for w in table if w[:size] == path]:
            del table[where]
    base.env_paths.difference_update({w for w in base.env_paths if w[:size] == path})


def reword_added(problems: list[Problem], added: Sequence[Document],
                 desired: Desired) -> list[Problem]:
    """An entry an overlay adds that lacks what a new entry needs is most often a typo of an
    entry of the base (``apps.support-lin``): say so, with the closest name, instead of
    "missing package"."""
    entries: dict[tuple[str, str], tuple[Document, Path_, Any]] = {}
    for doc in added:
        for section in SECTIONS:
            node = None if section.is_list else walk(doc.data, section.path)
            for name in node if isinstance(node, dict) else ():
                path = (*section.path, name)
                entries[(doc.locate(path)[0], dotted(path))] = (doc, path, section)
    out = []
    for problem in problems:
        found = entries.get((problem.file, problem.path))
        if found is not None and problem.message.startswith("missing "):
            doc, path, section = found
            name = path[-1]
            hint = closest(str(name), [str(n) for n in desired.names(section.name) if n != name])
            needs = problem.message.removeprefix("missing ").removeprefix("required key ")
            problem = doc.problem(path, (
                f"no {section.singular} {name!r} in the base manifests to override{hint}; an "
                f"overlay adds a new {section.singular} only with its {needs}"), key=True)
        out.append(problem)
    return out
