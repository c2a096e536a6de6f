"""The apply journal: one JSON-lines file per apply, written as the calls are made.

``.provisioner/journal/<UTC timestamp>-<plan fingerprint>.jsonl`` (the directory is
configurable) holds:

- a header: ``{"type": "header", "target", "fingerprint", "started", "version", "changes"}``;
- one line per call: ``{"type": "call", "change", "call", "method", "outcome", "code",
  "message", "duration_ms", "identity"}`` where ``outcome`` is ``ok``, ``failed``,
  ``recovered`` (the answer was lost and the account was re-read) or ``skipped``;
- a summary: ``{"type": "summary", "finished", "applied", "failed", "skipped", "ok"}``.
- or, when SIGINT or SIGTERM stopped the apply, a last line ``{"type": "interrupted",
  "signal", "finished", "applied", "failed", "skipped", "not_started", "ok": false}`` (the
  changes in flight at the signal are finished first, and counted).

No parameter is journaled except the identity fields named in ``IDENTITY`` (names, hashes,
ids, event type and endpoint, usernames, company names), and everything written goes through
``provisioner.sensitive.redact`` and ``KNOWN.mask`` (a value from the environment in an endpoint
or a name shows as ``(sensitive: NAME)``, an API message echoing a password as ``***``). The
file is created 0600. Each line is flushed as it is written, so a killed process
leaves a journal that reads line by line up to the last call it made.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from provisioner.applying.workspace import ensure_dir
from provisioner.planning.plan import Plan
from provisioner.sensitive import KNOWN, Secret, redact
from provisioner.version import tool_version

JOURNAL_DIR = Path(".provisioner") / "journal"
"""Where the CLI journals applies, relative to the current directory."""
IDENTITY = ("name", "hash", "id", "type", "endpoint", "app_hash", "did_hash", "package")
"""Top-level call parameters copied to the journal (never secrets)."""
NESTED_IDENTITY = (("properties", "username"), ("properties", "account", "company"))


def identity(args: dict[str, Any]) -> dict[str, Any]:
    """The non-secret identity fields of a call's (resolved) arguments."""
    out: dict[str, Any] = {}
    for key in IDENTITY:
        value = args.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool | Secret):
            out[key] = value
    for path in NESTED_IDENTITY:
        node: Any = args
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, str):
            out[".".join(path)] = node
    return dict(KNOWN.mask_deep(redact(out)))


class Journal:
    """Appends the lines of one apply; safe to call from several worker threads."""

    def __init__(self, directory: Path, plan: Plan) -> None:
        ensure_dir(directory)
        started = datetime.now(UTC)
        stamp = started.strftime("%Y%m%dT%H%M%S.%fZ")
        self.path = directory / f"{stamp}-{plan.fingerprint()}.jsonl"
        self._lock = threading.Lock()
        # 0600 from the start: a journal names the account's objects, and must never be a
        # file others may read (umask or not), even if a secret got past the redaction.
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._file: IO[str] | None = os.fdopen(descriptor, "a", encoding="utf-8")
        self.write({"type": "header", "target": plan.target, "fingerprint": plan.fingerprint(),
                    "started": started.isoformat(), "version": tool_version(),
                    "changes": len(plan.changes)})

    def write(self, line: dict[str, Any]) -> None:
        text = json.dumps(KNOWN.mask_deep(redact(line)), sort_keys=True, default=str)
        with self._lock:
            if self._file is None:
                return
            self._file.write(text + "\n")
            self._file.flush()

    def call(self, change: str, call_id: str, method: str, outcome: str, *,
             code: int | None = None, message: str = "", duration: float = 0.0,
             args: dict[str, Any] | None = None) -> None:
        self.write({"type": "call", "change": change, "call": call_id, "method": method,
                    "outcome": outcome, "code": code, "message": message,
                    "duration_ms": round(duration * 1000, 1),
                    "identity": identity(args or {})})

    def interrupted(self, signal_name: str, counts: dict[str, int]) -> None:
        """The last line of an apply stopped by a signal: what was done, what was not."""
        self._finish({"type": "interrupted", "signal": signal_name, **counts, "ok": False})

    def close(self, counts: dict[str, int], ok: bool) -> None:
        self._finish({"type": "summary", **counts, "ok": ok})

    def _finish(self, line: dict[str, Any]) -> None:
        """Write the last line, stamped ``finished``, and close the file."""
        self.write({**line, "finished": datetime.now(UTC).isoformat()})
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def read(path: Path) -> list[dict[str, Any]]:
    """The lines of a journal (a last line cut by a kill is left out)."""
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(text))
        except json.JSONDecodeError:
            break
    return lines
