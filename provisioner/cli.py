"""The ``provisioner`` command: parse flags, call the library, render, choose the exit code.

Exit codes: 0 success (for ``plan --detailed-exitcode``: no changes), 1 error, 2 changes
present (``plan --detailed-exitcode`` only), 3 unsafe plan (``plan`` and ``apply``: it exceeds a
``policy.safety`` threshold; it is shown in full, nothing is applied, ``--force`` accepts it).
Every other ProvisionerError becomes a message on stderr and exit 1, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from provisioner import engine, planfile, safety, targeting
from provisioner.api.limits import DEFAULT_PARALLELISM, LIVE_DEFAULT_MAX_RPS
from provisioner.api.rpc import DEFAULT_ENDPOINT
from provisioner.errors import (
    ConfigError,
    ManifestError,
    PlanError,
    ProvisionerError,
    UnsafePlan,
)
from provisioner.executor import Status, StepResult
from provisioner.journal import JOURNAL_DIR
from provisioner.manifest import Desired, load
from provisioner.models.manifest import SECTIONS
from provisioner.overlay import parse_var
from provisioner.plan import Plan
from provisioner.render import RENDERERS
from provisioner.render.common import drift
from provisioner.render.text import generated_secrets, render_change, render_report
from provisioner.render.text import render_plan as render_text
from provisioner.sensitive import SCRUBBER
from provisioner.target import DEFAULT_SANDBOX_STATE, Target, open_live, open_sandbox

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
        except UnsafePlan as exc:
            _fail(str(exc))
            sys.exit(3)
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
        click.option("--credentials-file", type=click.Path(dir_okay=False, path_type=Path),
                     default=None, envvar="CALLR_CREDENTIALS_FILE", expose_value=False,
                     callback=_remember,
                     help="Read the live API credentials from this file (mode 600) instead of "
                          "the environment: lines `api_key: KEY`, or `login: LOGIN` and "
                          "`password: PASSWORD` (`key=value` also accepted)."),
        click.option("--max-rps", type=click.FloatRange(min=0), default=None,
                     expose_value=False, callback=_remember,
                     help="At most this many API requests per second [live API: "
                          f"{LIVE_DEFAULT_MAX_RPS:g}; sandbox and loopback endpoints: "
                          "unlimited; 0: no cap]."),
        click.option("--parallelism", type=click.IntRange(min=1), default=DEFAULT_PARALLELISM,
                     show_default=True, expose_value=False, callback=_remember,
                     help="At most this many API requests in flight at once."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep a target option for ``open_target`` without widening every command's signature."""
    ctx.meta[f"provisioner.target.{param.name}"] = value
    return value


@dataclass(frozen=True)
class Source:
    """The manifest options of validate, plan and apply: variables, overlays, targets."""

    var: tuple[str, ...] = ()
    var_files: tuple[Path, ...] = ()
    overlays: tuple[Path, ...] = ()
    targets: tuple[str, ...] = ()

    def load(self, paths: tuple[Path, ...]) -> Desired:
        """The validated manifests; an unknown --target fails here, before any API call."""
        variables: dict[str, str] = {}
        for text in self.var:
            try:
                name, value = parse_var(text)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            variables[name] = value
        desired = load(paths, variables=variables, var_files=self.var_files,
                       overlays=self.overlays)
        if self.targets:
            targeting.resolve(desired, self.targets)
        return desired


