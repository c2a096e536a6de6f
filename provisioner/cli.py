"""The ``provisioner`` command: parse flags, call the library, render, choose the exit code.

Exit codes: 0 success (for ``plan --detailed-exitcode``: no changes), 1 error, 2 changes
present (``plan --detailed-exitcode`` only). Every ProvisionerError becomes a message on stderr
and exit 1, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from provisioner import engine
from provisioner.api.rpc import DEFAULT_ENDPOINT
from provisioner.errors import ManifestError, PlanError, ProvisionerError
from provisioner.executor import Status, StepResult
from provisioner.manifest import Desired, load
from provisioner.models.manifest import SECTIONS
from provisioner.plan import Plan
from provisioner.render import RENDERERS
from provisioner.render.text import generated_secrets, render_change, render_report
from provisioner.target import Target, open_live, open_sandbox

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(click.style("Error: ", fg="red", bold=True) + message, err=True)


def handle_errors(func: F) -> F:
    """Turn ProvisionerErrors into located messages and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ManifestError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            _fail(f"{exc}; nothing was sent to the API.")
        except PlanError as exc:
            for message in exc.messages:
                click.echo(f"plan: {message}", err=True)
            _fail("the plan cannot be made; nothing was changed.")
        except ProvisionerError as exc:
            _fail(str(exc))
        sys.exit(1)

    return wrapper  # type: ignore[return-value]


def target_options(func: F) -> F:
    options = [
        click.option("--sandbox", is_flag=True,
                     help="Use a local emulated account instead of the live API."),
        click.option("--sandbox-state", type=click.Path(dir_okay=False, path_type=Path),
                     default=None, help="Sandbox state file [.provisioner/sandbox.json]."),
        click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True,
                     envvar="CALLR_ENDPOINT", help="JSON-RPC endpoint of the live API."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def open_target(sandbox: bool, sandbox_state: Path | None, endpoint: str) -> Target:
    if sandbox or sandbox_state is not None:
        return open_sandbox(sandbox_state)
    return open_live(endpoint, os.environ)


paths_argument = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path)
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="callr-provisioner")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug with API calls).")
def main(verbose: int) -> None:
    """Manage CALLR accounts as code: validate, plan and apply YAML manifests."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@paths_argument
@handle_errors
def validate(paths: tuple[Path, ...]) -> None:
    """Check manifests offline: schema, formats, ranges and references."""
    desired = load(paths)
    click.echo(f"Valid: {describe(desired)}.")
    for name, nested in desired.accounts.items():
        click.echo(f"  sub-account {name}: {describe(nested)}")


@main.command()
@paths_argument
@target_options
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when there are no changes, 2 when there are, 1 on error.")
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text",
              show_default=True, help="Output format.")
@handle_errors
def plan(paths: tuple[Path, ...], sandbox: bool, sandbox_state: Path | None, endpoint: str,
         detailed_exitcode: bool, fmt: str) -> None:
    """Show the changes that apply would make to the account."""
    desired = load(paths)
    target = open_target(sandbox, sandbox_state, endpoint)
    try:
        result = engine.build_plan(desired, target.client, target.description)
    finally:
        target.close()
    click.echo(RENDERERS[fmt](result), nl=False)
    if detailed_exitcode and not result.is_empty:
        sys.exit(2)


@main.command()
@paths_argument
@target_options
@click.option("--yes", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--allow-purchase", is_flag=True,
              help="Accept buying the numbers that DID store orders ask for (costs money).")
@click.option("--show-generated-secrets", is_flag=True,
              help="Print passwords the API generates on creation (shown once, never stored).")
@handle_errors
def apply(paths: tuple[Path, ...], sandbox: bool, sandbox_state: Path | None, endpoint: str,
          yes: bool, allow_purchase: bool, show_generated_secrets: bool) -> None:
    """Make the account match the manifests, after showing the plan."""
    desired = load(paths)
    target = open_target(sandbox, sandbox_state, endpoint)
    try:
        result = engine.build_plan(desired, target.client, target.description)
        click.echo(RENDERERS["text"](result), nl=False)
        if result.is_empty:
            return
        _confirm(result, yes)
        report = engine.apply_plan(result, target.client, on_step=_echo_step,
                                   allow_purchase=allow_purchase)
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
    if step.status is Status.APPLIED:
        click.echo("done: " + render_change(step.change)[0].strip())


@main.command()
@click.argument("numbers", nargs=-1, required=True)
@target_options
@click.option("--subaccount", "subaccount_hash", default=None, metavar="HASH",
              help="Release numbers of this sub-account (Login-As).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask to type each number back.")
@handle_errors
def release(numbers: tuple[str, ...], sandbox: bool, sandbox_state: Path | None, endpoint: str,
            subaccount_hash: str | None, yes: bool) -> None:
    """Give NUMBERS back to CALLR (irreversible: they leave the account at once)."""
    from provisioner import release as releasing

    if not yes and not sys.stdin.isatty():
        raise ProvisionerError("release asks you to type each number back, but there is no "
                               "terminal: re-run with --yes if you are sure")
    target = open_target(sandbox, sandbox_state, endpoint)
    skipped = 0
    try:
        client = target.client.as_account(subaccount_hash)
        dids = releasing.find_dids(client, list(numbers))
        click.echo(f"Target: {target.description}")
        for did in dids:
            where = f"assigned to {did.app}" if did.app else "assigned to no app"
            click.echo(f"  - {did.number} ({where}) will leave the account; this cannot be undone")
            if not yes:
                typed = click.prompt(f"Type {did.number} to release it", default="",
                                     show_default=False)
                if typed.replace(" ", "") != did.number:
                    click.echo(f"Skipped {did.number}: the number typed did not match.")
                    skipped += 1
                    continue
            releasing.release(client, did)
            click.echo(f"Released {did.number}.")
    finally:
        target.close()
    if skipped:
        sys.exit(1)


@main.group()
def emulator() -> None:
    """The CALLR API emulator that backs --sandbox."""


@emulator.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Persist the emulated accounts in this JSON file (default: in memory).")
@click.option("--login", default="sandbox", show_default=True, help="Accepted Basic login.")
@click.option("--password", default="sandbox", show_default=True,
              help="Accepted Basic password.")
@click.option("--api-key", default="sandbox", show_default=True, help="Accepted API key.")
@click.option("--media-delay", default=1.0, show_default=True, type=float,
              help="Seconds new media content takes to become READY.")
@handle_errors
def serve(host: str, port: int, state: Path | None, login: str, password: str, api_key: str,
          media_delay: float) -> None:
    """Serve the emulator at http://HOST:PORT/json-rpc/v1.1/ until interrupted."""
    from provisioner.emulator import Emulator, make_server

    emu = Emulator(state, logins={login: password}, api_keys={api_key},
                   media_delay=media_delay, job_delay=media_delay)
    try:
        server = make_server(emu, host, port)
    except OSError as exc:
        raise ProvisionerError(f"cannot listen on {host}:{port}: {exc}") from exc
    click.echo(f"CALLR emulator at http://{host}:{server.server_port}/json-rpc/v1.1/ "
               f"(state: {state or 'in memory'}); Ctrl-C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped.")
    finally:
        server.server_close()


if __name__ == "__main__":  # pragma: no cover
    main()
