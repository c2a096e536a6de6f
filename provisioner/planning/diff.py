"""Compare a live object with its desired state: what differs, field by field.

Only what the manifest manages is compared: ``project`` cuts the live value down to the keys
the desired value has (recursively through mappings; lists are compared whole), so fields the
manifest leaves out never show as changes. Equality is the fast path; deepdiff is used only to
describe a difference once one exists. Secrets compare by value and are described as changed
without their values (``FieldChange.sensitive``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from provisioner.planning.plan import MISSING, FieldChange
from provisioner.sensitive import Secret

SensitivePaths = frozenset[tuple[str, ...]]


def project(live: Any, desired: Any) -> Any:
    """``live`` restricted to the shape of ``desired`` (keys absent from live become MISSING)."""
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return live
        return {key: project(live.get(key, MISSING), value) for key, value in desired.items()}
    return live


def merge(live: Any, desired: Any) -> Any:
    """``desired`` laid over ``live``: the full object to send when the API replaces it whole."""
    if isinstance(desired, Mapping) and isinstance(live, Mapping):
        out = dict(live)
        for key, value in desired.items():
            out[key] = merge(live.get(key), value)
        return out
    return desired


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as ``{"a.b.c": leaf}`` (lists and empty mappings are leaves)."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, Mapping) and item:
            out.update(flatten(item, path))
        else:
            out[path] = item
    return out


def compare(live: Any, desired: Any, sensitive: SensitivePaths = frozenset(),
            prefix: str = "") -> tuple[FieldChange, ...]:
    """The field changes that turn ``live`` into ``desired`` (empty when they are equal)."""
    current = project(live, desired)
    if current == desired:
        return ()
    return describe(current, desired, sensitive, prefix)


def describe(old: Any, new: Any, sensitive: SensitivePaths = frozenset(),
             prefix: str = "") -> tuple[FieldChange, ...]:
    from deepdiff import DeepDiff  # imported on the first difference: a no-change plan never pays

    tree = DeepDiff(_opaque(old), _opaque(new), view="tree", verbose_level=2)
    changes: dict[str, FieldChange] = {}
    for nodes in tree.values():
        for node in nodes:
            path = node.path(output_format="list")
            is_secret = tuple(p for p in path if isinstance(p, str)) in sensitive
            old_value = value_at(old, path)
            new_value = value_at(new, path)
            name = _dotted(prefix, path)
            changes[name] = FieldChange(name, old_value, new_value, sensitive=is_secret)
    return tuple(changes[name] for name in sorted(changes))


def _opaque(value: Any) -> Any:
    """Secrets turned into digests, so deepdiff sees a change without handling clear values."""
    if isinstance(value, Secret):
        return "secret:" + hashlib.sha256(value.value.encode()).hexdigest()
    if isinstance(value, Mapping):
        return {k: _opaque(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_opaque(v) for v in value]
    if value is MISSING:
        return "(absent)"
    return value


def value_at(value: Any, path: Sequence[Any], default: Any = MISSING) -> Any:
    """The value at ``path`` (keys and indexes) in ``value``; ``default`` where there is none."""
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return default
    return value


def _dotted(prefix: str, path: list[Any]) -> str:
    out = prefix
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
