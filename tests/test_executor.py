"""The executor: dependencies, parallel waves, failure propagation, Refs, polling with ``Until``."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.applying.executor import ApplyReport, Executor, Status, StepResult
from provisioner.emulator import Emulator
from provisioner.planning.dependencies import dependencies
from provisioner.planning.engine import apply_plan
from provisioner.planning.plan import Action, Call, Change, FileData, Plan, Ref, Until
from provisioner.render.text import render_report
from tests.conftest import ENDPOINT, Account

Write = Callable[..., Path]
HOOK = "webhook.sms.mo->https://hooks.example.com/x"


class FakeTime:
    """A clock that only moves when the executor sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Gate(httpx.BaseTransport):
    """The emulator's transport, recording how many requests are in flight at once.

    ``meet`` names a method whose first ``parties`` requests wait for each other at a barrier:
    with one request in flight at a time the barrier breaks (after 5 s) and the request fails.
    """

    def __init__(self, inner: httpx.BaseTransport, meet: str = "", parties: int = 2) -> None:
        self.inner = inner
        self.meet = meet
        self.barrier = threading.Barrier(parties, timeout=5)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.methods: list[str] = []
        self.in_process = True  # the emulator in-process: plain http is fine

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        method = json.loads(request.content)["method"]
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.methods.append(method)
            meeting = method == self.meet and self.barrier.n_waiting < self.barrier.parties
        try:
            if meeting and not self.barrier.broken:
                self.barrier.wait()
            response = self.inner.handle_request(request)
            response.read()
            return response
        finally:
            with self.lock:
                self.in_flight -= 1


@pytest.fixture
def gated(emulator: Emulator) -> Iterator[tuple[CallrClient, Gate]]:
    gate = Gate(emulator.transport(), meet="apps.create")
    with CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=gate) as api:
        yield api, gate


def dids(emulator: Emulator) -> dict[str, dict[str, Any]]:
    state = emulator.snapshot()
    master = state["accounts"][state["master"]]
    return {d["intl_number"]: d for d in master["dids"].values()}


def apps(emulator: Emulator) -> dict[str, dict[str, Any]]:
    state = emulator.snapshot()
    return dict(state["accounts"][state["master"]]["apps"])


def create_and_assign(emulator: Emulator, numbers: tuple[str, ...]) -> Plan:
    by_number = dids(emulator)
    create = Call("app.a:create", "apps.create",
                  (("package", "ACTIONS10"), ("name", "a"), ("params", None)))
    changes = [Change("app.a", "app", Action.CREATE, calls=(create,))]
    for number in numbers:
        call = Call(f"number.{number}:assign_did", "apps.assign_did",
                    (("app_hash", Ref("app.a:create", ("hash",))),
                     ("did_hash", by_number[number]["hash"])))
        changes.append(Change(f"number.{number}", "number", Action.ASSIGN, calls=(call,)))
    return Plan("t", tuple(changes))


def by_address(plan: Plan) -> dict[str, list[str]]:
    deps = dependencies(plan)
    return {c.address: sorted(plan.changes[j].address for j in deps.closure(i))
            for i, c in enumerate(plan.changes)}


# -- dependencies ------------------------------------------------------------------------------

MIXED = """
    version: 1
    media:
      welcome: {tts: {text: "Bonjour", voice: TTS_FR-FR_AUDREY, rate: 50}}
    apps:
      a: {package: CALLTRACKING10, params: {medias: {welcome: welcome}}}
      b: {package: ACTIONS10, params: {script: {branches: {b: {actions: [{action: hangup@v1}]}}}}}
      old: {package: ACTIONS10, absent: true}
    numbers:
      "+33199000001": a
      "+33199000002": b
    webhooks:
      - {type: sms.mo, endpoint: "https://hooks.example.com/x"}
"""


def test_dependencies_of_a_whole_plan(account: Account, manifest: Write) -> None:
    account.converge(manifest("""
        version: 1
        apps: {old: {package: ACTIONS10, params: {script: {branches: {
            o: {actions: [{action: hangup@v1}]}}}}}}
    """))
    plan = account.plan(manifest(MIXED))
    non_destructive = ["app.a", "app.b", "media.welcome", "number.+33199000001",
                       "number.+33199000002", HOOK]
    assert by_address(plan) == {
        "media.welcome": [],
        "app.a": ["media.welcome"],  # its params hold a Ref to the media's id
        "app.b": [],
        "number.+33199000001": ["app.a", "media.welcome"],  # through app.a
        "number.+33199000002": ["app.b"],
        HOOK: [],
        "app.old": non_destructive,  # a delete waits for everything else of its account
    }


