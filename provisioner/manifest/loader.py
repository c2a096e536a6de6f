"""YAML files -> plain Python data that remembers where every key and value came from.

Plain documents take the fast path (``fastyaml``: the C composer, with the same marks); anything
unusual, and every syntax error, goes through ruamel.yaml's round-trip loader, which keeps line
and column for each node and words the errors; this module turns its tree
into plain dicts, lists and scalars, plus a table from each node's path (a tuple of keys and list
indexes) to its 1-based line and column, so any later error can be reported as
``file:line:col``. ``${env:NAME}`` placeholders are replaced here, each missing variable being one
located problem (unless the placeholder has a ``:-default``, or the environment is
``SyntaxOnlyEnv``: then ``validate`` checks placeholders by syntax only). ``${var:NAME}``
placeholders take the values of ``--var``/``--var-file`` (``Document.variables``); a scalar
that is exactly one ``${var:NAME}`` takes the variable's value with its type (a var-file's
``30`` stays an int), inside a longer string its text.

Those two are the tool's only placeholders: any other ``${...}`` (above all a Callr Actions
expression, ``${{ $target }}``) is left exactly as written. ``$${env:`` and ``$${var:`` are
the escape: they read as a literal ``${env:`` / ``${var:`` (each ``$${`` before ``env:`` or
``var:`` loses one ``$``).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, CommentedSet, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from provisioner.errors import Notice, Problem
from provisioner.manifest.duplicate_keys import duplicate_key
from provisioner.manifest.fastyaml import compose_plain
from provisioner.manifest.positions import remember_entry, remember_item
from provisioner.manifest.yaml_errors import quiet_load, yaml_error
from provisioner.sensitive import KNOWN

Path_ = tuple[str | int, ...]
ENV_PATTERN = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
"""``${env:NAME}``, or ``${env:NAME:-default}`` (the default when NAME is not set; still a
secret wherever it ends up, like any value of an env placeholder)."""
ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
"""``${env:NAME}`` alone: what saved plans write back in place of an environment value."""
VAR_PATTERN = re.compile(r"\$\{var:([A-Za-z_][A-Za-z0-9_-]*)\}")
ESCAPE_PATTERN = re.compile(r"\$(\$\{(?:env|var):)")
PLACEHOLDER = re.compile(f"{ESCAPE_PATTERN.pattern}|{ENV_PATTERN.pattern}|{VAR_PATTERN.pattern}")
OURS = re.compile(r"\$\{(?:env|var):")
"""What starts one of the tool's placeholders: anything after it must be a well-formed one."""
LOOKALIKE = re.compile(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)\}")
"""``${BOT_PASSWORD}``: not a placeholder (only ``env:``/``var:`` are), so a notice says so."""


@dataclass
class Document:
    """One YAML file: its data and the position of every node in it."""

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    env_paths: set[Path_] = field(default_factory=set)
    env_names: dict[Path_, str] = field(default_factory=dict)
    """Scalars written as exactly one ``${env:NAME}`` -> NAME (saved plans refer to secrets so)."""
    variables: Mapping[str, Any] = field(default_factory=dict)
    """``${var:NAME}`` values (``--var``, ``--var-file``)."""
    used_variables: set[str] = field(default_factory=set)
    """The names of the ``${var:NAME}`` placeholders written in the file."""
    sources: dict[Path_, str] = field(default_factory=dict)
    """Nodes an overlay put here -> the overlay's file (their positions are in that file)."""
    root: Path | None = None
    """The folder audio files must stay inside (the PATH given on the command line)."""
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    """The environment ``${env:...}`` read from (files this one refers to read it too)."""
    converted: int = field(default=0, repr=False, compare=False)
    unset: set[Path_] = field(default_factory=set)
    """Scalars with a missing variable or a malformed placeholder (their other problems are
    consequences, left out by ``without_second_hand``)."""
    notices: list[Problem] = field(default_factory=list)
    """Located warnings: a ``${NAME}`` that looks like a forgotten ``env:`` ..."""

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

    def locate(self, path: Path_, *, key: bool = False) -> tuple[str, int, int]:
        """File, line and column of ``path``: an overlay's file for what an overlay set."""
        line, col = self.position(path, key=key)
        probe = tuple(path)
        while probe and probe not in self.sources:
            if probe in self.values or probe in self.keys:
                return self.file, line, col
            probe = probe[:-1]
        return self.sources.get(probe, self.file), line, col

    def problem(self, path: Path_, message: str, *, key: bool = False) -> Problem:
        file, line, col = self.locate(path, key=key)
        return Problem(file, line, col, dotted(path), message)


