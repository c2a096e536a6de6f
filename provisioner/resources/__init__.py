"""Resource kinds, registered in one place: adding a kind is one module plus one line here."""

from provisioner.resources.apps import AppKind
from provisioner.resources.base import Live, LiveReader, PlanContext, ResourceKind
from provisioner.resources.numbers import NumberKind

KINDS: tuple[ResourceKind, ...] = tuple(
    sorted((AppKind(), NumberKind()), key=lambda kind: kind.rank)
)
"""Every kind, in rank order: the order kinds are read and planned in."""

__all__ = ["KINDS", "Live", "LiveReader", "PlanContext", "ResourceKind"]
