"""The emulator's REST API v2 front end (``/v2.0/`` on the same port and state as JSON-RPC).

``server`` routes, authenticates and answers errors; one module per resource registers its
routes: ``actions`` (scenarios and ``/ping``), ``numbers``, ``audio`` (audio files and the
number store). ``views`` turns the shared state into REST objects.
"""

from __future__ import annotations

from . import actions, audio, numbers
from .server import PREFIX, ROUTES, serve

__all__ = ["PREFIX", "ROUTES", "actions", "audio", "numbers", "serve"]
