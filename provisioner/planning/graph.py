"""The dependency graph of a manifest, in Graphviz DOT.

The graph is what apply would do to an empty account: every entry planned as a create (offline,
no API call), and an edge ``A -> B`` wherever a call of B uses the result of a call of A (a
number's assignment needs its app's hash, an app its media's id, everything in a sub-account the
sub-account's hash). Those are the same ``Ref``s the executor follows, so the picture cannot
disagree with the order apply uses.
"""

from __future__ import annotations

from collections.abc import Iterable

from provisioner.manifest.desired import Desired
from provisioner.planning import planner
from provisioner.planning.plan import Change, Plan, ref_edges
from provisioner.resources import SUBACCOUNTS, PlanContext


def blueprint(desired: Desired) -> Plan:
    """The plan that would build ``desired`` from an empty account (offline)."""
    from provisioner.planning.engine import RANKS, plan_account

    ctx = PlanContext({}, None)
    changes = SUBACCOUNTS.plan(desired, ctx) + plan_account(desired, ctx)
    for name, nested in sorted(desired.accounts.items()):
        login_as = ctx.id_of(SUBACCOUNTS.kind, name)
        if login_as is None:
            continue
        sub = PlanContext({}, None, account=name, login_as=login_as)
        changes.extend(plan_account(nested, sub))
    return Plan("offline", planner.order(changes, RANKS))


def edges(changes: Iterable[Change]) -> list[tuple[str, str]]:
    """(from, to) addresses: ``to`` uses a result of ``from``; sorted, without duplicates."""
    changes = list(changes)
    return sorted({(changes[i].address, changes[j].address) for i, j in ref_edges(changes)
                   if changes[i].address != changes[j].address})


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(plan: Plan) -> str:
    """DOT text: one cluster per account, nodes labelled by address, edges by dependency."""
    lines = ["digraph callr {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    accounts: dict[str, list[Change]] = {}
    for change in plan.changes:
        accounts.setdefault(change.account, []).append(change)
    for index, (account, changes) in enumerate(sorted(accounts.items())):
        indent = "  "
        if account:
            lines.append(f"  subgraph cluster_{index} {{")
            lines.append(f"    label={_quote('sub-account ' + account)};")
            indent = "    "
        prefix = f'subaccount["{account}"].' if account else ""
        for change in changes:
            label = change.address.removeprefix(prefix)
            lines.append(f"{indent}{_quote(change.address)} [label={_quote(label)}];")
        if account:
            lines.append("  }")
    for source, target in edges(plan.changes):
        lines.append(f"  {_quote(source)} -> {_quote(target)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


__all__ = ["blueprint", "edges", "to_dot"]
