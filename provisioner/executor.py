"""Run a plan's calls in order, resolving references to results of earlier calls.

The executor is the only place that writes to the API. It stops at the first failed call: the
report says which changes were applied, which one failed (with the API's code and message) and
which were not attempted, so the user knows the account's state; running apply again converges,
since every kind matches live objects by identity rather than remembering ids.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from provisioner.api.client import CallrClient
from provisioner.errors import ApiError, ProvisionerError
from provisioner.plan import Call, Change, FileData, Plan, Ref, Until

log = logging.getLogger(__name__)


class Status(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "not applied"


@dataclass(frozen=True)
class StepResult:
    change: Change
    status: Status
    error: str = ""
    calls_made: int = 0


@dataclass
class ApplyReport:
    steps: list[StepResult] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)

    def with_status(self, status: Status) -> list[StepResult]:
        return [s for s in self.steps if s.status is status]

    @property
    def ok(self) -> bool:
        return not self.with_status(Status.FAILED)


class WaitError(ProvisionerError):
    """A polled object reached a failed state, or did not become ready in time."""


class ResolveError(ProvisionerError):
    """A reference points at something an earlier call's result does not contain."""


class Executor:
    def __init__(self, client: CallrClient, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 on_step: Callable[[StepResult], None] | None = None) -> None:
        self.client = client
        self.sleep = sleep
        self.clock = clock
        self.on_step = on_step

    def run(self, plan: Plan) -> ApplyReport:
        report = ApplyReport()
        failed = False
        for change in plan.changes:
            if failed:
                self._record(report, StepResult(change, Status.SKIPPED))
                continue
            made = 0
            try:
                for call in change.calls:
                    report.results[call.id] = self._run_call(call, report.results)
                    made += 1
            except (ApiError, WaitError, ResolveError) as exc:
                failed = True
                log.error("%s failed: %s", change.address, exc)
                self._record(report, StepResult(change, Status.FAILED, str(exc), made))
                continue
            self._record(report, StepResult(change, Status.APPLIED, calls_made=made))
        return report

    def _record(self, report: ApplyReport, step: StepResult) -> None:
        report.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)

    def _run_call(self, call: Call, results: dict[str, Any]) -> Any:
        login_as = resolve(call.login_as, results)
        client = self.client.as_account(login_as)
        args = {name: resolve(value, results) for name, value in call.args}
        log.info("%s %s", call.id, call.method)
        result = client.call(call.method, **args)
        if call.until is not None:
            result = self._wait(client, call, args, result, call.until)
        return result

    def _wait(self, client: CallrClient, call: Call, args: dict[str, Any], result: Any,
              until: Until) -> Any:
        deadline = self.clock() + until.timeout
        while True:
            state = result.get(until.field) if isinstance(result, dict) else None
            if state in until.ready:
                return result
            if state in until.failed:
                raise WaitError(f"{call.id}: {until.field} is {state}")
            if self.clock() >= deadline:
                raise WaitError(
                    f"{call.id}: still {until.field}={state} after {until.timeout:.0f}s"
                )
            self.sleep(until.interval)
            result = client.call(call.method, **args)


def resolve(value: Any, results: dict[str, Any]) -> Any:
    """``value`` with every Ref replaced by the (part of the) result it points to, and every
    FileData by the base64 of the file's bytes."""
    if isinstance(value, FileData):
        return _read_file(value)
    if isinstance(value, Ref):
        if value.call not in results:
            raise ResolveError(f"internal: {value.call} has not run before it is referred to")
        found = results[value.call]
        for part in value.path:
            try:
                found = found[part]
            except (KeyError, IndexError, TypeError):
                raise ResolveError(
                    f"{value.call} returned no {'.'.join(map(str, value.path))}"
                ) from None
        return found
    if isinstance(value, dict):
        return {k: resolve(v, results) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v, results) for v in value]
    return value


def _read_file(data: FileData) -> str:
    try:
        content = Path(data.path).read_bytes()
    except OSError as exc:
        raise ResolveError(f"cannot read {data.shown}: {exc.strerror}") from None
    if "sha256:" + hashlib.sha256(content).hexdigest() != data.sha256:
        raise ResolveError(f"{data.shown} changed since the plan was made: plan again")
    return base64.b64encode(content).decode("ascii")
