"""The installed tool's version, recorded in saved plans and journals."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def tool_version() -> str:
    try:
        return version("callr-provisioner")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"
