"""``params.variables`` merged into a scenario's ``variables`` block, the rest of its text kept.

The text a user wrote is what is sent, comments included: only the lines of the variables that
change are rewritten. The common case (a block ``variables:`` mapping of one-line values, as
in CALLR's examples) is edited line by line; any other layout goes through ruamel.yaml's round
trip in the indentation the text already uses. Either result is checked by parsing it again;
if neither holds exactly the expected data, the scenario is written out plainly (``dump``):
comments may be lost, a value never.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from provisioner.actions.document import (
    Scenario,
    ScenarioSyntaxError,
    dump,
    normalize,
    parse,
    writer,
)


def merge_variables(text: str, variables: Mapping[str, Any]) -> str:
    """``text`` with ``variables`` laid over its ``variables`` block (added if missing, before
    ``branches``); every other line kept. ``text`` must parse to a mapping."""
    if not variables:
        return text
    scenario = _parsed(text)
    if not isinstance(scenario.data, dict):
        raise ValueError("a scenario is a mapping: cannot merge variables into it")
    expected = normalize(scenario.data)
    own = expected.get("variables")
    expected["variables"] = {**(own if isinstance(own, dict) else {}),
                             **normalize(dict(variables))}
    for merge in (_line_merge, _round_trip_merge):
        merged = merge(text, scenario, variables)
        try:
            if merged is not None and normalize(parse(merged).data) == expected:
                return merged
        except ScenarioSyntaxError:
            pass
    return dump(expected)  # neither kept the data exactly: exact data over kept comments


@lru_cache(maxsize=64)
def _parsed(text: str) -> Scenario:
    """One scenario file serves many apps: parsed once (read-only here)."""
    return parse(text)


def _round_trip_merge(text: str, scenario: Scenario,
                      variables: Mapping[str, Any]) -> str | None:
    """Any layout: ruamel.yaml's round trip, in the indentation the text uses."""
    yaml = writer(preserve_quotes=True, **_layout(text))
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


def _line_merge(text: str, scenario: Scenario, variables: Mapping[str, Any]) -> str | None:
    """A block ``variables:`` mapping of one-line values: each variable's line rewritten in
    place (its comment and alignment kept), new ones added after the last."""
    block = scenario.data.get("variables")
    if not isinstance(block, dict) or not block or ("variables",) not in scenario.keys:
        return None
    if scenario.values[("variables",)][0] == scenario.keys[("variables",)][0]:
        return None  # a flow mapping on the key's line
    lines = text.split("\n")
    rows: dict[str, tuple[int, int]] = {}  # name -> (line, column of the value)
    for name, value in block.items():
        key_row = scenario.keys.get(("variables", name), (0, 0))[0]
        row, col = scenario.values[("variables", name)]
        if isinstance(value, dict | list) or row != key_row:
            return None  # a value over several lines
        rows[name] = (row, col)
    if len({row for row, _ in rows.values()}) != len(rows):
        return None  # two variables on one line
    for name, value in variables.items():
        if name in block:
            row, col = rows[name]
            edited = _with_value(lines[row - 1], col, block[name], value)
            if edited is None:
                return None
            lines[row - 1] = edited
    indent = scenario.keys[("variables", next(iter(block)))][1] - 1
    added = [f"{' ' * indent}{name}: {_scalar_text(value, '')}"
             for name, value in variables.items() if name not in block]
    last = max(row for row, _ in rows.values())
    return "\n".join([*lines[:last], *added, *lines[last:]])


def _with_value(line: str, col: int, old: Any, new: Any) -> str | None:
    """``line`` with the scalar at ``col`` (which reads as ``old``) replaced by ``new``."""
    start = col - 1
    ends = [m.start() for m in re.finditer(r"\s+#", line) if m.start() > start] + [len(line)]
    for end in ends:  # the value ends where a comment starts, or at the end of the line
        token = line[start:end]
        try:
            if parse(f"v: {token}").data == {"v": old}:
                break
        except ScenarioSyntaxError:
            continue
    else:
        return None
    written = _scalar_text(new, token)
    rest = line[end:]
    if rest:  # the comment stays where it was, or as close as one space allows
        spare = len(rest) - len(rest.lstrip()) - 1
        written = written.ljust(len(token))
        rest = rest[min(spare, max(0, len(written) - len(token))):]
    return line[:start] + written + rest


def _scalar_text(value: Any, old_token: str) -> str:
    """``value`` as a YAML scalar: double-quoted when the old one was, else ruamel's choice."""
    if isinstance(value, str) and old_token.startswith('"'):
        return json.dumps(value, ensure_ascii=False)
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = True
    yaml.width = 4096
    yaml.dump([value], out)
    return out.getvalue().strip()[1:-1]  # "[value]" -> "value"
