"""Over HTTP through REST v2: media from audio files (``/audio-files``, multipart upload, the
fingerprint in the name) and DID store orders (``/numbers/store``, EXPERIMENTAL), with the real
command against ``/v2.0`` of the served emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

from provisioner.resources.media import file_fingerprint

from .conftest import Served, cli_env, provisioner
from .test_rest_http import KEY, rest_url

BEEP = Path(__file__).resolve().parents[1] / "data" / "media" / "beep.wav"
MEDIA = "version: 1\nmedia:\n  hold-music:\n    file: audio/hold.wav\n"
ORDER = """version: 1
apps:
  desk:
    package: ACTIONS10
    params: {script: "branches: {inbound-call: {actions: [{action: hangup@v1}]}}"}
numbers:
  order: {prefix: "+334", quantity: 1, app: desk}
"""


def media_names(served: Served) -> list[str]:
    state = served.emulator.snapshot()
    return sorted(m["name"] for m in state["accounts"][state["master"]]["media"].values())


def numbers(served: Served) -> list[str]:
    state = served.emulator.snapshot()
    return sorted(d["intl_number"] for d in state["accounts"][state["master"]]["dids"].values())


def test_audio_file_media_through_rest_then_changed_file_replaces_it(
        served: Served, tmp_path: Path) -> None:
    env = cli_env(**KEY)
    audio = tmp_path / "audio" / "hold.wav"
    audio.parent.mkdir()
    shutil.copyfile(BEEP, audio)
    path = tmp_path / "media.yaml"
    path.write_text(MEDIA)
    rest = ("--endpoint", rest_url(served))
    applied = provisioner("apply", path, *rest, "--yes", env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    digest = file_fingerprint(BEEP.read_bytes())[7:15]
    assert media_names(served) == [f"hold-music #{digest}"]
    methods = served.emulator.stats()["methods"]
    assert methods["POST /audio-files"] == 1 and methods["POST /audio-files/{sid}/file"] == 1
    for endpoint in (rest_url(served), served.url):  # both APIs match it, content included
        again = provisioner("plan", path, "--endpoint", endpoint, "--detailed-exitcode",
                            env=env)
        assert again.returncode == 0, again.stdout + again.stderr

    audio.write_bytes(BEEP.read_bytes() + b"\0\0")
    replaced = provisioner("apply", path, *rest, "--yes", env=env)
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert "REST v2: a new audio file replaces the old one" in replaced.stdout
    assert media_names(served) == [f"hold-music #{file_fingerprint(audio.read_bytes())[7:15]}"]


def test_store_order_through_rest_needs_allow_purchase_even_from_a_saved_plan(
        served: Served, tmp_path: Path) -> None:
    env = cli_env(**KEY, PROVISIONER_PLAN_KEY="e2e-key-store")
    path = tmp_path / "order.yaml"
    path.write_text(ORDER)
    rest = ("--endpoint", rest_url(served))
    before = numbers(served)
    out = tmp_path / "plan.json"
    planned = provisioner("plan", path, *rest, "--out", out, env=env)
    assert planned.returncode == 0, planned.stderr
    assert "EXPERIMENTAL" in planned.stdout and "prefix +334" in planned.stdout
    refused = provisioner("apply", out, *rest, env=env)
    assert refused.returncode != 0
    assert "--allow-purchase" in refused.stderr, refused.stdout + refused.stderr
    assert numbers(served) == before and "POST /numbers/store" not in \
        served.emulator.stats()["methods"]
    bought = provisioner("apply", out, *rest, "--allow-purchase", env=env)
    assert bought.returncode == 0, bought.stdout + bought.stderr
    new = sorted(set(numbers(served)) - set(before))
    assert len(new) == 1 and new[0].startswith("+334")
    again = provisioner("plan", path, *rest, "--detailed-exitcode", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert served.emulator.stats()["methods"]["POST /numbers/store/{token}"] == 1
