"""``validate`` that does not cry wolf: placeholders checked by syntax only (no secret needed),
``--strict-env`` for the old check, directory scans that skip dot-folders, ``${env:NAME:-x}``."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from provisioner.manifest.desired import load
from tests.terminal import run

ROOT = Path(__file__).parent.parent
GITOPS = ROOT / "examples" / "gitops"
INVALID = Path(__file__).parent / "data" / "invalid"
Write = Callable[..., Path]
SCENARIO = "{branches: {main: {actions: [{action: hangup@v1}]}}}"
"""A valid Callr Actions scenario (ACTIONS10 params are checked)."""
APP = "version: 1\napps: {a: {package: ACTIONS10, params: {script: " + SCENARIO + "}}}\n"


def test_validate_needs_no_secret_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_PASSWORD", raising=False)
    result = run("validate", GITOPS / "manifests")
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.startswith("Valid: 2 apps, 2 numbers.")


def test_validate_strict_env_keeps_the_old_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_PASSWORD", raising=False)
    result = run("validate", "--strict-env", GITOPS / "manifests")
    assert result.exit_code == 1
    assert ("apps.yaml:14:17: apps.bot.params.password: environment variable BOT_PASSWORD is "
            "not set") in result.stderr
    monkeypatch.setenv("BOT_PASSWORD", "from-the-env")
    assert run("validate", "--strict-env", GITOPS / "manifests").exit_code == 0


def test_validate_still_checks_placeholder_syntax() -> None:
    result = run("validate", INVALID / "malformed_placeholder.yaml")
    assert result.exit_code == 1
    assert "malformed placeholder" in result.stderr


def test_plan_still_needs_the_value(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BOT_PASSWORD", raising=False)
    result = run("plan", GITOPS / "manifests", "--sandbox-state", tmp_path / "sb.json")
    assert result.exit_code == 1
    assert "environment variable BOT_PASSWORD is not set" in result.stderr
    assert not (tmp_path / "sb.json").exists()


def test_the_shipped_pre_commit_hooks_run_without_secrets() -> None:
    """Each hook's entry and args, run as pre-commit would, in the GitOps example."""
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in hooks] == ["provisioner-validate", "provisioner-fmt"]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CALLR_") and k != "BOT_PASSWORD"}
    for hook in hooks:
        argv = shlex.split(hook["entry"])
        assert argv[0] == "provisioner"
        done = subprocess.run([sys.executable, "-m", "provisioner", *argv[1:], *hook["args"]],
                              cwd=GITOPS, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr


# -- directory scans ------------------------------------------------------------------------------


def test_a_directory_scan_skips_dot_folders_and_dot_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_PASSWORD", raising=False)
    result = run("validate", GITOPS)
    assert result.exit_code == 0, result.stderr
    assert "callr-plan.yml" not in result.stderr


def test_dot_files_are_read_when_named(manifest: Write, tmp_path: Path) -> None:
    manifest(APP, "m/apps.yaml")
    manifest("not: a manifest\n", "m/.hidden/ci.yml")
    manifest("also: not one\n", "m/.pre-commit-config.yaml")
    assert run("validate", tmp_path / "m").exit_code == 0
    named = run("validate", tmp_path / "m", tmp_path / "m" / ".hidden" / "ci.yml")
    assert named.exit_code == 1
    assert "ci.yml" in named.stderr


def test_a_dot_folder_given_as_the_path_is_scanned(manifest: Write, tmp_path: Path) -> None:
    manifest(APP, ".manifests/apps.yaml")
    assert len(load([tmp_path / ".manifests"], {}).apps) == 1


# -- ${env:NAME:-default} -------------------------------------------------------------------------

WITH_DEFAULT = """\
version: 1
apps:
  bot:
    package: REALTIME10
    params: {url: "https://bot.example.com", login: bot,
             password: "${env:BOT_SECRET:-sandbox-only-password}"}
"""


def test_env_default_applies_when_unset(manifest: Write) -> None:
    path = manifest(WITH_DEFAULT)
    assert load([path], {}).apps["bot"].params.password == "sandbox-only-password"
    set_ = load([path], {"BOT_SECRET": "from-env-123"}).apps["bot"].params.password
    assert set_ == "from-env-123"


def test_env_default_stays_sensitive(manifest: Write, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_SECRET", raising=False)
    result = run("plan", manifest(WITH_DEFAULT), "--sandbox-state", tmp_path / "sb.json")
    assert result.exit_code == 0, result.stderr
    assert "sandbox-only-password" not in result.output + result.stderr
    assert "(sensitive)" in result.stdout


# -- validate --format json ----------------------------------------------------------------------


def test_validate_json_lists_every_problem(manifest: Write) -> None:
    import json

    result = run("validate", "--format", "json", INVALID / "several_problems.yaml")
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["valid"] is False and body["counts"] is None
    assert len(body["problems"]) == 6
    located = {(p["file"], p["line"], p["column"], p["path"]) for p in body["problems"]}
    assert (str(INVALID / "several_problems.yaml"), 12, 51,
            "apps.support-line.params.targets[0].timeout") in located or (
        "several_problems.yaml", 12, 51, "apps.support-line.params.targets[0].timeout") in located
    assert all(set(p) == {"file", "line", "column", "path", "message"}
               for p in body["problems"])


def test_validate_json_when_valid_counts_the_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.delenv("BOT_PASSWORD", raising=False)
    result = run("validate", "--format", "json", GITOPS / "manifests")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout) == {"valid": True, "problems": [], "warnings": [],
                                         "error": None,
                                         "counts": {"": {"apps": 2, "numbers": 2}}}


def test_validate_json_reports_usage_errors_too(manifest: Write) -> None:
    import json

    path = manifest("version: 1\napps: {}\n")
    result = run("validate", "--format", "json", path, "--var", "nope=1")
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["valid"] is False and "--var nope" in body["error"]


def test_validate_json_lists_warnings_apart(manifest: Write) -> None:
    import json

    scenario = "{branches: {main: {actions: [{action: frobnicate@v1}]}}}"
    path = manifest("version: 1\napps:\n  a: {package: ACTIONS10, params: {script: "
                    + scenario + "}}\n")
    result = run("validate", "--format", "json", path)
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["valid"] is True and body["problems"] == []
    (warning,) = body["warnings"]
    assert warning["line"] == 3 and "frobnicate@v1" in warning["message"]
    assert warning["path"] == "apps.a.params.script.branches.main.actions[0].action"
