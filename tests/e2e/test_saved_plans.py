"""Saved plans through the real command over HTTP: reviewed in one process, applied in another
with no terminal and no question, refused when edited or when aimed at another endpoint."""

from __future__ import annotations

import json
from pathlib import Path

from provisioner.planning import planseal
from tests.scenarios import with_scenarios

from .conftest import Served, cli_env, provisioner

MANIFEST = """version: 1
apps:
  bot: {package: ACTIONS10, params: {script: a}}
  desk: {package: ACTIONS10, params: {script: d}}
"""


def test_plan_out_then_apply_in_another_process(served: Served, tmp_path: Path) -> None:
    env = cli_env(CALLR_ENDPOINT=served.url, CALLR_LOGIN="sandbox", CALLR_PASSWORD="sandbox",
                  PROVISIONER_PLAN_KEY="e2e-key-41c9")
    path = tmp_path / "apps.yaml"
    path.write_text(with_scenarios(MANIFEST))
    out = tmp_path / "plan.json"
    planned = provisioner("plan", path, "--out", out, env=env)
    assert planned.returncode == 0, planned.stderr
    assert json.loads(out.read_text())[planseal.SEAL]["algorithm"] == "hmac-sha256"

    edited = tmp_path / "edited.json"
    body = json.loads(out.read_text())
    body["changes"][0]["calls"][0]["args"][1][1] = "renamed"
    edited.write_text(json.dumps(body))
    refused = provisioner("apply", edited, env=env)
    assert refused.returncode == 1 and "modified after it was made" in refused.stderr

    elsewhere = provisioner("apply", out, env={**env, "CALLR_ENDPOINT": served.url + "x/"})
    assert elsewhere.returncode == 1
    assert f"--endpoint {served.url} and the credentials of sandbox" in elsewhere.stderr

    applied = provisioner("apply", out, env=env)  # stdin closed: no question asked
    assert applied.returncode == 0, applied.stderr
    assert "Calls to make" in applied.stdout and "Apply complete: 2 changes" in applied.stdout
    shown = provisioner("show", out, "--format", "markdown", env=env)
    assert shown.returncode == 0 and "app.bot" in shown.stdout
