"""The CALLR JSON-RPC client: the method table, the transport, the typed facade."""

from provisioner.api.client import CallrClient
from provisioner.api.rpc import DEFAULT_ENDPOINT, Credentials, RetryPolicy

__all__ = ["DEFAULT_ENDPOINT", "CallrClient", "Credentials", "RetryPolicy"]
