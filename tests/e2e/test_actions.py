"""Callr Actions scenarios end to end: examples/actions applied over HTTP to the served
emulator with the real CLI, read back with the official ``callr`` SDK, then edited."""

from __future__ import annotations

import shutil
from pathlib import Path

import callr
from ruamel.yaml import YAML

from .conftest import Served, cli_env, provisioner

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "actions"
BASIC = {"CALLR_LOGIN": "sandbox", "CALLR_PASSWORD": "sandbox"}
ONCALL = ("--var", "oncall=+33612345678")


def live_scripts(served: Served) -> dict[str, str]:
    api = callr.Api("sandbox", "sandbox")
    api.set_api_url(served.url)
    return {app["name"]: app["p"]["script"] for app in api.call("apps.get_list", True)}


def test_examples_actions_validate_apply_and_plan_no_changes(served: Served,
                                                             tmp_path: Path) -> None:
    env, endpoint = cli_env(**BASIC), ("--endpoint", served.url)
    valid = provisioner("validate", EXAMPLE, *ONCALL, env=env)
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout == "Valid: 4 apps, 4 numbers.\n"
    applied = provisioner("apply", EXAMPLE, *endpoint, *ONCALL, "--yes", env=env)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete: 8 changes applied." in applied.stdout
    again = provisioner("plan", EXAMPLE, *endpoint, *ONCALL, "--detailed-exitcode", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout

    scripts = live_scripts(served)
    shared = (EXAMPLE / "scenarios" / "forward-and-record.yaml").read_text(encoding="utf-8")
    for app, target in (("forward-paris", "+33144556677"), ("forward-oncall", "+33612345678")):
        script = scripts[app]
        assert "- number: ${{ $target }}" in script, "the expression is sent as written"
        assert "${{ JSON.stringify(recording) }}" in script
        assert "# the recording is available" in script, "comments are sent as written"
        data = YAML(typ="safe").load(script)
        assert data["variables"]["$target"] == target, "the app's variables are merged in"
        assert set(data["variables"]) == {"$target", "$url"}
    assert scripts["forward-paris"].replace("+33144556677", "+33100000000") == shared
    assert YAML(typ="safe").load(scripts["forward-oncall"])["variables"]["$url"] == (
        "https://hooks.example.com/oncall")
    sms = (EXAMPLE / "scenarios" / "sms-auto-reply.yaml").read_text(encoding="utf-8")
    assert scripts["sms-auto-reply"] == sms, "without variables, the file is sent as is"


def test_one_edited_line_is_one_line_pair_and_comments_are_no_change(served: Served,
                                                                      tmp_path: Path) -> None:
    copy = tmp_path / "actions"
    shutil.copytree(EXAMPLE, copy)
    env, endpoint = cli_env(**BASIC), ("--endpoint", served.url)
    assert provisioner("apply", copy, *endpoint, *ONCALL, "--yes", env=env).returncode == 0
    scenario = copy / "scenarios" / "missed-call-sms.yaml"
    original = scenario.read_text(encoding="utf-8")

    scenario.write_text(original.replace("timeout: 25", "timeout: 30"), encoding="utf-8")
    plan = provisioner("plan", copy, *endpoint, *ONCALL, "--detailed-exitcode", env=env)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    diff = [line[10:] for line in plan.stdout.splitlines() if line.startswith(" " * 10)]
    assert diff[0].startswith("@@ "), plan.stdout
    assert [line for line in diff if line[:1] in "+-"] == [
        "-              timeout: 25", "+              timeout: 30"]
    assert "~ app.missed-call-sms" in plan.stdout
    assert "\\n" not in plan.stdout, "no escaped newlines: the script shows line by line"
    assert "Plan: 0 to create, 1 to update, 0 to delete." in plan.stdout

    relaid = original.replace("# Ring the desk", "# Ring the front desk").replace(
        "      - action: bridge@v1", "      -   action: bridge@v1   # connect")
    scenario.write_text(relaid, encoding="utf-8")
    quiet = provisioner("plan", copy, *endpoint, *ONCALL, "--detailed-exitcode", env=env)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "No changes." in quiet.stdout