def test_a_replaced_app_is_deleted_after_its_numbers_moved(account: Account,
                                                           manifest: Write) -> None:
    account.converge(manifest("""
        version: 1
        apps: {a: {package: ACTIONS10, params: {script: {branches: {
            a: {actions: [{action: hangup@v1}]}}}}}}
        numbers: {"+33199000001": a}
    """))
    plan = account.plan(manifest("""
        version: 1
        apps: {a: {package: REALTIME10, params: {url: "https://a.example.com"}}}
    """))
    assert [(c.address, c.action) for c in plan.changes] == [
        ("app.a", Action.REPLACE), ("number.+33199000001", Action.REASSIGN),
        ("app.a", Action.DELETE)]
    deps = dependencies(plan)
    assert [sorted(deps.closure(i)) for i in range(deps.size)] == [[], [0], [0, 1]]


def test_deletes_wait_through_barriers_not_one_edge_per_pair() -> None:
    creates = [Change(f"app.a{i}", "app", Action.CREATE,
                      calls=(Call(f"app.a{i}:create", "apps.create", (("name", f"a{i}"),)),))
               for i in range(300)]
    deletes = [Change(f"app.d{i}", "app", Action.DELETE,
                      calls=(Call(f"app.d{i}:delete", "apps.delete", (("hash", f"D{i}"),)),))
               for i in range(300)]
    hooks = [Change(f"webhook.w{i}", "webhook", Action.DELETE,
                    calls=(Call(f"webhook.w{i}:unsubscribe", "webhooks.unsubscribe",
                                (("hash", f"W{i}"),)),)) for i in range(3)]
    deps = dependencies(Plan("t", (*creates, *deletes, *hooks)))
    assert sum(len(before) for before in deps.before) < 2_000  # 90,000 pairs without barriers
    assert deps.closure(300) == frozenset(range(300))  # a delete waits for every create
    assert deps.closure(600) == frozenset(range(600))  # a later kind waits for earlier deletes


def test_objects_acted_on_and_login_as_are_dependencies() -> None:
    edit = Call("media.m:set_content", "media/tts.set_content",
                (("id", 7), ("text", "x"), ("voice", "v"), ("options", None)))
    app = Call("app.a:create", "apps.create",
               (("package", "CALLTRACKING10"), ("name", "a"),
                ("params", {"medias": {"welcome": 7}})))
    sub = Call('subaccount["S"]:unarchive', "account/sub.unarchive", (("hash", "S1"),))
    inside = Call('subaccount["S"].app.x:create', "apps.create",
                  (("package", "ACTIONS10"), ("name", "x"), ("params", None)), login_as="S1")
    remove = Call("number.1:remove_did", "apps.remove_did", (("did_hash", "D1"),))
    wipe = Call("media.old:delete", "media/library.delete", (("id", 8),))
    retire = Call('subaccount["T"]:archive', "account/sub.archive",
                  (("hash", "T1"), ("options", None)))
    plan = Plan("t", (
        Change('subaccount["S"]', "subaccount", Action.UPDATE, calls=(sub,)),
        Change("media.m", "media", Action.UPDATE, calls=(edit,)),
        Change("app.a", "app", Action.CREATE, calls=(app,)),
        Change('subaccount["S"].app.x', "app", Action.CREATE, calls=(inside,), account="S"),
        Change("number.1", "number", Action.UNASSIGN, calls=(remove,)),
        Change("media.old", "media", Action.DELETE, calls=(wipe,)),
        Change('subaccount["T"]', "subaccount", Action.DELETE, calls=(retire,)),
    ))
    assert by_address(plan) == {
        'subaccount["S"]': [],
        "media.m": [],
        "app.a": ["media.m"],
        'subaccount["S"].app.x': ['subaccount["S"]'],
        "number.1": ["app.a", "media.m", 'subaccount["S"]'],
        "media.old": ["app.a", "media.m", "number.1", 'subaccount["S"]'],
        'subaccount["T"]': ["app.a", "media.m", "media.old", "number.1", 'subaccount["S"]',
                            'subaccount["S"].app.x'],
    }


