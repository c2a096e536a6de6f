"""DID assignments and DID store orders (``numbers:``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from provisioner.models.values import Spec, bounded

if TYPE_CHECKING:
    from provisioner.errors import Problem
    from provisioner.manifest import Desired

Assignment = str | None
"""The name of the app a number is assigned to, or null for none."""


class OrderSpec(Spec):
    """Numbers to buy from the DID store (only with ``apply --allow-purchase``), then assign.

    An order is satisfied once ``app`` has at least ``quantity`` numbers that ``numbers:`` does
    not list explicitly, so applying the same manifest twice never buys twice.
    """

    area_code_id: int = Field(ge=1)
    class_: Literal["CLASSIC", "GOLD"] = Field("CLASSIC", alias="class")
    quantity: bounded(1, 100)  # type: ignore[valid-type]
    app: str
    mode: Literal["RANDOM", "SEQUENTIAL"] = "RANDOM"


def check_orders(desired: Desired) -> list[Problem]:
    from provisioner.pydantic_errors import closest

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
