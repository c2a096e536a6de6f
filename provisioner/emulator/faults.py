"""Fault injection for convergence tests: injected errors and lost responses."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class _Rule:
    method: str
    kind: str  # "fail" or "lose"
    times: int
    skip: int
    code: int = 0
    message: str = ""


class Faults:
    """Rules consumed call by call: each rule skips ``skip`` calls, then fires ``times`` times."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []

    def fail(
        self,
        method: str,
        *,
        code: int = 151,
        message: str = "Injected fault",
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """The next ``times`` calls to ``method`` (after ``skip``) return this error, unexecuted."""
        with self._lock:
            self._rules.append(_Rule(method, "fail", times, skip, code, message))

    def lose_response(self, method: str, *, times: int = 1, skip: int = 0) -> None:
        """The call runs and is persisted, then the HTTP response is a non-JSON 502."""
        with self._lock:
            self._rules.append(_Rule(method, "lose", times, skip))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method: str) -> tuple[tuple[int, str] | None, bool]:
        """Consume one call of ``method``: (injected error or None, lose the response?)."""
        error: tuple[int, str] | None = None
        lose = False
        with self._lock:
            for rule in self._rules:
                if rule.method != method or rule.times <= 0:
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                rule.times -= 1
                if rule.kind == "fail" and error is None:
                    error = (rule.code, rule.message)
                elif rule.kind == "lose":
                    lose = True
            self._rules = [r for r in self._rules if r.times > 0]
        return error, lose and error is None
