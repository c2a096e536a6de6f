"""``release``, ``export``, ``graph``, ``schema`` and ``emulator serve``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provisioner.cli.app import main
from provisioner.cli.options import (
    Source,
    handle_errors,
    manifest_options,
    open_target,
    paths_argument,
    target_options,
)
from provisioner.errors import ProvisionerError
from provisioner.sensitive import KNOWN


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
    from provisioner.applying import release as releasing

    if not yes and not sys.stdin.isatty():
        raise ProvisionerError("release asks you to type each number back, but there is no "
                               "terminal: re-run with --yes if you are sure")
    target = open_target(sandbox, sandbox_state, endpoint, writes=True)
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


@main.command("fmt")
@paths_argument
@click.option("--check", is_flag=True,
              help="Write nothing: list the files that are not in the canonical layout and "
                   "exit 1 if there is any (for CI and pre-commit).")
@click.option("--diff", "show_diff", is_flag=True, help="Print what would change, as a diff.")
@handle_errors
def fmt_command(paths: tuple[Path, ...], check: bool, show_diff: bool) -> None:
    """Rewrite manifests in the canonical layout (comments, order and quotes kept)."""
    import difflib

    from provisioner.manifest.fmt import format_paths, write_atomically

    changed = [one for one in format_paths(paths) if one.changed]
    for one in changed:
        if show_diff:
            click.echo("".join(difflib.unified_diff(
                one.before.splitlines(keepends=True), one.after.splitlines(keepends=True),
                str(one.path), f"{one.path} (formatted)")), nl=False)
        if check:
            click.echo(str(one.path))
        elif not show_diff:
            write_atomically(one.path, one.after)
            click.echo(f"formatted {one.path}")
    if check and changed:
        click.echo(f"{len(changed)} file{'s' if len(changed) != 1 else ''} not in the "
                   "canonical layout: run `provisioner fmt` on them.", err=True)
        sys.exit(1)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the manifest (for editors and CI)."""
    from provisioner.manifest.schema import render as render_schema

    click.echo(render_schema(), nl=False)


@main.command()
@paths_argument
@manifest_options
@handle_errors
def graph(paths: tuple[Path, ...], source: Source) -> None:
    """Print the manifest's dependency graph in Graphviz DOT (offline, no API call).

    An edge A -> B means B uses what A creates (a number its app, an app its media, a
    sub-account's resources the sub-account). Render it with `dot -Tsvg`.
    """
    from provisioner.planning.graph import blueprint, to_dot

    click.echo(KNOWN.mask(to_dot(blueprint(source.load(paths)))), nl=False)


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
@click.option("--variant", "variants", multiple=True, metavar="NAME[,NAME...]",
              help="Play the alternative of an unconfirmed API behaviour (see the README's "
                   "'CALLR API fidelity'); repeatable.")
@click.option("--fail-method", "fail_methods", multiple=True, metavar="METHOD[:N]",
              help="The first N (default 1) calls of METHOD answer HTTP 503 without running; "
                   "repeatable.")
@handle_errors
def serve(host: str, port: int, state: Path | None, login: str, password: str, api_key: str,
          media_delay: float, latency_ms: float, fail_rate: float, drop_rate: float,
          rate_limit: float | None, seed: int | None, variants: tuple[str, ...],
          fail_methods: tuple[str, ...]) -> None:
    """Serve the emulator at http://HOST:PORT/json-rpc/v1.1/ until interrupted.

    Stats: GET /_emulator/stats, POST /_emulator/stats/reset.
    """
    from provisioner.emulator import Emulator, FaultProfile, make_server
    from provisioner.emulator import variants as emulator_variants

    profile = FaultProfile(latency_ms=latency_ms, fail_rate=fail_rate, drop_rate=drop_rate,
                           rate_limit=rate_limit, seed=seed)
    try:
        chosen = emulator_variants.parse(variants)
    except ValueError as exc:
        raise ProvisionerError(f"--variant: {exc}") from exc
    try:
        emu = Emulator(state, logins={login: password}, api_keys={api_key},
                       media_delay=media_delay, job_delay=media_delay, fault_profile=profile,
                       variants=chosen)
    except (OSError, ValueError) as exc:
        raise ProvisionerError(f"cannot use the state file {state}: {exc}") from exc
    for method, times in _fail_methods(fail_methods):
        emu.faults.unavailable(method, times=times)
    try:
        server = make_server(emu, host, port)
    except OSError as exc:
        raise ProvisionerError(f"cannot listen on {host}:{port}: {exc}") from exc
    played = f"; variants: {', '.join(sorted(chosen))}" if chosen else ""
    base = f"http://{host}:{server.server_port}"
    click.echo(f"CALLR emulator at {base}/json-rpc/v1.1/ and REST v2 at {base}/v2.0 "
               f"(state: {state or 'in memory'}{played}); Ctrl-C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped.")
    finally:
        server.server_close()


def _fail_methods(specs: tuple[str, ...]) -> list[tuple[str, int]]:
    """``("apps.assign_did:2", "did.get")`` -> ``[("apps.assign_did", 2), ("did.get", 1)]``."""
    from provisioner.api.methods import METHODS

    parsed: list[tuple[str, int]] = []
    for spec in specs:
        method, _, count = spec.partition(":")
        if method not in METHODS:
            raise ProvisionerError(f"--fail-method: unknown method {method!r}")
        if count and not (count.isdigit() and int(count) > 0):
            raise ProvisionerError(f"--fail-method {spec}: N must be a positive whole number")
        parsed.append((method, int(count) if count else 1))
    return parsed
