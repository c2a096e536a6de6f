"""The fast path of the YAML loader: libyaml's composer, for the plain YAML manifests are.

ruamel.yaml's round-trip loader keeps every position but parses in pure Python: about 2 s for a
16,000-line manifest, most of a no-change plan's CPU. Composing the same text with the C parser
(``ruamel.yaml.clib``) takes a tenth of that, and its nodes carry the same line and column marks.
This module turns a composed node tree into plain data plus the position tables the loader keeps.

It handles only the plain subset: YAML 1.2 documents without directives or tabs, of mappings
with scalar keys, sequences, and scalars of the core schema (str, int, float, bool, null).
Anything else (a ``%YAML`` directive, a tab, an alias, a merge key, a duplicate key, a tag, a
set, a timestamp, deep nesting, too many values, a syntax error) returns None, and the loader
falls back to the round-trip path, which reports or refuses it as before. ``tests/
test_fastyaml.py`` checks both paths agree on every example and fixture.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import BaseResolver, VersionedResolver

Path_ = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
PLAIN_SCALARS = frozenset(_CORE + name for name in ("str", "int", "float", "bool", "null"))


SLOW_PATH_HINT = re.compile(r"(?:^|[\s\[\{,])!|^%|\t", re.MULTILINE)
"""Where a YAML tag may start, a directive (``%YAML 1.1`` changes how scalars read), or a tab
(libyaml and ruamel.yaml disagree on some): false alarms just take the slow path."""


class _UntypedResolver(BaseResolver):
    """Composes every scalar as a string: typing plain scalars here, once per distinct text,
    is much cheaper than ruamel's per-scalar versioned resolution."""

    def __init__(self, version: Any = None, loader: Any = None, loadumper: Any = None) -> None:
        super().__init__(loadumper)


_TYPES = VersionedResolver()
_CONSTRUCT: SafeConstructor = YAML(typ="safe", pure=True).constructor


@lru_cache(maxsize=4096)
def _plain_value(text: str) -> tuple[bool, Any]:
    """(True, value) for a plain (unquoted) scalar of the core schema; (False, None) for any
    other type (timestamps ...), which only the round-trip path handles."""
    tag = str(_TYPES.resolve(ScalarNode, text, (True, False)))
    if tag == _CORE + "str":
        return True, text
    if tag not in PLAIN_SCALARS:
        return False, None
    return True, _CONSTRUCT.construct_object(ScalarNode(tag, text))


class _NotPlain(Exception):
    """The document uses something only the round-trip path handles."""


@dataclass
class Tree:
    data: Any
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)


def _composer() -> YAML:
    try:
        yaml = YAML(typ="safe", pure=False)
    except Exception:  # pragma: no cover - no C extension: the pure composer is still faster
        yaml = YAML(typ="safe", pure=True)
    yaml.Resolver = _UntypedResolver
    return yaml


def compose_plain(text: str, max_depth: int, max_nodes: int = 200_000) -> Tree | None:
    """The document's plain data and positions, or None when the round-trip path must run."""
    if SLOW_PATH_HINT.search(text):
        return None
    yaml = _composer()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            root = yaml.compose(text)
    except (YAMLError, RecursionError, ValueError, TypeError, AttributeError):
        return None
    tree = Tree(None)
    if root is None:
        return tree
    walker = _Walker(tree, max_depth, max_nodes)
    try:
        tree.data = walker.build(root, ())
    except (_NotPlain, YAMLError, RecursionError, ValueError, TypeError):
        return None
    return tree


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Walker:
    def __init__(self, tree: Tree, max_depth: int, max_nodes: int) -> None:
        self.tree = tree
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.seen: set[int] = set()

    def build(self, node: Node, path: Path_) -> Any:
        if id(node) in self.seen or len(path) > self.max_depth or len(self.seen) >= self.max_nodes:
            raise _NotPlain  # an alias, too deep or too big: the round-trip path refuses
        self.seen.add(id(node))
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, MappingNode) and node.tag == _CORE + "map":
            return self.mapping(node, path)
        if isinstance(node, SequenceNode) and node.tag == _CORE + "seq":
            items = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.tree.values[child] = _mark(item)
                items.append(self.build(item, child))
            return items
        raise _NotPlain

    @staticmethod
    def scalar(node: ScalarNode) -> Any:
        if node.style:  # quoted or block: a string
            return node.value
        plain, value = _plain_value(node.value)
        if not plain:
            raise _NotPlain
        return value

    def mapping(self, node: MappingNode, path: Path_) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _NotPlain  # a complex key
            key = self.scalar(key_node)
            if key in out or not isinstance(key, str | int | bool) or key is None:
                raise _NotPlain  # a duplicate or odd key: the round-trip path words the error
            child = (*path, key)
            value = self.build(value_node, child)
            self.tree.keys[child] = _mark(key_node)
            # An empty (null) value has no token of its own; the key locates it better.
            self.tree.values[child] = _mark(value_node) if value is not None else _mark(key_node)
            out[key] = value
        return out
