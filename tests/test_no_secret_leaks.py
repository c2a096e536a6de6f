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
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from ruamel.yaml import YAML
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
  ivr: {{package: ACTIONS10, params: {{script: {{branches: {{inbound-call: {{actions: [
      {{action: say@v2, params: {{what: "{script}"}}}}]}}}}}}}}}}
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
    emu.faults.clear()  # a rule the failed apply did not reach must not fail the next one
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


# -- values from the environment in fields that are not secret ---------------------------------

FIELD_ENV = {
    "RT_TOKEN": ["tok-AAAA1111zz", "tok-BBBB2222yy"],
    "RT_LOGIN": ["login-Q9w8e7", "login-R6t5y4"],
    "SCRIPT_WORD": ["Welkom-Sesam-17", "Welkom-Sesam-42"],
    "GA_ID": ["9081726354", "9182736455"],
    "ONCALL_NUMBER": ["+33612345678", "+33698765432"],
    "VMS_TEMPLATE": ["TPLA7K2Q", "TPLB8M3R"],
    "VMS_TAG": ["tagvmsAAA", "tagvmsBBB"],
    "VMS_FILE": ["recfile-AAA", "recfile-BBB"],
    "VMS_LOCALE": ["es_MX", "pt_BR"],
    "VMS_TZ": ["America/Tegucigalpa", "Pacific/Chatham"],
    "APP_LOCALE": ["sv_SE", "nb_NO"],
    "TRUNK_HOST": ["hostAAA111", "hostBBB222"],
    "TRUNK_TOKEN": ["trunk-Secret-A1", "trunk-Secret-B2"],
    "HOOK_PATH": ["hookpathAAA1", "hookpathBBB2"],
    "TTS_WORD": ["Sesam-TTS-A1", "Sesam-TTS-B2"],
    "MEDIA_LANG": ["it_IT", "fr_BE"],
    "SUB_FIRST": ["Firstname-AAA", "Firstname-BBB"],
    "SUB_LAST": ["Lastname-AAA", "Lastname-BBB"],
    "SUB_STREET": ["1 Rue Secrete A", "2 Rue Secrete B"],
    "SUB_CITY": ["Cityville-AAA", "Cityville-BBB"],
    "SUB_ZIP": ["75001-AAA", "75002-BBB"],
    "SUB_STATE": ["Statey-AAA", "Statey-BBB"],
    "SUB_TAG": ["subtagAAA", "subtagBBB"],
    "SUB_PHONE": ["+33144556611", "+33144556622"],
    "SUB_TZ": ["Asia/Kathmandu", "Asia/Kolkata"],
    "SUB_LOCALE": ["de_AT", "de_CH"],
    "SUB_URL_TOKEN": ["subtok-AAAA-99", "subtok-BBBB-88"],
}
"""One variable per field, in two versions (every value rotated between them)."""
FIELD_MANIFEST = """\
version: 1
media:
  greeting:
    tts: {text: "Say ${env:TTS_WORD} now", voice: TTS_FR-FR_AUDREY}
    text: "greeting ${env:TTS_WORD}"
    language: "${env:MEDIA_LANG}"
apps:
  tracker:
    package: CALLTRACKING10
    params:
      ga: {ua: "UA-${env:GA_ID}-1"}
      targets: [{number: "${env:ONCALL_NUMBER}", timeout: 20}]
      medias: {welcome: greeting}
      options: {locale: "${env:APP_LOCALE}"}
      vms:
        email_template: "${env:VMS_TEMPLATE}"
        emails: ["vm+${env:VMS_TAG}@example.com"]
        file_name: "voicemail-${env:VMS_FILE}.wav"
        locale: "${env:VMS_LOCALE}"
        timezone: "${env:VMS_TZ}"
  bot:
    package: REALTIME10
    params: {url: "https://bot.example.com/callr?token=${env:RT_TOKEN}",
             login: "bot-${env:RT_LOGIN}", data_format: JSON}
  ivr: {package: ACTIONS10, params: {script: "branches: {inbound-call: {actions: [
        {action: say@v2, params: {what: ${env:SCRIPT_WORD}}}]}}"}}
numbers: {"+33199000001": bot, "+33199000002": tracker}
sip:
  subscribers:
    desk:
      vms: {emails: ["desk+${env:VMS_TAG}@example.com"], timezone: "${env:VMS_TZ}",
            email_template: "${env:VMS_TEMPLATE}", file_name: "desk-${env:VMS_FILE}.wav",
            locale: "${env:VMS_LOCALE}"}
  trunks:
    origination:
      pbx:
        properties: {host: "pbx-${env:TRUNK_HOST}.example.com", port: 5060,
                     auth_token: "${env:TRUNK_TOKEN}"}
webhooks:
  - type: call.inbound_hangup
    endpoint: "https://hooks.example.com/${env:HOOK_PATH}/hangup"
subaccounts:
  Field Client:
    account: {firstname: "${env:SUB_FIRST}", lastname: "${env:SUB_LAST}"}
    contact:
      emails: ["ops+${env:SUB_TAG}@client.example"]
      tech_emails: ["tech+${env:SUB_TAG}@client.example"]
      phones: ["${env:SUB_PHONE}"]
      addresses: [{street: "${env:SUB_STREET}", city: "${env:SUB_CITY}", zip: "${env:SUB_ZIP}",
                   state: "${env:SUB_STATE}", country: FR}]
    params:
      billing:
        emails: ["billing+${env:SUB_TAG}@client.example"]
        addresses: [{street: "${env:SUB_STREET}", city: "${env:SUB_CITY}", zip: "${env:SUB_ZIP}",
                     state: "${env:SUB_STATE}", country: FR}]
      default: {locale: "${env:SUB_LOCALE}", timezone: "${env:SUB_TZ}"}
    resources:
      apps:
        sub-bot:
          package: REALTIME10
          params: {url: "https://sub.example.com/rt/${env:SUB_URL_TOKEN}/in"}
"""


