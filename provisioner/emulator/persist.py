"""Persistence and locking of the emulator's state: a snapshot file plus an append-only change log.

With a ``state_path`` the state lives in two files:

- ``<state>``: a JSON snapshot of the whole state, written atomically (temp file + ``os.replace``);
  its ``log_seq`` is the number of the last logged write it includes;
- ``<state>.log``: JSON lines, one per successful write since (``{"seq": N, "m": method, "p":
  params, "as": login-as, "now": time, "seed": rng seed, ...}``), replayed deterministically
  through the ``replay`` callback (entries with ``seq`` <= the snapshot's are skipped, so a crash
  between writing a snapshot and removing the log does no harm).

A write appends one line; the log is compacted into a new snapshot once it outgrows half the
snapshot, and a state smaller than ``small_bytes`` is always written whole (so a small state file,
such as the ``--sandbox`` one, is always a complete, current JSON document).

Several processes may share the files: each request holds an ``fcntl.flock`` on ``<state>.lock``.
The lock file holds two tokens, ``<snapshot token> <write token>``, that every writer renews: a
process whose snapshot token (or the snapshot's inode, size, mtime) is stale reloads snapshot + log;
one whose write token alone is stale replays the log lines it has not seen yet.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .store import STATE_VERSION, State, initial_state

log = logging.getLogger(__name__)

Replay = Callable[[State, dict[str, Any]], None]
SMALL_BYTES = 256 * 1024
FileId = tuple[int, int, int]


def _no_replay(state: State, entry: dict[str, Any]) -> None:
    raise ValueError(f"cannot replay change log entry {entry.get('seq')}: no replay function")


def _file_id(path: Path) -> FileId | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class Store:
    """Holds the state; ``request()`` serializes a request across threads and processes."""

    def __init__(self, path: Path | None, replay: Replay = _no_replay) -> None:
        self.path = path
        self.replay = replay
        self.small_bytes = SMALL_BYTES
        self._lock = threading.RLock()
        self._handle: Any = None
        self._tokens = ("", "")
        self._snap_id: FileId | None = None
        self._snap_size = 0
        self._log_ino: int | None = None
        self._log_pos = 0
        self.state: State = {}
        if path is None:
            self.state = initial_state()
            return
        with self._file_lock():
            if path.exists():
                self._load()
            else:
                self.state = initial_state()
                self.save()

    @property
    def log_path(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + ".log")

    # --- locking ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            self._handle = handle
            try:
                yield
            finally:
                self._handle = None
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _read_tokens(self) -> tuple[str, str]:
        if self._handle is None:
            return ("", "")
        self._handle.seek(0)
        snap, _, write = self._handle.read().decode("ascii", "replace").partition(" ")
        return (snap.strip(), write.strip())

    def _write_tokens(self, new_snapshot: bool) -> None:
        if self._handle is None:
            return
        snap = secrets.token_hex(8) if new_snapshot else self._read_tokens()[0]
        tokens = (snap, secrets.token_hex(8))
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(f"{tokens[0]} {tokens[1]}".encode("ascii"))
        self._handle.flush()
        self._tokens = tokens

    @contextlib.contextmanager
    def request(self) -> Iterator[State]:
        """Hold the thread lock and the file lock; catch up with other processes' writes."""
        with self._lock, self._file_lock():
            if self.path is not None:
                self._sync()
            yield self.state

    def _sync(self) -> None:
        assert self.path is not None
        tokens = self._read_tokens()
        snap_id = _file_id(self.path)
        if snap_id is None:
            self.state = initial_state()
            self.save()
        elif snap_id != self._snap_id or tokens[0] != self._tokens[0]:
            self._load()
        elif tokens[1] != self._tokens[1]:
            self._replay_tail()
            self._tokens = tokens

    # --- loading ------------------------------------------------------------------------------

    def _load(self) -> None:
        """Snapshot + every log line after it."""
        assert self.path is not None
        with open(self.path, "rb") as handle:
            raw = handle.read()
            snap_id = _file_id(self.path)
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError(f"{self.path}: not an emulator state file (version {STATE_VERSION})")
        data.setdefault("log_seq", 0)
        self.state = data
        self._snap_id, self._snap_size = snap_id, len(raw)
        self._log_ino, self._log_pos = None, 0
        self._replay_tail()
        self._tokens = self._read_tokens()
        log.debug("loaded emulator state from %s (log seq %s)", self.path, data["log_seq"])

    def _replay_tail(self) -> None:
        """Apply the log lines not seen yet; reload everything if the log was replaced."""
        try:
            st = os.stat(self.log_path)
        except FileNotFoundError:
            if self._log_pos:
                self._load_after_compaction()
            return
        if (self._log_ino is not None and st.st_ino != self._log_ino) or st.st_size < self._log_pos:
            self._load_after_compaction()
            return
        with open(self.log_path, "r+b") as handle:
            ino = os.fstat(handle.fileno()).st_ino
            handle.seek(self._log_pos)
            chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            for line in complete.splitlines():
                self._apply(json.loads(line))
            self._log_ino, self._log_pos = ino, self._log_pos + len(complete)
            if len(complete) < len(chunk) and self._handle is not None:
                log.warning("%s: dropping a torn last line", self.log_path)
                handle.truncate(self._log_pos)

    def _load_after_compaction(self) -> None:
        self._snap_id = None
        self._load()

    def _apply(self, entry: dict[str, Any]) -> None:
        if entry["seq"] <= self.state["log_seq"]:
            return
        if entry["seq"] != self.state["log_seq"] + 1:
            seen = self.state["log_seq"]
            raise ValueError(f"{self.log_path}: change {entry['seq']} follows {seen}")
        self.replay(self.state, entry)
        self.state["log_seq"] = entry["seq"]

    # --- writing ------------------------------------------------------------------------------

    def save(self) -> None:
        """Write the whole state as a new snapshot and empty the log (no-op in memory)."""
        if self.path is None:
            return
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        raw = json.dumps(self.state, separators=(",", ":")).encode("utf-8")  # keeps dict order
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.log_path)
        self._snap_id, self._snap_size = _file_id(self.path), len(raw)
        self._log_ino, self._log_pos = None, 0
        self._write_tokens(new_snapshot=True)

    def commit(self, entry: dict[str, Any], line: str) -> None:
        """Record a write the state already reflects (``line`` is ``entry`` as JSON)."""
        self.state["log_seq"] = entry["seq"]
        if self.path is None:
            return
        data = (line + "\n").encode("utf-8")
        if self._snap_size < self.small_bytes or self._log_pos + len(data) > self._snap_size // 2:
            self.save()
            return
        # 0600 like the snapshot: the log holds request params (HMAC secrets, passwords).
        fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "ab") as handle:
            handle.write(data)
            self._log_ino = os.fstat(handle.fileno()).st_ino
        self._log_pos += len(data)
        self._write_tokens(new_snapshot=False)

    def invalidate(self) -> None:
        """Forget what was loaded: the next request reloads (after a handler crashed mid-write)."""
        self._snap_id = None

    def snapshot(self) -> State:
        with self.request() as state:
            return copy.deepcopy(state)
