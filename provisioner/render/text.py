"""Terraform-like text: ``+`` create, ``~`` update, ``-`` delete/unassign, then a summary."""

from __future__ import annotations

import click

from provisioner.applying.executor import ApplyReport, Status, StepResult
from provisioner.planning.plan import Action, Change, Plan
from provisioner.render.common import number_label, safe, summary, text_diff, value
from provisioner.render.report import generated_secret_values
from provisioner.sensitive import printable

COLORS = {Action.CREATE: "green", Action.ASSIGN: "green", Action.PURCHASE: "magenta",
          Action.UPDATE: "yellow", Action.REASSIGN: "yellow", Action.REPLACE: "yellow",
          Action.DELETE: "red", Action.UNASSIGN: "red"}

DIFF_COLORS = {"-": "red", "+": "green", "@": "cyan"}


def render_plan(plan: Plan, *, color: bool = False) -> str:
    """The plan for a terminal; ANSI colors only when ``color`` (the CLI decides: a terminal,
    no ``--no-color``, no ``NO_COLOR``)."""
    lines = [f"Target: {safe(plan.target)}", ""]
    if plan.outside:
        lines.append("Changed outside the manifests (apply changes them back):")
        for change in plan.outside_changes():
            lines.extend(render_change(change, color=color))
        lines.extend(["", "Changed by the manifests:" if plan.own_changes() else ""])
    for change in plan.own_changes():
        lines.extend(render_change(change, color=color))
    if plan.own_changes():
        lines.append("")
    if plan.routing:
        lines.append("Routing impact:")
        lines.extend(f"  {safe(number_label(r))}: {safe(r.before)}\n"
                     f"  {' ' * len(safe(number_label(r)))}  => {safe(r.after)}"
                     for r in plan.routing)
        lines.append("")
    lines.extend(_paint(f"Warning: {safe(w)}", "yellow", color) for w in plan.warnings)
    lines.extend(_paint(f"Unsafe: {safe(u)}", "red", color) for u in plan.unsafe)
    lines.append(_paint(summary(plan), None, color, bold=True))
    return "\n".join(lines) + "\n"


def _paint(text: str, fg: str | None, color: bool, bold: bool = False) -> str:
    return click.style(text, fg=fg, bold=bold) if color else text


def render_change(change: Change, *, color: bool = False) -> list[str]:
    symbol = _paint(change.action.symbol, COLORS[change.action], color, bold=True)
    head = f"  {symbol} {safe(change.address)}"
    if change.summary:
        head += f"  {safe(change.summary)}"
    lines = [head]
    for f in change.fields:
        diff = text_diff(f)
        if diff is not None:  # a multi-line string: its changed lines, no \n escapes
            lines.append(f"      {safe(f.path)}:")
            lines.extend(_paint(f"          {line}".rstrip(), DIFF_COLORS.get(line[:1]), color)
                         for line in diff)
        elif change.action.introduces:
            lines.append(f"      {safe(f.path)}: {value(f.new, f.masked)}")
        else:
            lines.append(f"      {safe(f.path)}: {value(f.old, f.masked)} -> "
                         f"{value(f.new, f.masked)}")
    lines.extend(f"      # {safe(note)}" for note in change.notes)
    return lines


def render_report(report: ApplyReport) -> str:
    """What the CLI prints after an apply: failures with the API's code and message, the
    skipped changes with the failure they depend on, then what was applied."""
    applied, failed = report.with_status(Status.APPLIED), report.with_status(Status.FAILED)
    skipped = report.with_status(Status.SKIPPED)
    lines = [f"Apply complete: {len(applied)} change{'s' if len(applied) != 1 else ''} applied."]
    if failed:
        lines = [f"Apply failed. {len(applied)} applied, {len(failed)} failed, "
                 f"{len(skipped)} skipped.", "Failed:"]
        for step in failed:
            lines.append(f"  ! {safe(step.change.address)}: {safe(str(step.error))}")
            if step.calls_made:
                lines.append(f"    ({step.calls_made} of {len(step.change.calls)} calls of this "
                             "change were made)")
    if skipped:
        lines.append("Skipped (they depend on a failed change):")
        lines.extend(f"  {s.change.action.symbol} {safe(s.change.address)}: {safe(s.reason)}"
                     for s in skipped)
    if failed and applied:
        lines.append("Applied:")
        lines.extend(f"  {s.change.action.symbol} {safe(s.change.address)}{confirmed(s)}"
                     for s in applied)
    recovered = sum(s.recovered for s in report.steps)
    if recovered:
        lines.append(f"{recovered} call{'s' if recovered != 1 else ''} lost an answer; the "
                     "account was re-read to learn the outcome.")
    sure = [safe(s.change.address) for s in applied if s.recovered]
    if sure and not failed:
        lines.append("Applied, confirmed after a lost answer: " + ", ".join(sure) + ".")
    if failed:
        lines.append("Run apply again once the cause is fixed: it resumes from the live state.")
    if report.journal is not None:
        lines.append(f"Journal: {safe(str(report.journal))}")
    return "\n".join(lines) + "\n"


def confirmed(step: StepResult) -> str:
    """`` (confirmed after a lost answer)`` for an applied change whose answer was lost and
    whose write the re-read account showed (or a re-send made), else ""."""
    if step.status is Status.APPLIED and step.recovered:
        return " (confirmed after a lost answer)"
    return ""


def generated_secrets(report: ApplyReport, *, show: bool) -> list[str]:
    """Lines about secrets the API generated for applied changes: the values only if ``show``."""
    shown, hidden = [], []
    for address, path, secret in generated_secret_values(report):
        # Shown in clear, as asked: the one place a generated secret is printed.
        shown.append(f"{safe(address)}: generated {path}: {printable(secret)}")
        hidden.append(f"{safe(address)} ({path})")
    if show:
        return shown
    if not hidden:
        return []
    return [
        "The API generated secrets that are not shown: " + ", ".join(hidden) + ". Read them "
        "in the CALLR customer portal, or apply with --show-generated-secrets to print such "
        "secrets once, at creation."
    ]
