"""Small, valid Callr Actions scenarios for tests that need an ACTIONS10 app's script."""

from __future__ import annotations


def say(what: str) -> str:
    """A scenario that answers inbound calls by saying ``what``."""
    return ("branches:\n  inbound-call:\n    actions:\n      - action: say@v2\n"
            f"        params:\n          what: {what}\n")
