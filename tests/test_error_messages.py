"""Error messages that all meet the bar of the best ones: located, in plain words, with a
"did you mean" wherever a name or a value was mistyped. The manifest-level ones have their
fixture in tests/data/invalid (package_wrong_case, media_name_typo, media_voice_typo,
yaml_*); these are the ones that need an overlay, a flag or an account."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.terminal import run

Write = Callable[..., Path]

BASE = """\
version: 1
apps:
  support-line:
    package: CALLTRACKING10
    params: {targets: [{number: "+33123456789"}], vms: {email_template: "${var:tpl}"}}
numbers:
  "+33199000001": support-line
"""


def test_an_overlay_typo_says_no_such_app(manifest: Write) -> None:
    base = manifest(BASE)
    overlay = manifest("apps:\n  support-lin:\n    params: {targets: [{number: "
                       '"+33123456780"}]}\n', "staging.yml")
    result = run("validate", base, "--overlay", overlay, "--var", "tpl=t")
    assert result.exit_code == 1
    assert ("staging.yml:2:3: apps.support-lin: no app 'support-lin' in the base manifests to "
            "override (did you mean 'support-line'?); an overlay adds a new app only with its "
            "package") in result.stderr
    assert "missing package" not in result.stderr


def test_a_number_not_on_the_account_is_located(manifest: Write, tmp_path: Path) -> None:
    path = manifest(BASE + '  "+33199000099": support-line\n', "numbers.yaml")
    result = run("plan", path, "--var", "tpl=t", "--sandbox-state", tmp_path / "sb.json")
    assert result.exit_code == 1
    assert ("numbers.yaml:8:3) is not on the account: check it, or order it from the DID "
            "store") in result.stderr
    assert "number +33199000099 (" in result.stderr


def test_an_unknown_var_is_an_error_naming_the_variables_used(manifest: Write,
                                                               tmp_path: Path) -> None:
    path = manifest(BASE)
    result = run("plan", path, "--var", "tpl=t", "--var", "tlp=x",
                 "--sandbox-state", tmp_path / "sb.json")
    assert result.exit_code == 1
    assert ("--var tlp: no manifest uses ${var:tlp} (did you mean 'tpl'?) (the manifests use "
            "tpl); nothing was sent to the API") in result.stderr
    assert not (tmp_path / "sb.json").exists()
    assert run("validate", path, "--var", "tpl=t").exit_code == 0


def test_a_var_typo_is_named_where_the_variable_is_missing(manifest: Write) -> None:
    result = run("validate", manifest(BASE, "apps.yaml"), "--var", "tlp=t")
    assert result.exit_code == 1
    assert ('apps.yaml:5:73: apps.support-line.params.vms.email_template: variable "tpl" is not '
            'set; pass --var tpl=... or add it to a --var-file ("tlp" is set: a typo?)'
            ) in result.stderr


def test_release_of_a_national_number_says_it_is_not_e164(tmp_path: Path) -> None:
    result = run("release", "--yes", "--sandbox-state", tmp_path / "sb.json", "0199000019")
    assert result.exit_code == 1
    assert "'0199000019' is not an E.164 number" in result.stderr
    assert "+0199000019" not in result.stderr
    kept = run("release", "--yes", "--sandbox-state", tmp_path / "sb.json", "33 1 99 00 00 19")
    assert kept.exit_code == 0 and "Released +33199000019." in kept.stdout
