"""Scenarios as text: compare as parsed YAML, merge ``variables`` keeping the text, line diff.

The text a user wrote is what is sent, comments included. Only when an app's manifest gives
``variables`` is the text rewritten, through ruamel.yaml's round-trip dumper in the layout the
text already uses (comments and quoting kept); the result is checked by parsing it again, and
if that check fails the scenario is written out plainly instead (``dump``), never wrongly.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from provisioner.actions.document import ScenarioSyntaxError, dump, normalize, parse


def same(old: str, new: str) -> bool:
    """True when both texts are the same scenario: equal as parsed YAML (comments, key order,
    indentation and quoting do not count; list order does). Texts that are not YAML are the
    same only when they are the same text."""
    if old == new:
        return True
    try:
        return bool(normalize(parse(old).data) == normalize(parse(new).data))
    except ScenarioSyntaxError:
        return False


def merge_variables(text: str, variables: Mapping[str, Any]) -> str:
    """``text`` with ``variables`` laid over its ``variables`` block (added if missing, before
    ``branches``); every other line kept. ``text`` must parse to a mapping."""
    if not variables:
        return text
    scenario = parse(text)
    if not isinstance(scenario.data, dict):
        raise ValueError("a scenario is a mapping: cannot merge variables into it")
    expected = normalize(scenario.data)
    own = expected.get("variables")
    expected["variables"] = {**(own if isinstance(own, dict) else {}),
                             **normalize(dict(variables))}
    merged = _round_trip_merge(text, variables)
    try:
        if merged is not None and normalize(parse(merged).data) == expected:
            return merged
    except ScenarioSyntaxError:
        pass
    return dump(expected)  # the round trip lost something: exact data over kept comments


def _round_trip_merge(text: str, variables: Mapping[str, Any]) -> str | None:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(**_layout(text))
    try:
        tree = yaml.load(text)
    except (YAMLError, ValueError, TypeError):
        return None
    if not isinstance(tree, CommentedMap):
        return None
    block = tree.get("variables")
    if isinstance(block, CommentedMap) and block:
        _add_keys(block, variables)
    else:
        block = CommentedMap()
        position = list(tree).index("branches") if "branches" in tree else len(tree)
        if "variables" in tree:
            del tree["variables"]
            position = min(position, len(tree))
        tree.insert(position, "variables", block)
        block.update(variables)
    out = io.StringIO()
    try:
        yaml.dump(tree, out)
    except (YAMLError, ValueError, TypeError):
        return None
    return out.getvalue()


def _add_keys(block: CommentedMap, variables: Mapping[str, Any]) -> None:
    """Set ``variables`` in a non-empty block; new keys go after the last one, which hands them
    the blank lines that followed it (ruamel keeps those in the last key's comment)."""
    last = list(block)[-1]
    block.update(variables)
    new_last = list(block)[-1]
    if new_last == last:
        return
    entry = block.ca.items.get(last)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None or "\n" not in token.value:
        return
    head, _, tail = token.value.partition("\n")
    if not tail:
        return
    token.value = head + "\n"
    block.yaml_add_eol_comment("#", new_last)
    block.ca.items[new_last][2].value = "\n" + tail


LAYOUT_KEY = re.compile(r"^( *)[^\s#-][^#]*:\s*(#.*)?$")
LAYOUT_DASH = re.compile(r"^( *)- ")


def _layout(text: str) -> dict[str, int]:
    """The indentation ``text`` uses (ruamel's ``indent`` arguments), CALLR's by default:
    mappings by 2, list items by 4 with the dash at 2."""
    mapping, sequence, offset = 0, 0, -1
    parent: int | None = None
    for line in text.splitlines():
        key = LAYOUT_KEY.match(line)
        dash = LAYOUT_DASH.match(line)
        if dash and parent is not None and offset < 0:
            offset = len(dash.group(1)) - parent
            sequence = offset + 2
        if key and parent is not None and not mapping and len(key.group(1)) > parent:
            mapping = len(key.group(1)) - parent
        parent = len(key.group(1)) if key and line.rstrip().endswith(":") else None
    return {"mapping": mapping or 2, "sequence": sequence or 4,
            "offset": offset if offset >= 0 else 2}


def is_multiline(value: Any) -> bool:
    """A string of more than one line: shown as a line diff rather than one escaped value."""
    return isinstance(value, str) and "\n" in value.rstrip("\n")


def line_diff(old: str, new: str, context: int = 3) -> list[str]:
    """The unified diff of two texts, hunks only (``@@`` headers, then ``' '``/``-``/``+``
    lines without their newline); ``[]`` when the texts are equal."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context)
    return [line for line in lines if not line.startswith(("--- ", "+++ "))]
