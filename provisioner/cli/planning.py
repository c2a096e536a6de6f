"""``validate``, ``plan`` and ``apply``: the commands of the pipeline."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from provisioner.applying.executor import ApplyReport, Interrupted, Status, StepResult
from provisioner.applying.journal import JOURNAL_DIR
from provisioner.cli.app import main
from provisioner.cli.options import (
    Source,
    account_id,
    global_flag,
    handle_errors,
    manifest_options,
    no_color_option,
    open_target,
    paths_argument,
    target_options,
    use_color,
)
from provisioner.cli.saved import calls_text, load_saved, saved_message, split_paths
from provisioner.errors import ManifestError, Problem, ProvisionerError, UnsafePlan
from provisioner.manifest.desired import Desired
from provisioner.manifest.loader import SyntaxOnlyEnv
from provisioner.migrate import readiness
from provisioner.models.manifest import SECTIONS
from provisioner.planning import engine, planfile, planseal, safety
from provisioner.planning.outside import changed_outside
from provisioner.planning.plan import Plan
from provisioner.render import RENDERERS
from provisioner.render.common import drift, safe
from provisioner.render.report import render_report as render_json_report
from provisioner.render.text import confirmed, generated_secrets, render_change, render_report
from provisioner.render.text import render_plan as render_text
from provisioner.sensitive import KNOWN


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
@click.option("--strict-env", is_flag=True,
              help="Also require every ${env:NAME} to be set, as plan and apply do (by "
                   "default placeholders are checked by syntax only, so no secret is needed).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="json: {valid, problems: [{file, line, column, path, message}], warnings, "
                   "error, counts}.")
@handle_errors
def validate(paths: tuple[Path, ...], source: Source, strict_env: bool, fmt: str) -> None:
    """Check manifests offline: schema, formats, ranges and references."""
    env = None if strict_env else SyntaxOnlyEnv()
    if fmt == "json":
        sys.exit(_validate_json(paths, source, env))
    desired = source.load(paths, env)
    click.echo(f"Valid: {safe(describe(desired))}.")
    for name, nested in desired.accounts.items():
        click.echo(f"  sub-account {safe(name)}: {safe(describe(nested))}")


def _validate_json(paths: tuple[Path, ...], source: Source,
                   env: SyntaxOnlyEnv | None) -> int:
    """``validate --format json``: the report on stdout, whatever happens; the exit code."""
    body: dict[str, Any] = {"valid": False, "problems": [], "warnings": [], "error": None,
                            "counts": None}
    try:
        desired = source.load(paths, env)
    except ManifestError as exc:
        body["problems"] = [_located(p) for p in exc.problems]
    except ProvisionerError as exc:
        body["error"] = str(exc)
    else:
        body["valid"] = True
        body["warnings"] = [_located(p) for p in sorted(
            [*desired.warnings, *(w for sub in desired.accounts.values() for w in sub.warnings)])]
        body["counts"] = {"": counts(desired),
                          **{name: counts(nested) for name, nested in desired.accounts.items()}}
    click.echo(json.dumps(KNOWN.mask_deep(body), indent=2, sort_keys=True, ensure_ascii=False))
    return 0 if body["valid"] else 1


def _located(problem: Problem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "column": problem.col,
            "path": problem.path, "message": problem.message}


def counts(desired: Desired) -> dict[str, int]:
    """Entries per non-empty section of one account (``{"apps": 4, "numbers": 5}``)."""
    return {section.name: len(getattr(desired, section.name)) for section in SECTIONS
            if getattr(desired, section.name)}


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
@click.option("--base", "base", multiple=True, metavar="PATH",
              type=click.Path(path_type=Path),
              help="The manifests of the base branch (repeatable, like PATH): changes where "
                   "they equal the manifests are shown apart, as changed outside the manifests.")
@no_color_option
@force_option
@handle_errors
def plan(paths: tuple[Path, ...], source: Source, sandbox: bool, sandbox_state: Path | None,
         endpoint: str, detailed_exitcode: bool, fmt: str, out: Path | None,
         base: tuple[Path, ...], no_color: bool, force: bool) -> None:
    """Show the changes that apply would make to the account."""
    desired = source.load(paths)
    before = source.load_base(base) if base else None
    target = open_target(sandbox, sandbox_state, endpoint)
    try:
        result = engine.build_plan(desired, target.client, target.description,
                                   targets=source.targets)
        account = account_id(target, sandbox, sandbox_state)
    finally:
        target.close()
    if before is not None:
        result = replace(result, outside=changed_outside(result, desired, before))
    click.echo(_render(result, fmt, no_color), nl=False)
    if fmt != "json" and result.api == "jsonrpc":
        for line in readiness.note(result.readiness):
            click.echo(line)
    if out is not None:
        planfile.save(result, out, account, planseal.plan_key(os.environ))
        click.echo(saved_message(out, result), err=True)
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
@click.option("--quiet", "-q", is_flag=True,
              help="Print only errors and the final report (no plan, progress or retries).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="json: print only the apply report, as JSON, on stdout.")
@no_color_option
@force_option
@handle_errors
def apply(paths: tuple[Path, ...], source: Source, sandbox: bool, sandbox_state: Path | None,
          endpoint: str, yes: bool, allow_purchase: bool, show_generated_secrets: bool,
          quiet: bool, fmt: str, no_color: bool, force: bool) -> None:
    """Make the account match the manifests, after showing the plan and asking to type yes;
    or run a plan saved by `plan --out PLAN.json`, as approved (no question). Manifests given
    with PLAN.json only supply the protection and thresholds it is checked against."""
    quiet = quiet or global_flag("quiet")  # `provisioner -q apply` too
    saved, manifests = split_paths(paths, source)
    desired = source.load(paths) if saved is None else None
    target = open_target(sandbox, sandbox_state, endpoint, writes=True)
    with quiet_logs(quiet):
        try:
            calls: list[str] = []
            if desired is not None:
                result = engine.build_plan(desired, target.client, target.description,
                                           targets=source.targets)
            else:
                assert saved is not None
                result, calls = load_saved(saved, manifests, source, target,
                                           account_id(target, sandbox, sandbox_state))
            if not quiet and fmt == "text":
                click.echo(render_text(result, color=use_color(no_color)), nl=False)
                if calls:
                    click.echo(calls_text(calls), nl=False)
            _check_safe(result, force, applying=True)
            if result.is_empty:
                if fmt == "json":
                    click.echo(render_json_report(ApplyReport()), nl=False)
                return
            engine.check_purchases(result, allow_purchase)  # before asking, not after
            if saved is None:  # a saved plan is what was approved
                _confirm(result, yes, err=fmt == "json")
            progress = Progress(len(result.changes), quiet=quiet)
            report = interruptible(lambda: engine.apply_plan(
                result, target.client, on_step=progress.step, allow_purchase=allow_purchase,
                journal_dir=Path.cwd() / JOURNAL_DIR), len(result.changes))
            progress.close()
        finally:
            target.close()
    _report(report, fmt, show_generated_secrets)


def _report(report: ApplyReport, fmt: str, show_generated_secrets: bool) -> None:
    if fmt == "json":
        click.echo(render_json_report(report, show_generated_secrets=show_generated_secrets),
                   nl=False)
    else:
        for line in generated_secrets(report, show=show_generated_secrets):
            click.echo(line)
        click.echo(render_report(report), nl=False, err=not report.ok)
    if not report.ok:
        sys.exit(1)


def interruptible(run: Callable[[], ApplyReport], total: int) -> ApplyReport:
    """``run()``, where SIGTERM stops the apply as Ctrl-C does: the changes in flight end, the
    journal's last line says so with the counts, and the command exits 130 (SIGINT) or 143."""

    def terminate(signum: int, frame: object) -> None:
        raise Interrupted("SIGTERM")

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, terminate) if main_thread else None
    try:
        return run()
    except (Interrupted, KeyboardInterrupt) as stop:
        name = stop.signal_name if isinstance(stop, Interrupted) else "SIGINT"
        report = stop.report if isinstance(stop, Interrupted) else None
        click.echo("", err=True)
        click.echo(f"Apply interrupted by {name}{_counts(report, total)}. Run apply again to "
                   "resume: it matches live objects by identity.", err=True)
        if report is not None and report.journal is not None:
            click.echo(f"Journal: {report.journal}", err=True)
        sys.exit(130 if name == "SIGINT" else 143)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _counts(report: ApplyReport | None, total: int) -> str:
    """``: 3 applied, 0 failed, 0 skipped, 27 not started`` (as the journal's last line)."""
    if report is None:
        return ""
    done = {status: len(report.with_status(status)) for status in Status}
    return (f": {done[Status.APPLIED]} applied, {done[Status.FAILED]} failed, "
            f"{done[Status.SKIPPED]} skipped, {total - sum(done.values())} not started")