# -- parallel waves ----------------------------------------------------------------------------

def two_apps_and_numbers(emulator: Emulator) -> Plan:
    by_number = dids(emulator)
    changes = []
    for name, number in (("a", "+33199000001"), ("b", "+33199000002")):
        create = Call(f"app.{name}:create", "apps.create",
                      (("package", "ACTIONS10"), ("name", name), ("params", None)))
        assign = Call(f"number.{number}:assign_did", "apps.assign_did",
                      (("app_hash", Ref(f"app.{name}:create", ("hash",))),
                       ("did_hash", by_number[number]["hash"])))
        changes += [Change(f"app.{name}", "app", Action.CREATE, calls=(create,)),
                    Change(f"number.{number}", "number", Action.ASSIGN, calls=(assign,))]
    return Plan("t", tuple(changes))


def test_independent_changes_run_at_the_same_time(gated: tuple[CallrClient, Gate],
                                                  emulator: Emulator) -> None:
    client, gate = gated
    threads: set[threading.Thread] = set()
    report = Executor(client, parallelism=4,
                      on_step=lambda s: threads.add(threading.current_thread())).run(
        two_apps_and_numbers(emulator))
    assert report.ok, [s.error for s in report.steps]
    assert threads == {threading.current_thread()}, "on_step runs in the calling thread"
    assert not gate.barrier.broken, "both creates were in flight together"
    assert gate.max_in_flight >= 2
    assert [s.change.address for s in report.steps] == [
        "app.a", "number.+33199000001", "app.b", "number.+33199000002"]  # plan order
    owner = {d["intl_number"]: d["app"] for d in dids(emulator).values()}
    assert owner["+33199000001"] == report.results["app.a:create"]["hash"]
    assert owner["+33199000002"] == report.results["app.b:create"]["hash"]


def test_parallelism_one_runs_one_change_at_a_time(emulator: Emulator) -> None:
    gate = Gate(emulator.transport())
    with CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=gate) as client:
        seen: list[str] = []
        report = Executor(client, parallelism=1,
                          on_step=lambda s: seen.append(s.change.address)).run(
            two_apps_and_numbers(emulator))
    assert report.ok
    assert gate.max_in_flight == 1
    assert gate.methods == ["apps.create", "apps.assign_did"] * 2
    assert seen == ["app.a", "number.+33199000001", "app.b", "number.+33199000002"]


# -- failures ----------------------------------------------------------------------------------

def test_a_failure_skips_its_dependents_only(client: CallrClient, emulator: Emulator) -> None:
    plan = create_and_assign(emulator, ("+33199000001", "+33199000002", "+33199000003"))
    emulator.faults.fail("apps.assign_did", skip=1, code=151, message="Injected fault")
    report = Executor(client, parallelism=1).run(plan)
    assert not report.ok
    assert [(s.change.address, s.status) for s in report.steps] == [
        ("app.a", Status.APPLIED),
        ("number.+33199000001", Status.APPLIED),
        ("number.+33199000002", Status.FAILED),
        ("number.+33199000003", Status.APPLIED),  # independent of the failed assignment
    ]
    failed = report.with_status(Status.FAILED)[0]
    assert "151" in failed.error and "Injected fault" in failed.error
    assert failed.code == 151
    assert failed.calls_made == 0
    assert dids(emulator)["+33199000002"]["app"] is None
    assert dids(emulator)["+33199000003"]["app"] == report.results["app.a:create"]["hash"]


FAULTY = """
    version: 1
    apps:
      a: {package: ACTIONS10, params: {script: {branches: {a: {actions: [{action: hangup@v1}]}}}}}
      b: {package: ACTIONS10, params: {script: {branches: {b: {actions: [{action: hangup@v1}]}}}}}
      gone: {package: ACTIONS10, absent: true}
    numbers:
      "+33199000001": a
      "+33199000002": b
    webhooks:
      - {type: sms.mo, endpoint: "https://hooks.example.com/x"}
"""


