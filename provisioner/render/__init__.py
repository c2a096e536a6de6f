"""Renderers: each reads a Plan (or an ApplyReport) and returns text; none has side effects."""

from collections.abc import Callable

from provisioner.planning.plan import Plan
from provisioner.render import json, markdown, text

RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": text.render_plan,
    "markdown": markdown.render_plan,
    "json": json.render_plan,
}

__all__ = ["RENDERERS"]
