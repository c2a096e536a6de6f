"""The GitHub Actions example serializes applies per account: every workflow that runs
``provisioner apply`` shares one ``concurrency:`` group and never cancels a running apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

WORKFLOWS = Path(__file__).resolve().parent.parent / "examples" / "gitops" / ".github" / "workflows"


def workflows() -> dict[str, Any]:
    return {path.name: YAML(typ="safe").load(path.read_text(encoding="utf-8"))
            for path in sorted(WORKFLOWS.glob("*.yml"))}


def runs(workflow: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for job in workflow["jobs"].values()
                     for step in job.get("steps", []))


def test_every_apply_shares_one_group_per_account_and_is_never_cancelled() -> None:
    applying = {name: flow for name, flow in workflows().items()
                if "provisioner apply" in runs(flow)}
    assert applying, "the example has a workflow that applies"
    groups = {flow["concurrency"]["group"] for flow in applying.values()}
    assert len(groups) == 1
    (group,) = groups
    assert "CALLR_ACCOUNT" in group  # per account, not per pull request or per run
    assert "github.event" not in group and "github.run" not in group
    assert all(flow["concurrency"]["cancel-in-progress"] is False for flow in applying.values())
