"""Credential safety: ``--debug`` shows every API call but no credential nor secret field, in
requests or in responses; redaction helpers; the log scrubber."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serving import RPC_PATH, passwords_in, root_logging_restored, serving
from terminal import run

from provisioner.emulator import Emulator
from provisioner.sensitive import (
    KNOWN,
    REDACTED,
    SCRUBBER,
    KnownValues,
    LogScrubber,
    Secret,
    redact_authorization,
    redact_fields,
)

pytestmark = pytest.mark.usefixtures("no_callr_env")

LOGIN, PASSWORD, API_KEY = "ops", "Acc0unt-Pa55word-Q7", "K3y-0f-the-Acc0unt-zz9"
APP_PASSWORD, HOOK_SECRET = "bot-Pa55-4-debug", "hmac-S3cret-4-debug"
MANIFEST = f"""\
version: 1
apps:
  bot:
    package: REALTIME10
    params: {{url: "https://bot.example.com/callr", login: bot, password: {APP_PASSWORD},
              data_format: JSON}}
sip:
  subscribers:
    alice: {{cli: BLOCKED, codecs: [PCMA]}}
webhooks:
  - type: call.inbound_hangup
    endpoint: https://hooks.example.com/hangup
    options: {{hmac_algo: SHA256, hmac_secret: {HOOK_SECRET}}}
