"""Markdown for pull-request comments.

A heading with the verdict, a summary table per sub-account and kind, the risks (deletes,
reassigned numbers, purchases, unsafe messages), the routing impact (each number whose call
handling changes, before and after), then one collapsible ``<details>`` per kind with the changes
and their field-level diffs (secrets as ``(sensitive)``); a multi-line string (an Actions
script) as a fenced ``diff`` block after the kind's table.
"""

from __future__ import annotations

from collections import Counter

from provisioner.planning.plan import Action, Change, Plan
from provisioner.render.common import ACTION_ORDER, risks, safe, summary, text_diff, value, verdict

MASTER = "(master account)"


def render_plan(plan: Plan) -> str:
    lines = [f"### CALLR plan for {_cell(plan.target)}: {verdict(plan)}", "",
             f"**{summary(plan)}**",
             ""]
    if plan.changes:
        lines += _summary_table(plan)
    found = risks(plan)
    if found:
        lines += ["#### Risks", ""]
        lines += [f"- **{label}**: {_code(what)}" for label, what in found]
        lines.append("")
    if plan.routing:
        lines += ["#### Routing impact", "", "| Number | Before | After |", "|---|---|---|"]
        lines += [f"| {_code(r.number)}{_where(r.account)} | {_cell(f'-> {r.before}')} | "
                  f"{_cell(f'-> {r.after}')} |" for r in plan.routing]
        lines.append("")
    if plan.outside:
        lines += ["#### Changed outside the manifests", "",
                  "The live account differs where the manifests did not change; apply changes "
                  "these objects back to what the manifests say.", ""]
        rows, blocks = _table(list(plan.outside_changes()))
        lines += [*rows, "", *blocks]
        if plan.own_changes():
            lines += ["#### Changed by the manifests", ""]
    for kind, changes in _by_kind(plan.own_changes()).items():
        lines += _details(kind, changes)
    lines += [f"> Warning: {_cell(w)}" for w in plan.warnings]
    lines.append(f"<sub>plan fingerprint `{plan.fingerprint()}`</sub>")
    return "\n".join(lines) + "\n"


def _summary_table(plan: Plan) -> list[str]:
    counts: dict[tuple[str, str], Counter[Action]] = {}
    for change in plan.changes:
        counts.setdefault((change.account, change.kind), Counter())[change.action] += 1
    actions = [a for a in ACTION_ORDER if any(c[a] for c in counts.values())]
    lines = ["| Account | Kind | " + " | ".join(a.value for a in actions) + " |",
             "|---|---|" + "---:|" * len(actions)]
    for (account, kind), counter in sorted(counts.items()):
        cells = " | ".join(str(counter[a]) for a in actions)
        lines.append(f"| {_cell(account) if account else MASTER} | {kind} | {cells} |")
    return [*lines, ""]


def _by_kind(changes: tuple[Change, ...]) -> dict[str, list[Change]]:
    out: dict[str, list[Change]] = {}
    for change in changes:
        out.setdefault(change.kind, []).append(change)
    return out


def _details(kind: str, changes: list[Change]) -> list[str]:
    counter = Counter(c.action for c in changes)
    what = ", ".join(f"{counter[a]} {a.value}" for a in ACTION_ORDER if counter[a])
    rows, blocks = _table(changes)
    return [f"<details><summary><b>{kind}</b>: {what}</summary>", "", *rows, "", *blocks,
            "</details>", ""]


def _table(changes: list[Change]) -> tuple[list[str], list[str]]:
    """One row per change (symbol, address, action and summary, field diffs and notes), and
    the diff blocks of its multi-line strings, to go below the table."""
    lines = ["| | Address | Change | Details |", "|---|---|---|---|"]
    blocks: list[str] = []
    for change in changes:
        details = []
        for f in change.fields:
            diff = text_diff(f)
            if diff is not None:  # a multi-line string: a diff block below the table
                details.append(f"{_code(f.path)}: see the diff below")
                blocks += [f"{_code(change.address)} {_code(f.path)}:", "", *_fenced(diff), ""]
            elif change.action.introduces:
                details.append(f"{_code(f.path)}: {_cell(value(f.new, f.masked))}")
            else:
                details.append(f"{_code(f.path)}: {_cell(value(f.old, f.masked))} → "
                               f"{_cell(value(f.new, f.masked))}")
        details += [f"_{_cell(note)}_" for note in change.notes]
        lines.append(f"| `{change.action.symbol}` | {_code(change.address)} | "
                     f"{change.action.value} {_cell(change.summary)} | "
                     f"{'<br>'.join(details)} |")
    return lines, blocks


def _fenced(diff: list[str]) -> list[str]:
    """A ```diff block; a longer fence when a line itself holds backticks."""
    longest = max((_longest_run(line, "`") for line in diff), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}diff", *diff, fence]


def _where(account: str) -> str:
    return f" ({_cell(account)})" if account else ""


def _code(text: str) -> str:
    """Untrusted text as an inline code span (nothing inside is markup): sensitive values
    masked, control characters escaped, fenced by more backticks than it holds (CommonMark),
    pipes escaped for tables."""
    body = safe(text).replace("|", "\\|")
    fence = "`" * (_longest_run(body, "`") + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def _longest_run(text: str, char: str) -> int:
    longest = run = 0
    for c in text:
        run = run + 1 if c == char else 0
        longest = max(longest, run)
    return longest


_MARKUP = str.maketrans({"\\": "\\\\", "`": "\\`", "*": "\\*", "[": "\\[", "]": "\\]",
                         "|": "\\|", "<": "&lt;", "&": "&amp;"})
"""What could start markup in a comment: code, emphasis, links and images, table cells, HTML
(``</details><img ...>``) and entities. ``_`` needs no escape (GitHub ignores it inside words)."""


def _cell(text: str) -> str:
    """Untrusted text (a name, a value, a note) as literal Markdown on one line."""
    return safe(text).translate(_MARKUP)
