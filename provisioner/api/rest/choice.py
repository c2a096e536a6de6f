"""Which API a command talks to: ``--api``, else the endpoint's path (``/v2.0`` is REST)."""

from __future__ import annotations

from provisioner.api.rest.session import DEFAULT_REST_ENDPOINT, is_rest_endpoint
from provisioner.api.rpc import DEFAULT_ENDPOINT
from provisioner.errors import ConfigError


def choose_api(api: str | None, endpoint: str) -> tuple[str, str]:
    """(``jsonrpc`` | ``rest``, the endpoint to use). ``--api rest`` without an endpoint uses
    CALLR's REST endpoint; an explicit endpoint of the other API is refused."""
    endpoint = endpoint or DEFAULT_ENDPOINT
    rest_path = is_rest_endpoint(endpoint)
    if api is None:
        return ("rest" if rest_path else "jsonrpc"), endpoint
    if api == "rest" and not rest_path:
        if endpoint == DEFAULT_ENDPOINT:
            return "rest", DEFAULT_REST_ENDPOINT
        raise ConfigError(f"--api rest needs a REST v2 endpoint (its path ends in /v2.0), not "
                          f"{endpoint}")
    if api == "jsonrpc" and rest_path:
        raise ConfigError(f"--api jsonrpc needs a JSON-RPC endpoint, not the REST v2 endpoint "
                          f"{endpoint}")
    return api, endpoint
