"""The manifest's sections, registered in one table, and the root model of one file.

``SECTIONS`` says, for each kind of entry, where it sits in a file, how its identity is read,
which model validates it, and which cross-entry checks apply; ``provisioner.manifest.desired`` walks
this table to validate and merge files. ``ManifestFile`` is the same schema as one pydantic model,
used to publish ``schemas/manifest.schema.json`` for editors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from provisioner.models import media as media_m
from provisioner.models import numbers as numbers_m
from provisioner.models import scenarios as scenarios_m
from provisioner.models import sip as sip_m
from provisioner.models import subaccounts as subaccounts_m
from provisioner.models import webhooks as webhooks_m
from provisioner.models.apps import AppSpec
from provisioner.models.policy import Policy
from provisioner.models.values import E164, Spec

if TYPE_CHECKING:
    from provisioner.errors import Problem
    from provisioner.manifest.desired import Desired, Origin

Finish = Callable[[Any, "Origin"], tuple[Any, list["Problem"]]]
Check = Callable[["Desired"], list["Problem"]]


@dataclass(frozen=True)
class Section:
    name: str
    """The attribute of ``Desired`` that holds the entries, and the key of their origins."""
    path: tuple[str, ...]
    """Where the entries sit in a manifest (``("sip", "subscribers")``)."""
    singular: str
    value_type: Any
    key_type: Any = str
    is_list: bool = False
    single_ok: bool = False
    """A list section that also accepts a single mapping."""
    identity: Callable[[Any], Any] | None = None
    """For list sections: the identity of a validated entry."""
    show: Callable[[Any], str] | None = None
    reserved: frozenset[str] = frozenset()
    """Keys of a mapping section that are not entries (``numbers_m.order``)."""
    finish: Finish | None = None
    """Per-entry work after validation that needs the file (paths relative to it ...)."""
    check: Check | None = None
    """Cross-entry checks over the merged account."""

    @property
    def plural(self) -> str:
        return self.singular if self.singular == "media" else f"{self.singular}s"

    @property
    def label(self) -> str:
        return ".".join(self.path)


SECTIONS: tuple[Section, ...] = (
    Section("apps", ("apps",), "app", AppSpec, finish=scenarios_m.finish),
    Section("numbers", ("numbers",), "number", numbers_m.Assignment, key_type=E164,
            reserved=frozenset({"order"})),
    Section("orders", ("numbers", "order"), "order", numbers_m.OrderSpec, is_list=True,
            single_ok=True, check=numbers_m.check_orders),
    Section("media", ("media",), "media", media_m.MediaSpec, key_type=media_m.MediaName,
            finish=media_m.finish, check=media_m.check_references),
    Section("sip_subscribers", ("sip", "subscribers"), "SIP subscriber", sip_m.SubscriberSpec,
            key_type=sip_m.Username),
    Section("trunks_origination", ("sip", "trunks", "origination"), "origination trunk",
            sip_m.TrunkSpec),
    Section("trunks_termination", ("sip", "trunks", "termination"), "termination trunk",
            sip_m.TrunkSpec),
    Section("webhooks", ("webhooks",), "webhook", webhooks_m.WebhookSpec, is_list=True,
            identity=webhooks_m.identity, show=webhooks_m.show),
    Section("subaccounts", ("subaccounts",), "sub-account", subaccounts_m.SubAccountSpec),
)


class SipTrunks(Spec):
    origination: dict[str, sip_m.TrunkSpec] = Field(default_factory=dict)
    termination: dict[str, sip_m.TrunkSpec] = Field(default_factory=dict)


class SipSection(Spec):
    subscribers: dict[sip_m.Username, sip_m.SubscriberSpec] = Field(default_factory=dict)
    trunks: SipTrunks = Field(default_factory=SipTrunks)


NumbersValue = numbers_m.Assignment | numbers_m.OrderSpec | list[numbers_m.OrderSpec]
"""A number's app, or under the ``order`` key, DID store orders."""


class Resources(Spec):
    """What one account holds; a sub-account's ``resources`` has exactly this shape."""

    apps: dict[str, AppSpec] = Field(default_factory=dict)
    numbers: dict[E164, NumbersValue] = Field(default_factory=dict)
    media: dict[media_m.MediaName, media_m.MediaSpec] = Field(default_factory=dict)
    sip: SipSection = Field(default_factory=SipSection)
    webhooks: list[webhooks_m.WebhookSpec] = Field(default_factory=list)
    policy: Policy | None = None
    """What the plan may prune and must ignore, and its safety thresholds."""


class ManifestFile(Resources):
    """One manifest file (for the published JSON schema; validation walks ``SECTIONS``)."""

    version: Literal[1]
    subaccounts: dict[str, subaccounts_m.SubAccountSpec] = Field(default_factory=dict)
