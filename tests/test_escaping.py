"""Names are escaped before they reach a terminal or a pull-request comment.

An app name holding ``ESC[1A`` (cursor up), ``\\r`` or a newline must not rewrite earlier
terminal lines; a backtick or ``</details><img ...>`` must not break out of the Markdown
comment. Through the renderers directly and through the real CLI on the sandbox (text and
Markdown plans, apply's progress and report lines on stderr).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from terminal import run

from provisioner.planning.plan import Action, Change, FieldChange, Plan
from provisioner.render.json import render_plan as render_json
from provisioner.render.markdown import render_plan as render_markdown
from provisioner.render.text import render_plan as render_text
from provisioner.sensitive import printable, shown_lines

pytestmark = pytest.mark.usefixtures("no_callr_env")

TERMINAL_NAME = "bot\x1b[1A\x1b[2Kforged\rover\nwritten\x9b2J\u202eevil"
MARKDOWN_NAME = "x` </details><img src=x onerror=alert(1)> [link](https://evil.example) |a|"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Every control character but the newline that ends a line."""


def plan_named(name: str) -> Plan:
    return Plan(f"sandbox {name}", (
        Change(f"app.{name}", "app", Action.CREATE, f"REALTIME10 {name}",
               (FieldChange("params.url", None, f"https://x.example.com/{name}"),),
               notes=(f"note about {name}",)),
        Change(f"app.{name}-2", "app", Action.UPDATE, "REALTIME10",
               (FieldChange("params.login", f"old {name}", f"new {name}"),)),
    ), warnings=(f"warning about {name}",))


def test_printable_escapes_every_control_character() -> None:
    assert printable("a\x1b[1Ab\rc\nd\te\x7f\x9b\u202ef") == \
        "a\\x1b[1Ab\\rc\\nd\\te\\x7f\\x9b\\u202ef"
    assert printable("Zoë café 日本 ok") == "Zoë café 日本 ok"


def test_text_plan_cannot_move_the_cursor() -> None:
    out = render_text(plan_named(TERMINAL_NAME))
    assert CONTROL.search(out) is None, repr(CONTROL.search(out))
    clean = render_text(plan_named("bot"))
    assert out.count("\n") == clean.count("\n"), "a name adds no line"
    assert "bot\\x1b[1A\\x1b[2Kforged\\rover\\nwritten" in out


def outside_code(line: str) -> str:
    """The text of a Markdown line outside its code spans (CommonMark: a run of n backticks up
    to the next run of exactly n; a backslash-escaped backtick opens nothing)."""
    out, i = [], 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            out.append(line[i:i + 2])
            i += 2
            continue
        if line[i] != "`":
            out.append(line[i])
            i += 1
            continue
        run = len(line[i:]) - len(line[i:].lstrip("`"))
        closing = re.compile(rf"(?<!`)`{{{run}}}(?!`)")
        end = closing.search(line, i + run)
        if end is None:
            out.append(line[i:i + run])
            i += run
            continue
        i = end.end()
    return "".join(out)


def test_markdown_names_cannot_break_out() -> None:
    out = render_markdown(plan_named(MARKDOWN_NAME))
    clean = render_markdown(plan_named("x"))
    markup = "\n".join(outside_code(line) for line in out.splitlines())
    assert "<img" not in markup
    assert re.search(r"(?<!\\)\]\(", markup) is None, "no link: its brackets are escaped"
    assert "</details>" not in markup.replace("\n</details>\n", "\n")
    assert out.count("\n") == clean.count("\n"), "a name adds no line"
    cells = [len(re.findall(r"(?<!\\)\|", outside_code(line)))
             for line in out.splitlines() if line.startswith("|")]
    assert cells == [len(re.findall(r"(?<!\\)\|", line))
                     for line in clean.splitlines() if line.startswith("|")], "no extra cell"
    address = next(line for line in out.splitlines() if "app.x" in line and "| `+`" in line)
    assert "``app.x` </details><img src=x" in address  # a code span: nothing inside is markup


def test_markdown_control_characters_stay_on_their_line() -> None:
    out = render_markdown(plan_named(TERMINAL_NAME))
    assert CONTROL.search(out) is None
    assert out.count("\n") == render_markdown(plan_named("bot")).count("\n")


def test_the_cli_escapes_names_in_plans_progress_and_reports(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    manifest = tmp_path / "account.yaml"
    manifest.write_text(
        'version: 1\napps:\n'
        '  "bot\\e[1A\\e[2Kforged\\rover\\nwritten`</details><img src=x>":\n'
        '    package: REALTIME10\n    params: {url: "https://x.example.com/rt"}\n',
        encoding="utf-8")
    for fmt in ("text", "markdown"):
        planned = run("plan", manifest, "--sandbox-state", state, "--format", fmt)
        assert planned.exit_code == 0, planned.output
        assert CONTROL.search(planned.output) is None, (fmt, planned.output)
        assert "forged" in planned.stdout
    markdown = run("plan", manifest, "--sandbox-state", state, "--format", "markdown").stdout
    assert "<img" not in "\n".join(outside_code(line) for line in markdown.splitlines())
    applied = run("-v", "apply", manifest, "--sandbox-state", state, "--yes")  # logs too
    assert applied.exit_code == 0, applied.output
    assert "done: + app[\"bot\\x1b[1A" in applied.stderr  # the progress line, escaped
    assert CONTROL.search(applied.stdout + applied.stderr) is None


def test_an_error_of_several_lines_keeps_its_lines() -> None:
    assert shown_lines("stale:\n  app.a\x1b[2J: changed\r") == "stale:\n  app.a\\x1b[2J: changed\\r"


def test_json_plan_escapes_what_a_terminal_could_act_on() -> None:
    out = render_json(plan_named(TERMINAL_NAME))
    assert CONTROL.search(out) is None
    assert json.loads(out)["changes"][0]["address"] == f"app.{TERMINAL_NAME}"
