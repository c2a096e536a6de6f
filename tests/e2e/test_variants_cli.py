"""``emulator serve --variant`` and ``--fail-method`` driven by the real CLI over HTTP: the
agency example converges under every other answer of the API, and an assignment failing after a
purchase never makes the next apply buy again."""

from __future__ import annotations

import contextlib
import json
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from provisioner.api.rpc import RetryPolicy
from tests.test_adapt import ASSIGN_TRIES, ORDER_TWO

from .conftest import cli_env, emulator_serve, provisioner

EXAMPLES = Path(__file__).parent.parent.parent / "examples"
BASIC = {"CALLR_LOGIN": "sandbox", "CALLR_PASSWORD": "sandbox"}
PLAIN_VARIANTS = ("sub-create-without-hash,strict-sub-params,no-webhook-update,"
                  "webhook-list-hides-secret,assign-requires-free-did,no-did-get")


@contextlib.contextmanager
def emulator_at(*args: str) -> Iterator[str]:
    """``provisioner emulator serve --media-delay 0 ARGS``; yields its JSON-RPC URL."""
    with emulator_serve("--media-delay", "0", *args) as (_, url):
        yield url


def stats(url: str) -> dict[str, Any]:
    base = url.split("/json-rpc/")[0]
    with urllib.request.urlopen(base + "/_emulator/stats", timeout=10) as answer:
        return dict(json.load(answer))


def test_agency_converges_under_the_other_answers_in_two_applies() -> None:
    env = cli_env(**BASIC)
    with emulator_at("--variant", PLAIN_VARIANTS) as url:
        for _ in range(2):
            plan = provisioner("plan", EXAMPLES / "agency", "--endpoint", url,
                               "--detailed-exitcode", env=env)
            if plan.returncode == 0:
                break
            assert plan.returncode == 2, plan.stdout + plan.stderr
            # one change at a time: the emulator gives each new sub-account the numbers of
            # its rank of creation, which the example's numbers follow
            applied = provisioner("apply", EXAMPLES / "agency", "--endpoint", url, "--yes",
                                  "--parallelism", "1", env=env)
            assert "note: " in applied.stderr  # how each other answer was met
        final = provisioner("plan", EXAMPLES / "agency", "--endpoint", url,
                            "--detailed-exitcode", env=env)
        assert final.returncode == 0, final.stdout + final.stderr


def test_agency_plan_names_the_missing_methods_and_writes_nothing() -> None:
    env = cli_env(**BASIC)
    with emulator_at("--variant", "no-sip", "--variant", "no-webhook-list") as url:
        result = provisioner("apply", EXAMPLES / "agency", "--endpoint", url, "--yes", env=env)
        assert result.returncode == 1
        assert "webhooks.get_list" in result.stderr or "sip/" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        methods = stats(url)["methods"]
    assert all(not name.endswith((".create", ".subscribe", ".assign_did", ".edit"))
               for name in methods), methods


def test_an_assignment_failing_after_the_purchase_never_buys_twice(tmp_path: Path) -> None:
    """``--fail-method apps.assign_did:N`` with N the client's tries of the write and of each
    re-send after re-reading the account (``:1`` is absorbed by the first retry)."""
    path = tmp_path / "order.yaml"
    path.write_text(textwrap.dedent(ORDER_TWO), encoding="utf-8")
    env = cli_env(**BASIC)
    tries = RetryPolicy().attempts * ASSIGN_TRIES
    with emulator_at("--fail-method", f"apps.assign_did:{tries}") as url:
        first = provisioner("apply", path, "--endpoint", url, "--yes", "--allow-purchase",
                            env=env)
        assert first.returncode == 1, first.stdout + first.stderr
        assert "apps.assign_did" in first.stdout + first.stderr
        second = provisioner("apply", path, "--endpoint", url, "--yes", "--allow-purchase",
                             env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "instead of buying" in second.stdout
        final = provisioner("plan", path, "--endpoint", url, "--detailed-exitcode", env=env)
        assert final.returncode == 0, final.stdout
        methods = stats(url)["methods"]
    assert (methods["did/store.reserve"], methods["did/store.buy_order"]) == (1, 1)
    assert methods["apps.assign_did"] == 2
