"""What every kind's exporter shares: the export context, defaults stripping, model pruning.

An exporter turns the live objects of one kind (``Kind.read``) into the manifest entries a
person would have written: fields the API fills in by default are left out (``strip``), values
the manifest cannot express are pruned with a notice (``prune``), secrets become ``${env:NAME}``
placeholders (``ExportContext.secret``) and audio that cannot be downloaded is listed for the
user to supply (``ExportContext.audio``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

EMPTY: tuple[Any, ...] = (None, "", [], {})
"""Values that mean "unset" on the live side: never written."""


@dataclass(frozen=True)
class EnvVar:
    name: str
    what: str
    """What the variable holds, for the list printed and ``.env.example``."""


@dataclass(frozen=True)
class AudioFile:
    path: str
    """Where the manifest expects the file, relative to the export directory."""
    media: str
    fingerprint: str | None
    url: str


@dataclass
class Shared:
    """What the whole export collects, across the master and its sub-accounts."""

    env: dict[str, EnvVar] = field(default_factory=dict)
    audio: list[AudioFile] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    scenarios: dict[str, str] = field(default_factory=dict)
    """Callr Actions scenario files: path relative to the export directory -> text."""


@dataclass
class ExportContext:
    """One account being exported (the master, or a sub-account read with Login-As)."""

    shared: Shared
    account: str = ""
    """The sub-account's company name; empty for the master."""
    slug: str = ""
    """The sub-account's file stem (``client-a-bakeries``); empty for the master."""
    media_names: dict[int, str] = field(default_factory=dict)
    """Live media id -> the name the export gives it (only media that are exported)."""
    app_names: dict[str, str] = field(default_factory=dict)
    """Live app hash -> app name (only apps that are exported)."""
    unmanaged: list[str] = field(default_factory=list)
    """Live objects the manifest cannot describe (apps of packages the tool does not know):
    written as comments at the top of the account's first file."""
    comments: dict[tuple[str | int, ...], str] = field(default_factory=dict)
    """End-of-line comments, by path inside the account's resources."""

    @property
    def where(self) -> str:
        return f'subaccount["{self.account}"].' if self.account else ""

    def notice(self, message: str) -> None:
        self.shared.notices.append(f"{self.where}{message}")

    def secret(self, what: str, name: tuple[str, ...], field: str,
               detail: tuple[str, ...] = ()) -> str:
        """A ``${env:NAME}`` placeholder for a secret, its name derived from the entry.

        ``APP_IVR_BOT_PASSWORD``: the sub-account (if any), ``name``, then ``field``. When that
        name is taken, the parts of ``detail`` are added one by one, then a number, so names stay
        short and never collide.
        """
        prefix = (self.slug,) if self.slug else ()
        candidates = [
            _safe_name("_".join(w for w in map(env_name, (*prefix, *name, *detail[:i], field))
                                if w))
            for i in range(len(detail) + 1)
        ]
        chosen = next((c for c in candidates if c not in self.shared.env), None)
        n = 2
        while chosen is None:
            numbered = f"{candidates[-1]}_{n}"
            chosen = numbered if numbered not in self.shared.env else None
            n += 1
        self.shared.env[chosen] = EnvVar(chosen, f"{self.where}{what}")
        return "${env:" + chosen + "}"


def env_name(text: str) -> str:
    """``ivr-bot`` -> ``IVR_BOT``: upper case, every run of other characters one underscore."""
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def _safe_name(name: str) -> str:
    """A variable name ``${env:...}`` accepts: never starting with a digit."""
    return f"_{name}" if name[:1].isdigit() else name


def slug(text: str) -> str:
    """``Client A Bakeries`` -> ``client-a-bakeries``: a file name on every system."""
    return re.sub(r"[^a-z0-9._]+", "-", text.lower()).strip("-.") or "unnamed"


def unique_slug(text: str, used: set[str]) -> str:
    base = slug(text)
    name, n = base, 2
    while name in used:
        name, n = f"{base}-{n}", n + 1
    used.add(name)
    return name


def strip(value: Any, default: Any = None) -> Any:
    """``value`` without what equals ``default`` or is empty, recursively through mappings.

    Lists are kept whole (the plan compares lists whole, so a trimmed list item would differ).
    Returns None when nothing is left.
    """
    if isinstance(value, Mapping):
        defaults = default if isinstance(default, Mapping) else {}
        out = {}
        for key in sorted(value, key=str):
            kept = strip(value[key], defaults.get(key))
            if kept is not None:
                out[key] = kept
        return out or None
    if value in EMPTY or (default is not None and value == default):
        return None
    return value


def prune(model: Any, data: dict[str, Any], what: str, ctx: ExportContext) -> dict[str, Any]:
    """``data`` cut until ``model`` accepts it: each field it refuses is left out (unmanaged),
    with a notice. Returns an empty dict when the entry itself cannot be expressed."""
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    for _ in range(50):
        try:
            adapter.validate_python(data)
            return data
        except ValidationError as exc:
            error = exc.errors()[0]
            path = _field_path(error["loc"])
            if not path or not _drop(data, path):
                ctx.notice(f"{what}: left out, the manifest cannot express it ({error['msg']})")
                return {}
            shown = ".".join(str(p) for p in path)
            ctx.notice(f"{what}: {shown} left out (unmanaged), the manifest cannot express its "
                       f"live value ({error['msg']})")
    return {}


def _field_path(loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The mapping keys of an error location, cut at the first list index (lists go whole)."""
    out: list[str] = []
    for part in loc:
        if isinstance(part, int):
            break
        out.append(part)
    return tuple(out)


def _drop(data: dict[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = data
    for part in path[:-1]:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    if not isinstance(node, dict) or path[-1] not in node:
        return False
    del node[path[-1]]
    _drop_empty(data, path[:-1])
    return True


def _drop_empty(data: dict[str, Any], path: tuple[str, ...]) -> None:
    """Remove mappings left empty along ``path`` (deepest first), never ``data`` itself."""
    for depth in range(len(path), 0, -1):
        node: Any = data
        for part in path[:depth - 1]:
            node = node[part]
        if node.get(path[depth - 1]) == {}:
            del node[path[depth - 1]]
