"""DID assignments and DID store orders (``numbers:``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from provisioner.models.values import Spec, bounded

if TYPE_CHECKING:
    from provisioner.errors import Problem
    from provisioner.manifest.desired import Desired

def _check_prefix(value: str) -> str:
    if not re.fullmatch(r"\+[1-9][0-9]{0,14}", value):
        raise ValueError(f"a store prefix is '+' and digits, as GET /numbers/store/prefixes "
                         f"lists them (\"+331\"), not {value!r}")
    return value


StorePrefix = Annotated[str, AfterValidator(_check_prefix)]

Assignment = str | None
"""The name of the app a number is assigned to, or null for none."""


class OrderSpec(Spec):
    """Numbers to buy from the DID store (only with ``apply --allow-purchase``), then assign.

    An order is satisfied once ``app`` has at least ``quantity`` numbers that ``numbers:`` does
    not list explicitly, so applying the same manifest twice never buys twice.
    """

    area_code_id: int | None = Field(None, ge=1)
    """The JSON-RPC store's numeric area code (``did/areacode.get_list``)."""
    prefix: StorePrefix | None = None
    """REST v2 (EXPERIMENTAL): the store prefix, as ``GET /numbers/store/prefixes`` lists it."""
    area: str | None = Field(None, min_length=1, max_length=64)
    """REST v2 (EXPERIMENTAL): the store area (``paris``), as the prefixes list names it."""
    class_: Literal["CLASSIC", "GOLD"] = Field("CLASSIC", alias="class")
    quantity: bounded(1, 100)  # type: ignore[valid-type]
    app: str
    mode: Literal["RANDOM", "SEQUENTIAL"] = "RANDOM"

    @model_validator(mode="after")
    def _one_area(self) -> OrderSpec:
        given = [self.area_code_id, self.prefix, self.area]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of 'area_code_id' (JSON-RPC), 'prefix' or "
                             "'area' (REST v2)")
        return self

    @property
    def where(self) -> int | str:
        """The store area as the reserve operation takes it: the JSON-RPC id, or the REST v2
        prefix or area (v2 replaced numeric area-code ids with these, ``rest-v2.md`` §2.4)."""
        found = self.area_code_id if self.area_code_id is not None else self.prefix or self.area
        assert found is not None  # _one_area
        return found


def check_orders(desired: Desired) -> list[Problem]:
    from provisioner.manifest.pydantic_errors import closest

    problems: list[Problem] = []
    for key, order in desired.orders.items():
        origin = desired.origins[("orders", key)]
        app = desired.apps.get(order.app)
        if app is None and desired.is_defined("apps", order.app):
            continue
        if app is None:
            hint = closest(order.app, desired.names("apps"))
            problems.append(origin.problem(f"app {order.app!r} is not defined in apps{hint}",
                                           "app"))
        elif app.absent:
            problems.append(origin.problem(
                f"app {order.app!r} is marked absent: it takes no DID", "app"
            ))
        elif not app.has_did:
            problems.append(origin.problem(
                f"app {order.app!r} is a {app.package} app, which cannot be assigned a DID", "app"
            ))
    return problems
