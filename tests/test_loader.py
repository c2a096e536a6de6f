"""provisioner.manifest.loader: positions of keys and values, dotted paths, ${env:...} substitution,
and the file-level problems ``load`` reports before validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.errors import ManifestError, Problem
from provisioner.manifest.desired import load
from provisioner.manifest.loader import dotted, load_document

DOC = """\
version: 1
apps:
  support-line:
    package: CALLTRACKING10
    params:
      targets:
        - number: "+33123456789"
          timeout: 30
        - {number: "+33123456780", timeout: 45}
      vms: {emails: [a@example.com, b@example.com]}
"""


def write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def doc(tmp_path: Path):
    document, problems = load_document(write(tmp_path, DOC), "shown.yaml", {})
    assert problems == []
    return document


def test_data_is_plain_python(doc) -> None:
    assert type(doc.data) is dict
    app = doc.data["apps"]["support-line"]
    assert type(app["params"]["targets"]) is list
    assert app["params"]["targets"][1] == {"number": "+33123456780", "timeout": 45}
    assert type(app["params"]["targets"][0]["timeout"]) is int
    assert doc.file == "shown.yaml"


def test_value_positions(doc) -> None:
    assert doc.values[("version",)] == (1, 10)
    assert doc.values[("apps", "support-line", "package")] == (4, 14)
    assert doc.values[("apps", "support-line", "params", "targets", 0, "timeout")] == (8, 20)
    assert doc.values[("apps", "support-line", "params", "targets", 1, "timeout")] == (9, 45)
    assert doc.values[("apps", "support-line", "params", "vms", "emails", 1)] == (10, 37)


def test_list_item_positions(doc) -> None:
    assert doc.values[("apps", "support-line", "params", "targets", 0)] == (7, 11)
    assert doc.values[("apps", "support-line", "params", "targets", 1)] == (9, 11)
    assert doc.values[("apps", "support-line", "params", "vms", "emails", 0)] == (10, 22)


def test_key_positions(doc) -> None:
    assert doc.keys[("apps",)] == (2, 1)
    assert doc.keys[("apps", "support-line")] == (3, 3)
    assert doc.keys[("apps", "support-line", "params", "targets", 0, "timeout")] == (8, 11)
    assert doc.keys[("apps", "support-line", "params", "vms")] == (10, 7)
    # list items have no key
    assert ("apps", "support-line", "params", "targets", 0) not in doc.keys


def test_position_key_vs_value(doc) -> None:
    path = ("apps", "support-line", "package")
    assert doc.position(path) == (4, 14)
    assert doc.position(path, key=True) == (4, 5)


def test_position_falls_back_to_nearest_ancestor(doc) -> None:
    # a missing key is reported where its parent is
    missing = ("apps", "support-line", "params", "targets", 1, "nope", "deeper")
    assert doc.position(missing) == doc.values[("apps", "support-line", "params", "targets", 1)]
    assert doc.position(("nothing",)) == (1, 1)
    assert doc.position(()) == (1, 1)


def test_problem_uses_position_and_dotted_path(doc) -> None:
    problem = doc.problem(("apps", "support-line", "params", "targets", 1, "timeout"), "bad")
    path = "apps.support-line.params.targets[1].timeout"
    assert problem == Problem("shown.yaml", 9, 45, path, "bad")
    assert str(problem) == "shown.yaml:9:45: apps.support-line.params.targets[1].timeout: bad"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("apps",), "apps"),
        (("apps", "bot", "params", "targets", 0, "timeout"), "apps.bot.params.targets[0].timeout"),
        (("numbers", "+33199000001"), 'numbers."+33199000001"'),
        (("apps", "my.app", "package"), 'apps."my.app".package'),
        (("apps", "support line"), 'apps."support line"'),
        (("apps", "A_b-9"), "apps.A_b-9"),
        (("a", 0, 1, "b"), "a[0][1].b"),
    ],
)
def test_dotted(path, text) -> None:
    assert dotted(path) == text


# --- ${env:...} ---------------------------------------------------------------------------


def env_doc(tmp_path: Path, value: str, env: dict[str, str]):
    text = (f'version: 1\napps:\n  bot:\n    package: REALTIME10\n'
            f'    params: {{password: "{value}"}}\n')
    return load_document(write(tmp_path, text), "e.yaml", env)


def password(doc) -> str:
    return doc.data["apps"]["bot"]["params"]["password"]


def test_env_replaced(tmp_path: Path) -> None:
    doc, problems = env_doc(tmp_path, "${env:PW}", {"PW": "s3cret"})
    assert problems == []
    assert password(doc) == "s3cret"
    assert ("apps", "bot", "params", "password") in doc.env_paths


def test_env_inside_a_longer_string_and_several(tmp_path: Path) -> None:
    doc, problems = env_doc(tmp_path, "a-${env:A}-b-${env:B_2}-c", {"A": "1", "B_2": "2"})
    assert problems == []
    assert password(doc) == "a-1-b-2-c"


def test_env_value_is_not_substituted_again(tmp_path: Path) -> None:
    doc, problems = env_doc(tmp_path, "${env:A}", {"A": "${env:B}", "B": "no"})
    assert problems == []
    assert password(doc) == "${env:B}"


def test_text_without_placeholder_is_untouched(tmp_path: Path) -> None:
    doc, problems = env_doc(tmp_path, "pa$$word {env:X}", {})
    assert problems == []
    assert password(doc) == "pa$$word {env:X}"
    assert doc.env_paths == set()


def test_missing_env_variable(tmp_path: Path) -> None:
    doc, problems = env_doc(tmp_path, "x-${env:NOPE}-${env:ALSO_NOPE}", {"OTHER": "1"})
    assert [(p.line, p.col, p.path) for p in problems] == [
        (5, 24, "apps.bot.params.password"), (5, 24, "apps.bot.params.password")
    ]
    assert "NOPE is not set" in problems[0].message
    assert "ALSO_NOPE is not set" in problems[1].message
    assert password(doc) == "x--"


@pytest.mark.parametrize("value",
                         ["${env:}", "${env:1X}", "${env:A", "${var:}", "${var:A", "${var:1x}",
                          "${env:A}${var:", "$${env:A}${env:"])
def test_malformed_placeholder(tmp_path: Path, value: str) -> None:
    _, problems = env_doc(tmp_path, value, {"A": "1", "BOT_PASSWORD": "x"})
    assert [p.message for p in problems] == [
        "malformed placeholder: use ${env:NAME} or ${var:NAME}"]
    assert problems[0].path == "apps.bot.params.password"


@pytest.mark.parametrize(("value", "expected"), [
    ("${{ $target }}", "${{ $target }}"),
    ("Hello ${{ $user.name.first }} ${env:A}!", "Hello ${{ $user.name.first }} 1!"),
    ("${BOT_PASSWORD}", "${BOT_PASSWORD}"),
    ("${ENV:A}", "${ENV:A}"),
    ("$${env:A}", "${env:A}"),
    ("$${var:x} is ${env:A}", "${var:x} is 1"),
    ("$$${env:A}", "$${env:A}"),
    ("$${{ kept }}", "$${{ kept }}"),
    ("$${", "$${"),
])
def test_only_env_and_var_are_placeholders_and_double_dollar_escapes_them(
        tmp_path: Path, value: str, expected: str) -> None:
    doc, problems = env_doc(tmp_path, value, {"A": "1"})
    assert problems == []
    assert password(doc) == expected


def test_env_in_a_list_item(tmp_path: Path) -> None:
    text = "version: 1\nlist:\n  - plain\n  - ${env:NOPE}\n"
    doc, problems = load_document(write(tmp_path, text), "l.yaml", {})
    assert [(p.line, p.col, p.path) for p in problems] == [(4, 5, "list[1]")]
    assert doc.data["list"] == ["plain", ""]


# --- file-level problems ------------------------------------------------------------------


def test_yaml_error_position(tmp_path: Path) -> None:
    doc, problems = load_document(write(tmp_path, "version: 1\napps: [a, b\n"), "y.yaml", {})
    assert doc.data is None
    assert len(problems) == 1
    assert problems[0].message.startswith("YAML error: ")
    assert (problems[0].file, problems[0].path) == ("y.yaml", "")
    assert problems[0].line == 2, "where the bracket opened"


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    doc, problems = load_document(write(tmp_path, "version: 1\nversion: 1\n"), "d.yaml", {})
    assert doc.data is None
    assert [(p.line, p.col) for p in problems] == [(2, 1)]
    assert "duplicate key" in problems[0].message


def test_load_document_on_a_directory_cannot_read(tmp_path: Path) -> None:
    doc, problems = load_document(tmp_path, "dir", {})
    assert doc.data is None
    assert len(problems) == 1
    assert problems[0].message.startswith("cannot read file: ")


def test_load_reports_a_file_that_is_not_utf8(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "latin1.yaml").write_bytes("version: 1\n# caf\xe9\n".encode("latin-1"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError) as info:
        load(["latin1.yaml"], env={})
    [problem] = info.value.problems
    # located at the first byte that is not UTF-8: line 2, after "# caf"
    assert (problem.file, problem.line, problem.col) == ("latin1.yaml", 2, 6)
    assert problem.message.startswith("not UTF-8: byte 0xe9 cannot be decoded")


def test_load_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError) as info:
        load(["nope.yaml", "gone/"], env={})
    assert [str(p) for p in info.value.problems] == [
        "gone:1:1: no such file or directory",
        "nope.yaml:1:1: no such file or directory",
    ]


def test_load_missing_file_among_valid_ones_still_fails(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "version: 1\napps:\n  a:\n    package: ACTIONS10\n", "ok.yaml")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError) as info:
        load(["ok.yaml", "missing.yaml"], env={})
    assert [(p.file, p.message) for p in info.value.problems] == [
        ("missing.yaml", "no such file or directory")
    ]


def test_directory_without_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "manifests"
    (empty / "sub").mkdir(parents=True)
    (empty / "README.md").write_text("version: 1\n", encoding="utf-8")
    (empty / "sub" / "notes.txt").write_text("x", encoding="utf-8")
    (empty / "looks.yaml").mkdir()  # a directory named like a YAML file is not a file
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError) as info:
        load(["manifests"], env={})
    assert [(p.file, p.line, p.col, p.path, p.message) for p in info.value.problems] == [
        ("manifests", 1, 1, "", "no .yaml or .yml file in directory")
    ]


def test_directory_is_searched_recursively_and_sorted(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "version: 1\napps:\n  z:\n    package: ACTIONS10\n", "m/b.yaml")
    write(tmp_path, "version: 1\napps:\n  z:\n    package: ACTIONS10\n", "m/a/deep.yml")
    write(tmp_path, "version: 1\napps:\n  z:\n    package: ACTIONS10\n", "m/c.json")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError) as info:
        load(["m"], env={})
    # m/a/deep.yml sorts first: the file that comes second is the duplicate
    assert [str(p) for p in info.value.problems] == [
        "m/b.yaml:3:3: apps.z: app 'z' is defined twice: also at m/a/deep.yml:3:3"
    ]


def test_paths_are_shown_relative_to_the_current_directory(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "version: 2\n", "sub/v.yaml")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ManifestError) as info:
        load([path], env={})  # absolute path given
    assert [p.file for p in info.value.problems] == ["sub/v.yaml"]


# --- ${var:...} ---------------------------------------------------------------------------


def var_doc(tmp_path: Path, value: str, variables: dict[str, object]):
    text = f"version: 1\nthing: {value}\n"
    return load_document(write(tmp_path, text), "v.yaml", {}, variables)


@pytest.mark.parametrize(("value", "variables", "expected"), [
    ("${var:n}", {"n": 30}, 30),                    # a whole scalar keeps the variable's type
    ("${var:n}", {"n": "+33199000001"}, "+33199000001"),
    ("${var:flag}", {"flag": False}, False),
    ('"t-${var:n}s"', {"n": 30}, "t-30s"),          # inside a string: its text
    ('"${var:a}.${var:b-2}"', {"a": True, "b-2": "x"}, "true.x"),
    ('"${var:a}-${env:NOT_SUBSTITUTED_AGAIN}"', {"a": "${env:X}"}, None),
])
def test_var_substitution(tmp_path: Path, value: str, variables: dict[str, object],
                          expected: object) -> None:
    doc, problems = var_doc(tmp_path, value, variables)
    if expected is None:  # an env variable that is not set: one problem, the var's text kept
        assert [p.message.split(" (")[0] for p in problems] == [
            "environment variable NOT_SUBSTITUTED_AGAIN is not set"]
        assert doc.data["thing"] == "${env:X}-"
        return
    assert problems == []
    assert doc.data["thing"] == expected
    assert type(doc.data["thing"]) is type(expected)


def test_missing_var_is_located_and_marks_the_value(tmp_path: Path) -> None:
    doc, problems = var_doc(tmp_path, '"https://${var:host}/x"', {})
    assert [str(p) for p in problems] == [
        'v.yaml:2:8: thing: variable "host" is not set; pass --var host=... or add it to a '
        "--var-file"]
    assert doc.unset == {("thing",)}


# --- hostile YAML -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "where", "message"), [
    ("version: 1\na: !!python/object/apply:os.system [ls]\n", (2, 4),
     "YAML tag !!python/object/apply:os.system is not supported"),
    ("version: 1\na: !foo {b: 1}\n", (2, 4), "YAML tag !foo is not supported"),
    ("version: 1\na: [1, !secret x]\n", (2, 8), "YAML tag !secret is not supported"),
    ("version: 1\na: !!binary aGVsbG8=\n", (2, 4), "YAML tag !!binary is not supported"),
    ("version: 1\na: !!set {x, y}\n", (2, 4), "YAML tag !!set is not supported"),
])
def test_tags_are_refused(tmp_path: Path, text: str, where: tuple[int, int],
                          message: str) -> None:
    doc, problems = load_document(write(tmp_path, text), "t.yaml", {})
    assert doc.data is None
    assert [(p.line, p.col) for p in problems] == [where]
    assert problems[0].message.startswith(message)


def test_str_tag_is_a_plain_string(tmp_path: Path) -> None:
    doc, problems = load_document(write(tmp_path, "version: 1\na: !!str 5\n"), "s.yaml", {})
    assert problems == []
    assert doc.data == {"version": 1, "a": "5"}


def test_merge_keys_and_small_aliases_still_work(tmp_path: Path) -> None:
    text = "version: 1\nx: &base {a: 1}\ny:\n  <<: *base\n  b: 2\nz: [*base, *base]\n"
    doc, problems = load_document(write(tmp_path, text), "m.yaml", {})
    assert problems == []
    assert doc.data["y"] == {"a": 1, "b": 2}
    assert doc.data["z"] == [{"a": 1}, {"a": 1}]


def test_alias_bomb_stops_early(tmp_path: Path) -> None:
    lines = ["version: 1", "l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    doc, problems = load_document(write(tmp_path, "\n".join(lines) + "\n"), "b.yaml", {})
    assert doc.data is None
    assert [(p.line, p.path) for p in problems] == [(7, "l5")]  # 10**6 values: over the limit
    assert "aliases are expanded" in problems[0].message


def test_nesting_limit(tmp_path: Path) -> None:
    ok = "version: 1\na: " + "[" * 60 + "]" * 60 + "\n"
    _, problems = load_document(write(tmp_path, ok), "ok.yaml", {})
    assert problems == []
    deep = "version: 1\na: " + "[" * 70 + "]" * 70 + "\n"
    doc, problems = load_document(write(tmp_path, deep), "deep.yaml", {})
    assert doc.data is None
    assert [(p.line, p.message) for p in problems] == [(2, "nested deeper than 64 levels")]


def test_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"version: 1\n" + b"# padding\n" * 600_000)
    doc, problems = load_document(path, "big.yaml", {})
    assert doc.data is None
    assert [(p.line, p.col, p.message) for p in problems] == [
        (1, 1, "file too large: more than 5 MB")]


def test_bom_is_accepted_and_shifts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfversion: 1\napps: {bot: {package: ACTIONS10}}\n")
    doc, problems = load_document(path, "bom.yaml", {})
    assert problems == []
    assert doc.values[("version",)] == (1, 10)
    assert doc.values[("apps", "bot", "package")] == (2, 23)


def test_duplicate_key_names_the_key_and_its_two_places_never_the_values(tmp_path: Path) -> None:
    """ruamel's own message quotes both entries whole: a literal password would be printed."""
    text = ("version: 1\napps:\n  bot:\n    package: REALTIME10\n"
            "    params: {url: 'https://b.example.com', password: Literal-Pa55word}\n"
            "  other: {package: ACTIONS10}\n"
            "  bot:\n    package: REALTIME10\n    params: {password: Other-Pa55word}\n")
    doc, problems = load_document(write(tmp_path, text), "d.yaml", {})
    assert doc.data is None
    assert [(p.line, p.col) for p in problems] == [(7, 3)]
    message = problems[0].message
    assert "'bot'" in message and "line 3, column 3" in message and "line 7, column 3" in message
    assert "Pa55word" not in message and "REALTIME10" not in message
