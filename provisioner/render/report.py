"""``apply --format json``: the apply report for machines (CI steps, scripts).

One JSON document on stdout, keys sorted::

    {"format_version": 1, "ok": true,
     "summary": {"applied": 2, "failed": 0, "skipped": 0},
     "applied": [{"address", "account", "kind", "action", "calls_made",
                  "confirmed_after_lost_answer"}],
     "failed":  [{"address", "account", "kind", "action", "code", "error", "calls_made",
                  "calls_total"}],
     "skipped": [{"address", "account", "kind", "action", "reason"}],
     "generated_secrets": [{"address", "path"} (+ "value" with --show-generated-secrets)],
     "journal": "path" | null}

``code`` is the API's JSON-RPC error code, or null when the failure was not an API error.
"""

from __future__ import annotations

import json
from typing import Any

from provisioner.applying.executor import ApplyReport, Status, StepResult

FORMAT_VERSION = 1


def _step(step: StepResult) -> dict[str, Any]:
    change = step.change
    out: dict[str, Any] = {"address": change.address, "account": change.account or None,
                           "kind": change.kind, "action": change.action.value}
    if step.status is Status.APPLIED:
        out.update(calls_made=step.calls_made, confirmed_after_lost_answer=step.recovered > 0)
    elif step.status is Status.FAILED:
        out.update(code=step.code, error=step.error, calls_made=step.calls_made,
                   calls_total=len(change.calls))
    else:
        out["reason"] = step.reason
    return out


def generated_secret_values(report: ApplyReport) -> list[tuple[str, str, Any]]:
    """(address, path, value) of each secret the API generated for an applied change."""
    found = []
    for step in report.with_status(Status.APPLIED):
        change = step.change
        result = report.results.get(change.calls[0].id) if change.calls else None
        for path in change.generated_secrets:
            value: Any = result
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value:
                found.append((change.address, path, value))
    return found


def render_report(report: ApplyReport, *, show_generated_secrets: bool = False) -> str:
    body: dict[str, Any] = {"format_version": FORMAT_VERSION, "ok": report.ok}
    for status in Status:
        body[status.value] = [_step(s) for s in report.with_status(status)]
    body["summary"] = {status.value: len(body[status.value]) for status in Status}
    body["generated_secrets"] = [
        {"address": address, "path": path, **({"value": value} if show_generated_secrets else {})}
        for address, path, value in generated_secret_values(report)]
    body["journal"] = str(report.journal) if report.journal is not None else None
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_no_changes() -> str:
    """The report of an apply with nothing to do."""
    return render_report(ApplyReport())
