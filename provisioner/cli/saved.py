"""Saved plans on the command line: ``show PLAN.json``, and what ``apply PLAN.json`` needs
(the plan re-checked against the account, the manifests' guards when given)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from provisioner.cli.app import main
from provisioner.cli.options import Source, handle_errors, no_color_option, use_color
from provisioner.errors import ConfigError
from provisioner.planning import plancheck, planfile, planseal
from provisioner.planning.plan import Plan
from provisioner.render import RENDERERS
from provisioner.render.text import render_plan as render_text
from provisioner.sensitive import shown
from provisioner.target import Target


@main.command()
@click.argument("plan_file", metavar="PLAN.json",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text",
              show_default=True, help="Output format.")
@no_color_option
@handle_errors
def show(plan_file: Path, fmt: str, no_color: bool) -> None:
    """Render a plan saved by `plan --out` without touching the account."""
    plan, note = planfile.read_offline(plan_file, os.environ)
    if fmt == "text":
        click.echo(render_text(plan, color=use_color(no_color)), nl=False)
    else:
        click.echo(RENDERERS[fmt](plan), nl=False)
    if note:
        click.echo(f"Note: {note}.", err=True)


def split_paths(paths: tuple[Path, ...], source: Source) -> tuple[Path | None, tuple[Path, ...]]:
    """(the saved plan, the manifests) of apply's arguments; no plan when none is a ``.json``.
    With a plan, the manifests (if any) give only the guards it is checked against."""
    plans = [p for p in paths if p.suffix == ".json"]
    if not plans:
        return None, paths
    if len(plans) > 1:
        raise ConfigError("apply takes one .json plan file (made by `provisioner plan --out`)")
    if source.targets:
        raise ConfigError("--target applies to manifests; a saved plan is applied exactly as "
                          "it was made")
    return plans[0], tuple(p for p in paths if p.suffix != ".json")


def load_saved(saved: Path, manifests: tuple[Path, ...], source: Source, target: Target,
               account: str) -> tuple[Plan, list[str]]:
    """The saved plan checked against the account, and one line per call it will make. With
    manifests, protection and thresholds come from them, not from the file."""
    guards = plancheck.guards_of(source.load(manifests)) if manifests else None
    return planfile.load_with_calls(saved, target.client, account, os.environ, guards)


def calls_text(lines: list[str]) -> str:
    """The calls a saved plan will make, as read from the account now."""
    numbered = [f"  {n}. {shown(line)}" for n, line in enumerate(lines, 1)]  # live names
    return "\n".join(["Calls to make (objects named as the account has them now):",
                      *numbered]) + "\n"


def saved_message(out: Path, plan: Plan) -> str:
    """What ``plan --out`` says about the file it saved: never that an unsafe plan will run."""
    keyed = ("sealed with an HMAC under PROVISIONER_PLAN_KEY" if planseal.plan_key(os.environ)
             else "sealed with sha256 (set PROVISIONER_PLAN_KEY to seal it with a key)")
    if plan.unsafe:
        return (f"Saved the plan to {out}, {keyed}. It is unsafe: `provisioner apply {out}` "
                "refuses it (exit 3) unless --force accepts it.")
    return (f"Saved the plan to {out}, {keyed}. `provisioner apply {out}` makes exactly these "
            "calls, if the account has not changed.")
