"""The REST API v2 backend: ``table`` (THE table of verbs and paths), ``session`` (the client)."""

from __future__ import annotations

from provisioner.api.rest.session import (
    DEFAULT_REST_ENDPOINT,
    RestClient,
    RestSession,
    UnsupportedOperation,
    api_of,
    is_rest_endpoint,
)
from provisioner.api.rest.table import REST_ROWS, Row, row

__all__ = ["DEFAULT_REST_ENDPOINT", "REST_ROWS", "RestClient", "RestSession", "Row",
           "UnsupportedOperation", "api_of", "is_rest_endpoint", "row"]
