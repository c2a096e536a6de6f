"""Lost answers to writes: every row of ``recovery.ROWS`` learns the outcome from the account.

Each case loses the response of one write (the emulator runs and persists the call, then the
client gets no JSON-RPC answer), applies, and checks that the apply succeeded through recovery,
that the next plan is empty, and that no object exists twice.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from provisioner.api.client import CallrClient
from provisioner.api.methods import METHODS
from provisioner.api.rpc import Credentials
from provisioner.applying.executor import Executor, Status
from provisioner.applying.journal import read
from provisioner.applying.recovery import ROWS
from provisioner.emulator import Emulator
from provisioner.emulator.faults import FaultProfile
from provisioner.errors import TransportError
from provisioner.planning.engine import apply_plan
from provisioner.planning.plan import Action, Call, Change, Plan
from tests.conftest import ENDPOINT, Account

Write = Callable[..., Path]
N1 = "+33199000001"
HOOK = "https://hooks.example.com/h"
BEEP = Path(__file__).parent / "data" / "media" / "beep.wav"

APP = ("version: 1\napps:\n  a: {package: ACTIONS10, params: {script: {branches: {\n"
       "      a: {actions: [{action: hangup@v1}]}}}}}\n")
TTS = ("version: 1\nmedia:\n  welcome:\n"
       "    tts: {text: Bonjour, voice: TTS_FR-FR_AUDREY, rate: 50}\n    category: WELCOME\n")
SUBSCRIBER = "version: 1\nsip: {subscribers: {alice: {codecs: [PCMU]}}}\n"
TRUNK = "version: 1\nsip: {trunks: {origination: {pbx: {properties: {host: a.example}}}}}\n"
HOOK_YAML = f"version: 1\nwebhooks:\n  - {{type: sms.mo, endpoint: \"{HOOK}\"{{opts}}}}\n"
SUB = ("version: 1\nsubaccounts:\n  Client A:\n    account: {firstname: Jane, lastname: Doe}\n"
       "    contact: {emails: [ops@a.example]}\n{extra}")
ORDER = ("version: 1\napps:\n  a: {package: ACTIONS10, params: {script: {branches: {\n"
         "      a: {actions: [{action: hangup@v1}]}}}}}\n"
         "numbers:\n  order: {area_code_id: 2, class: CLASSIC, quantity: 2, app: a}\n")


def hook(options: str = "") -> str:
    return HOOK_YAML.replace("{opts}", f", options: {options}" if options else "")


def sub(extra: str = "") -> str:
    return SUB.replace("{extra}", "".join(f"    {line}\n" for line in extra.splitlines()))


CASES: dict[str, tuple[str | None, str]] = {
    # method: (manifest converged first, or None; manifest applied with the lost answer)
    "apps.create": (None, APP + f"numbers: {{\"{N1}\": a}}\n"),
    "apps.edit": (APP, APP.replace("      a: {actions", "      b: {actions")),
    "apps.delete": (APP, "version: 1\napps: {a: {package: ACTIONS10, absent: true}}\n"),
    "apps.assign_did": (APP, APP + f"numbers: {{\"{N1}\": a}}\n"),
    "apps.remove_did": (APP + f"numbers: {{\"{N1}\": a}}\n",
                        APP + f"numbers: {{\"{N1}\": null}}\n"),
    "media/library.create": (None, TTS + "apps:\n  c: {package: CALLTRACKING10, params: "
                                         "{medias: {welcome: welcome}}}\n"),
    "media/library.set_tags": (None, TTS),
    "media/tts.set_content": (None, TTS),
    "media/library.set_content": (None, "version: 1\nmedia:\n  hold: {file: audio/beep.wav}\n"),
    "media/library.delete": (TTS, "version: 1\nmedia: {welcome: {absent: true}}\n"),
    "sip/subscriber.create": (None, SUBSCRIBER),
    "sip/subscriber.edit": (SUBSCRIBER, SUBSCRIBER.replace("PCMU", "OPUS")),
    "sip/subscriber.delete": (SUBSCRIBER, "version: 1\nsip: {subscribers: {alice: "
                                          "{absent: true}}}\n"),
    "sip/trunk/origination.create": (None, TRUNK),
    "sip/trunk/origination.delete": (TRUNK, TRUNK.replace("a.example", "b.example")),
    "sip/trunk/termination.create": (None, TRUNK.replace("origination", "termination")),
    "webhooks.subscribe": (None, hook()),
    "webhooks.unsubscribe": (hook(), HOOK_YAML.replace("{opts}", ", absent: true")),
    "account/sub.create": (None, sub()),
    "account/sub.edit": (sub(), sub().replace("ops@a.example", "noc@a.example")),
    "account/sub.disable": (sub(), sub("enabled: false")),
    "account/sub.enable": (sub("enabled: false"), sub("enabled: true")),
    "did/store.reserve": (APP, ORDER),
    "did/store.buy_order": (APP, ORDER),
}


def census(client: CallrClient) -> list[Counter[Any]]:
    """Objects by identity, one Counter per kind: any count above 1 is a duplicate."""
    library = client.call("media/library.get_list", categories=None) or {}
    trunks = [json.dumps(t["properties"], sort_keys=True) for service in
              ("sip/trunk/origination", "sip/trunk/termination")
              for t in client.search_all(f"{service}.search")]
    return [
        Counter(a["name"] for a in client.apps_get_list(False)),
        Counter(m["name"] for m in library.values()),
        Counter((h["type"], h["endpoint"]) for h in client.call("webhooks.get_list")),
        Counter(s["username"] for s in client.search_all("sip/subscriber.search")),
        Counter(trunks),
        Counter(s["account"]["company"]
                for s in client.search_all("account/sub.search", {"archived": None})),
    ]


def test_every_write_the_kinds_make_has_a_row() -> None:
    writes = {name for name, row in METHODS.items() if not row.read_only}
    assert writes - set(ROWS) == {"did/store.cancel_subscription"}  # only `release` uses it
    assert set(ROWS) <= set(METHODS)


@pytest.mark.parametrize("method", sorted(CASES))
def test_lost_answer_is_recovered(method: str, account: Account, client: CallrClient,
                                  emulator: Emulator, manifest: Write, tmp_path: Path) -> None:
    setup, target = CASES[method]
    (tmp_path / "audio").mkdir()
    shutil.copyfile(BEEP, tmp_path / "audio" / "beep.wav")
    if setup is not None:
        account.converge(manifest(setup))
    path = manifest(target)
    plan = account.plan(path)
    assert method in [call.method for call in plan.calls()]
    emulator.faults.lose_response(method)
    report = apply_plan(plan, client, allow_purchase=True)
    assert report.ok, [s.error for s in report.steps]
    assert sum(step.recovered for step in report.steps) == 1
    assert account.plan(path).is_empty
    for counts in census(client):
        assert all(n == 1 for n in counts.values()), counts


def test_adopted_create_feeds_the_refs_that_follow(account: Account, client: CallrClient,
                                                   emulator: Emulator, manifest: Write) -> None:
    path = manifest(CASES["apps.create"][1])
    emulator.faults.lose_response("apps.create")
    _, report = account.apply(path)
    (app,) = client.apps_get_list(True)
    assert report.results["app.a:create"]["hash"] == app["hash"]
    assert [d["intl_number"] for d in app["did"]] == [N1]
    assert [s.status for s in report.steps] == [Status.APPLIED, Status.APPLIED]


def test_lost_subaccount_create_then_resources_inside_it(account: Account, client: CallrClient,
                                                         emulator: Emulator,
                                                         manifest: Write) -> None:
    path = manifest(sub("resources:\n  apps: {a: {package: ACTIONS10, params: {script: {\n"
                        "      branches: {a: {actions: [{action: hangup@v1}]}}}}}}"))
    emulator.faults.lose_response("account/sub.create")
    _, report = account.apply(path)
    assert report.ok, [s.error for s in report.steps]
    (live,) = client.search_all("account/sub.search", {"archived": None})
    assert [a["name"] for a in client.as_account(live["hash"]).apps_get_list(False)] == ["a"]
    assert account.plan(path).is_empty


def test_lost_unarchive_is_recovered(account: Account, client: CallrClient,
                                     emulator: Emulator, manifest: Write) -> None:
    account.converge(manifest(sub()))
    account.converge(manifest(sub("absent: true")))
    time.sleep(0.1)  # the archive job (job_delay 0.05 s) ends
    path = manifest(sub())
    emulator.faults.lose_response("account/sub.unarchive")
    _, report = account.apply(path)
    assert report.ok, [s.error for s in report.steps]
    assert report.steps[0].recovered == 1
    assert account.plan(path).is_empty


def test_lost_archive_fails_then_converges(account: Account, client: CallrClient,
                                           emulator: Emulator, manifest: Write) -> None:
    """No API lists jobs: the id of an archive that ran is lost; re-sending it is refused."""
    account.converge(manifest(sub()))
    path = manifest(sub("absent: true"))
    emulator.faults.lose_response("account/sub.archive")
    _, report = account.apply(path)
    (failed,) = report.with_status(Status.FAILED)
    assert "being archived" in failed.error
    time.sleep(0.1)
    assert account.plan(path).is_empty
    (live,) = client.search_all("account/sub.search", {"archived": None})
    assert live["state"]["archived"] is True


class DropFirst(httpx.BaseTransport):
    """Answers the first request of ``method`` with a 502 without running it."""

    in_process = True

    def __init__(self, inner: httpx.BaseTransport, method: str) -> None:
        self.inner = inner
        self.method = method
        self.dropped = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["method"] == self.method and not self.dropped:
            self.dropped += 1
            return httpx.Response(502, content=b"<html>Bad Gateway</html>")
        return self.inner.handle_request(request)


def test_write_that_did_not_run_is_sent_again(emulator: Emulator, account: Account,
                                              manifest: Write, tmp_path: Path) -> None:
    account.converge(manifest(APP))
    drop = DropFirst(emulator.transport(), "apps.assign_did")
    with CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=drop) as client:
        path = manifest(CASES["apps.assign_did"][1])
        report = apply_plan(Account(client).plan(path), client, journal_dir=tmp_path / "j")
        assert report.ok and report.steps[0].recovered == 1
        assert drop.dropped == 1
        (app,) = client.apps_get_list(True)
        assert [d["intl_number"] for d in app["did"]] == [N1]
    assert report.journal is not None
    (line,) = [line for line in read(report.journal) if line["type"] == "call"]
    assert (line["outcome"], line["message"]) == ("recovered", "re-sent")


def test_write_without_a_row_fails_with_a_clear_message(client: CallrClient,
                                                        emulator: Emulator) -> None:
    (did,) = [d for d in client.apps_get_dids(False) if d["intl_number"] == N1]
    call = Call("x:cancel", "did/store.cancel_subscription", (("did_hash", did["hash"]),))
    emulator.faults.lose_response("did/store.cancel_subscription")
    report = Executor(client).run(Plan("t", (Change("x", "number", Action.DELETE,
                                                    calls=(call,)),)))
    (failed,) = report.with_status(Status.FAILED)
    assert "no rule tells whether it ran" in failed.error


def test_random_lost_answers_never_duplicate(manifest: Write) -> None:
    """A fifth of all answers lost (seeded): applies converge with one object per identity."""
    emulator = Emulator(None, media_delay=0.0, job_delay=0.0,
                        fault_profile=FaultProfile(drop_rate=0.2, seed=7))
    text = (APP.replace("a: {", "b: {") + "  c: {package: ACTIONS10, params: {script: {\n"
            + "      branches: {c: {actions: [{action: hangup@v1}]}}}}}\n"
            + f"numbers: {{\"{N1}\": b}}\n"
            + "webhooks:\n" + "".join(f"  - {{type: sms.mo, endpoint: \"{HOOK}/{i}\"}}\n"
                                      for i in range(4))
            + "sip: {subscribers: {alice: {codecs: [PCMU]}, bob: {codecs: [PCMA]}}}\n")
    path = manifest(text)
    with CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=emulator.transport()) as client:
        account = Account(client)
        recovered = 0
        for _ in range(10):
            try:
                plan, report = account.apply(path)
            except TransportError:
                continue  # a read lost every retry: plan again
            recovered += sum(step.recovered for step in report.steps)
            if plan.is_empty:
                break
        assert plan.is_empty
        assert recovered > 0
        for counts in census(client):
            assert all(n == 1 for n in counts.values()), counts