def test_failed_create_skips_its_number_and_the_deletes(account: Account, client: CallrClient,
                                                        emulator: Emulator,
                                                        manifest: Write) -> None:
    account.converge(manifest("""
        version: 1
        apps: {gone: {package: ACTIONS10, params: {script: {branches: {
            g: {actions: [{action: hangup@v1}]}}}}}}
    """))
    path = manifest(FAULTY)
    emulator.faults.fail("apps.create", code=151, message="Injected fault")  # the first: app.a
    seen: list[str] = []
    plan = account.plan(path)
    report = apply_plan(plan, client, on_step=lambda s: seen.append(s.change.address))
    status = {s.change.address: s.status for s in report.steps}
    assert status == {
        "app.a": Status.FAILED, "app.b": Status.APPLIED,
        "number.+33199000001": Status.SKIPPED, "number.+33199000002": Status.APPLIED,
        HOOK: Status.APPLIED,
        "app.gone": Status.SKIPPED,
    }
    assert sorted(seen) == sorted(status)  # on_step saw each change once
    skipped = {s.change.address: s.reason for s in report.with_status(Status.SKIPPED)}
    assert skipped == {"number.+33199000001": "app.a failed", "app.gone": "app.a failed"}
    (failed,) = report.with_status(Status.FAILED)
    assert (failed.code, failed.error) == (151, "apps.create: error 151: Injected fault")
    lines = render_report(report)
    assert "Apply failed. 3 applied, 1 failed, 2 skipped." in lines
    assert "! app.a: apps.create: error 151: Injected fault" in lines
    assert "number.+33199000001: app.a failed" in lines
    assert sorted(a["name"] for a in apps(emulator).values()) == ["b", "gone"]
    assert [c.address for c in account.plan(path).changes] == [
        "app.a", "number.+33199000001", "app.gone"]
    account.converge(path)
    assert account.plan(path).is_empty


def test_failure_in_a_later_call_of_a_change_counts_calls_made(client: CallrClient,
                                                               emulator: Emulator) -> None:
    did = dids(emulator)["+33199000001"]["hash"]
    create = Call("app.a:create", "apps.create",
                  (("package", "ACTIONS10"), ("name", "a"), ("params", None)))
    assign = Call("app.a:assign_did", "apps.assign_did",
                  (("app_hash", Ref("app.a:create", ("hash",))), ("did_hash", did)))
    emulator.faults.fail("apps.assign_did", code=110, message="gone")
    report = Executor(client).run(Plan("t", (Change("app.a", "app", Action.CREATE,
                                                    calls=(create, assign)),)))
    assert report.steps[0].status is Status.FAILED
    assert report.steps[0].calls_made == 1
    assert "110" in report.steps[0].error
    assert "    (1 of 2 calls of this change were made)" in render_report(report).splitlines()


def test_ref_to_a_call_that_never_ran_fails_cleanly(client: CallrClient,
                                                    emulator: Emulator) -> None:
    did = dids(emulator)["+33199000001"]["hash"]
    assign = Call("n:assign_did", "apps.assign_did",
                  (("app_hash", Ref("app.ghost:create", ("hash",))), ("did_hash", did)))
    report = Executor(client).run(Plan("t", (Change("n", "number", Action.ASSIGN,
                                                    calls=(assign,)),)))
    assert report.steps[0].status is Status.FAILED
    assert "app.ghost:create" in report.steps[0].error
    assert client.call_count == 0


def test_on_step_sees_every_step(client: CallrClient, emulator: Emulator) -> None:
    seen: list[tuple[str, Status]] = []
    Executor(client, on_step=lambda s: seen.append((s.change.address, s.status))).run(
        create_and_assign(emulator, ("+33199000001",)))
    assert seen == [("app.a", Status.APPLIED), ("number.+33199000001", Status.APPLIED)]


def test_report_lines_when_everything_applied(tmp_path: Path) -> None:
    a = Change("app.a", "app", Action.CREATE)
    b = Change("app.b", "app", Action.CREATE)
    report = ApplyReport([StepResult(a, Status.APPLIED, calls_made=1, recovered=1),
                          StepResult(b, Status.APPLIED, calls_made=1)],
                         journal=tmp_path / "j.jsonl")
    assert render_report(report).splitlines() == [
        "Apply complete: 2 changes applied.",
        "1 call lost an answer; the account was re-read to learn the outcome.",
        "Applied, confirmed after a lost answer: app.a.",
        f"Journal: {tmp_path / 'j.jsonl'}",
    ]


