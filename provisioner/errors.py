"""Every exception the provisioner raises on purpose, in one tree.

    ProvisionerError                 base: the CLI turns any of these into a message and exit 1
                                     (UnsafePlan: exit 3)
    ├── ManifestError                the manifest is invalid; .problems lists every Problem at once
    ├── ConfigError                  no credentials, bad flags, unreadable state file ...
    │   ├── PlanFileError            a saved plan that is malformed, tampered or for another
    │   │                            account or API (render/codec.py)
    │   └── UnsupportedOperation     an operation REST v2 has no documented equivalent for,
    │                                refused before it is sent (api/rest/session.py)
    ├── PlanError                    the live account cannot be reconciled (ambiguous names ...)
    ├── AdaptError                   the API answered otherwise than expected and no fallback
    │                                reached the same result (applying/adapt.py)
    ├── PurchaseNotAllowed           the plan buys numbers and --allow-purchase was not given
    ├── UnsafePlan                   the plan deletes/changes more than the safety thresholds
    ├── StalePlan                    a saved plan's live objects changed since it was made
    └── ApiError                     anything that went wrong talking to CALLR
        ├── TransportError           network failure, timeout, non-200 or non-JSON response
        │   ├── RateLimited          HTTP 429 (after the retries allowed); .retry_after
        │   └── AmbiguousWriteError  a write whose outcome is unknown (sent, no answer)
        └── RpcError                 a JSON-RPC error object, or a REST v2 {code, message}:
                                     .code, .message, .data
            ├── AuthError            22: authentication failed (also a refused Login-As)
            ├── NotAllowedError      100, 205: not allowed on this account or this app
            ├── NotFoundError        110, 115: reported as an error, never read as "absent"
            │                        (unconfirmed codes: absence is read from lists)
            ├── InvalidParamsError   150, 151, -32602: missing or invalid property
            └── ProtocolError        -32700, -32600, -32601: the request itself was wrong

Messages never carry secret values: the client redacts params before they reach a log or error,
and masks every known secret (``sensitive.KNOWN``) in the messages the API sends back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from provisioner.sensitive import KNOWN


class ProvisionerError(Exception):
    """Base of every error the provisioner raises deliberately."""


@dataclass(frozen=True, order=True)
class Problem:
    """One located manifest problem, printed as ``file:line:col: path: message``."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass(frozen=True, order=True)
class Notice(Problem):
    """A located warning: worth reading, but the manifest is valid (an action name the Callr
    Actions catalogue does not list ...)."""


class ManifestError(ProvisionerError):
    def __init__(self, problems: list[Problem]) -> None:
        # A message may quote a value (a URL that is not one): values from the environment,
        # whatever the field, show as "(sensitive: NAME)".
        self.problems = sorted(replace(p, message=KNOWN.mask(p.message)) for p in problems)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the manifest")


class ConfigError(ProvisionerError):
    """A usage problem outside the manifest: credentials, flags, files."""


class PlanError(ProvisionerError):
    """The live account and the manifest cannot be reconciled safely; no call was made."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


class PurchaseNotAllowed(ProvisionerError):
    """The plan spends money (DID store) and the user did not opt in; nothing was applied."""


class UnsafePlan(ProvisionerError):
    """The plan exceeds a safety threshold and --force was not given (exit code 3)."""


class StalePlan(ProvisionerError):
    """A saved plan no longer matches the live account; nothing was applied."""


class ApiError(ProvisionerError):
    """Base of errors raised while talking to the API."""


class TransportError(ApiError):
    """The request did not produce a JSON-RPC answer: network, timeout, HTTP status, bad body."""


class RateLimited(TransportError):
    """HTTP 429: the API refused the request before running it."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AmbiguousWriteError(TransportError):
    """A write was sent but no answer came back: it may or may not have happened.

    Never retried blindly; the executor re-reads the account to learn the outcome."""


class RpcError(ApiError):
    """The API answered with a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None, *, method: str = "") -> None:
        self.code = code
        self.message = message
        self.data = data
        self.method = method
        prefix = f"{method}: " if method else ""
        super().__init__(f"{prefix}error {code}: {message}")


class AuthError(RpcError):
    pass


class NotAllowedError(RpcError):
    pass


class NotFoundError(RpcError):
    """Error 110 or 115. Which code the live API uses for a missing object is unconfirmed: no
    code path may conclude that an object is absent from it: absence is read from the lists
    the plan uses (recovery included)."""


class InvalidParamsError(RpcError):
    pass


class ProtocolError(RpcError):
    pass


_BY_CODE: dict[int, type[RpcError]] = {
    22: AuthError,
    100: NotAllowedError,
    205: NotAllowedError,
    110: NotFoundError,
    115: NotFoundError,
    150: InvalidParamsError,
    151: InvalidParamsError,
    -32602: InvalidParamsError,
    -32700: ProtocolError,
    -32600: ProtocolError,
    -32601: ProtocolError,
}


def rpc_error(code: int, message: str, data: Any = None, *, method: str = "") -> RpcError:
    """The RpcError subclass for a JSON-RPC error ``code``."""
    return _BY_CODE.get(code, RpcError)(code, message, data, method=method)
