"""Pydantic validation errors -> located, human problems.

Pydantic reports a ``loc`` through the model tree (with discriminator tags and ``[key]``
markers); this module walks the same path through the document's data to find the line and
column, rewrites pydantic's messages into ones a person can act on, and adds "did you mean"
hints for unknown keys from the fields the model at that place really has.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from provisioner.errors import Problem
from provisioner.manifest.loader import Document, Path_


def problems_from(exc: ValidationError, doc: Document, root: type[BaseModel],
                  base: Path_ = ()) -> list[Problem]:
    """One Problem per pydantic error of validating ``doc.data`` at ``base`` against ``root``."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        path, on_key = _data_path(doc.data, base, loc)
        message = _message(error, root, loc)
        if error["type"] == "extra_forbidden":
            on_key = True
        elif error["type"] == "union_tag_invalid":
            path = (*path, _tag(error.get("ctx") or {}))
        elif error["type"] == "union_tag_not_found":
            path, message, on_key = _misspelled_tag(doc, path, error, message)
        problems.append(doc.problem(path, message, key=on_key))
    return problems


def _data_path(data: Any, base: Path_, loc: tuple[Any, ...]) -> tuple[Path_, bool]:
    """The path of ``loc`` in the data (tags dropped) and whether it points at a mapping key."""
    node = _walk(data, base)
    path: list[str | int] = list(base)
    for part in loc:
        if part == "[key]":
            return tuple(path), True
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            node = node[part]
            path.append(part)
        elif isinstance(node, dict):
            # Either a discriminator tag (skip it) or a missing key (stay on the parent).
            continue
    return tuple(path), False


def _misspelled_tag(doc: Document, path: Path_, error: Any,
                    message: str) -> tuple[Path_, str, bool]:
    """A missing discriminator is often a misspelled key: point at it, with a hint."""
    tag = _tag(error.get("ctx") or {})
    node = _walk(doc.data, path)
    if isinstance(node, dict):
        for key in node:
            if difflib.get_close_matches(str(key), [tag], n=1, cutoff=0.6):
                return (*path, key), f"unknown key {key!r} (did you mean {tag!r}?)", True
    return path, message, False


