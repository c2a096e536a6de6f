"""A scenario's text -> plain data with the line and column of every node, and back to text.

Parsing uses ruamel.yaml's round-trip loader (it keeps positions and refuses duplicate keys).
The data is plain Python: dicts, lists, strings, numbers, booleans and None. Two YAML
details are normalized here, because the runtime sees them so: an unquoted date
(``version: 2025-09-01``) is the string ``"2025-09-01"``, and a tagged scalar (``if: !$dial.ok``,
an unquoted leading ``!``) keeps its text, with a finding saying to quote it.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from provisioner.manifest.fastyaml import compose_plain
from provisioner.manifest.loader import plain_scalar
from provisioner.manifest.positions import remember_entry, remember_item
from provisioner.manifest.yaml_errors import quiet_load, yaml_error

MAX_SCRIPT_CHARS = 32_768
"""The longest script the API accepts (REST v2 ``script``: 1..32,768 characters)."""
MAX_DEPTH = 64
Path_ = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem of a scenario, located in its text (1-based line and column)."""

    line: int
    col: int
    path: Path_ = field(compare=False)
    message: str = field(compare=False)
    severity: Literal["error", "warning"] = field(default="error", compare=False)
    key: bool = field(default=False, compare=False)
    """The finding is about the key at ``path`` (an unknown key ...), not its value."""

    @property
    def dotted(self) -> str:
        """``branches.inbound-call.actions[0].goto.branch``."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out

    def __str__(self) -> str:
        where = f"{self.line}:{self.col}: "
        return where + (f"{self.dotted}: " if self.path else "") + self.message


class ScenarioSyntaxError(ValueError):
    """The text is not YAML; ``line``/``col`` point at the problem (1-based)."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col

    def finding(self) -> Finding:
        return Finding(self.line, self.col, (), self.message)


@dataclass
class Scenario:
    """A parsed scenario: its text, its data, where each node is, and parse-time findings."""

    text: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the node at ``path`` (of its key if ``key``), or of the nearest
        located ancestor."""
        probe = tuple(path)
        while probe:
            if key and probe in self.keys:
                return self.keys[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def finding(self, path: Path_, message: str, *, key: bool = False,
                severity: Literal["error", "warning"] = "error") -> Finding:
        line, col = self.position(path, key=key)
        return Finding(line, col, tuple(path), message, severity, key)


def parse(text: str) -> Scenario:
    """Parse a scenario's YAML; raise ``ScenarioSyntaxError`` (located) if it is not YAML.

    Plain YAML takes libyaml's composer (``fastyaml``: same data, same positions, ten times
    faster); anything else (a tag, an unquoted date, an alias, an error) the round trip."""
    fast = compose_plain(text, MAX_DEPTH)
    if fast is not None:
        return Scenario(text, fast.data, {(): (1, 1), **fast.values}, dict(fast.keys))
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = quiet_load(yaml, text)
    except MarkedYAMLError as exc:
        line, col, reason = yaml_error(exc)
        raise ScenarioSyntaxError(f"not valid YAML: {reason}", line, col) from None
    except RecursionError:
        too_deep = f"not valid YAML: nested deeper than {MAX_DEPTH} levels"
        raise ScenarioSyntaxError(too_deep) from None
    except (YAMLError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise ScenarioSyntaxError(f"not valid YAML: {exc}") from None
    scenario = Scenario(text, None, {(): (1, 1)})
    scenario.data = _plain(tree, (), scenario)
    return scenario


def _plain(node: Any, path: Path_, scenario: Scenario) -> Any:
    if len(path) > MAX_DEPTH:
        raise ScenarioSyntaxError(f"nested deeper than {MAX_DEPTH} levels",
                                  *scenario.position(path))
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, _scalar(key))
            remember_entry(node, key, child, scenario.keys, scenario.values)
            out[_scalar(key)] = _plain(value, child, scenario)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            remember_item(node, index, child, scenario.values)
            items.append(_plain(value, child, scenario))
        return items
    if isinstance(node, TaggedScalar):
        tag = str(node.tag.value)
        text = f"{tag} {node.value}".strip() if node.value else tag
        scenario.findings.append(scenario.finding(
            path, f"{text!r} reads as a YAML tag: quote the value (\"{text}\")"))
        return text
    return _scalar(node)


def _scalar(value: Any) -> Any:
    """ruamel's scalar subclasses as plain Python (as manifests load them); dates as their ISO
    text, since a scenario is sent as text."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return plain_scalar(value)


def normalize(data: Any) -> Any:
    """The form scenarios are compared in: plain types, dates as ISO strings, tuples as lists.
    Mapping order is not significant (dicts compare without it); list order is."""
    if isinstance(data, dict):
        return {_scalar(k): normalize(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [normalize(v) for v in data]
    return _scalar(data)


def dump(data: Any) -> str:
    """A scenario mapping as block-style YAML text (multi-line strings as ``|`` blocks), in the
    layout of CALLR's examples: mappings indented by 2, list items by 4 with the dash at 2."""
    yaml = writer()
    out = io.StringIO()
    yaml.dump(_blocky(data), out)
    return out.getvalue()


def writer(*, preserve_quotes: bool = False, mapping: int = 2, sequence: int = 4,
           offset: int = 2) -> YAML:
    """A round-trip YAML that writes long lines whole, in CALLR's layout unless told."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = preserve_quotes
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.width = 4096
    return yaml


def _blocky(value: Any) -> Any:
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = _blocky(item)
        return node
    if isinstance(value, list | tuple):
        return CommentedSeq(_blocky(item) for item in value)
    if isinstance(value, str) and "\n" in value and _literal_safe(value):
        return LiteralScalarString(value)
    return value


def _literal_safe(text: str) -> bool:
    """A ``|`` block keeps the text exactly only without trailing spaces or leading blanks."""
    return not any(line != line.rstrip() for line in text.split("\n")) and not text[:1].isspace()
