"""The ``provisioner`` command group and its logging (stderr, secrets scrubbed)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from provisioner.sensitive import KNOWN, SCRUBBER


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Record a global option (before or after the subcommand: ``ctx.meta`` is shared by the
    group's context and the subcommand's) and set the log level from all of them so far."""
    if value:
        key = f"provisioner.{param.name}"
        ctx.meta[key] = ctx.meta.get(key, 0) + value if param.name == "verbose" else value
    meta = ctx.meta
    if meta.get("provisioner.debug"):
        level = logging.DEBUG
    elif meta.get("provisioner.verbose"):
        level = logging.WARNING - 10 * min(int(meta["provisioner.verbose"]), 2)
    elif meta.get("provisioner.quiet"):
        level = logging.ERROR
    else:
        level = logging.WARNING
    _configure_logging(level)
    return value


def global_options() -> list[click.Option]:
    """``-v``, ``--debug``, ``--no-color`` and ``-q``: accepted before the subcommand and after
    it (a command that has its own ``--no-color`` or ``-q`` keeps it)."""
    return [
        click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=_remember,
                     help="Log more (-v info, -vv debug with API calls)."),
        click.Option(["--debug"], is_flag=True, expose_value=False, callback=_remember,
                     help="Log every API call and response on stderr (credentials and secret "
                          "fields redacted)."),
        click.Option(["--no-color"], is_flag=True, expose_value=False, callback=_remember,
                     help="No ANSI colors (also when NO_COLOR is set)."),
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_remember,
                     help="Log only errors."),
    ]


class Group(click.Group):
    """A command group whose commands (nested groups' too) accept the global options."""

    group_class = type  # subgroups are Groups as well

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        taken = {opt for param in cmd.params for opt in getattr(param, "opts", ())}
        cmd.params.extend(option for option in global_options()
                          if not taken.intersection(option.opts))
        super().add_command(cmd, name)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]},
             params=global_options())
@click.version_option(package_name="callr-provisioner")
def main() -> None:
    """Manage CALLR accounts as code: validate, plan and apply YAML manifests."""
    KNOWN.clear()  # each command learns its own sensitive values (in-process runs share KNOWN)


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
