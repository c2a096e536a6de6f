"""Environments: ${var:...} from --var/--var-file, --overlay files, and examples/environments."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from terminal import run

from provisioner.api.client import CallrClient
from provisioner.errors import ManifestError
from provisioner.manifest.desired import Desired, load
from provisioner.manifest.overlay import parse_var
from provisioner.planning.engine import apply_plan, build_plan

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "environments"

BASE_APPS = """\
version: 1
apps:
  desk:
    package: CALLTRACKING10
    params:
      targets: [{number: "+33123456789", timeout: 30}]
      options: {record_calls: true, locale: fr_FR}
      vms: {active: true, timeout: 120}
  bot:
    package: ACTIONS10
    params: {format: YAML, script: "branches: {inbound-call: {actions: [action: hangup@v1]}}"}
"""

BASE_NUMBERS = """\
version: 1
numbers:
  "+33199000001": desk
webhooks:
  - {type: call.inbound_hangup, endpoint: "https://a.example.com/h"}
"""


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "base/apps.yaml", BASE_APPS)
    write(tmp_path, "base/numbers.yaml", BASE_NUMBERS)
    return tmp_path / "base"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def overlaid(base: Path, *overlays: str, **kwargs: object) -> Desired:
    paths = [write(base.parent, f"overlay{i}.yaml", text) for i, text in enumerate(overlays)]
    return load([base], env={}, overlays=paths, **kwargs)  # type: ignore[arg-type]


def problems_of(base: Path, *overlays: str) -> list[str]:
    with pytest.raises(ManifestError) as info:
        overlaid(base, *overlays)
    return [str(p) for p in info.value.problems]


def params(desired: Desired, app: str) -> dict[str, object]:
    return dict(desired.apps[app].params.model_dump(exclude_unset=True))


def test_mappings_merge_scalars_and_lists_replace(base: Path) -> None:
    desired = overlaid(base, """\
        apps:
          desk:
            params:
              targets: [{number: "+33100000001", timeout: 15}]
              options: {record_calls: false}
    """)
    assert params(desired, "desk") == {
        "targets": [{"number": "+33100000001", "timeout": 15}],
        "options": {"record_calls": False, "locale": "fr_FR"},
        "vms": {"active": True, "timeout": 120},
    }
    assert params(desired, "bot") == {
        "format": "YAML", "script": "branches: {inbound-call: {actions: [action: hangup@v1]}}"}


def test_null_clears_and_delete_removes(base: Path) -> None:
    desired = overlaid(base, """\
        apps:
          desk:
            params:
              vms: ~
              options: {$delete: [locale]}
          $delete: [bot]
    """)
    assert params(desired, "desk")["vms"] is None  # set to null: cleared on the account
    assert params(desired, "desk")["options"] == {"record_calls": True}
    assert "bot" not in desired.apps and not desired.is_defined("apps", "bot")  # unmanaged


def test_delete_then_set_replaces_a_whole_mapping(base: Path) -> None:
    desired = overlaid(base, """\
        apps:
          desk:
            $delete: [params]
            params: {targets: [{number: "+33100000002"}]}
    """)
    assert params(desired, "desk") == {"targets": [{"number": "+33100000002", "timeout": 30}]}


def test_new_entries_are_added(base: Path) -> None:
    desired = overlaid(base, """\
        version: 1
        apps:
          extra: {package: ACTIONS10}
        numbers:
          "+33199000002": extra
        media:
          hello: {tts: {text: Hi, voice: TTS_EN-GB_SERENA}}
    """)
    assert set(desired.apps) == {"desk", "bot", "extra"}
    assert desired.numbers == {"+33199000001": "desk", "+33199000002": "extra"}
    assert set(desired.media) == {"hello"}
    assert str(desired.origin("apps", "extra")).startswith("overlay0.yaml:3:")


def test_list_section_replaces_every_base_file(base: Path) -> None:
    desired = overlaid(base, """\
        webhooks:
          - {type: did.assigned, endpoint: "https://b.example.com/h"}
    """)
    assert list(desired.webhooks) == [("did.assigned", "https://b.example.com/h")]


def test_overlays_apply_in_order(base: Path) -> None:
    desired = overlaid(base, "apps: {desk: {params: {vms: {timeout: 200}}}}\n",
                       "apps: {desk: {params: {vms: {timeout: 250, active: false}}}}\n")
    assert params(desired, "desk")["vms"] == {"active": False, "timeout": 250}


def test_problems_point_into_the_overlay(base: Path) -> None:
    assert problems_of(base, """\
        apps:
          desk:
            params:
              targets: [{number: "+33100000001", timeout: 999}]
              optoins: {}
          new-one: {package: NOPE}
    """) == [
        "overlay0.yaml:4:51: apps.desk.params.targets[0].timeout: must be between 5 and 300, "
        "got 999",
        "overlay0.yaml:5:7: apps.desk.params.optoins: unknown key 'optoins' (did you mean "
        "'options'?)",
        "overlay0.yaml:6:22: apps.new-one.package: unknown package 'NOPE': expected one of "
        "'CALLTRACKING10', 'CLICKTOCALL10', 'REALTIME10', 'ACTIONS10'",
    ]


def test_base_positions_stay_in_the_base(base: Path) -> None:
    # the overlay leaves the base's bad value alone: the problem is still the base's
    write(base, "numbers.yaml", BASE_NUMBERS.replace("desk", "dessk"))
    assert problems_of(base, "apps: {desk: {params: {vms: {timeout: 200}}}}\n") == [
        "base/numbers.yaml:3:19: numbers.\"+33199000001\": app 'dessk' is not defined in apps "
        "(did you mean 'desk'?)",
    ]


def test_deleting_what_the_base_does_not_set(base: Path) -> None:
    assert problems_of(base, """\
        apps:
          desk: {params: {$delete: [vmss]}}
          $delete: [nobody]
        $delete: [sip]
    """) == [
        "overlay0.yaml:2:29: apps.desk.params.\"$delete\"[0]: cannot delete "
        "apps.desk.params.vmss: the base manifests do not set it (did you mean 'vms'?)",
        "overlay0.yaml:3:13: apps.\"$delete\"[0]: cannot delete apps.nobody: the base manifests "
        "do not set it",
        "overlay0.yaml:4:11: \"$delete\"[0]: cannot delete sip: the base manifests do not set it",
    ]


def test_bad_delete_and_bad_overlay_files(base: Path) -> None:
    assert problems_of(base, "apps: {desk: {$delete: {a: 1}}}\n", "- a list\n", "",
                       "version: 2\n") == [
        "overlay0.yaml:1:24: apps.desk.\"$delete\": $delete takes a list of keys",
        "overlay1.yaml:1:1: an overlay is a mapping with the manifest's sections",
        "overlay2.yaml:1:1: empty overlay: add 'version: 1'",
        "overlay3.yaml:1:10: version: unsupported version 2: use 1",
    ]
    with pytest.raises(ManifestError) as info:
        load([base], env={}, overlays=["missing.yaml"])
    assert [str(p) for p in info.value.problems] == ["missing.yaml:1:1: no such overlay file"]


def test_duplicates_among_base_files_stay_errors(base: Path) -> None:
    write(base, "more.yaml", "version: 1\napps:\n  bot: {package: ACTIONS10}\n")
    assert problems_of(base, "apps: {bot: {params: {format: YAML}}}\n") == [
        "base/more.yaml:3:3: apps.bot: app 'bot' is defined twice: also at base/apps.yaml:9:3"
    ]


def test_overlay_into_a_subaccount(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "base.yaml", """\
        version: 1
        subaccounts:
          Client:
            account: {firstname: Jane, lastname: Doe}
            contact: {emails: [ops@client.example], phones: ["+33612345670"]}
            resources:
              apps: {desk: {package: ACTIONS10}}
    """)
    desired = load(["base.yaml"], env={}, overlays=[write(tmp_path, "o.yaml", """\
        subaccounts:
          Client:
            resources:
              apps: {extra: {package: ACTIONS10}}
    """)])
    assert set(desired.accounts["Client"].apps) == {"desk", "extra"}


# --- variables ----------------------------------------------------------------------------


def test_var_files_in_order_then_var(base: Path) -> None:
    write(base.parent, "a.vars.yaml", "timeout: 100\nemail: a@example.com\nhost: a.example\n")
    write(base.parent, "b.vars.yaml", "timeout: 200\n")
    desired = overlaid(base, """\
        apps:
          desk: {params: {vms: {timeout: "${var:timeout}", emails: ["${var:email}"]}}}
    """, var_files=["a.vars.yaml", "b.vars.yaml"], variables={"email": "c@example.com"})
    assert params(desired, "desk")["vms"] == {"active": True, "timeout": 200,
                                              "emails": ["c@example.com"]}


def test_var_file_problems_are_located(base: Path) -> None:
    write(base.parent, "bad.vars.yaml", "ok: 1\nlist: [1]\n9lives: x\n")
    write(base.parent, "list.vars.yaml", "- a\n")
    with pytest.raises(ManifestError) as info:
        load([base], env={}, var_files=["bad.vars.yaml", "list.vars.yaml", "no.vars.yaml"])
    assert [str(p) for p in info.value.problems] == [
        "bad.vars.yaml:2:7: list: a variable is a string, number or boolean",
        "bad.vars.yaml:3:1: 9lives: invalid variable name '9lives'",
        "list.vars.yaml:1:1: a var-file is a mapping of names to values",
        "no.vars.yaml:1:1: no such var-file",
    ]


def test_missing_variable_reported_with_every_other_problem(base: Path) -> None:
    assert problems_of(base, """\
        apps:
          desk: {params: {vms: {timeout: "${var:timeout}", emails: [1]}}}
    """) == [
        'overlay0.yaml:2:34: apps.desk.params.vms.timeout: variable "timeout" is not set; pass '
        "--var timeout=... or add it to a --var-file",
        "overlay0.yaml:2:61: apps.desk.params.vms.emails[0]: expected a string, got 1 (int)",
    ]


@pytest.mark.parametrize("text", ["novalue", "=x", "1a=x", "a b=c"])
def test_parse_var_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expected NAME=VALUE"):
        parse_var(text)


def test_parse_var_keeps_the_value_as_text() -> None:
    assert parse_var("n=+33 1=2") == ("n", "+33 1=2")
    assert parse_var("empty=") == ("empty", "")


# --- examples/environments ----------------------------------------------------------------


def environment(name: str, **extra: object) -> Desired:
    return load([EXAMPLES / "base"], env={}, overlays=[EXAMPLES / f"{name}.yml"],
                var_files=[EXAMPLES / f"{name}.vars.yml"], **extra)  # type: ignore[arg-type]


def test_example_base_alone_needs_its_variables() -> None:
    with pytest.raises(ManifestError) as info:
        load([EXAMPLES / "base"], env={})
    assert sorted({p.message.split(";")[0] for p in info.value.problems}) == [
        'variable "bot_host" is not set', 'variable "hooks_url" is not set',
        'variable "oncall" is not set', 'variable "support_email" is not set']


@pytest.mark.parametrize("name", ["staging", "production"])
def test_example_environment_plans_and_converges(name: str, client: CallrClient) -> None:
    desired = environment(name)
    plan = build_plan(desired, client, name)
    addresses = {c.address for c in plan.changes}
    assert {"app.support-line", "app.bot", "number.+33199000001"} <= addresses
    hooks = "hooks.staging.example.com" if name == "staging" else "hooks.example.com"
    assert f"webhook.call.inbound_hangup->https://{hooks}/callr" in addresses
    if name == "staging":
        assert "app.staging-echo" in addresses and "app.after-hours" not in addresses
    else:
        assert "app.after-hours" in addresses and "app.staging-echo" not in addresses
        assert f"webhook.did.unassigned->https://{hooks}/callr" in addresses
    report = apply_plan(plan, client)
    assert report.ok, [(s.change.address, s.error) for s in report.steps if s.error]
    assert build_plan(environment(name), client, name).is_empty


def test_example_environments_differ_where_the_overlays_say() -> None:
    staging, production = environment("staging"), environment("production")
    assert params(staging, "support-line")["targets"] == [
        {"number": "+33100000001", "timeout": 15}]
    assert "vms" not in params(staging, "support-line")
    assert params(production, "support-line")["vms"] == {
        "active": True, "timeout": 180, "emails": ["support@example.com"]}
    assert params(production, "bot")["login"] == "bot-production"
    assert params(staging, "bot")["url"] == "https://bot.staging.example.com/callr"


@pytest.mark.parametrize("name", ["staging", "production"])
def test_example_environment_through_the_cli(name: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CALLR_API_KEY", "CALLR_LOGIN", "CALLR_PASSWORD", "CALLR_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    state = tmp_path / "state.json"
    common = [EXAMPLES / "base", "--overlay", EXAMPLES / f"{name}.yml",
              "--var-file", EXAMPLES / f"{name}.vars.yml", "--var", "bot_host=cli.example"]
    valid = run("validate", *common)
    assert valid.exit_code == 0, valid.output
    planned = run("plan", *common, "--sandbox", "--sandbox-state", state)
    assert planned.exit_code == 0, planned.output
    assert "+ app.support-line" in planned.stdout
    assert "https://cli.example/callr" in planned.stdout  # --var overrides the var-file
    missing = run("validate", EXAMPLES / "base", "--overlay", EXAMPLES / f"{name}.yml")
    assert missing.exit_code == 1
    assert 'variable "hooks_url" is not set' in missing.stderr
    bad = run("validate", *common, "--var", "oops")
    assert bad.exit_code == 1
    assert "--var 'oops': expected NAME=VALUE" in bad.stderr


def test_an_overlay_matches_a_number_however_it_is_written(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "m.yaml").write_text(
        "version: 1\n"
        "apps:\n  desk: {package: ACTIONS10}\n  bot: {package: ACTIONS10}\n"
        'numbers:\n  "+33 1 99 00 00 01": desk\n  "+33 1 99 00 00 02": desk\n',
        encoding="utf-8")
    overlay = tmp_path / "o.yml"
    overlay.write_text('numbers:\n  "+33199000001": bot\n  $delete: ["+33.1.99.00.00.02"]\n',
                       encoding="utf-8")
    desired = load([base], env={}, overlays=[overlay])
    assert desired.numbers == {"+33199000001": "bot"}
    bad = tmp_path / "bad.yml"
    bad.write_text('numbers:\n  "+33199000001": 5\n', encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load([base], env={}, overlays=[bad])
    [problem] = caught.value.problems
    assert (problem.file.endswith("bad.yml"), problem.line) == (True, 2)
