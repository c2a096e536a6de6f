"""Run a plan's changes in dependency waves, resolving references to results of earlier calls.

The executor is the only place that writes to the API. ``dependencies`` says which changes must
wait for which (a ``Ref`` to another change's result, an object another change acts on, deletes
after everything else of their account); changes whose dependencies are all applied run
concurrently, at most ``parallelism`` at a time (1 runs them one by one), and the calls inside
one change stay sequential. Ready changes start in plan order, so the run is deterministic
whenever ``parallelism`` is 1, and ``ApplyReport.steps`` is in plan order always.

A failed change does not stop the apply: every change that depends on it, transitively, is
skipped (its reason names the failure), and independent work goes on. A write whose answer was
lost is not failed at once: ``provisioner.applying.recovery`` re-reads the account, then the result
is adopted or the call re-sent once. ``on_step`` is called from the calling thread only, in
completion order (a skipped change right after the failure that skips it). Running apply again
converges, since every kind matches live objects by identity rather than remembering ids.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import logging
import time
from collections import ChainMap
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from provisioner.api.client import CallrClient
from provisioner.api.limits import DEFAULT_PARALLELISM
from provisioner.api.methods import METHODS
from provisioner.applying import recovery
from provisioner.applying.adapt import Adapter, AdaptError
from provisioner.applying.journal import Journal
from provisioner.errors import ApiError, ProvisionerError, RateLimited, RpcError, TransportError
from provisioner.planning.dependencies import dependencies
from provisioner.planning.plan import Action, Call, Change, FileData, Plan, Ref, Until

log = logging.getLogger(__name__)

RECOVERY_PAUSES = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Pauses between the attempts to learn the outcome of a write whose answer was lost."""


