"""Which account plan and apply talk to: the embedded sandbox, or the live API.

``--sandbox`` runs the emulator in-process over an httpx transport, its state persisted in a JSON
file (``.provisioner/sandbox.json`` by default), so a newcomer needs no CALLR credentials.
Otherwise credentials come only from the environment (``CALLR_API_KEY``, or ``CALLR_LOGIN`` +
``CALLR_PASSWORD``) or from a credentials file (``--credentials-file`` /
``CALLR_CREDENTIALS_FILE``), which must be readable by its owner only.

Credentials file format: one ``key: value`` (or ``key=value``) per line, keys ``api_key``, or
``login`` and ``password`` (a ``CALLR_`` prefix and upper case are accepted, so a
``CALLR_API_KEY=...`` env file works too); blank lines and ``#`` comments are ignored, and a
value may be wrapped in single or double quotes. Values are taken verbatim: ``password: 0123``
is the string ``0123``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provisioner.api.client import CallrClient
from provisioner.api.limits import DEFAULT_PARALLELISM, LIVE_DEFAULT_MAX_RPS
from provisioner.api.rpc import DEFAULT_ENDPOINT, Credentials, loopback_endpoint
from provisioner.api.transport import NetworkLimits
from provisioner.applying.workspace import ensure_dir
from provisioner.errors import ConfigError

DEFAULT_SANDBOX_STATE = Path(".provisioner") / "sandbox.json"
SANDBOX_ENDPOINT = "http://sandbox.invalid/json-rpc/v1.1/"
SANDBOX_REST_ENDPOINT = "http://sandbox.invalid/v2.0"
SANDBOX_MEDIA_DELAY = 0.5
CREDENTIAL_KEYS = ("api_key", "login", "password")
SANDBOX_VARIANTS_ENV = "PROVISIONER_SANDBOX_VARIANTS"
"""Variants the ``--sandbox`` emulator plays (``NAME[,NAME...]``), as ``--sandbox-variant``."""


@dataclass
class Target:
    client: CallrClient
    description: str
    on_close: list[Callable[[], object]] = field(default_factory=list)
    """Run after the client is closed (the CLI releases its lock here)."""

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            for release in reversed(self.on_close):
                release()


def open_sandbox(state: Path | None = None, *, max_rps: float | None = None,
                 parallelism: int = DEFAULT_PARALLELISM,
                 variants: Iterable[str] = (), api: str = "jsonrpc",
                 network: NetworkLimits | None = None) -> Target:
    """The emulated account, through ``api`` (jsonrpc or rest); no rate cap unless
    ``max_rps`` is given. ``variants`` (names of ``emulator/variants.py``, commas allowed) make
    it play alternatives of unconfirmed API behaviours. ``network``: the limits of each
    request (``api.transport``)."""
    from provisioner.emulator import Emulator
    from provisioner.emulator.variants import parse as parse_variants

    path = state or DEFAULT_SANDBOX_STATE
    try:
        chosen = parse_variants(variants)
    except ValueError as exc:
        raise ConfigError(f"--sandbox-variant: {exc}") from None
    try:
        ensure_dir(path.parent)
        emulator = Emulator(path, media_delay=SANDBOX_MEDIA_DELAY, job_delay=SANDBOX_MEDIA_DELAY,
                            variants=chosen)
    except OSError as exc:
        raise ConfigError(f"cannot use sandbox state file {path}: {exc}") from exc
    except ValueError as exc:  # truncated JSON, another format ...
        raise ConfigError(f"{path} is not a valid sandbox state ({exc}); delete it to start "
                          "afresh") from exc
    if api == "rest":
        from provisioner.api.rest import RestClient

        rest = RestClient.open_rest(Credentials(api_key="sandbox"), SANDBOX_REST_ENDPOINT,
                                    transport=emulator.transport(), max_rps=max_rps,
                                    parallelism=parallelism, **_network(network))
        return Target(rest, f"sandbox account through REST v2 (state file {path})")
    client = CallrClient.connect(
        Credentials("sandbox", "sandbox"), SANDBOX_ENDPOINT, transport=emulator.transport(),
        max_rps=max_rps, parallelism=parallelism, **_network(network),
    )
    played = f"; variants: {', '.join(sorted(chosen))}" if chosen else ""
    return Target(client, f"sandbox account (state file {path}{played})")


def open_live(endpoint: str, env: Mapping[str, str], *,
              credentials_file: Path | None = None, max_rps: float | None = None,
              parallelism: int = DEFAULT_PARALLELISM, api: str = "jsonrpc",
              network: NetworkLimits | None = None) -> Target:
    """The live API. ``max_rps`` None: ``LIVE_DEFAULT_MAX_RPS``, or no cap for a loopback
    endpoint (a local emulator, not CALLR); 0: no rate cap."""
    credentials = (read_credentials_file(credentials_file) if credentials_file is not None
                   else credentials_from_env(env))
    credentials.remember()
    rps = _default_rps(endpoint) if max_rps is None else max_rps
    if api == "rest":
        from provisioner.api.rest import RestClient

        rest = RestClient.open_rest(credentials, endpoint, max_rps=rps, parallelism=parallelism,
                                    **_network(network))
        return Target(rest, f"CALLR account at {rest.endpoint} through REST v2 "
                            f"({credentials.describe()})")
    client = CallrClient.connect(
        credentials, endpoint or DEFAULT_ENDPOINT, max_rps=rps, parallelism=parallelism,
        **_network(network),
    )
    return Target(client, f"CALLR account at {client.endpoint} ({credentials.describe()})")


def _network(limits: NetworkLimits | None) -> dict[str, Any]:
    """``connect``'s keywords for ``limits`` (none: its defaults)."""
    if limits is None:
        return {}
    return {"timeout": limits.deadline, "max_response_bytes": limits.max_response_bytes}


