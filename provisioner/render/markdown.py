"""Markdown for pull-request comments: a summary line and a table of changes."""

from __future__ import annotations

from provisioner.plan import Plan
from provisioner.render.common import summary, value


def render_plan(plan: Plan) -> str:
    lines = [f"### CALLR plan for {plan.target}", "", f"**{summary(plan)}**", ""]
    if plan.changes:
        lines += ["| | Address | Change | Details |", "|---|---|---|---|"]
        for change in plan.changes:
            details = [f"`{f.path}`: {_cell(value(f.old, f.sensitive))} → "
                       f"{_cell(value(f.new, f.sensitive))}"
                       if not change.action.introduces
                       else f"`{f.path}`: {_cell(value(f.new, f.sensitive))}"
                       for f in change.fields]
            details += [f"_{_cell(note)}_" for note in change.notes]
            lines.append(f"| `{change.action.symbol}` | `{change.address}` | "
                         f"{change.action.value} {_cell(change.summary)} | "
                         f"{'<br>'.join(details)} |")
        lines.append("")
    lines += [f"> Warning: {w}" for w in plan.warnings]
    lines.append(f"<sub>plan fingerprint `{plan.fingerprint()}`</sub>")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
