"""Opening a target: credentials from the environment or a private file, rate and in-flight
caps, and no credentials over plain http except to loopback or the in-process sandbox."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
from terminal import run

from provisioner.api.limits import LIVE_DEFAULT_MAX_RPS
from provisioner.api.rpc import Credentials, check_endpoint
from provisioner.errors import ConfigError
from provisioner.target import open_live, open_sandbox, read_credentials_file

pytestmark = pytest.mark.usefixtures("no_callr_env")

SECRET = "hunter2-Very-Secret"
QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart"


def private(tmp_path: Path, text: str, mode: int = 0o600, name: str = "creds") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


# -- the credentials file ------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    f"api_key: {SECRET}\n",
    f"# CALLR\napi_key: '{SECRET}'\n",
    f'CALLR_API_KEY="{SECRET}"\n',
    f"login: ops\npassword: nope\napi_key={SECRET}\n",  # like the environment: the key wins
])
def test_api_key_from_the_file(tmp_path: Path, text: str) -> None:
    assert read_credentials_file(private(tmp_path, text)) == Credentials(api_key=SECRET)


@pytest.mark.parametrize("text", [
    f"login: ops\npassword: {SECRET}\n",
    f"\n  LOGIN = ops  \nPASSWORD={SECRET}\n",
    f"login: ops\npassword: \"{SECRET}\"\n",
])
def test_login_and_password_from_the_file(tmp_path: Path, text: str) -> None:
    assert read_credentials_file(private(tmp_path, text)) == Credentials("ops", SECRET)


def test_values_are_verbatim(tmp_path: Path) -> None:
    creds = read_credentials_file(private(tmp_path, "login: 007\npassword: a:b=c #d\n"))
    assert creds == Credentials("007", "a:b=c #d")


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o700 | 0o007])
def test_a_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = private(tmp_path, f"api_key: {SECRET}\n", mode)
    with pytest.raises(ConfigError) as info:
        read_credentials_file(path)
    message = str(info.value)
    assert str(path) in message and "chmod 600" in message and f"{mode:04o}" in message
    assert SECRET not in message


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_credentials_file(tmp_path / "nowhere")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir(mode=0o700)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_credentials_file(tmp_path / "dir")


@pytest.mark.parametrize(("text", "expected"), [
    (f"{SECRET}\n", r"creds:1: expected `key: value`"),
    (f"# comment\n{SECRET}: x\n", r"creds:2: unknown key"),
    ("login: ops\n", "no api_key, nor both login and password"),
    ("api_key:\n", "no api_key, nor both login and password"),
    ("", "no api_key"),
])
def test_bad_content_is_reported_without_values(tmp_path: Path, text: str,
                                                expected: str) -> None:
    with pytest.raises(ConfigError, match=expected) as info:
        read_credentials_file(private(tmp_path, text))
    assert SECRET not in str(info.value)


def test_the_file_replaces_the_environment(tmp_path: Path) -> None:
    env = {"CALLR_API_KEY": "from-env-key"}
    path = private(tmp_path, f"login: ops\npassword: {SECRET}\n")
    target = open_live("https://api.test/json-rpc/v1.1/", env, credentials_file=path)
    try:
        assert target.client.credentials == Credentials("ops", SECRET)
        assert "login ops" in target.description and SECRET not in target.description
    finally:
        target.close()


def test_no_credentials_at_all() -> None:
    with pytest.raises(ConfigError, match="--credentials-file"):
        open_live("https://api.test/", {})


# -- caps ----------------------------------------------------------------------------------------


def test_live_is_rate_capped_by_default_and_the_sandbox_is_not(tmp_path: Path) -> None:
    env = {"CALLR_API_KEY": "k"}
    live = open_live("https://api.test/", env)
    unlimited = open_live("https://api.test/", env, max_rps=0, parallelism=7)
    sandbox = open_sandbox(tmp_path / "s.json")
    local = open_live("http://127.0.0.1:8080/json-rpc/v1.1/", env)
    try:
        assert live.client._session.caps.max_rps == LIVE_DEFAULT_MAX_RPS == 10.0
        assert local.client._session.caps.bucket is None  # a local emulator, not CALLR
        assert unlimited.client._session.caps.bucket is None
        assert unlimited.client.parallelism == 7
        assert sandbox.client._session.caps.bucket is None
        assert sandbox.client.parallelism == 4
    finally:
        for target in (live, unlimited, sandbox, local):
            target.close()


def test_cli_max_rps_slows_the_calls_down(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    fast = run("plan", QUICKSTART, "--sandbox-state", state)
    assert fast.exit_code == 0, fast.output
    started = time.monotonic()
    slow = run("plan", QUICKSTART, "--sandbox-state", state, "--max-rps", "4",
               "--parallelism", "1")
    assert slow.exit_code == 0, slow.output
    assert slow.stdout == fast.stdout
    assert time.monotonic() - started >= 0.25  # at least two reads, 0.25 s apart


def test_cli_rejects_a_parallelism_below_one(tmp_path: Path) -> None:
    result = run("plan", QUICKSTART, "--sandbox-state", tmp_path / "s.json",
                 "--parallelism", "0")
    assert result.exit_code == 2 and "--parallelism" in result.stderr


@posix_only
def test_cli_refuses_a_readable_credentials_file_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = private(tmp_path, f"api_key: {SECRET}\n", 0o644)
    monkeypatch.setenv("CALLR_CREDENTIALS_FILE", str(path))
    result = run("plan", QUICKSTART, "--endpoint", "https://api.test/json-rpc/v1.1/")
    assert result.exit_code == 1
    assert "readable by others" in result.stderr and "chmod 600" in result.stderr
    assert SECRET not in result.output


# -- plain http ----------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", [
    "http://api.callr.com/json-rpc/v1.1/",
    "http://10.0.0.8:8080/json-rpc/v1.1/",
    "http://localhost.example.com/json-rpc/v1.1/",
    "http://127.0.0.1.nip.io/json-rpc/v1.1/",
    "http://sandbox.invalid/json-rpc/v1.1/",  # the sandbox name, without its transport
])
def test_plain_http_to_a_remote_host_is_refused(endpoint: str) -> None:
    with pytest.raises(ConfigError) as info:
        open_live(endpoint, {"CALLR_LOGIN": "ops", "CALLR_PASSWORD": SECRET})
    assert endpoint in str(info.value) and "https" in str(info.value)


@pytest.mark.parametrize("endpoint", [
    "http://127.0.0.1:8080/json-rpc/v1.1/",
    "http://127.8.9.10/json-rpc/v1.1/",
    "http://[::1]:8080/json-rpc/v1.1/",
    "http://localhost:8080/json-rpc/v1.1/",
    "https://api.callr.com/json-rpc/v1.1/",
])
def test_https_and_loopback_are_allowed(endpoint: str) -> None:
    open_live(endpoint, {"CALLR_API_KEY": "k"}).close()


def test_only_in_process_transports_are_exempt() -> None:
    check_endpoint("http://emulator.test/", httpx.MockTransport(lambda r: httpx.Response(200)))
    with pytest.raises(ConfigError, match="plain http"):
        check_endpoint("http://emulator.test/", httpx.HTTPTransport())


def test_credentials_in_the_endpoint_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigError) as info:
        check_endpoint(f"https://ops:{SECRET}@api.callr.com/json-rpc/v1.1/")
    assert SECRET not in str(info.value)


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ConfigError, match="https://"):
        check_endpoint("ftp://api.callr.com/")


def test_the_sandbox_still_works_over_its_in_process_transport(tmp_path: Path) -> None:
    target = open_sandbox(tmp_path / "sandbox.json")
    try:
        assert target.client.endpoint.startswith("http://sandbox.invalid/")
        assert target.client.system_get_timestamp() > 0
    finally:
        target.close()


def test_cli_refuses_plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLR_API_KEY", SECRET)
    result = run("plan", QUICKSTART, "--endpoint", "http://api.callr.com/json-rpc/v1.1/")
    assert result.exit_code == 1
    assert "http://api.callr.com/json-rpc/v1.1/" in result.stderr and "https" in result.stderr
    assert SECRET not in result.output


@pytest.mark.parametrize("content", ["{not json", '{"version": 99}', "[]"])
def test_a_corrupt_sandbox_state_is_a_clear_error(tmp_path: Path, content: str) -> None:
    state = tmp_path / "sandbox.json"
    state.write_text(content, encoding="utf-8")
    result = run("plan", "--sandbox-state", str(state), str(QUICKSTART))
    assert result.exit_code == 1
    assert "is not a valid sandbox state" in result.stderr
    assert "Traceback" not in result.output + result.stderr


@pytest.mark.parametrize("env", [{"CALLR_API_KEY": "SuperSecretKey1234\r"},
                                 {"CALLR_API_KEY": "clé-secrète"},
                                 {"CALLR_LOGIN": "me", "CALLR_PASSWORD": "pw\r\n"}])
def test_credentials_a_header_cannot_carry_are_refused_unshown(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        open_live("http://127.0.0.1:9/json-rpc/v1.1/", env)
    for value in env.values():
        assert value.strip() not in str(caught.value)
