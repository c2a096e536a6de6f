"""Renderers: Terraform-like text, a markdown table, deterministic JSON; secrets hidden."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import click
import pytest
from test_planfile import ENV_AFTER, rich_plan

from provisioner.api.client import CallrClient
from provisioner.applying.executor import ApplyReport, Status, StepResult
from provisioner.planning.plan import (
    MISSING,
    Action,
    Call,
    Change,
    FieldChange,
    Plan,
    Ref,
    RouteChange,
)
from provisioner.render import RENDERERS
from provisioner.render.common import drift
from provisioner.render.json import render_plan as render_json
from provisioner.render.markdown import render_plan as render_markdown
from provisioner.render.text import render_plan as render_text
from provisioner.render.text import render_report
from provisioner.sensitive import Secret
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
    assert lines[0] == "### CALLR plan for sandbox account: 5 changes, review the risks"
    assert "**Plan: 1 to create, 1 to update, 1 to delete, 1 to assign, 1 to unassign.**" in lines
    assert "| | Address | Change | Details |" in lines
    assert "|---|---|---|---|" in lines
    rows = [line for line in lines if line.startswith("| `")]
    assert len(rows) == 5
    assert "| Account | Kind | create | update | delete | assign | unassign |" in lines
    assert "| (master account) | app | 1 | 1 | 1 | 0 | 0 |" in lines
    assert "| (master account) | number | 0 | 0 | 0 | 1 | 1 |" in lines
    assert "- **delete**: `app.old: ACTIONS10 H1`" in lines
    assert "- **unassigned number**: `number.+33199000002: from old`" in lines
    assert "<details><summary><b>app</b>: 1 create, 1 update, 1 delete</summary>" in lines
    assert lines.count("</details>") == 2
    assert rows[0].startswith("| `+` | `app.bot` | create REALTIME10 | ")
    assert "`params.password`: (sensitive)" in rows[0]
    assert '`params.options.locale`: "fr_FR" → "en_GB"' in rows[1]
    assert "_a \\| note_" in rows[1], "pipes in cells are escaped"
    assert rows[2].startswith("| `-` | `app.old` | delete ACTIONS10 H1 |"), "grouped by kind"
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
        StepResult(changes[3], Status.SKIPPED, reason="number.+33199000001 failed"),
    ])
    assert render_report(failed).splitlines() == [
        "Apply failed. 1 applied, 1 failed, 1 skipped.",
        "Failed:",
        "  ! number.+33199000001: apps.assign_did: error 151: boom",
        "Skipped (they depend on a failed change):",
        "  - number.+33199000002: number.+33199000001 failed",
        "Applied:",
        "  + app.bot",
        "Run apply again once the cause is fixed: it resumes from the live state.",
    ]


def test_markdown_unsafe_verdict_and_risk() -> None:
    plan = replace(sample(), unsafe=("deletes 1 app of 1 (limit 0)",))
    out = render_markdown(plan)
    assert out.splitlines()[0] == ("### CALLR plan for sandbox account: unsafe: apply refuses "
                                   "it without --force")
    assert "- **unsafe**: `deletes 1 app of 1 (limit 0)`" in out
    assert "Unsafe: deletes 1 app of 1 (limit 0)" in render_text(plan)


def test_markdown_empty_verdict() -> None:
    assert render_markdown(Plan("t")).startswith("### CALLR plan for t: no changes\n")


def test_routing_in_every_format() -> None:
    route = RouteChange("Acme", "+33199001001", "no app",
                        "app bot (REALTIME10) -> URL https://x.example.com")
    plan = replace(sample(), routing=(route,))
    text = render_text(plan)
    assert ('  subaccount["Acme"].+33199001001: no app\n'
            f"  {' ' * 31}  => app bot (REALTIME10) -> URL https://x.example.com\n") in text
    assert ("| `+33199001001` (Acme) | -> no app | -> app bot (REALTIME10) -> URL "
            "https://x.example.com |") in render_markdown(plan)
    assert json.loads(render_json(plan))["routing"] == [{
        "account": "Acme", "number": "+33199001001", "before": "no app",
        "after": "app bot (REALTIME10) -> URL https://x.example.com"}]


def test_text_colors_only_when_asked() -> None:
    plain_out = render_text(sample())
    colored = render_text(sample(), color=True)
    assert "\x1b[" not in plain_out
    assert "\x1b[32m\x1b[1m+\x1b[0m app.bot" in colored
    assert "\x1b[31m\x1b[1m-\x1b[0m app.old" in colored
    assert click.unstyle(colored) == plain_out


def test_drift_summary_does_not_call_pending_changes_drifted() -> None:
    assert drift(sample()) == (
        "5 objects differ from the manifests: app.bot (create), app.line (3 fields), "
        "number.+33199000001 (assign), number.+33199000002 (unassign), app.old (delete). "
        "(plan --base DIR tells apart what changed outside the manifests)")
    assert "drifted" not in drift(sample())


def test_drift_summary_with_a_base_separates_drift() -> None:
    told = dataclasses.replace(sample(), outside=("app.line", "number.+33199000002"))
    assert drift(told) == (
        "2 objects changed outside the manifests: app.line (3 fields), number.+33199000002 "
        "(unassign). 3 objects changed by the manifests: app.bot (create), "
        "number.+33199000001 (assign), app.old (delete).")


# -- golden files of one rich plan ----------------------------------------------------------

GOLDEN = Path(__file__).parent / "data" / "golden"
_DIGEST = re.compile(r"\b[0-9a-f]{64}\b|\b[0-9a-f]{16}\b")


def live_ids(client: CallrClient) -> set[str]:
    """Every hash of the account and its sub-accounts (the emulator draws them at random)."""
    ids: set[str] = set()
    subs = client.search_all("account/sub.search", {"archived": None})
    for view in [client, *(client.as_account(sub["hash"]) for sub in subs)]:
        for app in view.call("apps.get_list", with_numbers=True):
            ids |= {app["hash"], *(did["hash"] for did in app.get("did") or [])}
        ids |= {did["hash"] for did in view.call("apps.get_dids", only_available=True)}
        ids |= {hook["hash"] for hook in view.call("webhooks.get_list") or []}
    return ids | {sub["hash"] for sub in subs}


def normalized(text: str, ids: set[str]) -> str:
    """Emulator hashes and the digests that include them, numbered by first appearance, so
    goldens compare the shape of the output."""
    names: dict[str, str] = {}

    def name(prefix: str) -> Callable[[re.Match[str]], str]:
        def sub(match: re.Match[str]) -> str:
            return names.setdefault(match.group(0), f"<{prefix}{len(names) + 1}>")
        return sub

    hashes = re.compile("|".join(sorted(map(re.escape, ids), key=len, reverse=True)))
    return _DIGEST.sub(name("digest"), hashes.sub(name("hash"), text))


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_golden(fmt: str, client: CallrClient, manifest: Callable[..., Path]) -> None:
    plan, _ = rich_plan(client, manifest)
    out = normalized(RENDERERS[fmt](plan), live_ids(client))
    golden = GOLDEN / f"rich_plan.{ {'text': 'txt', 'markdown': 'md', 'json': 'json'}[fmt] }"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(out, encoding="utf-8")
    assert golden.exists(), f"run UPDATE_GOLDEN=1 pytest {__file__} to create {golden}"
    assert out == golden.read_text(encoding="utf-8"), (
        f"{golden} differs: review, then regenerate with UPDATE_GOLDEN=1")
    assert "hook-new" not in out and "bot-pass" not in out


def test_json_bytes_stable_across_runs(client: CallrClient,
                                       manifest: Callable[..., Path]) -> None:
    plan, after = rich_plan(client, manifest)
    again = Account(client, ENV_AFTER).plan(after)
    assert render_json(plan).encode() == render_json(again).encode()
    assert "timestamp" not in render_json(plan) and "generated" not in json.loads(
        render_json(plan))