@contextmanager
def quiet_logs(quiet: bool) -> Iterator[None]:
    """With --quiet, the provisioner logs only errors (no retry warnings) for the command."""
    logger = logging.getLogger("provisioner")
    level = logger.level
    if quiet:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def describe(desired: Desired) -> str:
    """``4 apps, 5 numbers, 2 webhooks``: the non-empty sections of one account."""
    plurals = {section.name: (section.singular, section.plural) for section in SECTIONS}
    parts = [f"{n} {plurals[name][0] if n == 1 else plurals[name][1]}"
             for name, n in counts(desired).items()]
    return ", ".join(parts) or "no entries"


def _confirm(result: Plan, yes: bool, *, err: bool = False) -> None:
    """Terraform's question: only ``yes``, typed in full, applies."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise ProvisionerError(
            "apply needs confirmation but there is no terminal: review the plan and re-run "
            "with --yes"
        )
    click.echo(f"Apply these {len(result.changes)} changes? Only 'yes' will be accepted to "
               "approve.", err=err)
    answer = click.prompt("Enter a value", default="", show_default=False, err=err)
    if answer.strip() != "yes":
        click.echo("Apply cancelled; nothing was changed.", err=err)
        sys.exit(1)


def _echo_step(step: StepResult) -> None:
    head = render_change(step.change)[0].strip()
    if step.status is Status.APPLIED:
        click.echo("done: " + head + confirmed(step), err=True)
        for note in step.notes:
            click.echo(f"  note: {note}", err=True)
    elif step.status is Status.FAILED:
        click.echo(f"failed: {head}: {safe(str(step.error))}", err=True)
    else:
        click.echo(f"skipped: {head} ({safe(step.reason)})", err=True)


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
