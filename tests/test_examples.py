"""The examples a user copies: schema comments, valid manifests, and GitOps files that call
commands and flags that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from ruamel.yaml import YAML

from provisioner import actions
from provisioner.cli import main
from provisioner.manifest.desired import load

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
SCHEMA = ROOT / "schemas" / "manifest.schema.json"
MANIFESTS = sorted(p for p in EXAMPLES.rglob("*.yaml")
                   if ".github" not in p.parts and "scenarios" not in p.parts)
SCENARIOS = sorted(EXAMPLES.rglob("scenarios/*.yaml"))
ACTIONS_SCHEMA = "https://app.callr.com/callr-actions-schema.json"
WORKFLOWS = sorted((EXAMPLES / "gitops" / ".github" / "workflows").glob("*.yml"))
SCHEMA_COMMENT = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")
RAW_SCHEMA_URL = ("https://raw.githubusercontent.com/callr-provisioner/callr-provisioner/main/"
                  "schemas/manifest.schema.json")


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_starts_with_a_schema_comment_that_resolves(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = SCHEMA_COMMENT.match(first)
    assert match, f"{path} must start with the yaml-language-server schema comment"
    target = match.group(1)
    if target.startswith("https://"):
        assert target == RAW_SCHEMA_URL
    else:
        assert (path.parent / target).resolve() == SCHEMA.resolve()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_scenario_file_names_the_callr_actions_schema_and_is_valid(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={ACTIONS_SCHEMA}"
    assert actions.check(text)[1] == []


def test_every_example_scenario_is_a_real_one() -> None:
    """No ACTIONS10 app of the examples keeps a placeholder script (``- say: ...``)."""
    found = 0
    for name in ("quickstart", "agency", "actions"):
        desired = load([EXAMPLES / name], env=EXAMPLE_ENV, variables={"oncall": "+33612345678"})
        apps = [*desired.apps.values(),
                *(app for sub in desired.accounts.values() for app in sub.apps.values())]
        for app in apps:
            if app.package == "ACTIONS10":
                found += 1
                assert actions.check(app.params.script)[1] == []
                assert "branches" in actions.parse(app.params.script).data
    assert found >= 7
    assert len(SCENARIOS) >= 5


def _commands() -> list[list[str]]:
    """Every ``provisioner ...`` command line written in the GitOps workflows and hooks."""
    lines: list[str] = []
    for workflow in WORKFLOWS:
        for raw in workflow.read_text(encoding="utf-8").splitlines():
            text = raw.strip().removeprefix("- ").removeprefix("run: ")
            if text.startswith("provisioner "):
                lines.append(text.split(">")[0])
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        lines.append(" ".join([hook["entry"], *hook.get("args", [])]))
    return [shlex.split(line) for line in lines]


def test_gitops_workflows_and_hook_use_existing_commands_and_flags() -> None:
    commands = _commands()
    assert len(commands) >= 5
    for argv in commands:
        command = main.commands.get(argv[1])
        assert command is not None, f"unknown command in {argv}"
        known = {opt for param in command.params if isinstance(param, click.Option)
                 for opt in param.opts}
        for arg in argv[2:]:
            if arg.startswith("--"):
                assert arg.split("=")[0] in known, f"{arg} is not an option of {argv[1]}"


def test_gitops_workflows_are_valid_yaml_with_jobs() -> None:
    for workflow in WORKFLOWS:
        data = YAML(typ="safe").load(workflow.read_text(encoding="utf-8"))
        assert data["jobs"], workflow


EXAMPLE_ENV = {"BOT_PASSWORD": "s3cret-bot-pass", "CLINIC_BOT_PASSWORD": "s3cret-bot-pass",
               "HOOK_SECRET": "hmac-secret-123"}


@pytest.mark.parametrize("name", ["quickstart", "media", "sip", "webhooks", "store", "agency",
                                  "actions"])
def test_example_validates(name: str) -> None:
    desired = load([EXAMPLES / name], env=EXAMPLE_ENV, variables={"oncall": "+33612345678"})
    assert desired.apps or desired.webhooks or desired.sip_subscribers


def test_gitops_manifests_validate() -> None:
    desired = load([EXAMPLES / "gitops" / "manifests"], env={"BOT_PASSWORD": "x"})
    assert set(desired.apps) == {"support-line", "bot"}
