"""Resource kinds, registered in one place: adding a kind is one module plus one line here."""

from provisioner.resources.apps import AppKind
from provisioner.resources.base import Live, LiveReader, PlanContext, ResourceKind
from provisioner.resources.media import MediaKind
from provisioner.resources.numbers import NumberKind
from provisioner.resources.sip_subscribers import SipSubscriberKind
from provisioner.resources.sip_trunks import SipTrunkKind
from provisioner.resources.subaccounts import SubAccountKind
from provisioner.resources.webhooks import WebhookKind

KINDS: tuple[ResourceKind, ...] = tuple(
    sorted(
        (MediaKind(), AppKind(), SipSubscriberKind(), SipTrunkKind(), NumberKind(),
         WebhookKind()),
        key=lambda kind: kind.rank,
    )
)
"""Every kind of one account, in rank order: the order kinds are read and planned in.
Sub-accounts are planned by the engine around these (rank 10), since they hold accounts."""

SUBACCOUNTS = SubAccountKind()

__all__ = ["KINDS", "SUBACCOUNTS", "Live", "LiveReader", "PlanContext", "ResourceKind"]
