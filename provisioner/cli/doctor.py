"""``doctor``: probe the target account read-only and print what the tool can rely on."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provisioner.cli.app import main
from provisioner.cli.options import (
    Source,
    handle_errors,
    manifest_options,
    no_color_option,
    open_target,
    target_options,
    use_color,
)

COLORS = {"ok": "green", "missing": "red", "failed": "red", "refused": "red",
          "skipped": "yellow", "note": "yellow"}


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@target_options
@manifest_options
@no_color_option
@handle_errors
def doctor(paths: tuple[Path, ...], sandbox: bool, sandbox_state: Path | None, endpoint: str,
           source: Source, no_color: bool) -> None:
    """Probe the account read-only: authentication, each read method (answers or missing),
    the search page size, Login-As, unknown app packages and latency. Writes nothing.

    With PATHS, also reads what planning those manifests reads: exit 1 when a method they
    need is missing (or the credentials fail); without, missing methods are only reported.
    """
    from provisioner.doctor import examine

    desired = source.load(paths) if paths else None
    target = open_target(sandbox, sandbox_state, endpoint)
    try:
        report = examine(target.client, desired)
    finally:
        target.close()
    color = use_color(no_color)
    click.echo(f"Target: {target.description}")
    width = max(len(row.check) for row in report.rows)
    for row in report.rows:
        result = f"{row.result:<8}"
        if color:
            result = click.style(result, fg=COLORS.get(row.result))
        click.echo(f"  {row.check:<{width}}  {result}  {row.detail}".rstrip())
    click.echo("Marks: [C] confirmed by CALLR, [C3] seen in third-party clients, [I] inferred "
               "(see the README's 'CALLR API fidelity'). Write methods are never probed.")
    if report.missing:
        click.echo("Missing methods: " + ", ".join(sorted(report.missing)))
    if desired is not None:
        if report.needed_missing:
            click.echo("The manifests need missing methods: "
                       + ", ".join(sorted(report.needed_missing)), err=True)
        for failure in report.needed_failures:
            click.echo(f"The manifests' reads fail: {failure}", err=True)
    if not report.ok:
        sys.exit(1)
