"""SIP trunks (``sip.trunks``). Placeholder: being written."""

from __future__ import annotations

from provisioner.manifest import Desired
from provisioner.plan import Change
from provisioner.resources.base import Live, LiveReader, PlanContext, ResourceKind


class SipTrunkKind(ResourceKind):
    kind = "sip_trunk"
    section = "sip_trunks"
    rank = 45

    def read(self, reader: LiveReader) -> list[Live]:
        return []

    def plan(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        return []
