"""No secret leaves the process: not in any output, file or log of any command.

One account's life through the real CLI (in-process, against the emulator served on
127.0.0.1), with login/password and with API-key credentials: validate; graph; plan as text,
markdown and JSON; ``plan --out``; ``--debug apply`` of that saved plan; the plans and a
``-vv apply --yes`` that rotate every secret; a ``--debug`` apply of a saved plan that fails
(an injected error) and loses an answer (recovered by re-reading); ``-v apply`` again;
``export -o``; a last ``--debug plan``.

The secrets: the API credentials; REALTIME10 app passwords and webhook HMAC secrets from the
environment, in the master and in a sub-account (one password is left unmanaged after
creation, so updates re-send it as it is on the account); and what the API generates (SIP
subscriber and sub-account passwords, taken from the emulator's state and answers). None of
them, nor its base64, nor its URL-encoding, may appear in stdout, stderr (logs included), the
journals, the saved plans or the exported files, unless ``--show-generated-secrets`` asks.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from serving import RPC_PATH, passwords_in, root_logging_restored, serving
from terminal import run

from provisioner.emulator import Emulator

pytestmark = pytest.mark.usefixtures("no_callr_env")

LOGIN, PASSWORD, API_KEY = "leakops", "Acc0unt-Pa55/word+Q7=", "K3y-0f-the-Acc0unt/zz9+"
ENV = {
    "BOT_PASSWORD": ["bot-Pa55 w0rd/1+", "bot-Pa55 w0rd/2+", "bot-Pa55 w0rd/3+"],
    "HOOK_SECRET": ["hmac-S3cret&one=1", "hmac-S3cret&two=2", "hmac-S3cret&three=3"],
    "SUB_PASSWORD": ["sub-Bot-secret#1", "sub-Bot-secret#2", "sub-Bot-secret#3"],
    "RELAY_PASSWORD": ["relay-Live-pw%1"] * 3,
}
"""Each secret's value in the three versions of the account (the secrets are rotated)."""
MANIFEST = """\
version: 1
apps:
  bot:
    package: REALTIME10
    params: {{url: "https://bot.example.com/callr", login: bot,
              password: "${{env:BOT_PASSWORD}}", data_format: JSON}}
  ivr: {{package: ACTIONS10, params: {{script: "- say: {script}"}}}}
  relay: {{package: REALTIME10, params: {{url: "https://relay.example.com/{script}"{relay}}}}}
numbers: {{"+33199000001": bot}}
sip:
  subscribers:
    alice: {{codecs: [PCMA]}}
    bob: {{codecs: [{codec}]}}
webhooks:
  - type: call.inbound_hangup
    endpoint: https://hooks.example.com/hangup
    options: {{hmac_algo: SHA256, hmac_secret: "${{env:HOOK_SECRET}}"}}
subaccounts:
  Leak Client:
    account: {{firstname: Jane, lastname: Doe}}
    contact: {{emails: [ops@client.example]}}
    resources:
      apps:
        sub-bot:
          package: REALTIME10
          params: {{url: "https://sub.example.com/rt", password: "${{env:SUB_PASSWORD}}"}}
      webhooks:
        - type: sms.mo
          endpoint: https://hooks.example.com/sub
          options: {{hmac_algo: MD5, hmac_secret: "${{env:HOOK_SECRET}}"}}
"""


class Recorded(Emulator):
    """The emulator, keeping every password its answers carried: a sub-account's generated
    password is in the create result only, never in the state."""

    def __init__(self) -> None:
        super().__init__(None, logins={LOGIN: PASSWORD}, api_keys={API_KEY},
                         media_delay=0.0, job_delay=0.0)
        self.answered: set[str] = set()

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = b"".join(super().wsgi(environ, start_response))
        with contextlib.suppress(ValueError):  # a 502 page, a 503 ...
            self.answered |= passwords_in(json.loads(body))
        return [body]

    def generated(self) -> set[str]:
        """Passwords the API generated (state and answers), the manifests' own left out."""
        mine = {v for values in ENV.values() for v in values}
        return (passwords_in(self.snapshot()) | self.answered) - mine


@pytest.fixture
def served() -> Iterator[tuple[Recorded, str]]:
    emu = Recorded()
    with serving(emu) as base:
        yield emu, base + RPC_PATH


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    with root_logging_restored():
        yield


def encodings(secret: str) -> set[str]:
    """The secret as it could leak: as is, base64 (padded or not), URL-encoded."""
    b64 = base64.b64encode(secret.encode()).decode()
    return {secret, b64, b64.rstrip("="), base64.urlsafe_b64encode(secret.encode()).decode(),
            quote(secret, safe=""), quote(secret), quote(secret).replace("%20", "+")}


def leaks(secrets: set[str], where: dict[str, str]) -> list[str]:
    return sorted(f"{name} shows {form!r} (from {secret!r})" for secret in secrets
                  for form in encodings(secret) for name, text in where.items() if form in text)


