"""Media prompts (``media:``). Placeholder: being written."""

from __future__ import annotations

from provisioner.manifest import Desired
from provisioner.plan import Change
from provisioner.resources.base import Live, LiveReader, PlanContext, ResourceKind


class MediaKind(ResourceKind):
    kind = "media"
    section = "media"
    rank = 20

    def read(self, reader: LiveReader) -> list[Live]:
        return []

    def plan(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        return []
