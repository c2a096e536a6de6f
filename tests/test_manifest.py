"""Manifest validation, octoDNS tests/config style.

``tests/data/invalid/*.yaml``: one failure mode per file. Its leading comment lines state the
expected problems, one per ``# expect: LINE:COL: PATH: MESSAGE-SUBSTRING`` line (PATH empty for a
problem without a path, e.g. ``# expect: 1:1: : empty manifest``). An optional
``# xfail: reason`` line marks a fixture that documents a known bug (strict: it fails loudly once
the bug is fixed).

``tests/data/invalid_dirs/<case>/``: several files loaded together; ``expect.txt`` holds lines
``FILE:LINE:COL: PATH: MESSAGE-SUBSTRING`` with FILE relative to the case directory.

``tests/data/valid/``: manifests that must load, with their content checked.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from ruamel.yaml import YAML

from provisioner.errors import ManifestError, Problem
from provisioner.manifest.desired import Desired, load
from provisioner.models import apps as app_models

DATA = Path(__file__).parent / "data"
INVALID = DATA / "invalid"
INVALID_DIRS = DATA / "invalid_dirs"
VALID = DATA / "valid"
ENV = {"BOT_PASSWORD": "x"}


class Expected(NamedTuple):
    file: str | None
    line: int
    col: int
    path: str
    message: str

    def matches(self, problem: Problem, file: str | None = None) -> bool:
        return (
            (self.file is None or self.file == problem.file)
            and (self.line, self.col, self.path) == (problem.line, problem.col, problem.path)
            and self.message in problem.message
        )


EXPECT_LINE = re.compile(
    r"^(?:(?P<file>[^:]+):)?(?P<line>\d+):(?P<col>\d+): (?P<path>.*?): (?P<msg>.+)$"
)


def parse_expect(text: str, *, with_file: bool) -> Expected:
    match = EXPECT_LINE.match(text.strip())
    assert match, f"malformed expectation: {text!r}"
    state = "missing" if with_file else "unexpected"
    assert bool(match["file"]) == with_file, f"FILE part {state}: {text!r}"
    return Expected(match["file"], int(match["line"]), int(match["col"]), match["path"],
                    match["msg"])


def fixture_header(path: Path) -> tuple[list[Expected], str | None]:
    expected: list[Expected] = []
    xfail = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect: "):
            expected.append(parse_expect(line.removeprefix("# expect: "), with_file=False))
        elif line.startswith("# xfail: "):
            xfail = line.removeprefix("# xfail: ")
        else:
            break
    return expected, xfail


def assert_problems(problems: list[Problem], expected: list[Expected]) -> None:
    shown = "\n".join(str(p) for p in problems)
    assert len(problems) == len(expected), f"expected {len(expected)} problems, got:\n{shown}"
    unmatched = list(problems)
    for exp in expected:
        found = next((p for p in unmatched if exp.matches(p)), None)
        assert found is not None, f"no problem matches {exp}; got:\n{shown}"
        unmatched.remove(found)


@pytest.fixture
def no_api(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail if anything builds an API client or opens a network connection."""
    calls: list[str] = []

    def forbidden(what: str) -> Any:
        def guard(*args: Any, **kwargs: Any) -> Any:
            calls.append(what)
            raise AssertionError(f"{what} called while only validating a manifest")
        return guard

    from provisioner.api import client as client_module

    monkeypatch.setattr(client_module.CallrClient, "__init__", forbidden("CallrClient()"))
    monkeypatch.setattr(socket.socket, "connect", forbidden("socket.connect"))
    return calls


def invalid_fixtures() -> list[Any]:
    params = []
    for path in sorted(INVALID.glob("*.yaml")):
        _, xfail = fixture_header(path)
        marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


def test_the_invalid_fixtures_are_there() -> None:
    stems = {p.stem for p in INVALID.glob("*.yaml")}
    assert len(stems) >= 40
    for path in INVALID.glob("*.yaml"):
        expected, _ = fixture_header(path)
        assert expected or path.stem == "empty_file", f"{path.name} states no expectation"


