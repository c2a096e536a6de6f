"""Options and error handling shared by the commands: target account, manifest sources,
colors, and the ProvisionerError -> message + exit code mapping."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from provisioner.api.limits import DEFAULT_PARALLELISM, LIVE_DEFAULT_MAX_RPS
from provisioner.api.rest.choice import choose_api
from provisioner.api.rpc import DEFAULT_ENDPOINT
from provisioner.api.transport import DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES, NetworkLimits
from provisioner.applying.workspace import APPLY_LOCK, locked, sandbox_lock
from provisioner.errors import ConfigError, ManifestError, PlanError, ProvisionerError, UnsafePlan
from provisioner.manifest.desired import Desired, load, unknown_variables
from provisioner.manifest.overlay import parse_var
from provisioner.planning import planfile, targeting
from provisioner.sensitive import shown, shown_lines
from provisioner.target import (
    DEFAULT_SANDBOX_STATE,
    SANDBOX_VARIANTS_ENV,
    Target,
    open_live,
    open_sandbox,
)

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(click.style("Error: ", fg="red", bold=True) + shown_lines(message), err=True)


def handle_errors(func: F) -> F:
    """Turn ProvisionerErrors into located messages and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ManifestError as exc:
            for problem in exc.problems:
                click.echo(shown(str(problem)), err=True)
            _fail(f"{exc}; nothing was sent to the API.")
        except PlanError as exc:
            for message in exc.messages:
                click.echo(f"plan: {shown(message)}", err=True)
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
        click.option("--sandbox-variant", "sandbox_variants", multiple=True,
                     metavar="NAME[,NAME...]", envvar=SANDBOX_VARIANTS_ENV, expose_value=False,
                     callback=_remember,
                     help="The sandbox plays the alternative of an unconfirmed API behaviour "
                          "(see the README's 'CALLR API fidelity'); repeatable; also "
                          f"{SANDBOX_VARIANTS_ENV}."),
        click.option("--endpoint", default=DEFAULT_ENDPOINT, show_default=True,
                     envvar="CALLR_ENDPOINT", help="JSON-RPC endpoint of the live API."),
        click.option("--credentials-file", type=click.Path(dir_okay=False, path_type=Path),
                     default=None, envvar="CALLR_CREDENTIALS_FILE", expose_value=False,
                     callback=_remember,
                     help="Read the live API credentials from this file (mode 600) instead of "
                          "the environment: lines `api_key: KEY`, or `login: LOGIN` and "
                          "`password: PASSWORD` (`key=value` also accepted)."),
        click.option("--api", type=click.Choice(["jsonrpc", "rest"]), default=None,
                     envvar="CALLR_API", expose_value=False, callback=_remember,
                     help="The CALLR API to talk to: jsonrpc (v1.1, until 2027-06-30) or rest "
                          "(v2) [from the endpoint: a path ending in /v2.0 is rest]."),
        click.option("--max-rps", type=click.FloatRange(min=0), default=None,
                     expose_value=False, callback=_remember,
                     help="At most this many API requests per second [live API: "
                          f"{LIVE_DEFAULT_MAX_RPS:g}; sandbox and loopback endpoints: "
                          "unlimited; 0: no cap]."),
        click.option("--parallelism", type=click.IntRange(min=1), default=DEFAULT_PARALLELISM,
                     show_default=True, expose_value=False, callback=_remember,
                     help="At most this many API requests in flight at once."),
        click.option("--max-response-mb", type=click.IntRange(min=1),
                     default=DEFAULT_MAX_RESPONSE_BYTES // 2**20, show_default=True,
                     envvar="CALLR_MAX_RESPONSE_MB", expose_value=False, callback=_remember,
                     help="Refuse an API answer larger than this many megabytes."),
        click.option("--request-timeout", type=click.FloatRange(min=0.1),
                     default=DEFAULT_DEADLINE, show_default=True, metavar="SECONDS",
                     envvar="CALLR_REQUEST_TIMEOUT", expose_value=False, callback=_remember,
                     help="Seconds one API request may take, its whole answer included."),
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

    def load(self, paths: tuple[Path, ...], env: Mapping[str, str] | None = None) -> Desired:
        """The validated manifests; an unknown --target fails here, before any API call.
        ``env`` replaces the process environment (``SyntaxOnlyEnv`` for ``validate``)."""
        variables = self._variables()
        desired = load(paths, env, variables=variables, var_files=self.var_files,
                       overlays=self.overlays)
        unknown_variables(variables, desired.variables_used)
        notices = [*desired.warnings, *(n for sub in desired.accounts.values()
                                        for n in sub.warnings)]
        for notice in sorted(notices):
            click.echo(click.style("Warning: ", fg="yellow") + str(notice), err=True)
        if self.targets:
            targeting.resolve(desired, self.targets)
        return desired

    def load_base(self, paths: tuple[Path, ...]) -> Desired:
        """The base branch's manifests (``plan --base``), with the same variables and overlays,
        quietly: a ``--var`` only the pull request uses is no error there, and the base's
        notices are not the pull request's."""
        return load(paths, variables=self._variables(), var_files=self.var_files,
                    overlays=self.overlays)

    def _variables(self) -> dict[str, str]:
        variables: dict[str, str] = {}
        for text in self.var:
            try:
                name, value = parse_var(text)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            variables[name] = value
        return variables


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
                     help="Plan only this object and what it depends on (repeatable): "
                          "apps.NAME as the manifest writes it, or app.NAME as plans print "
                          "it."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def open_target(sandbox: bool, sandbox_state: Path | None, endpoint: str, *,
                writes: bool = False) -> Target:
    """The account to talk to; --credentials-file, --max-rps and --parallelism are read from
    the click context (``_remember``). ``writes``: the run may write, so it holds the lock
    (``write_lock``) until the target is closed, or fails at once naming the holder."""
    ctx = click.get_current_context(silent=True)
    meta: dict[str, Any] = ctx.meta if ctx is not None else {}
    max_rps: float | None = meta.get("provisioner.target.max_rps")
    parallelism: int = meta.get("provisioner.target.parallelism") or DEFAULT_PARALLELISM
    chosen: str | None = meta.get("provisioner.target.api")
    network = NetworkLimits(
        (meta.get("provisioner.target.max_response_mb") or DEFAULT_MAX_RESPONSE_BYTES // 2**20)
        * 2**20, meta.get("provisioner.target.request_timeout") or DEFAULT_DEADLINE)
    with contextlib.ExitStack() as stack:
        if writes:
            stack.enter_context(write_lock(sandbox, sandbox_state))
        if sandbox or sandbox_state is not None:  # the endpoint does not matter
            target = open_sandbox(
                sandbox_state, max_rps=max_rps, parallelism=parallelism, network=network,
                variants=meta.get("provisioner.target.sandbox_variants") or (),
                api=chosen or "jsonrpc")
        else:
            api, endpoint = choose_api(chosen, endpoint)
            target = open_live(endpoint, os.environ, max_rps=max_rps, parallelism=parallelism,
                               credentials_file=meta.get("provisioner.target.credentials_file"),
                               api=api, network=network)
        target.on_close.append(stack.pop_all().close)
    return target


def write_lock(sandbox: bool,
               sandbox_state: Path | None) -> contextlib.AbstractContextManager[None]:
    """The lock a run that writes to the account holds (``workspace``): this directory's, and
    the sandbox state's when it lives elsewhere."""
    paths = [Path.cwd() / APPLY_LOCK]
    if sandbox or sandbox_state is not None:
        paths.append(sandbox_lock(sandbox_state or DEFAULT_SANDBOX_STATE))
    return locked(paths, "one run at a time may write to an account from a directory, or to "
                         "a sandbox state")


def account_id(target: Target, sandbox: bool, sandbox_state: Path | None) -> str:
    """The account identity a saved plan records (no secret: see planfile.account_identity)."""
    if sandbox or sandbox_state is not None:
        state = sandbox_state or DEFAULT_SANDBOX_STATE
        return planfile.account_identity(target.client.endpoint, target.client.credentials, state)
    return planfile.account_identity(target.client.endpoint, target.client.credentials)


def use_color(no_color: bool, *, err: bool = False) -> bool:
    """Colors only on a terminal, and neither --no-color (before or after the subcommand) nor
    NO_COLOR (https://no-color.org)."""
    stream = sys.stderr if err else sys.stdout
    return (not no_color and not global_flag("no_color") and not os.environ.get("NO_COLOR")
            and stream.isatty())


def global_flag(name: str) -> bool:
    """Whether ``--no-color`` or ``-q`` was given before the subcommand (``cli.app``)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(f"provisioner.{name}"))


no_color_option = click.option("--no-color", is_flag=True,
                               help="No ANSI colors (also when NO_COLOR is set).")


paths_argument = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path)
)