def _default_rps(endpoint: str) -> float | None:
    return None if loopback_endpoint(endpoint or DEFAULT_ENDPOINT) else LIVE_DEFAULT_MAX_RPS


def credentials_from_env(env: Mapping[str, str]) -> Credentials:
    api_key = env.get("CALLR_API_KEY", "")
    login, password = env.get("CALLR_LOGIN", ""), env.get("CALLR_PASSWORD", "")
    if api_key:
        return Credentials(api_key=api_key)
    if login and password:
        return Credentials(login, password)
    raise ConfigError(
        "no CALLR credentials: set CALLR_API_KEY, or CALLR_LOGIN and CALLR_PASSWORD, or give "
        "--credentials-file; or try the tool on a local emulated account with --sandbox"
    )


def read_credentials_file(path: Path) -> Credentials:
    """Credentials from a file only its owner may read (see the module docstring for the
    format). Errors name the file and the line, never a value."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(f"credentials file {path} is not a regular file")
        if os.name == "posix" and mode & 0o077:
            raise ConfigError(
                f"credentials file {path} is readable by others (mode {stat.S_IMODE(mode):04o}):"
                f" run `chmod 600 {path}` (it must be readable by its owner only)"
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"credentials file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read credentials file {path}: {type(exc).__name__}") from None
    values = _parse_credentials(path, text)
    if values.get("api_key"):
        return Credentials(api_key=values["api_key"])
    if values.get("login") and values.get("password"):
        return Credentials(values["login"], values["password"])
    raise ConfigError(f"credentials file {path} has no api_key, nor both login and password")


def _parse_credentials(path: Path, text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        colon, equals = line.find(":"), line.find("=")
        cuts = [i for i in (colon, equals) if i > 0]
        if not cuts:
            raise ConfigError(f"{path}:{number}: expected `key: value` or `key=value`")
        key, value = line[:min(cuts)].strip().lower(), line[min(cuts) + 1:].strip()
        key = key.removeprefix("callr_")
        if key not in CREDENTIAL_KEYS:
            raise ConfigError(f"{path}:{number}: unknown key (expected one of "
                              f"{', '.join(CREDENTIAL_KEYS)}; the line is not shown)")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values
