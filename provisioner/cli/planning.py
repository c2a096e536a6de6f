"""``validate``, ``plan`` and ``apply``: the commands of the pipeline."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from provisioner import engine, planfile, safety
from provisioner.cli.app import main
from provisioner.cli.options import (
    Source,
    account_id,
    handle_errors,
    manifest_options,
    no_color_option,
    open_target,
    paths_argument,
    target_options,
    use_color,
)
from provisioner.errors import ConfigError, ProvisionerError, UnsafePlan
from provisioner.executor import Status, StepResult
from provisioner.journal import JOURNAL_DIR
from provisioner.manifest import Desired
from provisioner.migrate import readiness
from provisioner.models.manifest import SECTIONS
from provisioner.plan import Plan
from provisioner.render import RENDERERS
from provisioner.render.common import drift, safe
from provisioner.render.text import generated_secrets, render_change, render_report
from provisioner.render.text import render_plan as render_text


def _render(result: Plan, fmt: str, no_color: bool) -> str:
    if fmt == "text":
        return render_text(result, color=use_color(no_color))
    return RENDERERS[fmt](result)


force_option = click.option(
    "--force", is_flag=True,
    help="Accept a plan that exceeds the safety thresholds (policy.safety); else exit 3.")


def _check_safe(result: Plan, force: bool, *, applying: bool) -> None:
    """Refuse an unsafe plan (exit 3 through UnsafePlan) unless ``--force`` accepts it."""
    if not result.unsafe:
        return
    if not force:
        raise UnsafePlan(safety.message(result.unsafe, applying=applying))
    for reason in result.unsafe:
        click.echo(f"Warning: unsafe plan accepted with --force: {reason}", err=True)


@main.command()
@paths_argument
@manifest_options
@handle_errors
def validate(paths: tuple[Path, ...], source: Source) -> None:
    """Check manifests offline: schema, formats, ranges and references."""
    desired = source.load(paths)
    click.echo(f"Valid: {safe(describe(desired))}.")
    for name, nested in desired.accounts.items():
        click.echo(f"  sub-account {safe(name)}: {safe(describe(nested))}")


@main.command()
@paths_argument
@manifest_options
@target_options
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when there are no changes, 2 when there are, 1 on error.")
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text",
              show_default=True, help="Output format.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="PLAN.json",
              help="Save the plan as a contract that `apply PLAN.json` runs exactly.")
@no_color_option
@force_option
@handle_errors
def plan(paths: tuple[Path, ...], source: Source, sandbox: bool, sandbox_state: Path | None,
         endpoint: str, detailed_exitcode: bool, fmt: str, out: Path | None, no_color: bool,
         force: bool) -> None:
    """Show the changes that apply would make to the account."""
    desired = source.load(paths)
    target = open_target(sandbox, sandbox_state, endpoint)
    try:
        result = engine.build_plan(desired, target.client, target.description,
                                   targets=source.targets)
        account = account_id(target, sandbox, sandbox_state)
    finally:
        target.close()
    click.echo(_render(result, fmt, no_color), nl=False)
    if fmt != "json" and result.api == "jsonrpc":
        for line in readiness.note(result.readiness):
            click.echo(line)
    if out is not None:
        planfile.save(result, out, account)
        click.echo(f"Saved the plan to {out}: `provisioner apply {out}` makes exactly these "
                   "calls, if the account has not changed.", err=True)
    if detailed_exitcode and not result.is_empty:
        click.echo(safe(drift(result)), err=True)
    _check_safe(result, force, applying=False)
    if detailed_exitcode and not result.is_empty:
        sys.exit(2)


@main.command()
@paths_argument
@manifest_options
@target_options
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--allow-purchase", is_flag=True,
              help="Accept buying the numbers that DID store orders ask for (costs money).")
@click.option("--show-generated-secrets", is_flag=True,
              help="Print passwords the API generates on creation (shown once, never stored).")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the final summary.")
@no_color_option
@force_option
@handle_errors
def apply(paths: tuple[Path, ...], source: Source, sandbox: bool, sandbox_state: Path | None,
          endpoint: str, yes: bool, allow_purchase: bool, show_generated_secrets: bool,
          quiet: bool, no_color: bool, force: bool) -> None:
    """Make the account match the manifests (or run a plan saved by `plan --out PLAN.json`),
    after showing the plan."""
    saved = _saved_plan_path(paths, source)
    desired = source.load(paths) if saved is None else None
    target = open_target(sandbox, sandbox_state, endpoint)
    try:
        if desired is not None:
            result = engine.build_plan(desired, target.client, target.description,
                                       targets=source.targets)
        else:
            assert saved is not None
            result = planfile.load(saved, target.client,
                                   account_id(target, sandbox, sandbox_state), os.environ)
        if not quiet:
            click.echo(render_text(result, color=use_color(no_color)), nl=False)
        _check_safe(result, force, applying=True)
        if result.is_empty:
            return
        engine.check_purchases(result, allow_purchase)  # before asking, not after
        _confirm(result, yes)
        progress = Progress(len(result.changes), quiet=quiet)
        report = engine.apply_plan(result, target.client, on_step=progress.step,
                                   allow_purchase=allow_purchase,
                                   journal_dir=Path.cwd() / JOURNAL_DIR)
        progress.close()
    finally:
        target.close()
    for line in generated_secrets(report, show=show_generated_secrets):
        click.echo(line)
    click.echo(render_report(report), nl=False, err=not report.ok)
    if not report.ok:
        sys.exit(1)


def describe(desired: Desired) -> str:
    """``4 apps, 5 numbers, 2 webhooks``: the non-empty sections of one account."""
    parts = []
    for section in SECTIONS:
        entries = len(getattr(desired, section.name))
        if entries:
            parts.append(f"{entries} {section.singular if entries == 1 else section.plural}")
    return ", ".join(parts) or "no entries"


def _confirm(result: Plan, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise ProvisionerError(
            "apply needs confirmation but there is no terminal: review the plan and re-run "
            "with --yes"
        )
    if not click.confirm(f"Apply these {len(result.changes)} changes?", default=False):
        click.echo("Apply cancelled; nothing was changed.")
        sys.exit(1)


def _echo_step(step: StepResult) -> None:
    head = render_change(step.change)[0].strip()
    if step.status is Status.APPLIED:
        click.echo("done: " + head, err=True)
        for note in step.notes:
            click.echo(f"  note: {note}", err=True)
    elif step.status is Status.FAILED:
        click.echo(f"failed: {head}: {safe(str(step.error))}", err=True)
    else:
        click.echo(f"skipped: {head} ({safe(step.reason)})", err=True)


def _saved_plan_path(paths: tuple[Path, ...], source: Source) -> Path | None:
    """The saved plan apply was given (exactly one ``.json`` file), else None for manifests."""
    if not any(p.suffix == ".json" for p in paths):
        return None
    if len(paths) != 1:
        raise ConfigError("apply takes manifest paths, or exactly one .json plan file "
                          "(made by `provisioner plan --out`), not both")
    if source != Source():
        raise ConfigError("--var, --var-file, --overlay and --target apply to manifests; a "
                          "saved plan is applied exactly as it was made")
    return paths[0]


class Progress:
    """Apply's progress on stderr: a one-line counter on a terminal, plain lines otherwise,
    nothing with --quiet."""

    def __init__(self, total: int, *, quiet: bool) -> None:
        self.total = total
        self.done = 0
        self.quiet = quiet
        self.tty = sys.stderr.isatty()

    def step(self, step: StepResult) -> None:
        self.done += 1
        if self.quiet:
            return
        if not self.tty or step.notes:
            _echo_step(step)
            return
        head = render_change(step.change)[0].strip()
        click.echo(f"\r\x1b[2Kapplying {self.done}/{self.total}: {head}", nl=False, err=True)

    def close(self) -> None:
        if self.tty and not self.quiet and self.done:
            click.echo("", err=True)