def walk(data: Any, path: Path_) -> Any:
    """The node at ``path`` in plain data, or None when the data does not go that deep."""
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


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


def load_document(path: Path, display: str, env: Mapping[str, str],
                  variables: Mapping[str, Any] | None = None) -> tuple[Document, list[Problem]]:
    """Parse one file; return the document and the problems found (syntax, env placeholders)."""
    try:
        text = _read_text(path)
    except _Refused as exc:
        return Document(display, None), [Problem(display, exc.line, exc.col, "", exc.message)]
    except OSError as exc:
        return Document(display, None), [Problem(display, 1, 1, "", f"cannot read file: {exc}")]
    too_deep = _deepest_line(text, FLOW_LIMIT)
    if too_deep is not None:  # refused before parsing: the parser would take seconds to fail
        return Document(display, None), [Problem(
            display, too_deep, 1, "", f"YAML error: nested deeper than {MAX_DEPTH} levels")]
    fast = compose_plain(text, MAX_DEPTH, MAX_NODES)
    if fast is None:
        return load_round_trip(text, display, env, variables)
    doc = Document(display, None, fast.values, fast.keys, variables=variables or {})
    problems: list[Problem] = []
    doc.data = _substitute_all(fast.data, (), doc, env, problems)
    return doc, problems


def load_round_trip(text: str, display: str, env: Mapping[str, str],
                    variables: Mapping[str, Any] | None = None) -> tuple[Document, list[Problem]]:
    """The slow, thorough path: ruamel.yaml's round-trip loader (errors worded, tags refused,
    aliases counted)."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = quiet_load(yaml, text)
    except RecursionError:
        line = _deepest_line(text, MAX_DEPTH) or 1
        return Document(display, None), [Problem(
            display, line, 1, "", f"YAML error: nested deeper than {MAX_DEPTH} levels")]
    except DuplicateKeyError as exc:  # its message quotes both values, passwords included
        return Document(display, None), [duplicate_key(text, display, exc)]
    except MarkedYAMLError as exc:
        line, col, reason = yaml_error(exc)
        return Document(display, None), [Problem(display, line, col, "", f"YAML error: {reason}")]
    except (YAMLError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        # ruamel raises more than YAMLError on some malformed input (bad !!binary, dates ...)
        return Document(display, None), [Problem(display, 1, 1, "", f"YAML error: {exc}")]
    doc = Document(display, None, variables=variables or {})
    problems: list[Problem] = []
    try:
        doc.data = _convert(tree, (), doc, env, problems)
    except _Refused as exc:
        doc.data = None
        return doc, [doc.problem(exc.path, exc.message)]
    return doc, problems


MAX_BYTES = 5_000_000
"""A manifest file larger than this is refused (real ones are a few kilobytes)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted (a manifest needs fewer than 10 levels)."""
MAX_NODES = 200_000
"""Most values a document may hold once aliases are expanded (stops "billion laughs")."""


class _Refused(Exception):
    def __init__(self, message: str, path: Path_ = (), line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message, self.path, self.line, self.col = message, path, line, col


def _read_text(path: Path) -> str:
    """The file's text; _Refused, located, for a huge file or bytes that are not UTF-8."""
    with path.open("rb") as stream:
        raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise _Refused(f"file too large: more than {MAX_BYTES // 1_000_000} MB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _Refused(f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded (save the "
                       "file as UTF-8)", line=line, col=col) from None


