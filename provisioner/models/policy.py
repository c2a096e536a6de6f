"""The ``policy`` section: what a plan may delete, what it must not see, how much it may change.

One ``policy`` per account (the top level, or a sub-account's ``resources``); a sub-account
without one gets the defaults, not its master's policy.

- ``prune: [apps, ...]``: live objects of these kinds that the manifest does not define are
  deleted. Kinds not listed are never pruned. ``numbers`` pruned means *unassigned* (a DID is
  never released, and numbers of an app that has a ``numbers.order`` are the order's, so kept);
  ``subaccounts`` pruned means archived, and only at the top level. SIP trunks are not listed
  here: a direction's section, when present, already lists all of its trunks.
- ``ignore: {apps: ["legacy-*"]}``: fnmatch patterns on identities (a webhook's endpoint). A
  matching live object is invisible to the plan: never pruned, updated, renamed to, nor counted.
  A manifest entry matching a pattern is a manifest error (it cannot be managed and ignored).
- ``safety: {max_change_percent: 30, min_existing: 10}``: a plan that deletes or updates more
  than that share of a kind's live objects (once it has ``min_existing``) is unsafe.
"""

from __future__ import annotations

import difflib
import fnmatch
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema

from provisioner.models.values import Spec

if TYPE_CHECKING:
    from provisioner.errors import Problem
    from provisioner.manifest.desired import Desired

KIND_OF: dict[str, str] = {
    "apps": "app", "media": "media", "numbers": "number", "sip_subscribers": "sip_subscriber",
    "subaccounts": "subaccount", "webhooks": "webhook",
}
"""Section name (as written in ``prune``/``ignore``) -> resource kind name."""
SECTION_OF = {kind: section for section, kind in KIND_OF.items()}


def check_kind(value: str) -> str:
    if value in KIND_OF:
        return value
    if value.startswith(("trunks", "sip.trunks", "sip_trunks")):
        raise ValueError(f"{value!r} cannot be listed: a sip.trunks direction's section, when "
                         "present, already lists all of its trunks (the others are deleted)")
    close = difflib.get_close_matches(value, list(KIND_OF), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(KIND_OF)}"
    raise ValueError(f"unknown kind {value!r} ({hint})")


PolicyKind = Annotated[str, AfterValidator(check_kind),
                       WithJsonSchema({"type": "string", "enum": list(KIND_OF)})]
"""A section name that ``prune`` and ``ignore`` accept."""


class Safety(Spec):
    max_change_percent: float = Field(30.0, ge=0, le=100)
    """Deleting or updating more than this share of a kind's live objects is unsafe."""
    min_existing: int = Field(10, ge=0)
    """The percentage rule applies only to kinds with at least this many live objects."""


class Policy(Spec):
    prune: list[PolicyKind] = Field(default_factory=list)
    ignore: dict[PolicyKind, list[str]] = Field(default_factory=dict)
    safety: Safety = Field(default_factory=Safety)

    def prunes(self, section: str) -> bool:
        return section in self.prune

    def ignores(self, section: str, identity: Any) -> str | None:
        """The first ignore pattern of ``section`` that matches ``identity``, if any."""
        text = ignore_key(section, identity)
        for pattern in self.ignore.get(section, []):
            if fnmatch.fnmatchcase(text, pattern):
                return pattern
        return None


def ignore_key(section: str, identity: Any) -> str:
    """The text ignore patterns match: a webhook's endpoint, any other identity as is."""
    if section == "webhooks" and isinstance(identity, tuple):
        return str(identity[1])
    return str(identity)


def check_policy(desired: Desired) -> list[Problem]:
    """Manifest entries hidden by an ignore pattern, and ``previous_names`` that collide."""
    problems: list[Problem] = []
    for (section, identity), origin in desired.origins.items():
        pattern = desired.policy.ignores(section, identity) if section in KIND_OF else None
        if pattern is not None:
            problems.append(origin.problem(
                f"matches policy.ignore.{section} pattern {pattern!r}: an ignored object cannot "
                "be managed; remove the entry or narrow the pattern", key=True))
    for section in ("apps", "media", "subaccounts"):
        problems.extend(_check_previous_names(desired, section))
    return problems


def _check_previous_names(desired: Desired, section: str) -> list[Problem]:
    problems: list[Problem] = []
    entries: dict[str, Any] = getattr(desired, section)
    claimed: dict[str, str] = {}
    for name, spec in entries.items():
        for index, old in enumerate(getattr(spec, "previous_names", [])):
            origin = desired.origins[(section, name)]
            where = ("previous_names", index)
            if old == name:
                problems.append(origin.problem(f"{old!r} is this entry's own name", *where))
            elif desired.is_defined(section, old):
                other = desired.origins[(section, old)]
                problems.append(origin.problem(
                    f"{old!r} is also an entry of {section} (at {other}): a previous name "
                    "must no longer be in use", *where))
            elif old in claimed:
                problems.append(origin.problem(
                    f"{old!r} is also a previous name of {claimed[old]!r}: a live object can "
                    "only be renamed to one of them", *where))
            else:
                claimed[old] = name
    return problems
