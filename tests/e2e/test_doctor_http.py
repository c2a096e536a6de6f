"""``provisioner doctor`` over HTTP against ``provisioner emulator serve`` in its own process."""

from __future__ import annotations

from pathlib import Path

from .conftest import cli_env, emulator_serve, provisioner

BASIC = {"CALLR_LOGIN": "sandbox", "CALLR_PASSWORD": "sandbox"}
WEBHOOKS = """\
version: 1
webhooks:
  - {type: sms.mo, endpoint: "https://hooks.example.com/sms"}
"""


def test_doctor_on_a_plain_emulator_exits_0() -> None:
    with emulator_serve() as (_proc, url):
        result = provisioner("doctor", "--endpoint", url, env=cli_env(**BASIC))
    assert result.returncode == 0, result.stderr
    assert "Missing methods" not in result.stdout
    assert "authentication" in result.stdout and "latency" in result.stdout


def test_doctor_names_the_missing_methods_under_no_sip_no_webhook_list(tmp_path: Path) -> None:
    manifest = tmp_path / "webhooks.yaml"
    manifest.write_text(WEBHOOKS, encoding="utf-8")
    with emulator_serve("--variant", "no-sip,no-webhook-list") as (_proc, url):
        survey = provisioner("doctor", "--endpoint", url, env=cli_env(**BASIC))
        needed = provisioner("doctor", manifest, "--endpoint", url, env=cli_env(**BASIC))
    assert survey.returncode == 0, survey.stderr
    missing = next(line for line in survey.stdout.splitlines()
                   if line.startswith("Missing methods:"))
    assert "webhooks.get_list" in missing and "sip/subscriber.search" in missing
    assert needed.returncode == 1
    assert "The manifests need missing methods: webhooks.get_list" in needed.stderr


def test_doctor_reports_bad_credentials_answered_with_http_401() -> None:
    with emulator_serve("--variant", "http-auth-errors") as (_proc, url):
        result = provisioner("doctor", "--endpoint", url,
                             env=cli_env(CALLR_LOGIN="sandbox", CALLR_PASSWORD="wrong"))
    assert result.returncode == 1
    assert "authentication" in result.stdout and "HTTP 401" in result.stdout
    assert "wrong" not in result.stdout + result.stderr