class Session:
    """Runs the CLI with one version of the secrets and keeps everything it printed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, folder: Path, url: str,
                 auth: str) -> None:
        self.monkeypatch, self.folder = monkeypatch, folder
        self.outputs: dict[str, str] = {}
        if auth == "basic":
            monkeypatch.setenv("CALLR_LOGIN", LOGIN)
            monkeypatch.setenv("CALLR_PASSWORD", PASSWORD)
        else:
            monkeypatch.setenv("CALLR_API_KEY", API_KEY)
        monkeypatch.setenv("CALLR_ENDPOINT", url)
        monkeypatch.chdir(folder)

    def version(self, n: int) -> Path:
        """Write version ``n`` of the manifest and put its secrets in the environment."""
        for name, values in ENV.items():
            self.monkeypatch.setenv(name, values[n])
        path = self.folder / "account" / "account.yaml"
        path.parent.mkdir(exist_ok=True)
        relay = ', password: "${env:RELAY_PASSWORD}"' if n == 0 else ""  # then unmanaged
        path.write_text(MANIFEST.format(script=f"v{n}", codec=["PCMU", "OPUS", "G729"][n],
                                        relay=relay), encoding="utf-8")
        return path

    def run(self, label: str, *args: Any, code: int = 0) -> str:
        result = run(*args)
        self.outputs[f"{label} stdout"] = result.stdout
        self.outputs[f"{label} stderr"] = result.stderr
        assert result.exit_code == code, (label, result.output, result.exception)
        return result.stdout

    def files(self) -> dict[str, str]:
        """Every file the commands wrote under the working folder (journals, plan, export)."""
        return {str(p.relative_to(self.folder)): p.read_text(encoding="utf-8", errors="replace")
                for p in sorted(self.folder.rglob("*")) if p.is_file()}


def plans(session: Session, manifest: Path, label: str) -> None:
    """The plan in every format; the text one hides the secrets it creates or rotates."""
    assert "(sensitive)" in session.run(f"{label} plan text", "plan", manifest)
    for fmt in ("markdown", "json"):
        session.run(f"{label} plan {fmt}", "plan", manifest, "--format", fmt)


def life(session: Session, emu: Emulator) -> None:
    manifest = session.version(0)
    session.run("validate", "validate", manifest)
    session.run("graph", "graph", manifest)
    plans(session, manifest, "v0")
    session.run("v0 plan --out", "plan", manifest, "--out", session.folder / "plan0.json")
    session.run("v0 apply saved", "--debug", "apply", session.folder / "plan0.json", "--yes")
    manifest = session.version(1)  # every secret rotated: updates of sensitive fields
    plans(session, manifest, "v1")
    session.run("v1 apply", "-vv", "apply", manifest, "--yes")
    manifest = session.version(2)
    session.run("v2 plan --out", "plan", manifest, "--out", session.folder / "plan2.json")
    emu.faults.fail("webhooks.subscribe", times=2)  # the re-subscribe of a changed webhook
    emu.faults.lose_response("apps.edit")
    session.run("v2 failing apply", "--debug", "apply", session.folder / "plan2.json", "--yes",
                code=1)
    session.run("v2 apply again", "-v", "apply", manifest, "--yes")
    session.run("export", "export", "-o", session.folder / "exported")
    assert "No changes" in session.run("last plan", "--debug", "plan", manifest)


@pytest.mark.parametrize("auth", ["basic", "api-key"])
def test_no_secret_in_any_output_file_or_log(served: tuple[Recorded, str], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, auth: str) -> None:
    emu, url = served
    session = Session(monkeypatch, tmp_path, url, auth)
    life(session, emu)

    generated = emu.generated()
    assert len(generated) >= 3, "SIP subscribers and the sub-account have generated passwords"
    secrets = {PASSWORD, API_KEY, f"{LOGIN}:{PASSWORD}", *generated,
               *(v for values in ENV.values() for v in values)}
    files = session.files()
    assert any(name.startswith(".provisioner/journal/") for name in files), files.keys()
    assert "plan2.json" in files and any(name.startswith("exported/") for name in files)
    stderr = "".join(text for name, text in session.outputs.items() if name.endswith("stderr"))
    assert "webhooks.subscribe" in stderr and ("Basic ***" in stderr or "Api-Key ***" in stderr)
    assert "re-reading the account" in stderr  # the lost apps.edit answer was recovered
    assert leaks(secrets, {**session.outputs, **files}) == []


def test_generated_secrets_show_only_when_asked(served: tuple[Recorded, str], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The positive control: the detector finds a generated password once it is printed."""
    emu, url = served
    session = Session(monkeypatch, tmp_path, url, "api-key")
    manifest = session.version(0)
    session.run("apply", "apply", manifest, "--yes", "--show-generated-secrets")
    generated = emu.generated()
    shown = leaks(generated, {"stdout": session.outputs["apply stdout"]})
    assert len(shown) >= len(generated) >= 3
    assert leaks(generated, session.files()) == []  # shown once, never stored