FLOW_LIMIT = 200
"""Brackets open at once beyond which a file is refused unparsed (the parser fails near 300)."""


def _deepest_line(text: str, limit: int) -> int | None:
    """The line where brackets (counted naively) or indentation first nest deeper than limit."""
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) - len(line.lstrip(" ")) > 2 * limit:
            return number
        opens = line.count("[") + line.count("{")
        if depth + opens <= limit:  # cannot go past the limit on this line: count at once
            depth += opens - line.count("]") - line.count("}")
            continue
        for char in line:
            depth += (char in "[{") - (char in "]}")
            if depth > limit:
                return number
    return None


def _refuse_tag(node: Any, path: Path_) -> None:
    tag = getattr(getattr(node, "tag", None), "value", None)
    if isinstance(node, TaggedScalar | CommentedSet | bytes) or tag is not None:
        shown = tag or ("!!set" if isinstance(node, CommentedSet) else "!!binary")
        shown = str(shown).replace("tag:yaml.org,2002:", "!!")
        raise _Refused(f"YAML tag {shown} is not supported: manifests are plain YAML "
                       "(remove the tag)", path)


def _convert(node: Any, path: Path_, doc: Document, env: Mapping[str, str],
             problems: list[Problem]) -> Any:
    doc.converted += 1
    if doc.converted > MAX_NODES:
        raise _Refused(f"more than {MAX_NODES} values once aliases are expanded (an alias "
                       "bomb?): write the values out", path[:1])
    if len(path) > MAX_DEPTH:
        raise _Refused(f"nested deeper than {MAX_DEPTH} levels", path)
    if isinstance(node, TaggedScalar) and str(node.tag.value).endswith(":str"):
        node = str(node.value)
    _refuse_tag(node, path)
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, key)
            remember_entry(node, key, child, doc.keys, doc.values)
            out[plain_scalar(key)] = _convert(value, child, doc, env, problems)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            remember_item(node, index, child, doc.values)
            items.append(_convert(value, child, doc, env, problems))
        return items
    if isinstance(node, str):
        return _substitute(str(node), path, doc, env, problems)
    return plain_scalar(node)


def _substitute_all(value: Any, path: Path_, doc: Document, env: Mapping[str, str],
                    problems: list[Problem]) -> Any:
    """Plain data with every placeholder of its strings replaced (the fast path's data)."""
    if isinstance(value, dict):
        return {key: _substitute_all(item, (*path, key), doc, env, problems)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute_all(item, (*path, index), doc, env, problems)
                for index, item in enumerate(value)]
    if isinstance(value, str):
        return _substitute(value, path, doc, env, problems)
    return value


