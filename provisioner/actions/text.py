"""Scenarios as text: compared as parsed YAML, and shown as a line diff."""

from __future__ import annotations

import difflib
from typing import Any

from provisioner.actions.document import ScenarioSyntaxError, normalize, parse


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


def is_multiline(value: Any) -> bool:
    """A string of more than one line: shown as a line diff rather than one escaped value."""
    return isinstance(value, str) and "\n" in value.rstrip("\n")


def line_diff(old: str, new: str, context: int = 3) -> list[str]:
    """The unified diff of two texts, hunks only (``@@`` headers, then ``' '``/``-``/``+``
    lines without their newline); ``[]`` when the texts are equal."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context)
    return [line for line in lines if not line.startswith(("--- ", "+++ "))]
