"""The executor: Ref resolution, stop at first failure, polling with ``Until``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.emulator import Emulator
from provisioner.executor import Executor, Status
from provisioner.plan import Action, Call, Change, FileData, Plan, Ref, Until


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


def test_ref_resolves_to_the_hash_create_returned(client: CallrClient,
                                                  emulator: Emulator) -> None:
    report = Executor(client).run(create_and_assign(emulator, ("+33199000001", "+33199000002")))
    assert report.ok
    assert [s.status for s in report.steps] == [Status.APPLIED] * 3
    new_hash = report.results["app.a:create"]["hash"]
    assert list(apps(emulator)) == [new_hash]
    assert dids(emulator)["+33199000001"]["app"] == new_hash
    assert dids(emulator)["+33199000002"]["app"] == new_hash
    assert dids(emulator)["+33199000003"]["app"] is None


def test_stops_at_first_failure(client: CallrClient, emulator: Emulator) -> None:
    plan = create_and_assign(emulator, ("+33199000001", "+33199000002", "+33199000003"))
    emulator.faults.fail("apps.assign_did", skip=1, code=151, message="Injected fault")
    report = Executor(client).run(plan)
    assert not report.ok
    assert [(s.change.address, s.status) for s in report.steps] == [
        ("app.a", Status.APPLIED),
        ("number.+33199000001", Status.APPLIED),
        ("number.+33199000002", Status.FAILED),
        ("number.+33199000003", Status.SKIPPED),
    ]
    failed = report.with_status(Status.FAILED)[0]
    assert "151" in failed.error and "Injected fault" in failed.error
    assert failed.calls_made == 0
    assert dids(emulator)["+33199000002"]["app"] is None
    assert dids(emulator)["+33199000003"]["app"] is None, "nothing runs after the failure"


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


def poll_plan(media_id: int, until: Until) -> Plan:
    call = Call("media.x:get", "media/library.get", (("id", media_id),), until=until)
    return Plan("t", (Change("media.x", "media", Action.UPDATE, calls=(call,)),
                      Change("media.y", "media", Action.UPDATE)))


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
    report = Executor(client).run(
        poll_plan(media_id, Until("status", ("READY",), failed=("ERROR",), timeout=10.0,
                                  interval=0.01)))
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
