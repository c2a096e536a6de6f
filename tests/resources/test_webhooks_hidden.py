"""Webhooks on an API whose list does not show ``hmac_secret`` (variant
``webhook-list-hides-secret``) or lacks ``webhooks.get_list`` (``no-webhook-list``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator
from provisioner.errors import PlanError
from tests.conftest import ENDPOINT, Account

Write = Callable[..., Path]
HOOK = "https://hooks.example.com/h"


@pytest.fixture
def hidden() -> Emulator:
    return Emulator(None, media_delay=0.0, job_delay=0.0, variants=["webhook-list-hides-secret"])


@pytest.fixture
def api(hidden: Emulator) -> Iterator[Account]:
    with CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=hidden.transport()) as client:
        yield Account(client, {"HOOK_SECRET": "first-secret-1"})


def hook(options: str, extra: str = "") -> str:
    return (f"version: 1\nwebhooks:\n  - type: sms.mo\n    endpoint: {HOOK}\n"
            f"    options: {options}\n{extra}")


def secrets(emu: Emulator) -> list[Any]:
    state = emu.snapshot()
    hooks = state["accounts"][state["master"]]["webhooks"].values()
    return [h["options"]["hmac_secret"] for h in hooks]


def test_a_write_only_secret_is_set_once_and_never_updated_on_every_plan(
        api: Account, hidden: Emulator, manifest: Write) -> None:
    path = manifest(hook('{hmac_algo: SHA256, hmac_secret: "${env:HOOK_SECRET}"}'))
    api.converge(path)
    assert secrets(hidden) == ["first-secret-1"]
    assert api.plan(path).is_empty
    api.env["HOOK_SECRET"] = "second-secret-2"  # not visible: nothing to compare it with
    assert api.plan(path).is_empty


def test_a_rotation_is_told_by_secret_rotated_at_and_applied_once(
        api: Account, hidden: Emulator, manifest: Write) -> None:
    hidden.clock = lambda: dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp()  # long ago
    api.converge(manifest(hook('{hmac_secret: "${env:HOOK_SECRET}"}')))
    hidden.clock = lambda: dt.datetime(2030, 1, 1, tzinfo=dt.UTC).timestamp()  # later on
    api.env["HOOK_SECRET"] = "second-secret-2"
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    path = manifest(hook('{hmac_secret: "${env:HOOK_SECRET}"}',
                         f'    secret_rotated_at: "{now}"\n'))
    (change,) = api.plan(path).changes
    assert [c.method for c in change.calls] == ["webhooks.unsubscribe", "webhooks.subscribe"]
    assert [(f.path, f.sensitive) for f in change.fields] == [("options.hmac_secret", True)]
    assert any("before secret_rotated_at" in note for note in change.notes)
    api.converge(path)
    assert secrets(hidden) == ["second-secret-2"]
    assert api.plan(path).is_empty  # the new subscription is later: once only


def test_secret_rotated_at_in_the_future_is_a_plan_error(api: Account, manifest: Write) -> None:
    path = manifest(hook('{hmac_secret: "${env:HOOK_SECRET}"}',
                         '    secret_rotated_at: 2999-01-01\n'))
    with pytest.raises(PlanError, match="2999-01-01 00:00:00 is in the future"):
        api.plan(path)


def test_resubscribing_without_the_hidden_secret_is_refused(
        api: Account, hidden: Emulator, manifest: Write) -> None:
    api.converge(manifest(hook('{hmac_algo: SHA256, hmac_secret: "${env:HOOK_SECRET}"}')))
    with pytest.raises(PlanError, match=r"set options\.hmac_secret so the secret is not lost"):
        api.plan(manifest(hook("{hmac_algo: SHA512}")))
    assert secrets(hidden) == ["first-secret-1"]


def test_no_webhook_list_fails_the_plan_before_any_write(manifest: Write) -> None:
    emu = Emulator(None, media_delay=0.0, job_delay=0.0, variants=["no-webhook-list"])
    path = manifest("version: 1\napps: {a: {package: ACTIONS10}}\n"
                    f"webhooks: [{{type: sms.mo, endpoint: '{HOOK}'}}]\n")
    with CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=emu.transport()) as client, \
            pytest.raises(PlanError, match=r"webhooks: the account has no method "
                                           r"webhooks.get_list \(error -32601\)"):
        Account(client).plan(path)
    assert emu.snapshot()["accounts"][emu.snapshot()["master"]]["apps"] == {}
