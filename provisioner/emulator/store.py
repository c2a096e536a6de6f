"""The emulator's state: accounts, ids, hashes, persistence and locking.

The state is one plain JSON-able dict ``{"version": 1, ...}``. With a ``state_path`` it lives in a
JSON file written atomically (temp file + ``os.replace``) after every mutating call; several
processes may share the file: each request holds an ``fcntl.flock`` on ``<state>.lock`` and reloads
the JSON when the file changed since this process last read or wrote it (mtime_ns, size, inode,
or the generation token each writer leaves in the lock file, since mtimes can be coarse).
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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STATE_VERSION = 1
HASH_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NULL_DATE = "0000-00-00 00:00:00"
MASTER_CLI = {"cli": "+33612345678", "label": "Mobile", "comment": ""}

State = dict[str, Any]
Account = dict[str, Any]


def fmt_date(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def fmt_date_ms(ts: float) -> str:
    millis = round(ts * 1000) % 1000
    return f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(int(ts)))}.{millis:03d}"


def new_hash(state: State, kind: str) -> str:
    """A fresh 8-char upper-case hash, unique across the whole emulator."""
    used: dict[str, str] = state["hashes"]
    while True:
        value = "".join(secrets.choice(HASH_ALPHABET) for _ in range(8))
        if value not in used:
            used[value] = kind
            return value


def next_id(state: State, counter: str) -> int:
    counters: dict[str, int] = state["counters"]
    counters[counter] = counters.get(counter, 0) + 1
    return counters[counter]


def new_account(state: State, parent: str | None) -> Account:
    """An empty account; the master gets 20 DIDs, the N-th sub-account 5."""
    acc_hash = new_hash(state, "account")
    account: Account = {
        "hash": acc_hash,
        "parent": parent,
        "apps": {},
        "dids": {},
        "media": {},
        "sip": {"subscriber": {}, "trunk/origination": {}, "trunk/termination": {}},
        "webhooks": {},
        "clis": [] if parent else [dict(MASTER_CLI)],
        "subs": [],
        "sub": None,
        "bought": [],
    }
    if parent is None:
        numbers = [f"+331990000{i:02d}" for i in range(1, 21)]
    else:
        n = next_id(state, "subaccount")
        numbers = [f"+331990{n:02d}{i:03d}" for i in range(1, 6)]
    for number in numbers:
        add_did(state, account, number, "CLASSIC", "GEOGRAPHIC")
    state["accounts"][acc_hash] = account
    return account


def local_of(intl: str) -> tuple[str, str]:
    """French national format of a +33 number: ``0199000001`` and ``01 99 00 00 01``."""
    local = "0" + intl[3:] if intl.startswith("+33") else intl
    pretty = " ".join(local[i : i + 2] for i in range(0, len(local), 2))
    return local, pretty


def add_did(
    state: State, account: Account, intl: str, klass: str, did_type: str, did_hash: str = ""
) -> Account:
    """A new unassigned DID of ``account`` (``did_hash`` given when a store item becomes a DID)."""
    local, pretty = local_of(intl)
    did = {
        "hash": did_hash or new_hash(state, "did"),
        "intl_number": intl,
        "local_number": local,
        "local_number_f": pretty,
        "country_code": "FR",
        "type": did_type,
        "class": klass,
        "app": None,
    }
    account["dids"][did["hash"]] = did
    state["numbers"][intl] = account["hash"]
    return did


def initial_state() -> State:
    state: State = {
        "version": STATE_VERSION,
        "counters": {},
        "hashes": {},
        "accounts": {},
        "master": "",
        "numbers": {},
        "reservations": {},
        "jobs": {},
    }
    state["master"] = new_account(state, None)["hash"]
    return state


class Store:
    """Holds the state; ``request()`` serializes a request across threads and processes."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int, str] | None = None
        self._handle: Any = None
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

    def _generation(self) -> str:
        """The token the last writer left in the lock file (guards against coarse mtimes)."""
        if self._handle is None:
            return ""
        self._handle.seek(0)
        return str(self._handle.read().decode("ascii", "replace"))

    def _bump_generation(self) -> None:
        if self._handle is None:
            return
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(secrets.token_hex(8).encode("ascii"))
        self._handle.flush()

    def _stat(self) -> tuple[int, int, int, str] | None:
        """What tells another process wrote the file: mtime_ns, size, inode, lock generation."""
        assert self.path is not None
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino, self._generation())

    def _load(self) -> None:
        assert self.path is not None
        with open(self.path, encoding="utf-8") as handle:
            data = json.load(handle)
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError(f"{self.path}: not an emulator state file (version {STATE_VERSION})")
        self.state = data
        self._seen = self._stat()
        log.debug("loaded emulator state from %s", self.path)

    def save(self) -> None:
        """Persist the state atomically (no-op in memory)."""
        if self.path is None:
            return
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.state, handle, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
            self._bump_generation()
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self._seen = self._stat()

    @contextlib.contextmanager
    def request(self) -> Iterator[State]:
        """Hold the thread lock and the file lock; reload the file if another process wrote it."""
        with self._lock, self._file_lock():
            if self.path is not None:
                current = self._stat()
                if current is None:
                    self.state = initial_state()
                    self.save()
                elif current != self._seen:
                    self._load()
            yield self.state

    def snapshot(self) -> State:
        with self.request() as state:
            return copy.deepcopy(state)
