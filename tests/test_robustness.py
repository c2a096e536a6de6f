"""No traceback for hostile paths or a misbehaving server: each gives a located problem, or a
clean error naming the method, exit 1, and nothing written.

The NUL byte and the 300-character name of a media file are fixtures of tests/data/invalid/
(``media_path_nul_byte.yaml``, ``media_path_name_too_long.yaml``); symlink loops are made here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from terminal import run

from provisioner.errors import ManifestError
from provisioner.manifest.desired import load
from tests.api.misbehaving import endless, misbehaving, per_method, trickle, url

LONG = "a" * 300
MANIFEST = """version: 1
apps:
  support: {package: ACTIONS10, params: {script: {branches: {b: {actions: [{action: hangup@v1}]}}}}}
sip:
  subscribers:
    alice01: {codecs: [PCMU]}
"""


def problems(*paths: str | Path, **options: Any) -> list[str]:
    with pytest.raises(ManifestError) as refused:
        load(list(paths), env={}, **options)
    return [str(problem) for problem in refused.value.problems]


def loop(folder: Path, name: str) -> Path:
    link = folder / name
    link.symlink_to(name)
    return link


def test_a_nul_byte_in_a_manifest_path_is_a_located_problem() -> None:
    assert problems("a\0b.yaml") == [
        "a\\x00b.yaml:1:1: cannot use this path: the path contains a NUL byte"]


def test_a_300_character_manifest_path_is_a_located_problem(tmp_path: Path) -> None:
    found = problems(tmp_path / f"{LONG}.yaml")
    assert len(found) == 1
    assert found[0].endswith(".yaml:1:1: cannot use this path: File name too long")


def test_a_symlink_loop_as_manifest_overlay_or_var_file_is_a_located_problem(
        tmp_path: Path) -> None:
    manifest = tmp_path / "account.yaml"
    manifest.write_text("version: 1\n", encoding="utf-8")
    looped = loop(tmp_path, "loop.yaml")
    assert problems(looped) == [f"{looped}:1:1: cannot use this path: Too many levels of "
                                "symbolic links"]
    assert problems(manifest, overlays=[looped]) == [
        f"{looped}:1:1: cannot use this overlay file: Too many levels of symbolic links"]
    assert problems(manifest, var_files=[tmp_path / LONG]) == [
        f"{tmp_path / LONG}:1:1: cannot use this var-file: File name too long"]


def test_a_symlink_loop_in_a_manifest_folder_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "account.yaml").write_text("version: 1\n", encoding="utf-8")
    loop(tmp_path, "loop.yaml")
    (tmp_path / "self").symlink_to(".")
    assert load([tmp_path], env={}).apps == {}


def test_a_media_file_in_a_symlink_loop_is_a_located_problem(tmp_path: Path) -> None:
    manifest = tmp_path / "account.yaml"
    manifest.write_text("version: 1\nmedia:\n  hold: {file: loop.wav}\n", encoding="utf-8")
    loop(tmp_path, "loop.wav")
    assert problems(manifest) == [
        f"{manifest}:3:16: media.hold.file: cannot read loop.wav: a symlink loop"]


@pytest.fixture
def manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CALLR_API_KEY", "k3y")
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "account.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    return path


@pytest.mark.parametrize(("results", "message"), [
    ({"apps.get_list": None},
     "apps.get_list: the API answered an unexpected result (null; expected a list of objects)"),
    ({"sip/subscriber.search": {"hits": "x", "has_more": False}},
     "sip/subscriber.search: the API answered an unexpected hits (str; expected hits as a "
     "list of objects)"),
    ({"sip/subscriber.search": {"hits": [], "has_more": True, "total": "many"}}, None),
    ({"apps.get_list": [{"name": 5}]},
     "apps.get_list: the API answered something of an unexpected shape while reading apps "
     "(KeyError"),
    ({"apps.get_list": [{"hash": "h1", "name": "support", "package": "ACTIONS10", "p": 1}]},
     "apps.get_list: the API answered something of an unexpected shape while reading apps "
     "(AttributeError"),
])
def test_a_server_answering_wrong_types_gets_a_clean_error(
        manifest: Path, results: dict[str, Any], message: str | None) -> None:
    with misbehaving(per_method(results)) as api:
        result = run("plan", "--endpoint", url(api), manifest)
    methods = [body.get("method") for body in api.seen.bodies]
    assert all(not str(m).endswith((".create", ".edit", ".delete")) for m in methods)
    if message is None:  # a bad total is ignored: paging follows has_more and the hits
        assert result.exit_code == 0, result.stderr
        return
    assert result.exit_code == 1, result.stderr
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert f"Error: {message}" in result.stderr


def test_a_huge_answer_is_a_clean_error_with_the_cap_configurable(manifest: Path) -> None:
    with misbehaving(endless(limit=64 * 1024**2)) as api:
        result = run("plan", "--endpoint", url(api), "--max-response-mb", "1", manifest)
    assert result.exit_code == 1, result.stderr
    assert isinstance(result.exception, SystemExit)
    assert "is too large (more so far; the cap is 1048576 bytes = 1 MB)" in result.stderr
    assert api.seen.sent < 32 * 1024**2


def test_a_trickling_server_is_a_clean_error_after_the_request_timeout(manifest: Path) -> None:
    with misbehaving(trickle(interval=1.0, length=30)) as api:
        result = run("plan", "--endpoint", url(api), "--request-timeout", "1.5", manifest)
    assert result.exit_code == 1, result.stderr
    assert isinstance(result.exception, SystemExit)
    assert "within 1.5s" in result.stderr
    assert len(api.seen.lines) <= 2 * 3  # two reads at most, three tries each


@pytest.mark.parametrize("where", ["long", "loop"])
def test_export_into_a_hostile_path_is_a_clean_error(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     where: str) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / LONG if where == "long" else loop(tmp_path, "out")
    result = run("export", "--sandbox", "-o", out)
    assert result.exit_code == 1, result.stderr
    assert isinstance(result.exception, SystemExit)
    reason = "File name too long" if where == "long" else "Too many levels of symbolic links"
    assert f"cannot export into {out}: {reason}" in result.stderr


def test_a_hostile_sandbox_state_path_is_a_clean_error(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "account.yaml").write_text("version: 1\n", encoding="utf-8")
    for command in ("plan", "apply"):
        result = run(command, "--sandbox-state", tmp_path / LONG, "account.yaml")
        assert result.exit_code == 1, result.stderr
        assert isinstance(result.exception, SystemExit)
        assert "File name too long" in result.stderr


def test_a_scenario_file_in_a_symlink_loop_is_a_located_problem(tmp_path: Path) -> None:
    manifest = tmp_path / "account.yaml"
    manifest.write_text("version: 1\napps:\n  bot:\n    package: ACTIONS10\n"
                        "    params: {script_file: loop.yaml}\n", encoding="utf-8")
    loop(tmp_path, "loop.yaml")
    assert problems(manifest) == [
        f"{manifest}:5:27: apps.bot.params.script_file: cannot read loop.yaml: a symlink loop"]
    assert problems(tmp_path) == [  # the folder: the looping name is skipped, not a manifest
        f"{manifest}:5:27: apps.bot.params.script_file: cannot read loop.yaml: a symlink loop"]