def test_env_values_in_fields_that_are_not_secret(served: tuple[Recorded, str], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every output of a life with tokens, names and contacts read from the environment in
    non-secret fields: each shows as ``(sensitive: NAME)``, the rest readable; a rotated one
    is an update that says it changed and nothing more, even where the old one is read back."""
    emu, url = served
    session = Session(monkeypatch, tmp_path, url, "api-key")
    path = tmp_path / "account" / "account.yaml"
    path.parent.mkdir()
    path.write_text(FIELD_MANIFEST, encoding="utf-8")

    def version(n: int) -> None:
        for name, values in FIELD_ENV.items():
            monkeypatch.setenv(name, values[n])

    version(0)
    session.run("validate", "validate", path)
    assert "(sensitive: HOOK_PATH)" in session.run("graph", "graph", path)
    text = session.run("v0 plan text", "plan", path)
    assert "https://bot.example.com/callr?token=(sensitive: RT_TOKEN)" in text
    assert "https://hooks.example.com/(sensitive: HOOK_PATH)/hangup" in text
    for fmt in ("markdown", "json"):
        assert "(sensitive: RT_TOKEN)" in session.run(f"v0 plan {fmt}", "plan", path,
                                                       "--format", fmt)
    session.run("v0 plan --out", "plan", path, "--out", tmp_path / "plan0.json")
    assert "${env:RT_TOKEN}" in (tmp_path / "plan0.json").read_text(encoding="utf-8")
    session.run("v0 apply saved", "--debug", "apply", tmp_path / "plan0.json", "--yes")
    assert emu.faults is not None  # the account now holds every v0 value in clear

    version(1)
    text = session.run("v1 plan text", "--debug", "plan", path, "--force")  # replaces the trunk
    assert "params.url: (sensitive: old RT_TOKEN) -> (sensitive: RT_TOKEN)" in text
    assert "params.vms.timezone: (sensitive: old VMS_TZ) -> (sensitive: VMS_TZ)" in text
    for fmt in ("markdown", "json"):
        session.run(f"v1 plan {fmt}", "plan", path, "--format", fmt, "--force")
    session.run("v1 plan --out", "plan", path, "--out", tmp_path / "plan1.json", "--force")
    session.run("v1 apply", "--debug", "-vv", "apply", path, "--yes", "--force")
    assert "No changes" in session.run("last plan", "--debug", "plan", path)

    values = {v for versions in FIELD_ENV.values() for v in versions}
    files = session.files()
    journals = "".join(text for name, text in files.items() if "/journal/" in name)
    assert '"endpoint": "https://hooks.example.com/(sensitive: HOOK_PATH)/hangup"' in journals
    assert leaks(values, {**session.outputs, **files}) == []


def test_env_values_in_validation_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RT_TOKEN", "tok-CCCC3333xx")
    monkeypatch.setenv("VMS_TZ", "Mars/Olympus_Mons")
    path = tmp_path / "bad.yaml"
    path.write_text('version: 1\napps:\n  bot:\n    package: REALTIME10\n'
                    '    params: {url: "ftp://bot.example.com/?token=${env:RT_TOKEN}"}\n'
                    '  desk:\n    package: CALLTRACKING10\n'
                    '    params: {vms: {timezone: "${env:VMS_TZ}"}}\n', encoding="utf-8")
    result = run("validate", "--strict-env", path)  # env values are read only then
    assert result.exit_code == 1
    assert "ftp://bot.example.com/?token=(sensitive: RT_TOKEN)" in result.stderr
    assert "(sensitive: VMS_TZ)" in result.stderr
    assert leaks({"tok-CCCC3333xx", "Mars/Olympus_Mons"}, {"output": result.output}) == []


def test_var_file_values_from_the_environment_are_sensitive(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``--var-file`` value written ``${env:NAME}`` is a value from the environment too."""
    monkeypatch.setenv("VF_TOKEN", "vf-Token-31337")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "prod.vars.yml").write_text('token: "${env:VF_TOKEN}"\nregion: eu\n',
                                            encoding="utf-8")
    manifest = tmp_path / "account.yaml"
    manifest.write_text('version: 1\napps:\n  bot:\n    package: REALTIME10\n'
                        '    params: {url: "https://bot.example.com/${var:region}?t=${var:token}"}\n',
                        encoding="utf-8")
    common = ["--var-file", tmp_path / "prod.vars.yml", "--sandbox-state", tmp_path / "s.json"]
    outputs = {}
    for fmt in ("text", "markdown", "json"):
        result = run("plan", manifest, *common, "--format", fmt)
        assert result.exit_code == 0, result.output
        outputs[fmt] = result.output
    assert "https://bot.example.com/eu?t=(sensitive: VF_TOKEN)" in outputs["text"]
    saved = run("plan", manifest, *common, "--out", tmp_path / "plan.json")
    assert saved.exit_code == 0, saved.output
    applied = run("--debug", "apply", tmp_path / "plan.json", "--sandbox-state",
                  tmp_path / "s.json", "--yes")
    assert applied.exit_code == 0, applied.output
    files = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.rglob("*")
             if p.is_file() and p.name != "s.json"}  # the sandbox state is the account itself
    assert leaks({"vf-Token-31337"}, {**outputs, "apply": applied.output, **files}) == []


