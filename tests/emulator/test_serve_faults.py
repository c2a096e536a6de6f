"""``provisioner emulator serve`` with fault options, driven over real HTTP."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from provisioner.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _serve(*options: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "provisioner", "emulator", "serve", "--port", "0", *options],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    found = re.search(r"(http://127\.0\.0\.1:\d+)/json-rpc/v1\.1/", first)
    if not found:
        proc.kill()
        proc.wait()
        pytest.fail(f"first line should name the URL: {first!r}")
    return proc, found.group(1)


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
        proc.wait()


def _call(client: httpx.Client, method: str, *params: object) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    return client.post("/json-rpc/v1.1/", json=body)


def test_serve_fail_rate_and_stats_over_http() -> None:
    proc, base = _serve("--fail-rate", "1", "--seed", "3")
    try:
        with httpx.Client(base_url=base, auth=("sandbox", "sandbox"), timeout=10) as client:
            codes = [_call(client, "system.get_timestamp").status_code for _ in range(3)]
            assert codes == [503] * 3
            stats = client.get("/_emulator/stats").json()
            assert stats["total"] == 3 and stats["faults"]["fail"] == 3 and stats["methods"] == {}
    finally:
        _stop(proc)


def test_serve_rate_limit_and_drop_over_http() -> None:
    proc, base = _serve("--rate-limit", "1000", "--drop-rate", "1")
    try:
        with httpx.Client(base_url=base, auth=("sandbox", "sandbox"), timeout=10) as client:
            with pytest.raises(httpx.TransportError):
                _call(client, "media/library.create", "dropped")
            stats = client.get("/_emulator/stats").json()
            assert stats["methods"] == {"media/library.create": 1}
            assert stats["faults"]["drop"] == 1
    finally:
        _stop(proc)


def test_serve_rejects_bad_rates() -> None:
    result = CliRunner().invoke(main, ["emulator", "serve", "--fail-rate", "1.5"])
    assert result.exit_code == 2
    assert "--fail-rate" in result.output
    result = CliRunner().invoke(main, ["emulator", "serve", "--rate-limit", "0"])
    assert result.exit_code == 2
    helptext = CliRunner().invoke(main, ["emulator", "serve", "--help"]).output
    for option in ("--latency-ms", "--fail-rate", "--drop-rate", "--rate-limit", "--seed"):
        assert option in helptext
