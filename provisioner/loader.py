"""YAML files -> plain Python data that remembers where every key and value came from.

ruamel.yaml's round-trip loader keeps line and column for each node; this module turns its tree
into plain dicts, lists and scalars, plus a table from each node's path (a tuple of keys and list
indexes) to its 1-based line and column, so any later error can be reported as
``file:line:col``. ``${env:NAME}`` placeholders are replaced here, each missing variable being one
located problem.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from provisioner.errors import Problem

Path_ = tuple[str | int, ...]
ENV_PATTERN = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Document:
    """One YAML file: its data and the position of every node in it."""

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    env_paths: set[Path_] = field(default_factory=set)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the node at ``path``, or of its nearest located ancestor."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def problem(self, path: Path_, message: str, *, key: bool = False) -> Problem:
        line, col = self.position(path, key=key)
        return Problem(self.file, line, col, dotted(path), message)


def dotted(path: Path_) -> str:
    """``('apps', 'bot', 'params', 'targets', 0)`` -> ``apps.bot.params.targets[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            if not re.fullmatch(r"[A-Za-z0-9_-]+", text):
                text = f'"{text}"'
            out += f".{text}" if out else text
    return out


def load_document(path: Path, display: str,
                  env: Mapping[str, str]) -> tuple[Document, list[Problem]]:
    """Parse one file; return the document and the problems found (syntax, env placeholders)."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Document(display, None), [Problem(display, 1, 1, "", f"cannot read file: {exc}")]
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = (exc.problem or exc.context or "invalid YAML").strip()
        return Document(display, None), [Problem(display, line, col, "", f"YAML error: {reason}")]
    except YAMLError as exc:
        return Document(display, None), [Problem(display, 1, 1, "", f"YAML error: {exc}")]
    doc = Document(display, None)
    problems: list[Problem] = []
    doc.data = _convert(tree, (), doc, env, problems)
    return doc, problems


def _convert(node: Any, path: Path_, doc: Document, env: Mapping[str, str],
             problems: list[Problem]) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, key)
            try:
                kline, kcol = node.lc.key(key)
                vline, vcol = node.lc.value(key)
                doc.keys[child] = (kline + 1, kcol + 1)
                # An empty (null) value has no token of its own: ruamel gives the position of
                # whatever follows, possibly past the end of the file; the key is better.
                doc.values[child] = (vline + 1, vcol + 1) if value is not None else (
                    kline + 1, kcol + 1)
            except (KeyError, TypeError, AttributeError):
                pass
            out[_plain_key(key)] = _convert(value, child, doc, env, problems)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            try:
                line, col = node.lc.item(index)
                doc.values[child] = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError, IndexError):
                pass
            items.append(_convert(value, child, doc, env, problems))
        return items
    if isinstance(node, str):
        return _substitute(str(node), path, doc, env, problems)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _plain_key(key: Any) -> Any:
    if isinstance(key, str):
        return str(key)
    if isinstance(key, bool):
        return bool(key)
    if isinstance(key, int):
        return int(key)
    return key


def _substitute(text: str, path: Path_, doc: Document, env: Mapping[str, str],
                problems: list[Problem]) -> str:
    if "${" not in text:
        return text
    doc.env_paths.add(path)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            problems.append(doc.problem(
                path, f"environment variable {name} is not set (export {name}=... before running)"
            ))
            return ""
        return env[name]

    result = ENV_PATTERN.sub(replace, text)
    if "${" in ENV_PATTERN.sub("", text):
        problems.append(doc.problem(path, "malformed placeholder: use ${env:NAME}"))
    return result


def default_env() -> Mapping[str, str]:
    return os.environ