NOT_FROM_THE_ENVIRONMENT = {
    "apps.*.params.password": "a secret field (the test above)",
    "webhooks.[].options.hmac_secret": "a secret field (the test above)",
    "apps.*.params.medias.*": "names a media entry",
    "apps.*.params.vms.intro": "names a media entry",
    "apps.*.params.script_file": "a file of the manifests' folder (its text may use ${env:})",
    "webhooks.[].secret_rotated_at": "a UTC time, checked against its pattern",
    "apps.*.params.options.*_vms_detect.*_media": "names a media entry",
    "sip.subscribers.*.vms.intro": "names a media entry",
    "apps.*.previous_names.[]": "names an object",
    "media.*.previous_names.[]": "names an object",
    "subaccounts.*.previous_names.[]": "names an object",
    "subaccounts.*.hash": "identifies an object",
    "numbers.*": "names an app",
    "numbers.*.app": "names an app",
    "numbers.*.[].app": "names an app",
    "policy.ignore.*.[]": "patterns of names",
    "webhooks.[].type": "an event type, the webhook's identity",
    "sip.subscribers.*.cli": "a DID of the account (its identity)",
    "media.*.file": "a path on disk",
    "*.addresses.[].country": "two letters, shorter than any value masked",
    **{f"numbers.*.{many}{field}": "a public number store area of a REST v2 order (the test "
       "above plans through JSON-RPC, which refuses it)"
       for many in ("", "[].") for field in ("prefix", "area")},
}
"""The string fields of the manifest schema that the test above does not fill from the
environment, and why; every other one it does."""