def manifest_options(func: F) -> F:
    """--var, --var-file, --overlay and --target, passed to the command as ``source``."""

    @functools.wraps(func)
    def wrapper(*args: Any, var: tuple[str, ...], var_file: tuple[Path, ...],
                overlay: tuple[Path, ...], target: tuple[str, ...], **kwargs: Any) -> Any:
        return func(*args, source=Source(var, var_file, overlay, target), **kwargs)

    file_type = click.Path(dir_okay=False, path_type=Path)
    options = [
        click.option("--var", multiple=True, metavar="NAME=VALUE",
                     help="Set ${var:NAME} (repeatable; overrides --var-file). Not for secrets."),
        click.option("--var-file", multiple=True, type=file_type, metavar="FILE",
                     help="YAML mapping of variable names to values (repeatable, later wins)."),
        click.option("--overlay", multiple=True, type=file_type, metavar="FILE",
                     help="Override the manifests with FILE (repeatable, in order)."),
        click.option("--target", multiple=True, metavar="SECTION.NAME",
                     help="Plan only this object and what it depends on (repeatable)."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def open_target(sandbox: bool, sandbox_state: Path | None, endpoint: str) -> Target:
    """The account to talk to; --credentials-file, --max-rps and --parallelism are read from
    the click context (``_remember``)."""
    ctx = click.get_current_context(silent=True)
    meta: dict[str, Any] = ctx.meta if ctx is not None else {}
    max_rps: float | None = meta.get("provisioner.target.max_rps")
    parallelism: int = meta.get("provisioner.target.parallelism") or DEFAULT_PARALLELISM
    if sandbox or sandbox_state is not None:
        return open_sandbox(sandbox_state, max_rps=max_rps, parallelism=parallelism)
    return open_live(endpoint, os.environ, max_rps=max_rps, parallelism=parallelism,
                     credentials_file=meta.get("provisioner.target.credentials_file"))


def account_id(target: Target, sandbox: bool, sandbox_state: Path | None) -> str:
    """The account identity a saved plan records (no secret: see planfile.account_identity)."""
    if sandbox or sandbox_state is not None:
        state = sandbox_state or DEFAULT_SANDBOX_STATE
        return planfile.account_identity(target.client.endpoint, target.client.credentials, state)
    return planfile.account_identity(target.client.endpoint, target.client.credentials)


def use_color(no_color: bool, *, err: bool = False) -> bool:
    """Colors only on a terminal, and neither --no-color nor NO_COLOR (https://no-color.org)."""
    stream = sys.stderr if err else sys.stdout
    return not no_color and not os.environ.get("NO_COLOR") and stream.isatty()


no_color_option = click.option("--no-color", is_flag=True,
                               help="No ANSI colors (also when NO_COLOR is set).")


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


paths_argument = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path)
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="callr-provisioner")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug with API calls).")
@click.option("--debug", is_flag=True,
              help="Log every API call and response on stderr (credentials and secret fields "
                   "redacted).")
def main(verbose: int, debug: bool) -> None:
    """Manage CALLR accounts as code: validate, plan and apply YAML manifests."""
    level = logging.DEBUG if debug else logging.WARNING - 10 * min(verbose, 2)
    _configure_logging(level)


class _StderrHandler(logging.Handler):
    """Writes to the ``sys.stderr`` of the moment (click's test runner swaps it per run)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # pragma: no cover - logging must never break the command
            self.handleError(record)


def _configure_logging(level: int) -> None:
    """One stderr handler on the root logger (replacing ours from an earlier run), scrubbed."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SCRUBBER)
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(min(root.getEffectiveLevel(), level))  # never hide what others capture
    logging.getLogger("httpcore").setLevel(max(level, logging.INFO))


@main.command()
@paths_argument
@manifest_options
@handle_errors
def validate(paths: tuple[Path, ...], source: Source) -> None:
    """Check manifests offline: schema, formats, ranges and references."""
    desired = source.load(paths)
    click.echo(f"Valid: {describe(desired)}.")
    for name, nested in desired.accounts.items():
        click.echo(f"  sub-account {name}: {describe(nested)}")


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
    if out is not None:
        planfile.save(result, out, account)
        click.echo(f"Saved the plan to {out}: `provisioner apply {out}` makes exactly these "
                   "calls, if the account has not changed.", err=True)
    if detailed_exitcode and not result.is_empty:
        click.echo(drift(result), err=True)
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
    elif step.status is Status.FAILED:
        click.echo(f"failed: {head}: {step.error}", err=True)
    else:
        click.echo(f"skipped: {head} ({step.reason})", err=True)


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
        if not self.tty:
            _echo_step(step)
            return
        head = render_change(step.change)[0].strip()
        click.echo(f"\r\x1b[2Kapplying {self.done}/{self.total}: {head}", nl=False, err=True)

    def close(self) -> None:
        if self.tty and not self.quiet and self.done:
            click.echo("", err=True)


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


