"""Shared fixtures: an in-process emulator, a client on it, and manifest helpers.

Unit tests talk to the emulator in-process through an httpx transport (no mocks); end-to-end
tests in ``tests/e2e`` serve it over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.applying.executor import ApplyReport
from provisioner.emulator import Emulator
from provisioner.manifest.desired import load
from provisioner.planning.engine import apply_plan, build_plan
from provisioner.planning.plan import Plan
from provisioner.sensitive import KNOWN


@pytest.fixture(autouse=True)
def _scratch_cwd(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in a scratch directory: apply journals and the default sandbox state
    are written under the current directory, never into the checkout."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(autouse=True)
def _no_known_values() -> Iterator[None]:
    """Each test starts with no known sensitive value (``sensitive.KNOWN`` is process-wide):
    one test's secrets must not mask another's output."""
    KNOWN.clear()
    yield
    KNOWN.clear()


ENDPOINT = "http://emulator.test/json-rpc/v1.1/"


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(None, media_delay=0.05, job_delay=0.05)


@pytest.fixture
def client(emulator: Emulator) -> Iterator[CallrClient]:
    with CallrClient.connect(
        Credentials("sandbox", "sandbox"), ENDPOINT, transport=emulator.transport()
    ) as api:
        yield api


@pytest.fixture
def no_callr_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No live credentials from the developer's environment: commands must not reach CALLR."""
    for name in ("CALLR_API_KEY", "CALLR_LOGIN", "CALLR_PASSWORD", "CALLR_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def manifest(tmp_path: Path) -> Callable[..., Path]:
    """Write a dedented YAML manifest; returns its path (``name`` picks the file name)."""
    counter = iter(range(1_000_000))

    def write(text: str, name: str | None = None) -> Path:
        path = tmp_path / (name or f"manifest{next(counter)}.yaml")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


class Account:
    """Plan and apply manifests against one emulated account, as the CLI would."""

    def __init__(self, client: CallrClient, env: dict[str, str] | None = None) -> None:
        self.client = client
        self.env = env or {}

    def plan(self, *paths: Path) -> Plan:
        return build_plan(load(list(paths), self.env), self.client, "test account")

    def apply(self, *paths: Path) -> tuple[Plan, ApplyReport]:
        plan = self.plan(*paths)
        return plan, apply_plan(plan, self.client)

    def converge(self, *paths: Path) -> Plan:
        """Apply, assert success, and return the plan that was applied."""
        plan, report = self.apply(*paths)
        failed = [(s.change.address, s.error) for s in report.steps if s.error]
        assert report.ok, failed
        return plan


@pytest.fixture
def account(client: CallrClient) -> Account:
    return Account(client)
