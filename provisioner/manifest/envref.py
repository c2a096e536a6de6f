"""Values read from the environment, known by name so that a saved plan's basis leaves them out.

``manifest.load`` reads the environment through a ``RecordingEnv``, so the Desired state knows
every ``${env:NAME}`` value it used (manifests, var-files, overlays). The plan file stores them as
references (``render.codec``: ``{"$env": "...${env:NAME}..."}``); ``hide`` keeps them out of the
basis fingerprints too, so no digest in the file depends on them (the file lists the variables
in ``basis_hides``; apply hides the same ones).

Values shorter than ``MIN_LENGTH`` are not looked for (a two-letter region code would otherwise
change every matching piece of text).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from provisioner.sensitive import MIN_KNOWN

MIN_LENGTH = MIN_KNOWN


class RecordingEnv(Mapping[str, str]):
    """The environment, remembering every variable read from it (name -> value)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.used: dict[str, str] = {}

    @property
    def syntax_only(self) -> bool:
        """Whether this is ``validate``'s environment (``loader.SyntaxOnlyEnv``)."""
        return bool(getattr(self.env, "syntax_only", False))

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