"""


@pytest.fixture
def served() -> Iterator[tuple[Emulator, str]]:
    emu = Emulator(None, logins={LOGIN: PASSWORD}, api_keys={API_KEY},
                   media_delay=0.05, job_delay=0.05)
    with serving(emu) as base:
        yield emu, base + RPC_PATH


@pytest.fixture
def restore_logging() -> Iterator[None]:
    with root_logging_restored():
        yield


def forbidden(*extra: str) -> list[str]:
    b64 = [base64.b64encode(f"{LOGIN}:{PASSWORD}".encode()).decode(),
           base64.b64encode(PASSWORD.encode()).decode(),
           base64.b64encode(API_KEY.encode()).decode()]
    return [PASSWORD, API_KEY, APP_PASSWORD, HOOK_SECRET, *b64, *extra]


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("auth", ["basic", "api-key"])
def test_debug_shows_calls_but_no_secret(served: tuple[Emulator, str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, auth: str) -> None:
    emu, url = served
    if auth == "basic":
        monkeypatch.setenv("CALLR_LOGIN", LOGIN)
        monkeypatch.setenv("CALLR_PASSWORD", PASSWORD)
    else:
        monkeypatch.setenv("CALLR_API_KEY", API_KEY)
    monkeypatch.setenv("CALLR_ENDPOINT", url)
    monkeypatch.chdir(tmp_path)  # apply may write its files (journal) in the current directory
    manifest = tmp_path / "account.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")

    applied = run("--debug", "apply", manifest, "--yes")
    assert applied.exit_code == 0, applied.output
    planned = run("--debug", "plan", manifest)  # reads back the subscriber's password
    assert planned.exit_code == 0, planned.output
    assert "No changes" in planned.stdout or "no changes" in planned.stdout.lower()

    sip_passwords = passwords_in(emu.snapshot())
    assert sip_passwords, "the emulator keeps the subscriber's password"
    stderr = applied.stderr + planned.stderr
    for method in ("apps.create", "webhooks.subscribe", "sip/subscriber.create",
                   "apps.get_list", "sip/subscriber.search", "webhooks.get_list"):
        assert method in stderr, method
    assert ("Basic ***" if auth == "basic" else "Api-Key ***") in stderr
    assert REDACTED in stderr
    output = stderr + applied.stdout + planned.stdout
    for secret in forbidden(*sip_passwords):
        assert secret not in output


@pytest.mark.usefixtures("restore_logging")
def test_credentials_file_end_to_end(served: tuple[Emulator, str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _, url = served
    creds = tmp_path / "callr.credentials"
    creds.write_text(f"login: {LOGIN}\npassword: {PASSWORD}\n", encoding="utf-8")
    creds.chmod(0o600)
    monkeypatch.setenv("CALLR_API_KEY", "not-the-right-key")  # the file wins
    manifest = tmp_path / "account.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    result = run("--debug", "plan", manifest, "--endpoint", url, "--credentials-file", creds)
    assert result.exit_code == 0, result.output
    assert f"login {LOGIN}" in result.stdout and "Basic ***" in result.stderr
    for secret in forbidden():
        assert secret not in result.output


def test_without_debug_no_api_call_is_logged(tmp_path: Path) -> None:
    manifest = tmp_path / "account.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    result = run("plan", manifest, "--sandbox-state", tmp_path / "s.json")
    assert result.exit_code == 0, result.output
    assert "apps.get_list" not in result.stderr


# -- the helpers -------------------------------------------------------------------------------


def test_redact_fields_hides_secret_keys_in_responses() -> None:
    response: dict[str, Any] = {
        "hits": [{"id": 1, "username": "sub123", "password": "Zx81-clear", "domain": "d"}],
        "options": {"hmac_algo": "SHA256", "hmac_secret": "s3cr3t-hmac"},
        "endpoint": {"url": "https://h", "auth": "user:pass-word", "login": "u"},
        "credentials": {"login": "acme", "password": None},
        "order": {"token": "abcdef0123"},
        "create": {"password": {"method": "MANUAL", "value": "manual-pass"}},
        "params": [Secret("wrapped"), "plain"],
    }
    shown = redact_fields(response)
    text = repr(shown)
    for secret in ("Zx81-clear", "s3cr3t-hmac", "pass-word", "abcdef0123", "manual-pass",
                   "wrapped"):
        assert secret not in text
    assert shown["hits"][0] == {"id": 1, "username": "sub123", "password": REDACTED,
                                "domain": "d"}
    assert shown["credentials"]["password"] is None  # unset is not a secret
    assert shown["params"] == [REDACTED, "plain"]
    assert response["hits"][0]["password"] == "Zx81-clear"  # a copy: the answer is intact


def test_redact_authorization_keeps_only_the_scheme() -> None:
    assert redact_authorization("Basic b3BzOnB3") == "Basic ***"
    assert redact_authorization("Api-Key K3y") == "Api-Key ***"
    assert redact_authorization("") == "***"


def test_the_scrubber_is_a_last_line_of_defence() -> None:
    scrubber = LogScrubber()
    scrubber.add("topsecret-value", "", "abc")  # too short values are ignored
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "sent %s and abc",
                               ("topsecret-value",), None)
    assert scrubber.filter(record) is True
    assert record.getMessage() == "sent *** and abc"
    assert isinstance(SCRUBBER, LogScrubber)


# -- values known to be sensitive --------------------------------------------------------------


def test_known_values_are_masked_with_their_names_longest_first() -> None:
    known = KnownValues()
    known.add("tok-12345", "TOKEN")
    known.add("tok-12345-and-more", "LONGER")
    known.add("abc", "SHORT")  # too short to mask inside text
    known.add("Generated-pw-1")  # unnamed: a credential, a generated password
    text = "u=https://x/?t=tok-12345-and-more&u=tok-12345 abc Generated-pw-1"
    masked = known.mask(text)
    assert masked == ("u=https://x/?t=(sensitive: LONGER)&u=(sensitive: TOKEN) abc ***")
    assert known.mask(masked) == masked
    assert known.names_in(text) == ["***", "LONGER", "TOKEN"]
    assert known.template("https://x/?t=tok-12345") == "https://x/?t=${env:TOKEN}"
    assert known.template("nothing here") is None


def test_a_shape_masks_an_old_value_of_the_same_string() -> None:
    known = KnownValues()
    known.add("tok-NEW-2", "TOKEN")
    known.add_shape(["https://bot.example.com/rt?token=", ""], ["TOKEN"])
    known.add_shape(["https://hooks.example.com/", "/in"], ["HOOK"])
    known.add_shape(["Dear ", ""], ["NAME"])  # prose: too loose to use
    old = "{'url': 'https://bot.example.com/rt?token=tok-OLD-1', 'x': 'Dear Bob'}"
    assert known.mask(old) == ("{'url': 'https://bot.example.com/rt?token=(sensitive: TOKEN)', "
                               "'x': 'Dear Bob'}")
    assert known.mask("https://hooks.example.com/abc/in https://hooks.example.com/abc/out") == \
        "https://hooks.example.com/(sensitive: HOOK)/in https://hooks.example.com/abc/out"
    assert known.mask("https://bot.example.com/rt?token=${env:TOKEN}").endswith("${env:TOKEN}")


def test_debug_logs_hide_fields_a_manifest_fills_from_the_environment() -> None:
    KNOWN.add_key("timezone")
    assert redact_fields({"vms": {"timezone": "Asia/Kathmandu", "locale": "fr_FR"}}) == {
        "vms": {"timezone": REDACTED, "locale": "fr_FR"}}


def test_thousands_of_known_values_are_found_by_index() -> None:
    """An account's thousands of SIP passwords: found by their first characters, longest
    first, as the plain scan finds a few."""
    known = KnownValues()
    for i in range(3000):
        known.add(f"sip-pw-{i:05d}-x")
    known.add("sip-pw-00007-x-and-longer", "LONG")
    text = "a sip-pw-00007-x-and-longer b sip-pw-02999-x c sip-pw-0300"
    assert known.mask(text) == "a (sensitive: LONG) b *** c sip-pw-0300"
    assert known.names_in("nothing") is None