def _walk(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


SECRET_KEYS = frozenset({"password", "hmac_secret", "value"})
"""Fields whose input is never repeated in a message (``value``: a sub-account password)."""


def _message(error: Any, root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if loc and loc[-1] in SECRET_KEYS and kind not in _SAFE_FOR_SECRETS:
        return _secret_message(kind, given)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        hint = did_you_mean(key, _fields_at(root, loc[:-1]))
        return f"unknown key {key!r}{hint}"
    if kind == "missing":
        return f"missing required key {loc[-1]!r}"
    if kind == "union_tag_invalid":
        tag = _tag(ctx)
        if isinstance(given, dict) and not isinstance(given.get(tag), str):
            shown = "missing" if given.get(tag) is None else f"{given.get(tag)!r} is not a"
            return f"{shown} {tag}: expected one of {ctx.get('expected_tags')}"
        hint = choice_hint(ctx.get("tag"), str(ctx.get("expected_tags", "")))
        return (f"unknown {tag} {ctx.get('tag')!r}{hint}: expected one of "
                f"{ctx.get('expected_tags')}")
    if kind == "union_tag_not_found":
        return f"missing {_tag(ctx)}"
    if kind == "literal_error":
        hint = choice_hint(given, str(ctx.get("expected", "")))
        return f"{given!r} is not one of {ctx.get('expected')}{hint}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(root, loc)
        if low is not None and high is not None:
            return f"must be between {low} and {high}, got {given!r}"
        return f"must be {_OPS[kind]} {next(iter(ctx.values()))}, got {given!r}"
    if kind in ("too_short", "too_long"):
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        word = "at least" if kind == "too_short" else "at most"
        return f"must have {word} {limit} item{'' if limit == 1 else 's'}"
    if kind in ("string_too_short", "string_too_long"):
        low, high = _length_bounds(root, loc)
        if low is not None and high is not None:
            return f"must be {low} to {high} characters long, got {len(str(given))}"
        limit = ctx.get("min_length") if kind == "string_too_short" else ctx.get("max_length")
        word = "at least" if kind == "string_too_short" else "at most"
        return f"must be {word} {limit} characters long, got {len(str(given))}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in _TYPES:
        return f"expected {_TYPES[kind]}, got {_describe(given)}"
    return str(error["msg"])


_SAFE_FOR_SECRETS = ("missing", "extra_forbidden", "string_too_short", "string_too_long")
"""Messages of these kinds never repeat the input (length messages give only its length)."""


def _secret_message(kind: str, given: Any) -> str:
    if kind == "string_type":
        return f"expected a string (quote it), got {type(given).__name__} (value not shown)"
    return "invalid secret (value not shown)"


_OPS = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">",
        "less_than": "<"}
_TYPES = {
    "int_type": "an integer", "int_from_float": "an integer", "bool_type": "true or false",
    "string_type": "a string", "dict_type": "a mapping", "model_type": "a mapping",
    "list_type": "a list", "float_type": "a number", "model_attributes_type": "a mapping",
}


def _tag(ctx: dict[str, Any]) -> str:
    return str(ctx.get("discriminator", "'type'")).strip("'")


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{value!r} ({type(value).__name__})"


_QUOTED = re.compile(r"'([^']*)'")


def choice_hint(given: Any, expected: str) -> str:
    """`` (did you mean 'CALLTRACKING10'?)`` for a value close to one of the quoted choices
    of a pydantic message (a case slip first), else ""."""
    if not isinstance(given, str):
        return ""
    choices = _QUOTED.findall(expected)
    same_case = [c for c in choices if c.lower() == given.lower()]
    if same_case:
        return f" (did you mean {same_case[0]!r}? it is case-sensitive)"
    return closest(given, choices)


def closest(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a candidate is close to ``name``, else ""."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def did_you_mean(key: str, fields: list[str]) -> str:
    close = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if fields:
        return f" (expected one of: {', '.join(sorted(fields))})"
    return ""


def _fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    model = _type_at(root, loc)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or name for name, f in model.model_fields.items()]
    return []


def _bounds(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, Any]:
    parent = _type_at(root, loc[:-1])
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
        return None, None
    field = parent.model_fields.get(str(loc[-1]))
    if field is None:
        return None, None
    low = high = None
    for meta in [*field.metadata, *_annotated_metadata(field.annotation)]:
        low = getattr(meta, "ge", low)
        high = getattr(meta, "le", high)
    return low, high


def _length_bounds(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, Any]:
    parent = _type_at(root, loc[:-1])
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
        return None, None
    field = parent.model_fields.get(str(loc[-1]))
    low = high = None
    for meta in [*(field.metadata if field else []),
                 *_annotated_metadata(field.annotation if field else None)]:
        low = getattr(meta, "min_length", low)
        high = getattr(meta, "max_length", high)
    return low, high


def _annotated_metadata(tp: Any) -> list[Any]:
    out: list[Any] = []
    for arg in _union_members(tp):
        if typing.get_origin(arg) is typing.Annotated:
            for meta in typing.get_args(arg)[1:]:
                out.extend(getattr(meta, "metadata", [meta]))
    return out


def _union_members(tp: Any) -> tuple[Any, ...]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return (tp,)


def strip_optional(tp: Any) -> Any:
    """Remove Annotated wrappers and a None member of unions."""
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        members = [m for m in _union_members(tp) if m is not type(None)]
        if len(members) == 1 and members[0] is not tp:
            tp = members[0]
            continue
        return tp


def _type_at(root: Any, loc: tuple[Any, ...]) -> Any:
    tp: Any = root
    for part in loc:
        tp = strip_optional(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif typing.get_origin(tp) is list and isinstance(part, int):
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) in (typing.Union, types.UnionType):
            tp = _member_tagged(tp, part)
        else:
            return None
    return strip_optional(tp)


def _member_tagged(tp: Any, tag: Any) -> Any:
    """The member of a discriminated union whose Literal discriminator equals ``tag``."""
    for member in typing.get_args(tp):
        member = strip_optional(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            for field in member.model_fields.values():
                if typing.get_origin(field.annotation) is typing.Literal and tag in typing.get_args(
                    field.annotation
                ):
                    return member
    return None
