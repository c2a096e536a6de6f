"""``-v``, ``--debug``, ``--no-color`` and ``-q`` work before the subcommand and after it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import pytest

from provisioner.cli import main
from tests.terminal import run, run_in_pty

Write = Callable[..., Path]
SCENARIO = "{branches: {main: {actions: [{action: hangup@v1}]}}}"
"""A valid Callr Actions scenario (ACTIONS10 params are checked)."""
APP = "version: 1\napps:\n  a: {package: ACTIONS10, params: {script: " + SCENARIO + "}}\n"
GLOBAL = ("-v", "--debug", "--no-color", "-q")


def every_command() -> list[list[str]]:
    found: list[list[str]] = []
    for name, command in main.commands.items():
        if isinstance(command, click.Group):
            found += [[name, sub] for sub in command.commands]
        found.append([name])
    return found


@pytest.mark.parametrize("command", every_command(), ids=" ".join)
def test_every_command_accepts_the_global_options_after_it(command: list[str]) -> None:
    for option in GLOBAL:
        result = run(*command, option, "--help")
        assert result.exit_code == 0, (command, option, result.output)


def test_verbose_and_debug_after_the_subcommand(manifest: Write, tmp_path: Path) -> None:
    path = manifest(APP)
    quiet = run("plan", path, "--sandbox-state", tmp_path / "sb.json")
    assert "INFO" not in quiet.stderr
    verbose = run("plan", path, "--sandbox-state", tmp_path / "sb.json", "-v")
    assert "INFO provisioner.planning.engine: read the account in 1 calls" in verbose.stderr
    debug = run("plan", path, "--sandbox-state", tmp_path / "sb.json", "--debug")
    assert "DEBUG " in debug.stderr
    before = run("-v", "plan", path, "--sandbox-state", tmp_path / "sb.json")
    assert "INFO provisioner.planning.engine" in before.stderr


def test_quiet_before_or_after_the_subcommand(manifest: Write, tmp_path: Path) -> None:
    path = manifest(APP)
    for args in (["-q", "apply", path], ["apply", path, "-q"]):
        result = run(*args, "--yes", "--sandbox-state", tmp_path / f"{len(args[0])}.json")
        assert result.exit_code == 0, result.stderr
        assert "+ app.a" not in result.stdout, "the plan is not shown"
        assert result.stdout.startswith("Apply complete: 1 change applied.")


@pytest.mark.parametrize("where", ["before", "after"])
def test_no_color_before_or_after_the_subcommand(manifest: Write, tmp_path: Path,
                                                 where: str) -> None:
    args = ["plan", str(manifest(APP)), "--sandbox-state", str(tmp_path / "sb.json")]
    code, colored = run_in_pty(args, "", b"\x00never")
    assert code == 0 and "\x1b[" in colored, "a terminal gets colors"
    flagged = ["--no-color", *args] if where == "before" else [*args, "--no-color"]
    code, plain = run_in_pty(flagged, "", b"\x00never")
    assert code == 0 and "+ app.a" in plain and "\x1b[" not in plain
