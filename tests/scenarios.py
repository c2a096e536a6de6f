"""Short test manifests with a real Callr Actions scenario per ACTIONS10 app.

Tests of saved plans and apply care that apps *differ*, not what their scenario does: they write
``script: a`` and ``with_scenarios`` turns each such word into a one-step scenario that logs it
(``script`` must be a Callr Actions mapping since the Actions validation).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

WORD_SCRIPT = re.compile(r"script: ([A-Za-z0-9_-]+)(?=[},\n])")


def with_scenarios(text: str) -> str:
    """``script: WORD`` -> ``script: {branches: ...log@v1 WORD...}``; other text unchanged."""
    return WORD_SCRIPT.sub(
        r"script: {branches: {inbound-call: {actions: "
        r"[{action: log@v1, params: {message: \1}}]}}}", text)


def scenario_writer(write: Callable[..., Path]) -> Callable[..., Path]:
    """The ``manifest`` fixture's writer, with ``with_scenarios`` applied first."""
    def scenario_write(text: str, *args: object, **kwargs: object) -> Path:
        return write(with_scenarios(text), *args, **kwargs)
    return scenario_write
