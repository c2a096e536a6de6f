"""Renderers: Terraform-like text, a markdown table, deterministic JSON; secrets hidden."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from provisioner.executor import ApplyReport, Status, StepResult
from provisioner.plan import MISSING, Action, Call, Change, FieldChange, Plan, Ref
from provisioner.render import RENDERERS
from provisioner.render.json import render_plan as render_json
from provisioner.render.markdown import render_plan as render_markdown
from provisioner.render.text import render_plan as render_text
from provisioner.render.text import render_report
from provisioner.sensitive import Secret

if TYPE_CHECKING:
    from tests.conftest import Account

SECRET = "do-not-show-me"


def sample() -> Plan:
    create = Call("app.bot:create", "apps.create",
                  (("package", "REALTIME10"), ("name", "bot"),
                   ("params", {"password": Secret(SECRET), "url": "https://x.example.com"})))
    return Plan("sandbox account", (
        Change("app.bot", "app", Action.CREATE, "REALTIME10",
               (FieldChange("params.password", None, Secret(SECRET)),
                FieldChange("params.url", None, "https://x.example.com")), (create,)),
        Change("app.line", "app", Action.UPDATE, "CALLTRACKING10",
               (FieldChange("params.options.locale", "fr_FR", "en_GB"),
                FieldChange("params.ga.ua", MISSING, "UA-1"),
                FieldChange("params.password", Secret("a"), Secret(SECRET), sensitive=True)),
               notes=("a | note",)),
        Change("number.+33199000001", "number", Action.ASSIGN, "to bot",
               calls=(Call("number.+33199000001:assign_did", "apps.assign_did",
                           (("app_hash", Ref("app.bot:create", ("hash",))),
                            ("did_hash", "D1"))),)),
        Change("number.+33199000002", "number", Action.UNASSIGN, "from old",
               notes=("freed by deleting app old",)),
        Change("app.old", "app", Action.DELETE, "ACTIONS10 H1", notes=("absent: true",)),
    ), ("mind the gap",))


def test_text_shapes() -> None:
    out = render_text(sample())
    assert out.splitlines() == [
        "Target: sandbox account",
        "",
        "  + app.bot  REALTIME10",
        "      params.password: (sensitive)",
        '      params.url: "https://x.example.com"',
        "  ~ app.line  CALLTRACKING10",
        '      params.options.locale: "fr_FR" -> "en_GB"',
        '      params.ga.ua: (absent) -> "UA-1"',
        "      params.password: (sensitive) -> (sensitive)",
        "      # a | note",
        "  + number.+33199000001  to bot",
        "  - number.+33199000002  from old",
        "      # freed by deleting app old",
        "  - app.old  ACTIONS10 H1",
        "      # absent: true",
        "",
        "Warning: mind the gap",
        "Plan: 1 to create, 1 to update, 1 to delete, 1 to assign, 1 to unassign.",
    ]


def test_text_empty_plan() -> None:
    out = render_text(Plan("t"))
    assert out == "Target: t\n\nNo changes. The account matches the manifest.\n"


def test_text_summary_counts_replace_and_reassign() -> None:
    plan = Plan("t", (Change("app.a", "app", Action.REPLACE),
                      Change("number.1", "number", Action.REASSIGN),
                      Change("app.a", "app", Action.DELETE)))
    out = render_text(plan)
    assert "  -/+ app.a" in out and "  ~ number.1" in out
    assert out.endswith("Plan: 0 to create, 1 to replace, 0 to update, 1 to delete, "
                        "1 to reassign.\n")


def test_markdown_table() -> None:
    out = render_markdown(sample())
    lines = out.splitlines()
    assert lines[0] == "### CALLR plan for sandbox account"
    assert "**Plan: 1 to create, 1 to update, 1 to delete, 1 to assign, 1 to unassign.**" in lines
    assert "| | Address | Change | Details |" in lines
    assert "|---|---|---|---|" in lines
    rows = [line for line in lines if line.startswith("| `")]
    assert len(rows) == 5
    assert rows[0].startswith("| `+` | `app.bot` | create REALTIME10 | ")
    assert "`params.password`: (sensitive)" in rows[0]
    assert '`params.options.locale`: "fr_FR" → "en_GB"' in rows[1]
    assert "_a \\| note_" in rows[1], "pipes in cells are escaped"
    assert rows[4].startswith("| `-` | `app.old` | delete ACTIONS10 H1 |")
    assert "> Warning: mind the gap" in lines
    assert lines[-1] == f"<sub>plan fingerprint `{sample().fingerprint()}`</sub>"


def test_markdown_empty() -> None:
    out = render_markdown(Plan("t"))
    assert "**No changes. The account matches the manifest.**" in out
    assert "| Address |" not in out


def test_json_parseable_and_deterministic() -> None:
    first, second = render_json(sample()), render_json(sample())
    assert first == second
    body = json.loads(first)
    assert body["fingerprint"] == sample().fingerprint()
    assert body["target"] == "sandbox account"
    assert [c["address"] for c in body["changes"]] == [c.address for c in sample().changes]
    assert body["changes"][2]["calls"][0]["params"]["app_hash"] == {
        "$ref": "app.bot:create", "path": ["hash"]}
    assert body["summary"] == {"assign": 1, "create": 1, "delete": 1, "unassign": 1,
                               "update": 1}


def test_no_renderer_shows_a_secret() -> None:
    for name, render in RENDERERS.items():
        out = render(sample())
        assert SECRET not in out, name
        assert "(sensitive)" in out, name


def test_real_plan_renders_without_secret(account: Account,
                                          manifest: Callable[..., Path]) -> None:
    path = manifest(f"""
        version: 1
        apps:
          bot: {{package: REALTIME10, params: {{url: "https://b.example.com", password: {SECRET}}}}}
    """)
    plan = account.plan(path)
    for name, render in RENDERERS.items():
        assert SECRET not in render(plan), name
    assert "      params.password: (sensitive)" in render_text(plan)


def test_report_success_and_failure() -> None:
    changes = sample().changes
    ok = ApplyReport([StepResult(changes[0], Status.APPLIED, calls_made=1)])
    assert render_report(ok) == "Apply complete: 1 change applied.\n"
    failed = ApplyReport([
        StepResult(changes[0], Status.APPLIED, calls_made=1),
        StepResult(changes[2], Status.FAILED, "apps.assign_did: error 151: boom", 0),
        StepResult(changes[3], Status.SKIPPED),
    ])
    assert render_report(failed).splitlines() == [
        "Apply failed.",
        "  ! number.+33199000001: apps.assign_did: error 151: boom",
        "Applied before the failure:",
        "  + app.bot",
        "Not applied:",
        "  - number.+33199000002",
        "Run apply again once the cause is fixed: it resumes from the live state.",
    ]