# -- polling -----------------------------------------------------------------------------------

def poll_plan(media_id: int, until: Until) -> Plan:
    call = Call("media.x:get", "media/library.get", (("id", media_id),), until=until)
    follow = Call("app.y:create", "apps.create",
                  (("package", "ACTIONS10"), ("name", "y"), ("params", {"x": Ref(call.id)})))
    return Plan("t", (Change("media.x", "media", Action.UPDATE, calls=(call,)),
                      Change("app.y", "app", Action.CREATE, calls=(follow,))))


def test_until_times_out_on_a_media_that_stays_pending(client: CallrClient) -> None:
    media_id = client.call("media/library.create", name="x")
    fake = FakeTime()
    executor = Executor(client, sleep=fake.sleep, clock=fake.clock)
    before = client.call_count
    report = executor.run(poll_plan(media_id, Until("status", ("READY",), timeout=5.0,
                                                    interval=1.0)))
    assert [s.status for s in report.steps] == [Status.FAILED, Status.SKIPPED]
    error = report.steps[0].error
    assert "media.x:get" in error and "PENDING_CONTENT" in error and "5s" in error
    assert fake.sleeps == [1.0] * 5
    assert client.call_count - before == 6  # the first get and one per poll


def test_until_failed_state_stops_at_once(client: CallrClient) -> None:
    media_id = client.call("media/library.create", name="x")
    fake = FakeTime()
    report = Executor(client, sleep=fake.sleep, clock=fake.clock).run(
        poll_plan(media_id, Until("status", ("READY",), failed=("PENDING_CONTENT",))))
    assert report.steps[0].status is Status.FAILED
    assert "status is PENDING_CONTENT" in report.steps[0].error
    assert fake.sleeps == []


def test_until_ready_returns_the_ready_result(client: CallrClient) -> None:
    media_id = client.call("media/library.create", name="x")
    client.call("media/tts.set_content", id=media_id, text="Hello", voice="TTS_DE-DE_ANNA",
                options=None)
    plan = poll_plan(media_id, Until("status", ("READY",), failed=("ERROR",), timeout=10.0,
                                     interval=0.01))
    report = Executor(client).run(Plan("t", plan.changes[:1]))
    assert report.ok
    assert report.results["media.x:get"]["status"] == "READY"


@pytest.mark.parametrize("audio", ["aGVsbG8="])  # not RIFF/WAVE: conversion ends in ERROR
def test_until_reaches_failed_state(client: CallrClient, audio: str) -> None:
    media_id = client.call("media/library.create", name="x")
    client.call("media/library.set_content", id=media_id, text="", audio_base64=audio)
    report = Executor(client).run(
        poll_plan(media_id, Until("status", ("READY",), failed=("ERROR",), timeout=10.0,
                                  interval=0.01)))
    assert report.steps[0].status is Status.FAILED
    assert "status is ERROR" in report.steps[0].error
    assert report.steps[1].reason == "media.x failed"


def file_plan(media_id: int, data: FileData) -> Plan:
    call = Call("m:set_content", "media/library.set_content",
                (("id", media_id), ("text", "t"), ("audio_base64", data)))
    return Plan("test", (Change("media.m", "media", Action.UPDATE, calls=(call,)),))


def test_file_data_is_read_at_apply_and_refused_if_changed(client: CallrClient,
                                                           tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    wav.write_bytes(WAV)
    planned = FileData(str(wav), "a.wav", "sha256:" + hashlib.sha256(WAV).hexdigest())
    media_id = client.call("media/library.create", name="m")
    assert Executor(client).run(file_plan(media_id, planned)).ok
    assert client.media_library_get(media_id)["status"] != "PENDING_CONTENT"
    wav.write_bytes(WAV + b"\x00\x00")
    report = Executor(client).run(file_plan(media_id, planned))
    assert report.steps[0].status is Status.FAILED
    assert "a.wav changed since the plan was made" in report.steps[0].error
    wav.unlink()
    report = Executor(client).run(file_plan(media_id, planned))
    assert "cannot read a.wav" in report.steps[0].error


WAV = (b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>\x00\x00"
       b"\x02\x00\x10\x00data\x00\x00\x00\x00")
