"""Which account plan and apply talk to: the embedded sandbox, or the live API.

``--sandbox`` runs the emulator in-process over an httpx transport, its state persisted in a JSON
file (``.provisioner/sandbox.json`` by default), so a newcomer needs no CALLR credentials.
Otherwise credentials come from ``CALLR_API_KEY`` or ``CALLR_LOGIN`` + ``CALLR_PASSWORD``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from provisioner.api.client import CallrClient
from provisioner.api.rpc import DEFAULT_ENDPOINT, Credentials
from provisioner.errors import ConfigError

DEFAULT_SANDBOX_STATE = Path(".provisioner") / "sandbox.json"
SANDBOX_ENDPOINT = "http://sandbox.invalid/json-rpc/v1.1/"
SANDBOX_MEDIA_DELAY = 0.5


@dataclass
class Target:
    client: CallrClient
    description: str

    def close(self) -> None:
        self.client.close()


def open_sandbox(state: Path | None = None) -> Target:
    from provisioner.emulator import Emulator

    path = state or DEFAULT_SANDBOX_STATE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        emulator = Emulator(path, media_delay=SANDBOX_MEDIA_DELAY, job_delay=SANDBOX_MEDIA_DELAY)
    except OSError as exc:
        raise ConfigError(f"cannot use sandbox state file {path}: {exc}") from exc
    client = CallrClient.connect(
        Credentials("sandbox", "sandbox"), SANDBOX_ENDPOINT, transport=emulator.transport()
    )
    return Target(client, f"sandbox account (state file {path})")


def open_live(endpoint: str, env: Mapping[str, str]) -> Target:
    api_key = env.get("CALLR_API_KEY", "")
    login, password = env.get("CALLR_LOGIN", ""), env.get("CALLR_PASSWORD", "")
    if api_key:
        credentials = Credentials(api_key=api_key)
    elif login and password:
        credentials = Credentials(login, password)
    else:
        raise ConfigError(
            "no CALLR credentials: set CALLR_API_KEY, or CALLR_LOGIN and CALLR_PASSWORD; "
            "or try the tool on a local emulated account with --sandbox"
        )
    client = CallrClient.connect(credentials, endpoint or DEFAULT_ENDPOINT)
    return Target(client, f"CALLR account at {client.endpoint} ({credentials.describe()})")