def _schema_strings(node: Any, path: tuple[str, ...], defs: dict[str, Any],
                    seen: frozenset[str]) -> set[str]:
    """The manifest schema's free string fields (no enum), as dotted paths."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return set() if name in seen else _schema_strings(defs[name], path, defs, seen | {name})
    found = {p for sub in node.get("anyOf", []) + node.get("oneOf", [])
             for p in _schema_strings(sub, path, defs, seen)}
    if node.get("type") == "string" and "enum" not in node and "const" not in node:
        found.add(".".join(path))
    for key, sub in node.get("properties", {}).items():
        found |= _schema_strings(sub, (*path, key), defs, seen)
    for sub in [node.get("additionalProperties"), *node.get("patternProperties", {}).values()]:
        if isinstance(sub, dict):
            found |= _schema_strings(sub, (*path, "*"), defs, seen)
    if isinstance(node.get("items"), dict):
        found |= _schema_strings(node["items"], (*path, "[]"), defs, seen)
    return found


def _filled(data: Any, node: Any, path: tuple[str, ...], defs: dict[str, Any]) -> set[str]:
    """The schema paths of the strings of ``data`` that hold an ``${env:...}`` placeholder."""
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    found: set[str] = set()
    for sub in node.get("anyOf", []) + node.get("oneOf", []):
        found |= _filled(data, sub, path, defs)
    if isinstance(data, str) and "${env:" in data and node.get("type") == "string":
        found.add(".".join(path))
    if isinstance(data, dict):
        for key, item in data.items():
            if key in node.get("properties", {}):
                found |= _filled(item, node["properties"][key], (*path, key), defs)
            elif isinstance(node.get("additionalProperties"), dict):
                found |= _filled(item, node["additionalProperties"], (*path, "*"), defs)
    if isinstance(data, list) and isinstance(node.get("items"), dict):
        for item in data:
            found |= _filled(item, node["items"], (*path, "[]"), defs)
    return found


def _general(path: str) -> str:
    """A sub-account's resources are a manifest; both vms-detect blocks and media slots are
    alike."""
    path = path.removeprefix("subaccounts.*.resources.")
    path = re.sub(r"\.[AB]_vms_detect\.(dtmf|silence)_media$", ".*_vms_detect.*_media", path)
    path = re.sub(r"\.medias\.[A-Za-z_]+$", ".medias.*", path)
    return re.sub(r"^subaccounts\.\*\.(contact|params\.billing)\.addresses",
                  "*.addresses", path) if path.endswith(".country") else path


def test_the_env_test_fills_every_non_secret_string_field() -> None:
    """Every free string field of ``schemas/manifest.schema.json`` is filled from the
    environment by ``FIELD_MANIFEST``, or listed in ``NOT_FROM_THE_ENVIRONMENT`` with a reason:
    a field added to the schema fails here until it is classified."""
    schema = json.loads((Path(__file__).parents[1] / "schemas" / "manifest.schema.json")
                        .read_text(encoding="utf-8"))
    defs = schema.get("$defs", {})
    fields = {_general(p) for p in _schema_strings(schema, (), defs, frozenset())}
    filled = {_general(p) for p in _filled(YAML(typ="safe").load(FIELD_MANIFEST), schema, (),
                                            defs)}
    assert fields - filled - set(NOT_FROM_THE_ENVIRONMENT) == set()
    assert set(NOT_FROM_THE_ENVIRONMENT) <= fields, "an exclusion names no field"
    assert filled & set(NOT_FROM_THE_ENVIRONMENT) == set()
