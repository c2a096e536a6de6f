"""SIP subscribers (``sip.subscribers``). Placeholder: being written."""

from __future__ import annotations

from provisioner.manifest import Desired
from provisioner.plan import Change
from provisioner.resources.base import Live, LiveReader, PlanContext, ResourceKind


class SipSubscriberKind(ResourceKind):
    kind = "sip_subscriber"
    section = "sip_subscribers"
    rank = 40

    def read(self, reader: LiveReader) -> list[Live]:
        return []

    def plan(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        return []
