"""ACTIONS10 apps in manifests: the three forms, placeholders and their escape, the merge of
``variables``, notices, scenario files in a manifest folder, the line diff in every plan
format, and the export round trip of examples/actions."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Account
from ruamel.yaml import YAML

from provisioner.actions import parse
from provisioner.api.client import CallrClient
from provisioner.cli import main
from provisioner.errors import ManifestError
from provisioner.export import export_account
from provisioner.export.write import write
from provisioner.manifest.desired import Desired, load
from provisioner.planning.engine import apply_plan, build_plan
from provisioner.render.json import render_plan as render_json
from provisioner.render.markdown import render_plan as render_markdown
from provisioner.render.text import render_plan as render_text

Write = Callable[..., Path]
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "actions"
SCENARIO = textwrap.dedent("""\
    # Forward to $target
    variables:
      $target: "+33100000000"   # the default
    branches:
      inbound-call:
        actions:
          - action: dial@v1
            params:
              targets:
                - number: ${{ $target }}
                  timeout: 20
    """)


def indented(text: str, spaces: int) -> str:
    return textwrap.indent(text, " " * spaces)


def script_of(desired: Desired, app: str) -> str:
    script = desired.apps[app].params.script
    assert isinstance(script, str)
    return script


def test_the_three_forms_give_the_same_scenario(manifest: Write, tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "forward.yaml").write_text(SCENARIO, encoding="utf-8")
    path = manifest(f"""\
        version: 1
        apps:
          as-text:
            package: ACTIONS10
            params:
              script: |
{indented(SCENARIO, 16)}
          as-file:
            package: ACTIONS10
            params: {{script_file: scenarios/forward.yaml}}
          inline:
            package: ACTIONS10
            params:
              format: YAML
              script:
                variables: {{$target: "+33100000000"}}
                branches:
                  inbound-call:
                    actions:
                      - action: dial@v1
                        params: {{targets: [{{number: "${{{{ $target }}}}", timeout: 20}}]}}
        """, "apps.yaml")
    desired = load([path], env={})
    assert script_of(desired, "as-text") == SCENARIO, "the text written, comments included"
    assert script_of(desired, "as-file") == SCENARIO
    inline = script_of(desired, "inline")
    assert parse(inline).data == parse(SCENARIO).data
    for app in desired.apps.values():
        assert app.params.model_dump(exclude_unset=True).keys() == {"format", "script"}
        assert app.params.format == "YAML", "format defaults to YAML"


def test_variables_are_merged_and_take_var_values(manifest: Write, tmp_path: Path) -> None:
    (tmp_path / "forward.yaml").write_text(SCENARIO, encoding="utf-8")
    path = manifest("""\
        version: 1
        apps:
          paris: {package: ACTIONS10, params: {script_file: forward.yaml,
                  variables: {$target: "+33144556677", $timeout: 25}}}
          oncall: {package: ACTIONS10, params: {script_file: forward.yaml,
                   variables: {$target: "${var:oncall}"}}}
          default: {package: ACTIONS10, params: {script_file: forward.yaml}}
        """, "apps.yaml")
    desired = load([path], env={}, variables={"oncall": "+33612345678"})
    paris = script_of(desired, "paris")
    assert parse(paris).data["variables"] == {"$target": "+33144556677", "$timeout": 25}
    assert '  $target: "+33144556677"   # the default' in paris, "the line keeps its comment"
    assert paris.startswith("# Forward to $target\n"), "the rest of the text is kept"
    assert parse(script_of(desired, "oncall")).data["variables"]["$target"] == "+33612345678"
    assert script_of(desired, "default") == SCENARIO


def test_expressions_pass_through_and_double_dollar_escapes(manifest: Write,
                                                            tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(textwrap.dedent("""\
        branches:
          inbound-call:
            actions:
              - action: log@v1
                params:
                  message: ${env:TEAM} ${{ call.fromNumber }} $${env:TEAM} $${var:x} ${other}
        """), encoding="utf-8")
    path = manifest("""\
        version: 1
        apps:
          from-file: {package: ACTIONS10, params: {script_file: s.yaml}}
          inline:
            package: ACTIONS10
            params:
              script:
                branches:
                  inbound-call:
                    actions:
                      - action: say@v2
                        params: {what: "${env:TEAM}: ${{ $who }} $${env:TEAM}"}
        """, "apps.yaml")
    desired = load([path], env={"TEAM": "ops"})
    message = parse(script_of(desired, "from-file")).data["branches"]["inbound-call"][
        "actions"][0]["params"]["message"]
    assert message == "ops ${{ call.fromNumber }} ${env:TEAM} ${var:x} ${other}"
    what = parse(script_of(desired, "inline")).data["branches"]["inbound-call"]["actions"][0][
        "params"]["what"]
    assert what == "ops: ${{ $who }} ${env:TEAM}"


def test_a_missing_variable_in_a_scenario_file_is_located_there(manifest: Write,
                                                               tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("branches:\n  a:\n    actions:\n      - action: log@v1\n"
                                     "        params: {message: '${env:NOPE}'}\n",
                                     encoding="utf-8")
    path = manifest("version: 1\napps:\n  a: {package: ACTIONS10, params: {script_file: s.yaml}}\n",
                    "apps.yaml")
    with pytest.raises(ManifestError) as info:
        load([path], env={})
    [problem] = info.value.problems
    assert (problem.line, problem.col, problem.path) == (3, 49, "apps.a.params.script_file")
    assert "s.yaml:5:1: environment variable NOPE is not set" in problem.message


def test_an_unknown_action_is_a_warning_not_an_error(manifest: Write) -> None:
    path = manifest("""\
        version: 1
        apps:
          ivr:
            package: ACTIONS10
            params:
              script:
                branches:
                  inbound-call:
                    actions:
                      - action: transfer@v2
        """, "apps.yaml")
    desired = load([path], env={})
    [notice] = desired.warnings
    assert (notice.line, notice.col) == (10, 25)
    assert notice.path == "apps.ivr.params.script.branches.inbound-call.actions[0].action"
    assert "action 'transfer@v2' is not in the known catalogue" in notice.message
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0
    assert f"Warning: {path}:10:25: apps.ivr.params" in result.stderr
    assert result.stdout == "Valid: 1 app.\n"


def test_a_folder_of_manifests_holds_its_scenario_files(tmp_path: Path) -> None:
    desired = load([EXAMPLE], env={}, variables={"oncall": "+33612345678"})
    assert sorted(desired.apps) == ["forward-oncall", "forward-paris", "missed-call-sms",
                                    "sms-auto-reply"]
    stray = tmp_path / "m"
    (stray / "scenarios").mkdir(parents=True)
    (stray / "apps.yaml").write_text("version: 1\napps: {}\n", encoding="utf-8")
    (stray / "scenarios" / "unused.yaml").write_text(SCENARIO, encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load([stray], env={})
    [problem] = info.value.problems
    assert "this is a Callr Actions scenario, not a manifest" in problem.message


# -- plans: the line diff in every format ----------------------------------------------------


@pytest.fixture
def edited(account: Account, manifest: Write, tmp_path: Path) -> Path:
    """An applied scenario, then its file edited on one line."""
    (tmp_path / "forward.yaml").write_text(SCENARIO, encoding="utf-8")
    path = manifest("version: 1\napps:\n  fwd: {package: ACTIONS10, params: "
                    "{script_file: forward.yaml}}\n", "apps.yaml")
    account.converge(path)
    (tmp_path / "forward.yaml").write_text(SCENARIO.replace("timeout: 20", "timeout: 45"),
                                           encoding="utf-8")
    return path


def test_text_plan_shows_the_changed_line_under_the_app(account: Account, edited: Path) -> None:
    out = render_text(account.plan(edited))
    lines = out.splitlines()
    start = lines.index("  ~ app.fwd  ACTIONS10")
    assert lines[start + 1] == "      params.script:"
    assert lines[start + 2].startswith("          @@ -")
    body = [line for line in lines[start + 3:] if line.startswith("          ")]
    assert [b for b in body if b[10] in "+-"] == ["          -              timeout: 20",
                                                 "          +              timeout: 45"]
    assert "\\n" not in out


def test_markdown_plan_has_a_fenced_diff_in_the_details(account: Account,
                                                       edited: Path) -> None:
    out = render_markdown(account.plan(edited))
    assert "| `~` | `app.fwd` | update ACTIONS10 | `params.script`: see the diff below |" in out
    details = out[out.index("<details>"):out.index("</details>")]
    block = details[details.index("```diff\n"):]
    block = block[:block.index("\n```\n")]
    assert "\n-              timeout: 20\n+              timeout: 45" in block
    assert "\\n" not in out


def test_json_plan_has_the_before_and_after_text(account: Account, edited: Path) -> None:
    body = json.loads(render_json(account.plan(edited)))
    [change] = body["changes"]
    [field] = change["fields"]
    assert field["path"] == "params.script"
    assert field["old"] == SCENARIO
    assert field["new"] == SCENARIO.replace("timeout: 20", "timeout: 45")


def test_any_multi_line_string_shows_as_a_line_diff(account: Account, manifest: Write) -> None:
    account.converge(manifest("""\
        version: 1
        media:
          welcome:
            tts: {text: "Hello.\\nWelcome to the desk.\\nPlease hold.", voice: TTS_EN-GB_SERENA}
        """, "m.yaml"))
    plan = account.plan(manifest("""\
        version: 1
        media:
          welcome:
            tts: {text: "Hello.\\nWelcome to the front desk.\\nPlease hold.",
                  voice: TTS_EN-GB_SERENA}
        """, "m.yaml"))
    lines = render_text(plan).splitlines()
    assert lines[lines.index("      content:") + 1].startswith("          @@ -")
    assert "          -Welcome to the desk." in lines
    assert "          +Welcome to the front desk." in lines


# -- export ----------------------------------------------------------------------------------


def test_export_of_examples_actions_plans_no_change(client: CallrClient, tmp_path: Path) -> None:
    account = Account(client)
    desired = load([EXAMPLE], env={}, variables={"oncall": "+33612345678"})
    assert apply_plan(build_plan(desired, client, "t"), client).ok
    out = tmp_path / "export"
    write(export_account(client), out)
    apps = YAML(typ="safe").load((out / "apps.yaml").read_text(encoding="utf-8"))["apps"]
    assert apps["forward-oncall"]["params"] == {"script_file": "scenarios/forward-oncall.yaml"}
    exported = (out / "scenarios" / "forward-oncall.yaml").read_text(encoding="utf-8")
    assert exported == script_of(desired, "forward-oncall")
    assert account.plan(out).is_empty


def test_export_escapes_text_that_reads_as_a_placeholder(client: CallrClient,
                                                         tmp_path: Path) -> None:
    literal = ("branches:\n  inbound-call:\n    actions:\n      - action: log@v1\n"
               "        params: {message: 'see ${env:HOME} and $${var:x}'}\n")
    client.apps_create("ACTIONS10", "lit", {"format": "YAML", "script": literal})
    out = tmp_path / "export"
    write(export_account(client), out)
    text = (out / "scenarios" / "lit.yaml").read_text(encoding="utf-8")
    assert "see $${env:HOME} and $$${var:x}" in text
    assert Account(client, {"HOME": "/root"}).plan(out).is_empty


def test_a_name_in_braces_is_kept_with_a_notice(manifest: Write) -> None:
    path = manifest("""\
        version: 1
        apps:
          bot: {package: REALTIME10, params: {login: bot, password: "${BOT_PASSWORD}"}}
          ivr:
            package: ACTIONS10
            params:
              script:
                branches:
                  inbound-call:
                    actions:
                      - action: javascript@v1
                        params: {code: "$x = `${name}` + $${HOME}"}
        """, "apps.yaml")
    desired = load([path], env={"BOT_PASSWORD": "not read"})
    assert desired.apps["bot"].params.password == "${BOT_PASSWORD}"
    assert [(w.line, w.path) for w in desired.warnings] == [(3, "apps.bot.params.password")]
    assert desired.warnings[0].message == (
        "${BOT_PASSWORD} is sent as written: write ${env:BOT_PASSWORD} to read the environment")



def test_an_environment_value_in_a_scenario_never_shows(account: Account, manifest: Write,
                                                        tmp_path: Path) -> None:
    token = "tok-5ecret-9f2c71"
    (tmp_path / "s.yaml").write_text(textwrap.dedent("""\
        branches:
          inbound-call:
            actions:
              - action: fetch@v2
                params:
                  url: https://api.example.com/calls
                  headers: {Authorization: "Bearer ${env:API_TOKEN}"}
        """), encoding="utf-8")
    path = manifest("version: 1\napps:\n  a: {package: ACTIONS10, params: {script_file: s.yaml}}\n",
                    "apps.yaml")
    plan = Account(account.client, {"API_TOKEN": token}).plan(path)
    for out in (render_text(plan), render_markdown(plan), render_json(plan)):
        assert token not in out
        assert "Bearer (sensitive: API_TOKEN)" in out
