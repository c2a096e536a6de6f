"""Secret values: carried through models and plans wrapped, revealed only on the wire.

A ``Secret`` compares by value (so a changed password is a change) but prints as
``(sensitive)`` everywhere: repr, str, plans, logs, JSON output. ``reveal`` unwraps a structure for
the request body; ``redact`` replaces every secret for anything a person or a log reads.

Sensitivity also follows the *value*: ``KNOWN`` holds every value read from the environment
(``${env:NAME}``, in a manifest or a var-file), the credentials, the secrets sent to the API
and the secrets it generated. ``KNOWN.mask`` shows each of them inside any text as
``(sensitive: NAME)`` (``***`` for an unnamed one), the rest of the text readable: renderers,
error messages, journals and the log scrubber all go through it, whatever field held the value.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

REDACTED = "(sensitive)"
MASK = "***"
MIN_KNOWN = 4
"""Shorter values are not masked inside text: "1" or "on" would blank every number or word
(``${var:NAME}`` is the place for values that are not secret)."""


class KnownValues:
    """Every sensitive value this process has seen, with the variable it came from.

    Thread-safe: API answers register generated secrets from worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}
        self._view: _View | None = _View(())
        self._shapes: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()
        self.keys: frozenset[str] = frozenset()
        """Keys of fields a manifest fills from the environment (``url``, ``timezone`` ...):
        ``redact_fields`` hides them in ``--debug`` logs, where old values show too."""

    def add(self, value: object, name: str = "") -> None:
        """Remember ``value`` (a str of at least ``MIN_KNOWN`` characters); ``name``: the
        environment variable it came from ("" for a credential or a generated secret)."""
        if not isinstance(value, str) or len(value) < MIN_KNOWN:
            return
        with self._lock:
            if self._names.get(value) != name and (name or value not in self._names):
                self._names[value] = name
                self._view = None  # rebuilt once, at the next use (thousands may be added)

    def _current(self) -> _View:
        view = self._view
        if view is None:
            with self._lock:
                if self._view is None:
                    self._view = _View(tuple(self._names.items()))
                view = self._view
        return view

    def add_shape(self, literals: Sequence[str], names: Sequence[str]) -> None:
        """Remember the shape of a string written with ``${env:NAME}`` holes (``literals``
        around ``names``): a live value of that shape holds a sensitive value where a hole is,
        even an old one the environment no longer gives (a token rotated since). Only
        word-free shapes count (URLs, identifiers): text with spaces would match prose."""
        if len(literals) != len(names) + 1 or not names:
            return
        if any(len(literal) < MIN_CONTEXT for literal in literals[:-1]) or any(
                not literal.isprintable() or " " in literal for literal in literals):
            return  # "${env:A}${env:B}", "x${env:A}", "Dear ${env:A}": too loose a shape
        pattern = ""
        for index, _ in enumerate(names):
            last = index == len(names) - 1 and not literals[-1]
            pattern += re.escape(literals[index]) + (_LAST_HOLE if last else _HOLE)
        pattern += re.escape(literals[-1])
        with self._lock:
            if all(regex.pattern != pattern for regex, _ in self._shapes):
                self._shapes = (*self._shapes, (re.compile(pattern), tuple(names)))

    def add_key(self, key: str) -> None:
        """A manifest key whose value holds an environment value (with the API's name for it)."""
        with self._lock:
            self.keys = self.keys | {key.lower(), *API_NAMES.get(key.lower(), ())}

    def add_all(self, values: Iterable[object]) -> None:
        for value in values:
            self.add(value)

    def clear(self) -> None:
        """Forget every value (the CLI starts each command afresh)."""
        with self._lock:
            self._names, self._view, self._shapes = {}, _View(()), ()
            self.keys = frozenset()

    def name_of(self, value: str) -> str | None:
        """The variable a known value came from ("" if unnamed), None if it is not known."""
        return self._names.get(value)

    def names_in(self, text: str) -> list[str] | None:
        """The labels of the known values inside ``text`` (None when there is none)."""
        present = self._current().present(text)
        found = [name or MASK for _, name in present]
        rest = self._mask_values(text, present)  # a shape's hole is what no value explains
        found += [name for regex, names in self._shapes if regex.search(rest)
                  for name in names]
        return sorted(set(found)) if found else None

    def mask(self, text: str) -> str:
        """``text`` with every known value shown as ``(sensitive: NAME)`` or ``***``, and the
        holes of every known shape too."""
        text = self._mask_values(text, self._current().present(text))
        for regex, names in self._shapes:  # a masked value has spaces: no hole matches it
            text = regex.sub(functools.partial(_fill, names=names), text)
        return text

    @staticmethod
    def _mask_values(text: str, present: list[tuple[str, str]]) -> str:
        for value, name in present:
            text = text.replace(value, f"(sensitive: {name})" if name else MASK)
        return text

    def template(self, text: str) -> str | None:
        """``text`` with each environment value written back as ``${env:NAME}`` (what a saved
        plan stores), or None when it holds no environment value."""
        out = text
        for value, name in self._current().present(text):
            if VARIABLE.fullmatch(name):  # not "old NAME": a value the environment gave
                out = out.replace(value, "${env:" + name + "}")
        return None if out == text else out

    def mask_deep(self, value: Any) -> Any:
        """A copy of a plain structure with every string (keys too) masked."""
        if not self._names and not self._shapes:
            return value
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {self.mask_deep(k): self.mask_deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.mask_deep(v) for v in value]
        return value