class Status(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class StepResult:
    change: Change
    status: Status
    error: str = ""
    calls_made: int = 0
    code: int | None = None
    """The API's error code when a JSON-RPC error failed the change."""
    reason: str = ""
    """Why a change was skipped: the failed change it depends on."""
    recovered: int = 0
    """Calls whose answer was lost and whose outcome was learned by re-reading the account."""
    notes: tuple[str, ...] = ()
    """How the API's answers were met where they differ from the plan's guess (``adapt``)."""


@dataclass
class ApplyReport:
    steps: list[StepResult] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    journal: Path | None = None

    def with_status(self, status: Status) -> list[StepResult]:
        return [s for s in self.steps if s.status is status]

    @property
    def ok(self) -> bool:
        return not self.with_status(Status.FAILED)


class Interrupted(BaseException):
    """SIGINT or SIGTERM during an apply (a BaseException, like KeyboardInterrupt, so that
    nothing on the way catches it as an error)."""

    def __init__(self, signal_name: str, report: ApplyReport | None = None) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.report = report


class WaitError(ProvisionerError):
    """A polled object reached a failed state, or did not become ready in time."""


class ResolveError(ProvisionerError):
    """A reference points at something an earlier call's result does not contain."""


@dataclass
class _Outcome:  # what a worker thread hands back for one change
    results: dict[str, Any]
    made: int = 0
    recovered: int = 0
    error: ProvisionerError | None = None
    notes: list[str] = field(default_factory=list)


class Executor:
    def __init__(self, client: CallrClient, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 on_step: Callable[[StepResult], None] | None = None,
                 parallelism: int = DEFAULT_PARALLELISM, journal: Journal | None = None) -> None:
        self.client = client
        self.sleep = sleep
        self.clock = clock
        self.on_step = on_step
        self.parallelism = max(1, parallelism)
        self.journal = journal
        self.adapter = Adapter()

    def run(self, plan: Plan) -> ApplyReport:
        report = ApplyReport(journal=self.journal.path if self.journal else None)
        changes = plan.changes
        graph = dependencies(plan)
        deps = graph.before
        # Each change is handed the results its Refs point to, not a copy of every result
        # so far (which would make a large apply quadratic).
        refs = [{ref.call for call in change.calls for ref in call.refs()} for change in changes]
        waiting = {i: set(d) for i, d in enumerate(deps)}
        dependents: list[list[int]] = [[] for _ in deps]
        for i, before in enumerate(deps):
            for j in before:
                dependents[j].append(i)
        ready = [i for i, before in waiting.items() if not before]
        heapq.heapify(ready)
        steps: dict[int, StepResult] = {}
        passed: set[int] = set()  # barriers reached, or skipped after a failure

        def release(i: int) -> None:
            for j in dependents[i]:
                waiting[j].discard(i)
                if not waiting[j] and j not in steps and j not in passed:
                    heapq.heappush(ready, j)
        running: dict[Future[_Outcome], int] = {}
        try:
            with ThreadPoolExecutor(self.parallelism, thread_name_prefix="apply") as pool:
                while ready or running:
                    while ready and len(running) < self.parallelism:
                        i = heapq.heappop(ready)
                        if i >= graph.size:  # a barrier: all it waits for is applied
                            passed.add(i)
                            release(i)
                            continue
                        earlier = {c: report.results[c] for c in refs[i]
                                   if c in report.results}
                        running[pool.submit(self._run_change, changes[i], earlier)] = i
                    if not running:
                        continue
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in sorted(done, key=lambda f: running[f]):
                        i = running[future]
                        outcome = future.result()
                        report.results.update(outcome.results)
                        self._record(steps, i, _step(changes[i], outcome))
                        del running[future]  # after recording: a signal loses no outcome
                        if outcome.error is None:
                            release(i)
                        else:
                            self._skip_dependents(plan, dependents, steps, passed, i)
        except (KeyboardInterrupt, Interrupted) as stop:  # the pool let the running ones end
            name = stop.signal_name if isinstance(stop, Interrupted) else "SIGINT"
            raise Interrupted(name, self._stopped(plan, steps, running, report, name)) from None
        for i in sorted(set(range(len(changes))) - set(steps)):  # a cycle (a plan bug) only
            self._record(steps, i, StepResult(changes[i], Status.SKIPPED, reason="cycle"))
        report.steps = [steps[i] for i in range(len(changes))]
        if self.journal is not None:
            self.journal.close({s.value: len(report.with_status(s)) for s in Status}, report.ok)
        return report

    def _stopped(self, plan: Plan, steps: dict[int, StepResult],
                 running: dict[Future[_Outcome], int], report: ApplyReport,
                 signal_name: str) -> ApplyReport:
        """After a signal: the changes in flight have finished (the pool waited for them);
        record them, journal the counts, and return what was done."""
        for future, i in sorted(running.items(), key=lambda item: item[1]):
            if i not in steps and future.done() and future.exception() is None:
                outcome = future.result()
                report.results.update(outcome.results)
                steps[i] = _step(plan.changes[i], outcome)
        report.steps = [steps[i] for i in sorted(steps)]
        counts = {s.value: len(report.with_status(s)) for s in Status}
        counts["not_started"] = len(plan.changes) - len(steps)
        log.warning("apply interrupted by %s: %s", signal_name, counts)
        if self.journal is not None:
            self.journal.interrupted(signal_name, counts)
        return report

    def _record(self, steps: dict[int, StepResult], index: int, step: StepResult) -> None:
        steps[index] = step
        if self.on_step is not None:
            self.on_step(step)

    def _skip_dependents(self, plan: Plan, dependents: list[list[int]],
                         steps: dict[int, StepResult], passed: set[int], failed: int) -> None:
        reason = f"{plan.changes[failed].address} failed"
        todo = list(dependents[failed])
        while todo:
            j = todo.pop(0)
            if j in steps or j in passed:
                continue
            if j >= len(plan.changes):  # a barrier: what waits for it is skipped too
                passed.add(j)
                todo.extend(dependents[j])
                continue
            change = plan.changes[j]
            log.warning("%s skipped: %s", change.address, reason)
            if self.journal is not None:
                for call in change.calls:
                    self.journal.call(change.address, call.id, call.method, "skipped",
                                      message=reason)
            self._record(steps, j, StepResult(change, Status.SKIPPED, reason=reason))
            todo.extend(dependents[j])

    def _run_change(self, change: Change, earlier: dict[str, Any]) -> _Outcome:
        """One change's calls, in order (in a worker thread). API, wait and resolve errors are
        the outcome's error; anything else is a bug and propagates."""
        outcome = _Outcome({})
        results = ChainMap(outcome.results, earlier)
        for n, call in enumerate(change.calls):
            started = time.monotonic()
            args: dict[str, Any] = {}
            try:
                login_as = resolve(call.login_as, results)
                client = self.client.as_account(login_as)
                args = {name: resolve(value, results) for name, value in call.args}
                moving = change.action is Action.REASSIGN
                result, how, notes = self._call(client, call, args, results, moving)
            except (ApiError, WaitError, ResolveError, recovery.RecoveryError,
                    AdaptError) as exc:
                log.error("%s failed: %s", change.address, exc)
                self._journal(change, call, "failed", started, args, exc)
                for rest in change.calls[n + 1:]:
                    self._journal(change, rest, "skipped", None, {}, None,
                                  "an earlier call of this change failed")
                outcome.error = exc
                return outcome
            outcome.results[call.id] = result
            outcome.made += 1
            outcome.recovered += bool(how)
            outcome.notes.extend(notes)
            for note in notes:
                log.warning("%s: %s", change.address, note)
            self._journal(change, call, "recovered" if how else "ok", started, args, None,
                          "; ".join([how, *notes] if how else notes))
        return outcome

    def _journal(self, change: Change, call: Call, outcome: str, started: float | None,
                 args: dict[str, Any], exc: Exception | None, message: str = "") -> None:
        if self.journal is None:
            return
        code = exc.code if isinstance(exc, RpcError) else None
        message = exc.message if isinstance(exc, RpcError) else str(exc or message)
        duration = 0.0 if started is None else time.monotonic() - started
        self.journal.call(change.address, call.id, call.method, outcome, code=code,
                          message=message, duration=duration, args=args)

    def _call(self, client: CallrClient, call: Call, args: dict[str, Any],
              results: Mapping[str, Any], moving: bool = False) -> tuple[Any, str, list[str]]:
        """The call's result, how it was recovered after a lost answer ("" if it was not:
        "adopted" when the write had happened, "re-sent" when it was sent again), and the
        notes of ``adapt`` on an answer other than the plan's guess."""
        log.info("%s %s", call.id, call.method)
        how = ""
        try:
            result, notes = self.adapter.call(client, call.method, args, moving=moving)
        except TransportError as exc:
            if METHODS[call.method].read_only or isinstance(exc, RateLimited):
                raise
            (result, notes), how = self._recover(client, call, args, results, exc, moving)
        if call.until is not None:
            result = self._wait(client, call, args, result, call.until)
        return result, how, notes

    def _recover(self, client: CallrClient, call: Call, args: dict[str, Any],
                 results: Mapping[str, Any], exc: TransportError,
                 moving: bool) -> tuple[tuple[Any, list[str]], str]:
        """Re-read the account until it tells whether the write ran: adopt its result, or
        send it again (and, if that answer is lost too, re-read again). A re-read that fails
        on the network is tried again after a pause: giving up would report as failed a write
        that happened."""
        for pause in (*RECOVERY_PAUSES, None):
            log.warning("%s: no answer (%s): re-reading the account to learn whether it ran",
                        call.id, exc)
            try:
                found = recovery.recover(client, call.method, args, results)
                if found is not None:
                    log.info("%s: the write happened: its result is adopted", call.id)
                    return (found, []), "adopted"
                log.info("%s: the write did not happen (or is idempotent): sent again",
                         call.id)
                return self.adapter.call(client, call.method, args, moving=moving), "re-sent"
            except TransportError as again:
                if pause is None:
                    raise recovery.RecoveryError(
                        f"{call.method}: the answer was lost and the account could not be "
                        f"re-read to learn whether it ran ({again}): plan again to see"
                    ) from again
                exc = again
                self.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

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


def _step(change: Change, outcome: _Outcome) -> StepResult:
    if outcome.error is None:
        return StepResult(change, Status.APPLIED, calls_made=outcome.made,
                          recovered=outcome.recovered, notes=tuple(outcome.notes))
    code = outcome.error.code if isinstance(outcome.error, RpcError) else None
    return StepResult(change, Status.FAILED, str(outcome.error), outcome.made, code,
                      recovered=outcome.recovered, notes=tuple(outcome.notes))


def resolve(value: Any, results: Mapping[str, Any]) -> Any:
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
