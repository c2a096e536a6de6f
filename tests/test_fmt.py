"""``provisioner fmt [--check]``: the canonical layout, comments kept, idempotent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from provisioner.manifest.desired import load
from provisioner.manifest.fmt import format_text
from tests.terminal import run

Write = Callable[..., Path]
ROOT = Path(__file__).parent.parent

MESSY = """\
# top comment
version: 1
apps:
    support-line:   # the main line
        package: CALLTRACKING10
        params:
            targets:
            -   number: "+33123456789"   # desk
                timeout: 30
numbers:
    "+33199000001": support-line
    "+33199000002": ~   \n"""

CANONICAL = """\
# top comment
version: 1
apps:
  support-line:     # the main line
    package: CALLTRACKING10
    params:
      targets:
        - number: "+33123456789"         # desk
          timeout: 30
numbers:
  "+33199000001": support-line
  "+33199000002": null
"""


def test_the_canonical_layout_keeps_comments() -> None:
    assert format_text(MESSY, "m.yaml") == CANONICAL
    assert format_text(CANONICAL, "m.yaml") == CANONICAL, "idempotent"


def test_formatting_changes_no_meaning(manifest: Write) -> None:
    before = load([manifest(MESSY)], {})
    after = load([manifest(CANONICAL)], {})
    assert (before.apps, before.numbers) == (after.apps, after.numbers)


def test_check_lists_the_files_and_writes_nothing(manifest: Write, tmp_path: Path) -> None:
    messy = manifest(MESSY, "m/apps.yaml")
    tidy = manifest(CANONICAL.replace("support-line", "desk"), "m/more.yaml")
    checked = run("fmt", "--check", tmp_path / "m")
    assert checked.exit_code == 1
    assert checked.stdout.splitlines() == [str(messy)]
    assert "1 file not in the canonical layout" in checked.stderr
    assert messy.read_text() == MESSY

    written = run("fmt", tmp_path / "m")
    assert written.exit_code == 0 and written.stdout == f"formatted {messy}\n"
    assert messy.read_text() == CANONICAL and tidy.read_text().startswith("# top comment")
    assert run("fmt", "--check", tmp_path / "m").exit_code == 0


def test_diff_shows_the_change_and_writes_nothing(manifest: Write) -> None:
    messy = manifest(MESSY)
    shown = run("fmt", "--diff", messy)
    assert shown.exit_code == 0
    assert '-    "+33199000002": ~' in shown.stdout and '+  "+33199000002": null' in shown.stdout
    assert messy.read_text() == MESSY


def test_invalid_yaml_is_located_and_left_alone(manifest: Write) -> None:
    broken = manifest("version: 1\napps:\n  a:\n    package: ACTIONS10\n   params: {}\n")
    result = run("fmt", broken)
    assert result.exit_code == 1
    assert f"{broken}:5:4: YAML error: bad indentation" in result.stderr
    assert broken.read_text().endswith("   params: {}\n")


def test_a_duplicate_key_is_located_without_its_values() -> None:
    dup = ROOT / "tests" / "data" / "invalid" / "duplicate_key_with_a_password.yaml"
    result = run("fmt", "--check", dup)
    assert result.exit_code == 1
    assert (f"{dup}:7:3: YAML error: duplicate key 'bot': defined at line 4, column 3"
            in result.stderr)
    assert "Pa55word" not in result.stdout + result.stderr


def test_every_example_is_canonical() -> None:
    result = run("fmt", "--check", ROOT / "examples")
    assert result.exit_code == 0, result.stdout + result.stderr