class _View:
    """The known values, longest first (a value holding another is masked whole), indexed by
    their first characters so that finding them in a text does not cost one search per value
    (an account's thousands of SIP passwords)."""

    SCAN_ABOVE = 32
    """Up to this many values, one ``in`` test each is faster than scanning the text."""

    def __init__(self, items: tuple[tuple[str, str], ...]) -> None:
        self.order = tuple(sorted(items, key=lambda item: (-len(item[0]), item[0])))
        self.rank = {value: index for index, (value, _) in enumerate(self.order)}
        self.index: dict[str, list[tuple[str, str]]] = {}
        if len(self.order) > self.SCAN_ABOVE:
            for value, name in self.order:
                self.index.setdefault(value[:MIN_KNOWN], []).append((value, name))

    def present(self, text: str) -> list[tuple[str, str]]:
        """The known values inside ``text``, longest first."""
        if not self.index:
            return [(value, name) for value, name in self.order if value in text]
        found: dict[str, str] = {}
        for start in range(len(text) - MIN_KNOWN + 1):
            for value, name in self.index.get(text[start:start + MIN_KNOWN], ()):
                if text.startswith(value, start):
                    found[value] = name
        return sorted(found.items(), key=lambda item: self.rank[item[0]])


VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
API_NAMES = {"text": ("content",)}
"""Manifest keys the API names otherwise: a media's ``tts.text`` is its ``content``."""
MIN_CONTEXT = 4
"""A shape is used only when each hole follows at least this much literal text."""
_HOLE = r"(?!\$\{env:)([^\s'\"()]+?)"
_LAST_HOLE = r"(?!\$\{env:)([^\s'\"()<>`|\\,;]+)"
"""What a hole may hold: no space, quote or parenthesis (a masked value is never re-masked);
at the end of a string, it stops where quoting or markup starts. A ``${env:NAME}`` reference
(a saved plan's) is no value."""


def _fill(match: re.Match[str], names: Sequence[str]) -> str:
    text, start = match.group(0), match.start()
    for index in range(len(names), 0, -1):  # right to left: earlier offsets stay valid
        left, right = match.start(index) - start, match.end(index) - start
        text = text[:left] + f"(sensitive: {names[index - 1]})" + text[right:]
    return text


KNOWN = KnownValues()
"""The process's sensitive values (see the module docstring)."""


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (C0, DEL, C1, and the Unicode format
    characters that reorder text) are shown as escapes (``\\x1b``, ``\\r``, ``\\n``), so a
    name cannot move the cursor, rewrite earlier lines or hide text."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else _escape(ch) for ch in text)


