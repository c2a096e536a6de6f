"""Reports after faults: a write whose answer was lost and that the re-read account shows is
reported as applied ("confirmed after a lost answer"), even when the re-read itself or the
re-sent write meets more network faults."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.applying.executor import Status
from provisioner.emulator import Emulator
from provisioner.planning.engine import apply_plan
from provisioner.render.text import render_report
from tests.conftest import ENDPOINT, Account

Write = Callable[..., Path]
SCENARIO = "{branches: {main: {actions: [{action: hangup@v1}]}}}"
"""A valid Callr Actions scenario (ACTIONS10 params are checked)."""
APP = "version: 1\napps:\n  app-000: {package: ACTIONS10, params: {script: " + SCENARIO + "}}\n"
NUMBER = APP + 'numbers: {"+33199000001": app-000}\n'


def test_a_lost_create_confirmed_by_a_re_read_that_failed_first(
        account: Account, client: CallrClient, emulator: Emulator, manifest: Write) -> None:
    path = manifest(APP)
    plan = account.plan(path)
    emulator.faults.lose_response("apps.create", drop=True)
    emulator.faults.lose_response("apps.get_list", drop=True, times=3)  # every retry of a read
    report = apply_plan(plan, client)
    assert report.ok, [s.error for s in report.steps]
    (step,) = report.steps
    assert step.status is Status.APPLIED and step.recovered == 1
    text = render_report(report)
    assert text.startswith("Apply complete: 1 change applied.")
    assert "Applied, confirmed after a lost answer: app.app-000." in text
    assert account.plan(path).is_empty
    assert [a["name"] for a in client.apps_get_list(False)] == ["app-000"], "no duplicate"


class DropUnrun(httpx.BaseTransport):
    """Answers the first ``times`` requests of ``method`` with a 502, without running them."""

    in_process = True

    def __init__(self, inner: httpx.BaseTransport, method: str, times: int) -> None:
        self.inner, self.method, self.left = inner, method, times

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["method"] == self.method and self.left:
            self.left -= 1
            return httpx.Response(502, content=b"<html>Bad Gateway</html>")
        return self.inner.handle_request(request)


def test_a_re_sent_write_whose_answer_is_lost_again(account: Account, emulator: Emulator,
                                                    manifest: Write) -> None:
    account.converge(manifest(APP))
    drop = DropUnrun(emulator.transport(), "apps.assign_did", times=2)
    with CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=drop) as client:
        path = manifest(NUMBER)
        report = apply_plan(Account(client).plan(path), client)
        assert report.ok, [s.error for s in report.steps]
        assert drop.left == 0
        assert "confirmed after a lost answer: number.+33199000001" in render_report(report)
        assert Account(client).plan(path).is_empty


def test_failed_changes_still_mark_the_confirmed_ones(account: Account, client: CallrClient,
                                                      emulator: Emulator,
                                                      manifest: Write) -> None:
    path = manifest(APP + "  app-001: {package: ACTIONS10, params: {script: " + SCENARIO
                    + "}}\n")
    plan = account.plan(path)
    emulator.faults.lose_response("apps.create", drop=True)
    emulator.faults.fail("apps.create", code=151, message="Injected fault", skip=1)
    report = apply_plan(plan, client, parallelism=1)
    text = render_report(report)
    assert "Apply failed. 1 applied, 1 failed, 0 skipped." in text
    assert "(confirmed after a lost answer)" in text
