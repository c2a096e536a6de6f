"""Values read from the environment, kept out of saved plan files: stored as references.

``manifest.load`` reads the environment through a ``RecordingEnv``, so the Desired state knows
every ``${env:NAME}`` value it used (manifests, var-files, overlays). Before a plan file is
written, ``template`` turns every string of the file holding such a value into
``{"$env": ["https://bot.example.com/?t=", ["TOKEN"]]}`` (text pieces, and one-element lists
naming a variable); ``fill`` puts the values back at apply, from the environment of the moment.
So a token in a REALTIME10 ``url`` or a webhook ``endpoint`` never lands in ``plan.json``, and the
file's seal and basis do not depend on it either (``hide``).

Values shorter than ``MIN_LENGTH`` are not looked for (a two-letter region code would otherwise
turn every matching piece of text into a reference); structural keys (methods, kinds, digests)
are never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from provisioner.errors import ConfigError

MIN_LENGTH = 4
STRUCTURAL = frozenset({
    "type", "format_version", "tool_version", "method", "kind", "action", "algorithm",
    "digest", "fingerprint", "secrets_check", "$secret", "sha256", "path", "field", "ready",
    "failed",
})


class RecordingEnv(Mapping[str, str]):
    """The environment, remembering every variable read from it (name -> value)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.used: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        value = self.env[name]
        self.used[name] = value
        return value

    def __contains__(self, name: object) -> bool:
        return name in self.env

    def __iter__(self) -> Iterator[str]:
        return iter(self.env)

    def __len__(self) -> int:
        return len(self.env)


def _worth(values: Mapping[str, str]) -> list[tuple[str, str]]:
    """(name, value) to look for, longest values first (a value inside another one loses)."""
    found = [(name, value) for name, value in values.items() if len(value) >= MIN_LENGTH]
    return sorted(found, key=lambda item: (-len(item[1]), item[0]))


def _split(text: str, values: list[tuple[str, str]]) -> list[str | list[str]]:
    for name, value in values:
        if value in text:
            head, _, tail = text.partition(value)
            return [*_split(head, values), [name], *_split(tail, values)]
    return [text] if text else []


def template(body: Any, values: Mapping[str, str]) -> Any:
    """``body`` with every string holding an environment value as an ``{"$env": ...}``."""
    wanted = _worth(values)
    if not wanted:
        return body

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            parts = _split(value, wanted)
            return {"$env": parts} if any(isinstance(p, list) for p in parts) else value
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: v if k in STRUCTURAL else walk(v) for k, v in value.items()}
        return value

    return walk(body)


def names_in(body: Any) -> set[str]:
    """The variables ``body``'s references name."""
    if isinstance(body, list):
        return {name for item in body for name in names_in(item)}
    if not isinstance(body, dict):
        return set()
    if _is_ref(body):
        return {part[0] for part in body["$env"] if isinstance(part, list)}
    return {name for item in body.values() for name in names_in(item)}


def _is_ref(value: dict[str, Any]) -> bool:
    return len(value) == 1 and isinstance(value.get("$env"), list)


def fill(body: Any, env: Mapping[str, str]) -> Any:
    """``body`` with every reference replaced by its text, the values taken from ``env``."""
    missing = sorted(name for name in names_in(body) if name not in env)
    if missing:
        raise ConfigError("the plan needs the environment variable"
                            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}: export "
                            f"{missing[0]}=... before applying, with the value it had at plan")

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(v) for v in value]
        if not isinstance(value, dict):
            return value
        if _is_ref(value):
            return "".join(env[p[0]] if isinstance(p, list) else str(p) for p in value["$env"])
        return {k: walk(v) for k, v in value.items()}

    return walk(body)


def hide(value: Any, values: Iterable[str]) -> Any:
    """``value`` with every environment value inside its strings replaced by a marker (for the
    basis: its digests must not depend on a value from the environment either)."""
    wanted = sorted((v for v in values if len(v) >= MIN_LENGTH), key=len, reverse=True)
    if not wanted:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            for text in wanted:
                item = item.replace(text, "(env)")
            return item
        if isinstance(item, Mapping):
            return {k: walk(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [walk(v) for v in item]
        return item

    return walk(value)