@pytest.mark.parametrize("path", invalid_fixtures())
def test_invalid_fixture(path: Path, no_api: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    expected, _ = fixture_header(path)
    monkeypatch.chdir(path.parent)
    with pytest.raises(ManifestError) as info:
        load([path.name], env=ENV)
    assert no_api == []
    problems = info.value.problems
    assert all(p.file == path.name for p in problems), [str(p) for p in problems]
    assert problems == sorted(problems)
    assert_problems(problems, expected)
    count = len(problems)
    assert str(info.value) == f"{count} problem{'s' if count != 1 else ''} in the manifest"


def test_empty_file_fixture_only_has_comments() -> None:
    # The fixture must really be empty YAML (only comments), otherwise it tests something else.
    text = (INVALID / "empty_file.yaml").read_text(encoding="utf-8")
    assert all(line.startswith("#") for line in text.splitlines())


def test_problem_str_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    with pytest.raises(ManifestError) as info:
        load(["bad_enum_data_format.yaml"], env=ENV)
    assert [str(p) for p in info.value.problems] == [
        "bad_enum_data_format.yaml:6:27: apps.bot.params.data_format: 'XML' is not one of 'JSON'"
    ]


def test_problem_without_path_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    with pytest.raises(ManifestError) as info:
        load(["missing_version.yaml"], env=ENV)
    assert [str(p) for p in info.value.problems] == [
        "missing_version.yaml:1:1: missing 'version: 1' at the top of the file"
    ]


def test_missing_env_variable_is_the_only_problem_even_with_empty_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NOPE", "set in the process, but env= is what counts")
    monkeypatch.chdir(INVALID)
    with pytest.raises(ManifestError) as info:
        load(["missing_env_variable.yaml"], env={})
    assert len(info.value.problems) == 1
    assert "NOPE" in info.value.problems[0].message


def test_problems_from_several_files_are_all_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    with pytest.raises(ManifestError) as info:
        load(["bad_locale.yaml", "bad_enum_data_format.yaml", "empty_file.yaml"], env=ENV)
    assert sorted({p.file for p in info.value.problems}) == [
        "bad_enum_data_format.yaml", "bad_locale.yaml", "empty_file.yaml"
    ]
    assert len(info.value.problems) == 3


def test_cli_validate_reports_problems_and_never_opens_a_target(
    monkeypatch: pytest.MonkeyPatch, no_api: list[str], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from provisioner.cli import main

    monkeypatch.chdir(INVALID)
    state = tmp_path / "sandbox.json"
    runner = CliRunner()
    for command in (["validate"], ["plan", "--sandbox-state", str(state)]):
        result = runner.invoke(main, [*command, "several_problems.yaml"],
                               env={"BOT_PASSWORD": "x"})
        assert result.exit_code == 1, result.output
        out = result.output + (result.stderr if hasattr(result, "stderr") else "")
        assert "several_problems.yaml:12:51: apps.support-line.params.targets[0].timeout" in out
        assert "6 problems in the manifest" in out
        assert "nothing was sent to the API" in out
    assert no_api == []
    assert not state.exists(), "the sandbox account was opened for an invalid manifest"


# --- several files ------------------------------------------------------------------------


def invalid_dirs() -> list[Any]:
    return [pytest.param(p, id=p.name) for p in sorted(INVALID_DIRS.iterdir()) if p.is_dir()]


def test_the_invalid_dirs_are_there() -> None:
    names = {p.name for p in INVALID_DIRS.iterdir() if p.is_dir()}
    assert {"app_defined_twice", "number_twice_written_differently",
            "number_to_app_missing_in_other_file"} <= names


@pytest.mark.parametrize("case_dir", invalid_dirs())
def test_invalid_dir(case_dir: Path, monkeypatch: pytest.MonkeyPatch, no_api: list[str]) -> None:
    lines = (case_dir / "expect.txt").read_text(encoding="utf-8").splitlines()
    expected = [parse_expect(line, with_file=True) for line in lines if line.strip()]
    assert expected
    monkeypatch.chdir(case_dir)
    with pytest.raises(ManifestError) as info:
        load(["."], env=ENV)
    assert no_api == []
    assert_problems(info.value.problems, expected)


def test_each_file_of_a_duplicate_is_valid_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # The problem comes from merging, not from one of the files.
    case = INVALID_DIRS / "app_defined_twice"
    monkeypatch.chdir(case)
    for path in sorted(case.rglob("*.y*ml")):
        desired = load([path.relative_to(case)], env=ENV)
        assert "support-line" in desired.apps


# --- valid manifests ----------------------------------------------------------------------

VALID_ENV = {"BOT_PASSWORD": "x", "BOT_HOST": "bot.example.com", "TEAM": "sales"}


def read_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", sorted(VALID.rglob("*.yaml")), ids=lambda p: p.stem)
def test_every_valid_file_loads(path: Path, no_api: list[str]) -> None:
    desired = load([path], env=VALID_ENV)
    assert isinstance(desired, Desired)
    assert desired.apps or desired.numbers
    assert no_api == []


def _fields(model: type) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


def test_all_fields_uses_every_field_of_every_package() -> None:
    raw = read_yaml(VALID / "all_fields.yaml")["apps"]
    by_package = {app["package"]: app["params"] for app in raw.values()}
    assert set(by_package) == set(app_models.PACKAGES)
    ct, c2c = by_package["CALLTRACKING10"], by_package["CLICKTOCALL10"]
    checks = [
        (ct, app_models.CallTrackingParams),
        (ct["ga"], app_models.CallTrackingGA),
        (ct["medias"], app_models.CallTrackingMedias),
        (ct["options"], app_models.TranscriptionOptions),
        (ct["targets"][0], app_models.Target),
        (ct["vms"], app_models.Vms),
        (c2c, app_models.ClickToCallParams),
        (c2c["medias"], app_models.ClickToCallMedias),
        (c2c["options"], app_models.ClickToCallOptions),
        (c2c["options"]["A_vms_detect"], app_models.VmsDetect),
        (c2c["options"]["B_vms_detect"], app_models.VmsDetect),
        (c2c["vms"], app_models.Vms),
        (by_package["REALTIME10"], app_models.RealtimeParams),
        (by_package["ACTIONS10"], app_models.ActionsParams),
    ]
    # An ACTIONS10 app's other ways to give its scenario (script_file, variables) are
    # exclusive with script or merged into it: tests/test_scenarios.py covers them.
    others = {app_models.ActionsParams: {"script_file", "variables"}}
    for given, model in checks:
        assert set(given) | others.get(model, set()) == _fields(model), model.__name__


def test_all_fields_loads_exactly_what_the_file_sets() -> None:
    raw = read_yaml(VALID / "all_fields.yaml")
    desired = load([VALID / "all_fields.yaml"], env=VALID_ENV)
    assert set(desired.apps) == set(raw["apps"])
    for name, app in desired.apps.items():
        given = raw["apps"][name]
        assert app.package == given["package"]
        assert app.absent is False
        params = app.params.model_dump(exclude_unset=True)
        if app.package == "CALLTRACKING10":
            # The second target gives no timeout: it defaults to 30 and counts as set.
            assert "timeout" not in given["params"]["targets"][1]
            given["params"]["targets"][1]["timeout"] = 30
        if app.package == "REALTIME10":
            assert given["params"]["password"] == "${env:BOT_PASSWORD}"
            given["params"]["password"] = "x"
        assert params == given["params"], name
    assert desired.numbers == {"+33199000001": "support-line", "+33199000002": "bot",
                               "+33199000003": "scenario", "+33199000004": None}


def test_target_timeout_defaults_to_30_and_is_set() -> None:
    desired = load([VALID / "all_fields.yaml"], env=VALID_ENV)
    targets = desired.apps["support-line"].params.targets
    assert [t.timeout for t in targets] == [45, 30]
    assert "timeout" in targets[1].model_fields_set


def test_unset_fields_stay_unset() -> None:
    desired = load([VALID / "env_substitution.yaml"], env=VALID_ENV)
    assert desired.apps["bot"].params.model_dump(exclude_unset=True) == {
        "url": "https://bot.example.com/callr", "login": "bot-sales", "password": "x",
    }
    line = desired.apps["support-line"]
    assert line.params.model_dump(exclude_unset=True) == {"vms": {"active": True}}


def test_env_substitution() -> None:
    desired = load([VALID / "env_substitution.yaml"], env=VALID_ENV)
    params = desired.apps["bot"].params
    assert params.password == "x"
    assert params.url == "https://bot.example.com/callr"
    assert params.login == "bot-sales"


def test_env_substitution_uses_the_given_env_only() -> None:
    desired = load([VALID / "env_substitution.yaml"],
                   env={"BOT_PASSWORD": "other", "BOT_HOST": "h.example.org", "TEAM": "t"})
    assert desired.apps["bot"].params.password == "other"
    assert desired.apps["bot"].params.url == "https://h.example.org/callr"


def test_phone_numbers_are_normalized() -> None:
    desired = load([VALID / "phone_numbers.yaml"], env=VALID_ENV)
    assert desired.numbers == {
        "+33199000001": "support-line",
        "+33199000002": None,
        "+33199000003": "support-line",
        "+14155550100": None,
    }
    targets = desired.apps["support-line"].params.targets
    assert [t.number for t in targets] == ["+33123456789", "+447890123456"]


def test_media_names_are_accepted() -> None:
    desired = load([VALID / "media_names.yaml"], env=VALID_ENV)
    ct = desired.apps["support-line"].params
    assert ct.medias.model_dump(exclude_unset=True) == {
        "welcome": "welcome-fr", "ringtone": "Ringtone 2", "whisper": 0, "bridge": 17,
    }
    assert ct.vms.intro == "vms_intro"
    c2c = desired.apps["c2c"].params
    assert c2c.options.A_vms_detect.silence_media == "beep"
    assert c2c.options.B_vms_detect.dtmf_media == "press 1"
    assert set(desired.media) == {"welcome-fr", "Ringtone 2", "vms_intro", "beep", "press 1"}


def test_two_files_merge(monkeypatch: pytest.MonkeyPatch) -> None:
    case = VALID / "two_files"
    monkeypatch.chdir(case)
    desired = load(["."], env=VALID_ENV)
    assert set(desired.apps) == {"support-line", "bot"}
    assert desired.numbers == {"+33199000001": "support-line", "+33199000002": "bot"}
    origin = desired.origin("numbers", "+33199000002")
    assert origin is not None and str(origin) == "numbers.yml:4:3"
    assert str(desired.origin("apps", "bot")) == "team/bot.yaml:3:3"


def test_two_files_each_alone_fail_or_pass_as_expected(monkeypatch: pytest.MonkeyPatch) -> None:
    # numbers.yml alone refers to apps it does not define: the merge is what makes it valid.
    case = VALID / "two_files"
    monkeypatch.chdir(case)
    with pytest.raises(ManifestError) as info:
        load(["numbers.yml"], env=VALID_ENV)
    assert [p.message for p in info.value.problems] == [
        "app 'support-line' is not defined in apps",
        "app 'bot' is not defined in apps",
    ]


def test_directory_and_file_paths_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    case = VALID / "two_files"
    monkeypatch.chdir(case)
    by_dir = load(["."], env=VALID_ENV)
    by_files = load(["apps.yaml", "numbers.yml", "team/bot.yaml"], env=VALID_ENV)
    assert by_dir.apps == by_files.apps
    assert by_dir.numbers == by_files.numbers


# --- the bad-input corpus through the command line ----------------------------------------
# Every malformed manifest, committed or generated, fails `validate` and `plan --sandbox`
# with exit 1, a file:line, no traceback and no API call (the sandbox state is never created).

LOCATED = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): ", re.MULTILINE)


def _write_generated(case: str, folder: Path) -> Path:
    """Malformed inputs too big, binary or machine-specific to commit."""
    path = folder / f"{case}.yaml"
    if case == "bom_then_unknown_key":
        path.write_bytes(b"\xef\xbb\xbfversion: 1\napps:\n  bot: {package: ACTIONS10, nope: 1}\n")
    elif case == "not_utf8":
        path.write_bytes(b"version: 1\napps:\n  b\xffot: {package: ACTIONS10}\n")
    elif case == "utf16":
        path.write_bytes("version: 1\n".encode("utf-16"))
    elif case == "huge":
        entry = "  app-{0}: {{package: ACTIONS10, params: {{format: YAML}}}}\n"
        body = "".join(entry.format(i) for i in range(110_000))
        path.write_text("version: 1\napps:\n" + body, encoding="utf-8")
    elif case == "deep_flow":
        path.write_text("version: 1\napps: " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    elif case == "deep_block":
        lines = ["version: 1", "apps:", "  bot:", "    package: ACTIONS10", "    params:"]
        lines += [" " * (6 + 2 * i) + f"k{i}:" for i in range(80)]
        path.write_text("\n".join(lines) + " 1\n", encoding="utf-8")
    elif case == "symlink_out":
        outside = folder.parent / "outside.wav"
        outside.write_bytes((DATA / "media" / "beep.wav").read_bytes())
        (folder / "hold.wav").symlink_to(outside)
        path.write_text("version: 1\nmedia:\n  hold:\n    file: hold.wav\n", encoding="utf-8")
    elif case == "audio_is_a_directory":
        (folder / "sounds.wav").mkdir()
        path.write_text("version: 1\nmedia:\n  hold:\n    file: sounds.wav\n", encoding="utf-8")
    return path


GENERATED = {
    "bom_then_unknown_key": "3:29",  # the BOM shifts no column
    "not_utf8": "3:4",
    "utf16": "1:1",
    "huge": "1:1",
    "deep_flow": "2:1",
    "deep_block": "",
    "symlink_out": "4:11",
    "audio_is_a_directory": "4:11",
}


def corpus() -> list[Any]:
    cases = [pytest.param(p, id=p.stem) for p in sorted(INVALID.glob("*.yaml"))]
    cases += [pytest.param(p, id=f"dir-{p.name}") for p in sorted(INVALID_DIRS.iterdir())
              if p.is_dir()]
    cases += [pytest.param(name, id=f"generated-{name}") for name in GENERATED]
    return cases


def test_the_corpus_is_large_enough() -> None:
    assert len(corpus()) >= 60


@pytest.mark.parametrize("case", corpus())
def test_corpus_through_the_cli(case: Path | str, tmp_path: Path, no_api: list[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from terminal import run

    monkeypatch.setenv("BOT_PASSWORD", "x")
    if isinstance(case, str):
        folder = tmp_path / "manifests"
        folder.mkdir()
        path, where = _write_generated(case, folder), GENERATED[case]
        monkeypatch.chdir(folder)
        arg = path.name
    else:
        monkeypatch.chdir(case.parent)
        arg, where = case.name, ""
    state = tmp_path / "sandbox" / "state.json"
    for args in (["validate", "--strict-env", arg],
                 ["plan", arg, "--sandbox", "--sandbox-state", state]):
        result = run(*args)
        out = result.output + (result.stderr or "")
        assert result.exit_code == 1, out
        assert "Traceback" not in out, out
        assert isinstance(result.exception, SystemExit), out
        assert "nothing was sent to the API" in out, out
        located = LOCATED.findall(result.stderr)
        assert located, out
        if where:
            assert f"{arg}:{where}: " in result.stderr, out
    assert not state.parent.exists()
    assert no_api == []
