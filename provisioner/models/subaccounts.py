"""Sub-accounts (``subaccounts:``): identity is the company name; ``resources`` is a manifest.

``resources`` holds the sub-account's own apps, numbers, media, SIP and webhooks with the same
schema as the top level (without ``subaccounts``); ``provisioner.manifest.desired`` validates it as
such.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from provisioner.models.values import E164, Email, Locale, Spec, Timezone

HASH_PATTERN = re.compile(r"^[A-Z0-9]{8}$")


def check_hash(value: str) -> str:
    if not HASH_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a CALLR hash (8 upper-case letters or digits)")
    return value


class Address(Spec):
    city: str | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    state: str | None = None
    street: str | None = None
    zip: str | None = None


class AccountInfo(Spec):
    """SubAccount.Account without ``company``, which is the entry's key. Set at creation only."""

    firstname: str | None = None
    lastname: str | None = None


class Contact(Spec):
    addresses: Annotated[list[Address], Field(max_length=1)] | None = None
    emails: Annotated[list[Email], Field(min_length=1, max_length=1)] | None = None
    phones: Annotated[list[E164], Field(max_length=1)] | None = None
    tech_emails: list[Email] | None = None


class Billing(Spec):
    addresses: Annotated[list[Address], Field(max_length=1)] | None = None
    emails: list[Email] | None = None


class Defaults(Spec):
    locale: Locale | None = None
    timezone: Timezone | None = None


class Params(Spec):
    billing: Billing | None = None
    default: Defaults | None = None


class PasswordOption(Spec):
    method: Literal["AUTO", "MANUAL"] = "AUTO"
    value: str | None = None


class SubAccountSpec(Spec):
    hash: Annotated[str, AfterValidator(check_hash)] | None = None
    """Pins an existing sub-account (by its hash) instead of matching by company name."""
    account: AccountInfo | None = None
    contact: Contact | None = None
    params: Params | None = None
    enabled: bool | None = None
    absent: bool = False
    protect: bool = False
    """Any delete or replace of this object is a plan error (remove the flag to allow one)."""
    previous_names: list[str] = Field(default_factory=list)
    """Company names it had: the API cannot rename a company, so a live sub-account with one of
    them (and none with the new name) is adopted under this key and keeps its company name."""
    resources: dict[str, Any] | None = None
    """Validated separately, with the same schema as a manifest's top level."""
