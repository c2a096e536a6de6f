"""The duplicate-key YAML error, worded without the values.

ruamel.yaml's own message quotes both entries whole (literal passwords included): this one
names the key and its two places only.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, SequenceNode

from provisioner.errors import Problem


def duplicate_key(text: str, display: str, exc: DuplicateKeyError) -> Problem:
    """The key defined twice and its two places, never its values (ruamel's message quotes
    them whole, literal passwords included)."""
    second = exc.problem_mark
    line, col = (second.line + 1, second.column + 1) if second else (1, 1)
    found = _first_of_key(text, second.index) if second else None
    if found is None:
        return Problem(display, line, col, "", "YAML error: duplicate key")
    key, first = found
    return Problem(display, line, col, "", f"YAML error: duplicate key {key!r}: defined at "
                   f"line {first.line + 1}, column {first.column + 1} and again at line "
                   f"{line}, column {col}")


def _first_of_key(text: str, index: int) -> tuple[str, Any] | None:
    """The key whose node starts at ``index`` and the mark of its first occurrence in the same
    mapping (composing does not check duplicates)."""
    try:
        root = YAML(typ="rt").compose(text)
    except (YAMLError, RecursionError):
        return None
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, MappingNode):
            keys = [k for k, _ in node.value]
            for key in keys:
                if key.start_mark.index == index:
                    first = next(k for k in keys if k.value == key.value)
                    return str(key.value), first.start_mark
            pending.extend(v for _, v in node.value)
            pending.extend(keys)
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)
    return None