def plain_scalar(value: Any) -> Any:
    """ruamel's scalar subclasses (keys and values) as plain Python."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _substitute(text: str, path: Path_, doc: Document, env: Mapping[str, str],
                problems: list[Problem]) -> Any:
    if "${" not in text:
        return text
    whole_var = VAR_PATTERN.fullmatch(text)
    if whole_var is not None:
        return _variable(whole_var.group(1), path, doc, problems)
    has_env = ENV_PATTERN.search(text) is not None
    if has_env:
        doc.env_paths.add(path)
    whole = ENV_PATTERN.fullmatch(text)
    if whole is not None and whole.group(2) is None:
        doc.env_names[path] = whole.group(1)

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return match.group(1)  # $${env: -> ${env:
        if match.group(4) is not None:
            return _as_text(_variable(match.group(4), path, doc, problems))
        name, default = match.group(2), match.group(3)
        if name in env:
            KNOWN.add(env[name], name)  # sensitive wherever it ends up, whatever the field
            return env[name]
        if default is not None:
            KNOWN.add(default, name)  # a default is as sensitive as the value it stands for
            return default
        if not getattr(env, "syntax_only", False):  # SyntaxOnlyEnv, maybe wrapped
            problems.append(doc.problem(
                path, f"environment variable {name} is not set (export {name}=... before running)"
            ))
        doc.unset.add(path)  # its value is unknown: what validation says of "" is moot
        return ""

    result = PLACEHOLDER.sub(replace, text)
    if has_env:
        _remember_shape(text, doc)
        key = next((part for part in reversed(path) if isinstance(part, str)), None)
        if key is not None:
            KNOWN.add_key(key)
    for match in LOOKALIKE.finditer(text):  # kept as written, but probably meant ${env:NAME}
        notice = doc.problem(path, f"{match.group()} is sent as written: write "
                                   f"${{env:{match.group(1)}}} to read the environment")
        doc.notices.append(Notice(*astuple(notice)))
    if OURS.search(PLACEHOLDER.sub("", text)):
        problems.append(doc.problem(path, "malformed placeholder: use ${env:NAME} or ${var:NAME}"))
        doc.unset.add(path)
    return result


def substitute_lines(text: str, display: str, env: Mapping[str, str],
                     variables: Mapping[str, Any],
                     used: set[str] | None = None) -> tuple[str, list[Problem]]:
    """``text`` (a file another file refers to) with its placeholders replaced line by line,
    each problem located at its line in ``display``; the variables it uses are added to
    ``used`` (the referring file's ``used_variables``)."""
    doc = Document(display, None, variables=variables,
                   used_variables=used if used is not None else set())
    problems: list[Problem] = []
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if "${" in line:
            doc.values[(index,)] = (index + 1, 1)
            lines[index] = _as_text(_substitute(line, (index,), doc, env, problems))
    return "\n".join(lines), [Problem(p.file, p.line, p.col, "", p.message) for p in problems]


def _remember_shape(text: str, doc: Document) -> None:
    """The literal parts around the ``${env:...}`` holes of ``text`` (``${var:...}`` taken as
    text): a live value of that shape is masked even when it holds an old value."""
    literals, names, last = [""], [], 0
    for match in PLACEHOLDER.finditer(text):
        literals[-1] += text[last:match.start()]
        last = match.end()
        if match.group(1) is not None:  # an escaped $${env: is text
            literals[-1] += match.group(1)
        elif match.group(4) is not None:  # ${var:NAME} (group 3 is an env default)
            literals[-1] += _as_text(doc.variables.get(match.group(4), ""))
        else:
            names.append(match.group(2))
            literals.append("")
    literals[-1] += text[last:]
    KNOWN.add_shape(literals, names)


def _variable(name: str, path: Path_, doc: Document, problems: list[Problem]) -> Any:
    doc.used_variables.add(name)
    if name not in doc.variables:
        close = difflib.get_close_matches(name, [str(v) for v in doc.variables], n=1)
        typo = f' ("{close[0]}" is set: a typo?)' if close else ""
        problems.append(doc.problem(
            path, f'variable "{name}" is not set; pass --var {name}=... or add it to a '
                  f"--var-file{typo}"))
        doc.unset.add(path)
        return ""
    return doc.variables[name]


PLACEHOLDER_MESSAGES = ("environment variable ", 'variable "', "malformed placeholder")


def without_second_hand(problems: list[Problem], docs: list[Document]) -> list[Problem]:
    """Drop the problems of a value whose placeholder failed, but that placeholder problem: an
    unset ``${var:url}`` reads as "", which is not a URL either, and saying so adds nothing."""
    failed = {(doc.locate(path)[0], dotted(path)) for doc in docs for path in doc.unset}
    return [p for p in problems if (p.file, p.path) not in failed
            or p.message.startswith(PLACEHOLDER_MESSAGES)]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class SyntaxOnlyEnv(dict[str, str]):
    """An environment with no variable set, where a missing one is not a problem: ``validate``
    checks ``${env:NAME}`` placeholders by their syntax only (``plan`` and ``apply`` resolve
    them), so it runs without the secrets' values, like a pre-commit hook must."""

    syntax_only = True


def default_env() -> Mapping[str, str]:
    return os.environ
