"""The examples and docs a user copies say what is true: workflows on current action majors
(linted by actionlint when it is installed), every example valid against the published JSON
schema, the quickstart's BOT_PASSWORD comment, each example on its own sandbox account, and
what to run after the first command."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from provisioner.manifest.desired import load

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
WORKFLOWS = sorted((EXAMPLES / "gitops" / ".github" / "workflows").glob("*.yml"))
MANIFESTS = sorted(p for p in EXAMPLES.rglob("*.yaml")
                   if ".github" not in p.parts and "scenarios" not in p.parts)
"""The example manifests (Callr Actions scenario files have a schema of their own)."""
SCHEMA = ROOT / "schemas" / "manifest.schema.json"

CURRENT_MAJORS = {"actions/checkout": 6, "actions/setup-python": 6,
                  "actions/upload-artifact": 7, "actions/download-artifact": 8,
                  "actions/github-script": 9}
"""The majors that run on node24: GitHub removed the node20 runtime in September 2026."""


def uses(workflow: Path) -> list[str]:
    data = YAML(typ="safe").load(workflow.read_text(encoding="utf-8"))
    return [step["uses"] for job in data["jobs"].values() for step in job.get("steps", [])
            if "uses" in step]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_use_the_current_action_majors(workflow: Path) -> None:
    found = uses(workflow)
    assert found
    for ref in found:
        action, _, version = ref.partition("@")
        assert action in CURRENT_MAJORS, f"{ref}: an action this test does not know"
        major = int(re.fullmatch(r"v(\d+)(\.\d+)*", version).group(1))  # type: ignore[union-attr]
        assert major >= CURRENT_MAJORS[action], f"{workflow.name}: {ref} runs on node20"


def test_workflows_pass_actionlint() -> None:
    binary = shutil.which("actionlint")
    if binary is None:
        pytest.skip("actionlint is not installed (the PyPI wrapper downloads it at build time)")
    done = subprocess.run([binary, *map(str, WORKFLOWS)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_plan_workflow_uses_base_and_fmt_check() -> None:
    text = (EXAMPLES / "gitops" / ".github" / "workflows" / "callr-plan.yml").read_text()
    assert "provisioner fmt --check manifests/" in text
    assert "--base base/manifests" in text and "ref: ${{ github.event.pull_request.base.sha }}" \
        in text


# -- the JSON schema --------------------------------------------------------------------------


def validator() -> Any:
    import json

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_is_valid_against_the_published_schema(path: Path) -> None:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator().iter_errors(data)]
    assert errors == []


def test_the_schema_rejects_what_validate_rejects() -> None:
    broken = {"version": 1, "apps": {"x": {"package": "calltracking10"}}}
    assert list(validator().iter_errors(broken))


# -- the quickstart and the READMEs -------------------------------------------------------------


def test_the_quickstart_password_comes_from_bot_password() -> None:
    text = (EXAMPLES / "quickstart" / "apps.yaml").read_text()
    assert "password: ${env:BOT_PASSWORD:-" in text
    assert load([EXAMPLES / "quickstart"], env={}).apps["bot"].params.password == \
        "sandbox-only-secret"
    chosen = load([EXAMPLES / "quickstart"], env={"BOT_PASSWORD": "from-the-env-1"})
    assert chosen.apps["bot"].params.password == "from-the-env-1"


def test_the_agency_readme_uses_its_own_sandbox_state() -> None:
    text = (EXAMPLES / "agency" / "README.md").read_text()
    commands = [line for line in text.splitlines() if line.startswith("provisioner ")]
    assert commands and all("--sandbox-state .provisioner/agency.json" in c for c in commands)
    assert "--sandbox " not in text


def test_the_readme_says_what_to_run_after_the_first_command() -> None:
    text = (ROOT / "README.md").read_text()
    first = text.index("provisioner apply --sandbox --yes examples/quickstart")
    after = text[first:first + 1200]
    assert "provisioner plan --sandbox examples/quickstart" in after
    assert "No changes" in after
