"""The integrity seal of a saved plan file, and the one key that may protect it.

``seal`` digests the whole file body (every change and call with its arguments, the basis, the
target account, the guards, the routing, everything but the seal itself) as canonical JSON:

- without a key, a plain sha256 (``"algorithm": "sha256"``). It catches a damaged or naively
  edited file, but whoever edits the file can compute it again: the real defence is that apply
  derives every safety decision again from the calls themselves (``plancheck``);
- with ``PROVISIONER_PLAN_KEY`` set (a CI secret shared by the plan and apply jobs, never
  written anywhere by the provisioner), an HMAC-SHA256 (``"algorithm": "hmac-sha256"``): no one
  without the key can make an edited file pass.

``check`` refuses (``PlanFileError``) a mismatch, a keyed file applied without the key, and a
keyless file applied while the key is set (an attacker must not be able to downgrade the seal by
dropping it). The same key makes ``keyed_digest``, the only digest of secret values a plan file
may hold: without the key, the file holds no digest of any secret at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from provisioner.render.codec import PlanFileError

KEY_VARIABLE = "PROVISIONER_PLAN_KEY"
SEAL = "integrity"
PLAIN, KEYED = "sha256", "hmac-sha256"


def plan_key(env: Mapping[str, str]) -> bytes | None:
    """The key from ``PROVISIONER_PLAN_KEY``, or None when it is unset or empty."""
    value = env.get(KEY_VARIABLE, "")
    return value.encode() if value else None


def _canonical(body: Mapping[str, Any]) -> bytes:
    unsealed = {k: v for k, v in body.items() if k != SEAL}
    return json.dumps(unsealed, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def _digest(body: Mapping[str, Any], key: bytes | None) -> str:
    text = _canonical(body)
    if key is None:
        return hashlib.sha256(text).hexdigest()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def seal(body: Mapping[str, Any], key: bytes | None) -> dict[str, str]:
    return {"algorithm": PLAIN if key is None else KEYED, "digest": _digest(body, key)}


def check(body: Mapping[str, Any], key: bytes | None, path: Path, *,
          strict: bool = True) -> str:
    """Refuse a file whose seal does not match its content (nothing was applied). Not
    ``strict`` (``show``), a seal that cannot be checked here is a note, not an error: the
    note is returned ("" when the seal was verified)."""
    found = body.get(SEAL)
    if not isinstance(found, dict) or not isinstance(found.get("digest"), str):
        raise PlanFileError(f"{path} has no integrity seal: make the plan again")
    algorithm = found.get("algorithm")
    if algorithm not in (PLAIN, KEYED):
        raise PlanFileError(f"{path} has an unknown integrity algorithm {algorithm!r}")
    if algorithm == KEYED and key is None:
        if not strict:
            return f"the seal was not verified ({path} is sealed with {KEY_VARIABLE}, unset here)"
        raise PlanFileError(f"{path} is sealed with {KEY_VARIABLE} (HMAC-SHA256): set the same "
                            f"{KEY_VARIABLE} to apply it; nothing was applied")
    if algorithm == PLAIN and key is not None and strict:
        raise PlanFileError(f"{path} was made without {KEY_VARIABLE} but it is set here: a "
                            "saved plan must be sealed with the key to be applied where the key "
                            "is set; make the plan again with the key; nothing was applied")
    if not hmac.compare_digest(found["digest"], _digest(body, key if algorithm == KEYED else None)):
        raise PlanFileError(f"{path} was modified after it was made (its content does not match "
                            "its integrity seal); nothing was applied: make the plan again and "
                            "review it")
    return ""


def keyed_digest(values: Iterable[str], key: bytes | None) -> str:
    """HMAC-SHA256 of ``values`` (sorted) under the key; "" without a key, so that nothing in
    a keyless plan file depends on a secret's value (no offline guess can be confirmed)."""
    if key is None:
        return ""
    body = "\n".join(sorted(hashlib.sha256(v.encode()).hexdigest() for v in values))
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest() if body else ""