@main.command()
def schema() -> None:
    """Print the JSON Schema of the manifest (for editors and CI)."""
    from provisioner.schema import render as render_schema

    click.echo(render_schema(), nl=False)


@main.command()
@paths_argument
@handle_errors
def graph(paths: tuple[Path, ...]) -> None:
    """Print the manifest's dependency graph in Graphviz DOT (offline, no API call).

    An edge A -> B means B uses what A creates (a number its app, an app its media, a
    sub-account's resources the sub-account). Render it with `dot -Tsvg`.
    """
    from provisioner.graph import blueprint, to_dot

    click.echo(to_dot(blueprint(load(paths))), nl=False)


@main.command("export")
@target_options
@click.option("--output", "-o", "out_dir", required=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the manifests in (created if needed).")
@click.option("--force", is_flag=True, help="Overwrite manifests already in DIR.")
@handle_errors
def export_command(sandbox: bool, sandbox_state: Path | None, endpoint: str, out_dir: Path,
                   force: bool) -> None:
    """Write manifests of the live account (and its sub-accounts) into DIR."""
    from provisioner.export import export_account
    from provisioner.export.write import write as write_export

    target = open_target(sandbox, sandbox_state, endpoint)
    try:
        exported = export_account(target.client)
    finally:
        target.close()
    written = write_export(exported, out_dir, force=force)
    for notice in exported.notices:
        click.echo(f"export: {notice}", err=True)
    click.echo(f"Exported {target.description} to {out_dir}: "
               + ", ".join(str(path.relative_to(out_dir)) for path in written))
    if exported.env:
        click.echo("Set these environment variables before plan or apply (secrets are never "
                   "exported; also listed in .env.example):")
        click.echo("".join(f"  {var.name}  # {var.what}\n" for var in exported.env), nl=False)
    if exported.audio:
        click.echo("Put the original audio files here (CALLR does not give uploaded audio back; "
                   "with the same file, plan shows no change):")
        for audio in exported.audio:
            shown = audio.fingerprint or "fingerprint unknown"
            click.echo(f"  {out_dir / audio.path}  # {audio.media}, {shown}")


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
@click.option("--latency-ms", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Delay every response this long (other requests proceed meanwhile).")
@click.option("--fail-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Probability of an HTTP 503 before a call runs.")
@click.option("--drop-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Probability that a call runs, then the connection closes unanswered.")
@click.option("--rate-limit", default=None, type=click.FloatRange(min=0, min_open=True),
              help="Requests per second admitted; beyond, HTTP 429 with Retry-After.")
@click.option("--seed", default=None, type=int, help="Seed of the random fault draws.")
@handle_errors
def serve(host: str, port: int, state: Path | None, login: str, password: str, api_key: str,
          media_delay: float, latency_ms: float, fail_rate: float, drop_rate: float,
          rate_limit: float | None, seed: int | None) -> None:
    """Serve the emulator at http://HOST:PORT/json-rpc/v1.1/ until interrupted.

    Stats: GET /_emulator/stats, POST /_emulator/stats/reset.
    """
    from provisioner.emulator import Emulator, FaultProfile, make_server

    profile = FaultProfile(latency_ms=latency_ms, fail_rate=fail_rate, drop_rate=drop_rate,
                           rate_limit=rate_limit, seed=seed)
    emu = Emulator(state, logins={login: password}, api_keys={api_key},
                   media_delay=media_delay, job_delay=media_delay, fault_profile=profile)
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
