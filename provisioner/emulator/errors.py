"""JSON-RPC and CALLR error codes raised by the emulator's handlers."""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
AUTH_FAILED = 22
NOT_ALLOWED = 100
NOT_FOUND = 110
MISSING_PROPERTY = 150
INVALID_PROPERTY = 151
NO_DID_APP = 205


class ApiError(Exception):
    """An error returned as a JSON-RPC ``error`` object (HTTP 200). Messages never carry secrets."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": self.data}


def invalid(path: str, reason: str) -> ApiError:
    """151: ``Invalid property value: <path> <reason>``."""
    return ApiError(INVALID_PROPERTY, f"Invalid property value: {path} {reason}")


def missing(path: str) -> ApiError:
    """150: ``Missing property: <path>``."""
    return ApiError(MISSING_PROPERTY, f"Missing property: {path}")


def not_found(kind: str, ident: object) -> ApiError:
    """110 for an unknown hash or id (hashes and ids are not secret)."""
    return ApiError(NOT_FOUND, f"Object not found: {kind} {ident!r}")
