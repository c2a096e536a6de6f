"""The ``provisioner`` command group and its logging (stderr, secrets scrubbed)."""

from __future__ import annotations

import logging
import sys

import click

from provisioner.sensitive import KNOWN, SCRUBBER


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="callr-provisioner")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug with API calls).")
@click.option("--debug", is_flag=True,
              help="Log every API call and response on stderr (credentials and secret fields "
                   "redacted).")
def main(verbose: int, debug: bool) -> None:
    """Manage CALLR accounts as code: validate, plan and apply YAML manifests."""
    KNOWN.clear()  # each command learns its own sensitive values (in-process runs share KNOWN)
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
