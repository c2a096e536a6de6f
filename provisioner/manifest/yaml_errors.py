"""YAML syntax errors in plain words, located where a person can fix them.

ruamel.yaml words its parser errors for parser writers (``expected <block end>, but found
'<block mapping start>'``) and locates an unclosed bracket or quote where it gave up, often
lines later. ``yaml_error`` turns them into what to fix (``bad indentation: this line is not
aligned with the keys above it``), at the line where the bracket or quote opened. The
manifest loader, ``fmt`` and the Callr Actions scenario parser share it.
"""

from __future__ import annotations

import warnings
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning

_PLAIN_WORDS = (
    ("expected <block end>, but found",
     "bad indentation: this line is not aligned with the keys above it (indent it exactly as "
     "its siblings, with spaces)"),
    ("mapping values are not allowed here",
     "unexpected ':' here: a key indented deeper than the key above it (align it with its "
     "siblings), or a value holding ': ' (quote the value)"),
    ("could not find expected ':'", "a key without ':' after it (or a quote left open)"),
    ("found character '\\t' that cannot start any token",
     "a tab in the indentation: YAML indents with spaces only"),
    ("found unexpected end of stream", "a quote that is never closed (the file ends inside it)"),
    ("expected ',' or '}', but got", "a '{' without its closing '}'"),
    ("expected ',' or ']', but got", "a '[' without its closing ']'"),
)
"""ruamel.yaml's parser messages -> what to fix, in plain words (unknown ones stay as is)."""
_UNCLOSED = ("a quote that is never closed", "a '{' without", "a '[' without")
"""Messages located where the quote or bracket opened (ruamel points where it gave up)."""


def quiet_load(yaml: YAML, text: str) -> Any:
    """``yaml.load(text)`` without the warning of a reused anchor (legal YAML) on stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReusedAnchorWarning)
        return yaml.load(text)


def yaml_error(exc: MarkedYAMLError) -> tuple[int, int, str]:
    """Line, column and plain words of a YAML syntax error: an unclosed quote or bracket is
    located where it opened, not where the parser gave up. A duplicate key is worded without
    its values (ruamel quotes them, literal passwords included: ``duplicate_keys`` names both
    places, for a caller that has the text)."""
    if isinstance(exc, DuplicateKeyError):
        reason = "duplicate key"
    else:
        reason = plain_words((exc.problem or exc.context or "invalid YAML").strip())
    opened = reason.startswith(_UNCLOSED) and exc.context_mark is not None
    mark = exc.context_mark if opened else exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return line, col, reason


def plain_words(reason: str) -> str:
    for start, words in _PLAIN_WORDS:
        if reason.startswith(start):
            return words
    return reason
