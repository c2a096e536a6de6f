"""``provisioner migrate``: legacy apps converted to Callr Actions scenarios."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from conftest import Account
from terminal import run

from provisioner import actions
from provisioner.api.client import CallrClient
from provisioner.manifest.desired import load
from provisioner.migrate.scenarios import convert

pytestmark = pytest.mark.usefixtures("no_callr_env")

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart"
CLIENT_A = """\
subaccounts:
  "Client A":
    account: {firstname: Jane, lastname: Doe}
    contact: {emails: [ops@client-a.example], phones: ["+33612345670"]}
    params:
      billing: {emails: [billing@client-a.example]}
      default: {locale: fr_FR, timezone: Europe/Paris}
    resources:
      apps:
"""
"""A sub-account entry, its ``resources.apps`` left for the test to fill."""
AGENCY = """\
version: 1
apps:
  sales:
    package: CALLTRACKING10
    params:
      targets: [{number: "+33123456789", timeout: 25}]
      options: {record_calls: true, transcription: true, locale: fr_FR, feeds: both}
      ga: {ua: UA-1}
    protect: true
""" + CLIENT_A + """\
        orders: {package: CLICKTOCALL10}
"""


def write(folder: Path, text: str, name: str = "main.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_check_lists_what_remains_and_writes_nothing(tmp_path: Path) -> None:
    source = write(tmp_path / "in", AGENCY)
    result = run("migrate", "--check", source)
    assert result.exit_code == 1
    assert "app.sales: CALLTRACKING10 -> ACTIONS10" in result.stdout
    assert "no documented equivalent: ga.ua" in result.stdout
    assert "no documented equivalent: options.feeds" in result.stdout
    assert "options.record_calls" not in result.stdout  # mapped to startRecording@v1
    assert 'subaccount["Client A"].app.orders: CLICKTOCALL10' in result.stdout
    assert "subaccount" in result.stdout and "no REST v2 equivalent documented" in result.stdout
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["in", "main.yaml"]


def test_check_passes_once_migrated(tmp_path: Path) -> None:
    source = write(tmp_path / "in", AGENCY)
    out = tmp_path / "out"
    assert run("migrate", source, "-o", out).exit_code == 0
    again = run("migrate", "--check", out)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "Nothing to migrate" in again.stdout


def test_converted_files_keep_the_rest_and_list_unmapped_fields(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("migrate", write(tmp_path / "in", AGENCY), "-o", out).exit_code == 0
    desired = load([out])
    sales = desired.apps["sales"]
    assert (sales.package, sales.protect) == ("ACTIONS10", True)
    script = (out / "scenarios" / "sales.yaml").read_text(encoding="utf-8")
    assert script.startswith("# Converted by `provisioner migrate` from app 'sales'")
    assert "#   - ga.ua\n" in script and "UA-1" not in script  # paths listed, not values
    scenario, findings = actions.check(script)
    assert scenario is not None and not [f for f in findings if f.severity == "error"]
    steps = scenario.data["branches"]["answered"]["actions"]
    assert [s["action"] for s in steps] == ["startRecording@v1", "bridge@v1"]
    assert steps[0]["params"] == {"transcription": {"language": "fr-FR"}}
    orders = desired.accounts["Client A"].apps["orders"]
    assert orders.package == "ACTIONS10"
    assert "api-initiated" in orders.params.script


def test_click_to_call_dials_a_then_b_and_bridges() -> None:
    data = convert("CLICKTOCALL10", {"options": {"A_attempts": 3}}).data
    branches = data["branches"]
    first = branches["api-initiated"]["actions"][0]
    assert first["params"]["targets"][0]["number"] == "${{ $a }}"
    second = branches[first["params"]["answerOnBranch"]]["actions"][0]
    assert second["params"]["targets"][0]["number"] == "${{ $b }}"
    assert branches[second["params"]["answerOnBranch"]]["actions"] == [{"action": "bridge@v1"}]


def test_output_must_be_new_and_apart(tmp_path: Path) -> None:
    source = write(tmp_path / "in", AGENCY)
    inside = run("migrate", source, "-o", source / "converted")
    assert inside.exit_code == 1 and "overlaps" in inside.stderr
    busy = write(tmp_path / "busy", "x: 1\n", "other.yaml")
    assert "not empty" in run("migrate", source, "-o", busy).stderr
    assert run("migrate", source).exit_code == 1  # neither -o nor --check


def test_invalid_manifest_writes_nothing(tmp_path: Path) -> None:
    source = write(tmp_path / "in", "version: 1\napps:\n  a: {package: NOPE}\n")
    result = run("migrate", source, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "main.yaml:3" in result.stderr
    assert not (tmp_path / "out").exists()


def test_quickstart_migrated_routes_every_number_to_scenarios(
        tmp_path: Path, account: Account, client: CallrClient) -> None:
    source = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, source)
    out = tmp_path / "out"
    result = run("migrate", source, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "app.bot: REALTIME10: needs a manual rewrite" in result.stdout
    account.converge(source)
    migrated = account.plan(out)
    moved = {r.number: (r.before, r.after) for r in migrated.routing}
    converted = {n for n, app in load([source]).numbers.items()
                 if app and load([source]).apps[app].package in ("CALLTRACKING10",
                                                                 "CLICKTOCALL10")}
    assert converted and set(moved) == converted
    assert all("CALLTRACKING10" in before and "ACTIONS10" in after
               for before, after in moved.values())
    account.converge(out)
    assert account.plan(out).is_empty
    packages = {app["hash"]: app["package"]["name"]
                for app in client.call("apps.get_list", with_numbers=False)}
    routed = {did["intl_number"]: packages[did["app"]]
              for did in client.call("apps.get_dids", only_available=False) if did["app"]}
    assert routed and {p for p in routed.values()} == {"ACTIONS10", "REALTIME10"}
    bot = load([out]).numbers
    assert all(package == "REALTIME10" for number, package in routed.items()
               if bot.get(number) == "bot")