def _escape(char: str) -> str:
    if unicodedata.category(char) == "Zs":
        return char  # a non-breaking space is harmless
    short = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if short:
        return short
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """What a person may see of untrusted text (a name, an API message): sensitive values
    masked, control characters escaped."""
    return printable(KNOWN.mask(text))


def shown_lines(text: str) -> str:
    """``shown`` for a message of several lines (a stale plan lists its objects): its line
    breaks kept, every other control character escaped."""
    return "\n".join(printable(line) for line in KNOWN.mask(text).split("\n"))


@dataclass(frozen=True)
class Secret:
    value: str = field(repr=False)

    def __post_init__(self) -> None:
        KNOWN.add(self.value)  # wherever it ends up (an API error echoing it ...), it is masked

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    def __str__(self) -> str:
        return REDACTED


def reveal(value: Any) -> Any:
    """A copy of ``value`` with every Secret replaced by its clear value (for the wire only)."""
    if isinstance(value, Secret):
        return value.value
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(v) for v in value]
    return value


def redact(value: Any) -> Any:
    """A copy of ``value`` with every Secret replaced by ``(sensitive)``."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def wrap_paths(value: Any, paths: frozenset[tuple[str, ...]],
               prefix: tuple[str, ...] = ()) -> Any:
    """A copy of a plain structure with the values at ``paths`` (key tuples) wrapped in Secret."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            path = (*prefix, key)
            if path in paths and isinstance(item, str) and item:
                out[key] = Secret(item)
            else:
                out[key] = wrap_paths(item, paths, path)
        return out
    if isinstance(value, list):
        return [wrap_paths(v, paths, prefix) for v in value]
    return value


SECRET_FIELDS = frozenset({
    "password", "hmac_secret", "secret", "api_key", "apikey", "auth", "token", "refresh_token",
})
"""Keys whose values are secret in API objects read back in clear: a SIP subscriber's
``password``, a webhook's ``hmac_secret``, an endpoint's ``auth`` (``login:password``), session
and order ``token``s, a sub-account's ``options.password`` ({method, value}) ..."""


def redact_fields(value: Any) -> Any:
    """A copy of a plain structure (a request's params, a response's result) for a log: every
    Secret, and every value under a key of ``SECRET_FIELDS`` or of ``KNOWN.keys``, shows as
    ``(sensitive)``.

    A secret key's nested object is redacted leaf by leaf; null and empty values stay visible
    (that a password is *unset* is not a secret)."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, dict):
        hidden = SECRET_FIELDS | KNOWN.keys
        return {k: _hide(v) if str(k).lower() in hidden else redact_fields(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_fields(v) for v in value]
    return value


def remember_fields(value: Any) -> None:
    """Add to ``KNOWN`` every string under a key of ``SECRET_FIELDS`` in a plain structure (a
    password the API generated and sent back, one a request carries): an error message that
    echoes it later is masked."""
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() in SECRET_FIELDS:
                KNOWN.add_all(leaf for leaf in _strings(item))
            else:
                remember_fields(item)
    elif isinstance(value, list | tuple):
        for item in value:
            remember_fields(item)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def _hide(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _hide(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_hide(v) for v in value]
    if value is None or value == "" or isinstance(value, bool):
        return value
    return REDACTED


def redact_authorization(header: str) -> str:
    """``Basic ***`` or ``Api-Key ***``: the scheme of an Authorization header, never its value."""
    scheme = header.strip().partition(" ")[0]
    return f"{scheme} ***" if scheme else "***"


class LogScrubber(logging.Filter):
    """A last line of defence for log handlers: any known secret (a password, an API key,
    the base64 token of a Basic header, a value from the environment) that reached a message
    anyway is masked (``KNOWN.mask``), and control characters are escaped (``printable``)."""

    def __init__(self, known: KnownValues | None = None) -> None:
        super().__init__()
        self.known = known or KNOWN

    def add(self, *secrets: str) -> None:
        self.known.add_all(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = printable(self.known.mask(message))  # a name cannot forge log lines either
        if clean != message:
            record.msg, record.args = clean, None
        return True


SCRUBBER = LogScrubber()
"""The scrubber the CLI attaches to its log handler; targets register their credentials."""
