"""Checks that an answer has the shape its method promises (``methods.RESULTS``), so a server
answering ``result: null`` or ``hits: "x"`` gives a clean error naming the method instead of a
traceback somewhere in the planner."""

from __future__ import annotations

from typing import Any

from provisioner.api.methods import INTEGER, OBJECT, OBJECTS, RESULTS, STRINGS
from provisioner.api.paging import UnexpectedAnswer, unexpected

CHECKS = {
    INTEGER: lambda value: type(value) is int,
    OBJECT: lambda value: isinstance(value, dict),
    OBJECTS: lambda value: isinstance(value, list) and all(isinstance(v, dict) for v in value),
    STRINGS: lambda value: isinstance(value, list) and all(isinstance(v, str) for v in value),
}


def checked(method: str, result: Any) -> Any:
    """``result`` if it has the shape ``method`` promises; else UnexpectedAnswer."""
    shape = RESULTS.get(method)
    if shape is not None and not CHECKS[shape](result):
        raise unexpected(method, shape, result)
    return result


__all__ = ["UnexpectedAnswer", "checked"]
