"""The emulator's state: accounts, ids, hashes and the randomness handlers draw from.

The state is one plain JSON-able dict ``{"version": 1, "log_seq": N, ...}`` (persistence and
locking are in ``persist.py``). Every random draw a handler makes (hashes, passwords, reservation
tokens) goes through ``rng()``: a request runs under ``seeded(seed)`` so that replaying it from the
change log with the same seed reproduces the same objects.
"""

from __future__ import annotations

import contextlib
import contextvars
import random
import time
from collections.abc import Iterator
from typing import Any

STATE_VERSION = 1
HASH_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NULL_DATE = "0000-00-00 00:00:00"
MASTER_CLI = {"cli": "+33612345678", "label": "Mobile", "comment": ""}

State = dict[str, Any]
Account = dict[str, Any]


_RNG: contextvars.ContextVar[random.Random] = contextvars.ContextVar("emulator_rng")
_SYSTEM_RNG = random.SystemRandom()


def rng() -> random.Random:
    """The random source of the current request (seeded, replayable), else the system's."""
    return _RNG.get(_SYSTEM_RNG)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[random.Random]:
    """Run a request's handler with ``random.Random(seed)`` as ``rng()``."""
    token = _RNG.set(random.Random(seed))
    try:
        yield _RNG.get()
    finally:
        _RNG.reset(token)


def fmt_date(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def fmt_date_ms(ts: float) -> str:
    millis = round(ts * 1000) % 1000
    return f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(int(ts)))}.{millis:03d}"


def new_hash(state: State, kind: str) -> str:
    """A fresh 8-char upper-case hash, unique across the whole emulator."""
    used: dict[str, str] = state["hashes"]
    while True:
        value = "".join(rng().choices(HASH_ALPHABET, k=8))
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
        if n == 5:  # +33199005xxx is the DID store's Paris catalogue: never give it away twice
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
        "log_seq": 0,
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
