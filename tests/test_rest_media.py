"""Media from audio files through REST v2 (``/audio-files``, in-process): the content
fingerprint rides in the audio file's name, and each API recognises what the other made."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Account

from provisioner.api.rest import RestClient
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator
from provisioner.errors import PlanError
from provisioner.planning.plan import Action
from provisioner.resources.media import file_fingerprint

DATA = Path(__file__).parent / "data" / "media"
MEDIA = "version: 1\nmedia:\n  {name}:\n    file: audio/hold.wav\n"


@pytest.fixture
def rest_account(emulator: Emulator) -> Account:
    return Account(RestClient.open_rest(Credentials(api_key="sandbox"), "http://e.test/v2.0",
                                        transport=emulator.transport()))


def audio(tmp_path: Path, data: bytes | None = None) -> bytes:
    path = tmp_path / "audio" / "hold.wav"
    path.parent.mkdir(exist_ok=True)
    if data is None:
        shutil.copyfile(DATA / "beep.wav", path)
    else:
        path.write_bytes(data)
    return path.read_bytes()


def names(emulator: Emulator) -> list[str]:
    state = emulator.snapshot()
    return sorted(m["name"] for m in state["accounts"][state["master"]]["media"].values())


def statuses(account: Account) -> list[str]:
    library = account.client.call("media/library.get_list", categories=None)
    return [m["status"] for m in library.values()]


def short(data: bytes) -> str:
    return file_fingerprint(data).removeprefix("sha256:")[:8]


def applied_then_changed(rest_account: Account, tmp_path: Path,
                         manifest: Callable[..., Path]) -> tuple[Path, bytes]:
    """A media applied through REST, then its file changed: (manifest, the new bytes)."""
    audio(tmp_path)
    path = manifest(MEDIA.format(name="hold-music"), name="hold.yaml")
    rest_account.converge(path)
    return path, audio(tmp_path, (DATA / "beep.wav").read_bytes() + b"\0\0")


def test_created_through_rest_then_no_changes_through_both_apis(
        rest_account: Account, account: Account, emulator: Emulator, tmp_path: Path,
        manifest: Callable[..., Path]) -> None:
    data = audio(tmp_path)
    path = manifest(MEDIA.format(name="hold-music"), name="hold.yaml")
    plan = rest_account.converge(path)
    assert plan.counts() == {Action.CREATE: 1}
    assert [c.method for c in plan.changes[0].calls] == [
        "media/library.create", "media/library.set_content", "media/library.get"]
    assert names(emulator) == [f"hold-music #{short(data)}"]
    assert statuses(rest_account) == ["READY"]  # apply waited for the conversion
    stats = emulator.stats()["methods"]
    assert stats["POST /audio-files"] == 1 and stats["POST /audio-files/{sid}/file"] == 1
    assert rest_account.plan(path).is_empty
    assert account.plan(path).is_empty  # JSON-RPC reads the fingerprint in the name


def test_changed_file_replaces_the_audio_file(
        rest_account: Account, emulator: Emulator, tmp_path: Path,
        manifest: Callable[..., Path]) -> None:
    path, changed = applied_then_changed(rest_account, tmp_path, manifest)
    plan = rest_account.converge(path)
    change = plan.changes[0]
    assert plan.counts() == {Action.REPLACE: 1}
    assert [c.method for c in change.calls][-1] == "media/library.delete"
    assert names(emulator) == [f"hold-music #{short(changed)}"]
    assert rest_account.plan(path).is_empty


def test_made_through_json_rpc_is_replaced_once_through_rest(
        rest_account: Account, account: Account, emulator: Emulator, tmp_path: Path,
        manifest: Callable[..., Path]) -> None:
    data = audio(tmp_path)
    path = manifest(MEDIA.format(name="hold-music"), name="hold.yaml")
    account.converge(path)
    assert names(emulator) == ["hold-music"]
    assert rest_account.converge(path).counts() == {Action.REPLACE: 1}
    assert names(emulator) == [f"hold-music #{short(data)}"]
    assert rest_account.plan(path).is_empty
    assert account.plan(path).is_empty


def test_refused_at_plan_time_before_any_write(
        rest_account: Account, emulator: Emulator, tmp_path: Path,
        manifest: Callable[..., Path]) -> None:
    audio(tmp_path)
    long_name = "m" * 55  # 55 + len(" #12345678") > 64
    text = (MEDIA.format(name=long_name)
            + "  tagged:\n    file: audio/hold.wav\n    category: RINGTONE\n"
            + '  spoken:\n    tts: {text: "Hello", voice: TTS_EN-GB_SERENA}\n')
    path = manifest(text, name="media.yaml")
    with pytest.raises(PlanError) as refused:
        rest_account.plan(path)
    messages = refused.value.messages
    assert any("media.tagged" in m and "no tags" in m for m in messages), messages
    assert any("media.spoken" in m and "text-to-speech" in m for m in messages), messages
    assert emulator.stats()["total"] == 0
    fine = manifest(MEDIA.format(name=long_name), name="long.yaml")
    with pytest.raises(PlanError) as too_long:
        rest_account.plan(fine)
    assert any(f"media.{long_name}" in m and "at most 64 characters" in m
               for m in too_long.value.messages), too_long.value.messages
    assert not [m for m in emulator.stats()["methods"] if not m.startswith("GET")]


def test_replace_interrupted_before_the_delete_converges(
        rest_account: Account, emulator: Emulator, tmp_path: Path,
        manifest: Callable[..., Path]) -> None:
    path, changed = applied_then_changed(rest_account, tmp_path, manifest)
    emulator.faults.fail("media/library.delete", times=10)
    _, report = rest_account.apply(path)
    assert not report.ok
    assert len(names(emulator)) == 2  # the new audio file and the old one
    emulator.faults.clear()
    rest_account.converge(path)  # one copy deleted as a duplicate, the other made current
    assert names(emulator) == [f"hold-music #{short(changed)}"]
    assert rest_account.plan(path).is_empty


def test_renaming_is_refused_through_rest(
        rest_account: Account, emulator: Emulator, tmp_path: Path,
        manifest: Callable[..., Path]) -> None:
    audio(tmp_path)
    rest_account.converge(manifest(MEDIA.format(name="hold-music"), name="hold.yaml"))
    renamed = manifest(MEDIA.format(name="waiting") + "    previous_names: [hold-music]\n",
                       name="hold.yaml")
    with pytest.raises(PlanError) as refused:
        rest_account.plan(renamed)
    assert any("media.waiting: renaming hold-music -> waiting" in m and "set_name" in m
               for m in refused.value.messages), refused.value.messages
