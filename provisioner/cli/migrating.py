"""``migrate``: convert legacy apps to Callr Actions scenarios for the REST API v2."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provisioner.cli.app import main
from provisioner.cli.options import Source, handle_errors, manifest_options, paths_argument
from provisioner.errors import ConfigError
from provisioner.migrate import readiness
from provisioner.migrate.convert import migrate


@main.command("migrate")
@paths_argument
@manifest_options
@click.option("--output", "-o", "out_dir", metavar="DIR", default=None,
              type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the converted manifests in (new or empty).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 while anything remains to migrate (for CI).")
@handle_errors
def migrate_command(paths: tuple[Path, ...], source: Source, out_dir: Path | None,
                    check: bool) -> None:
    """Convert CALLTRACKING10 and CLICKTOCALL10 apps to ACTIONS10 scenarios (REST v2 manages
    only Callr Actions); REALTIME10 apps are reported for a manual rewrite."""
    if out_dir is None and not check:
        raise ConfigError("give -o DIR to write the converted manifests, or --check")
    desired = source.load(paths)  # every problem located, before anything is written
    report = migrate(list(paths), None if check else out_dir)
    for line in report.lines():
        click.echo(line)
    others = [b for b in readiness.blockers(desired) if b.kind != "app"]
    for blocker in others:
        click.echo(f"{blocker.address}: {blocker.reason}")
    if check:
        if report.pending:
            click.echo(f"{len(report.converted) + len(report.manual)} app(s) remain to "
                       "migrate to Callr Actions.", err=True)
            sys.exit(1)
        click.echo("Nothing to migrate: every app is a Callr Actions scenario.")
        return
    if out_dir is not None:
        click.echo(f"Wrote {len(report.written)} file(s) to {out_dir}: check them with "
                   f"`provisioner validate {out_dir}` and review the plan before applying.")
