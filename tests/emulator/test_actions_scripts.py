"""ACTIONS10 apps: the emulator takes a script only if it is a YAML mapping of 1..32,768
characters, on apps.create and apps.edit alike (JSON-RPC error 151 otherwise)."""

from __future__ import annotations

import pytest

from provisioner.actions import MAX_SCRIPT_CHARS

from .conftest import Rpc, expect

SCENARIO = "branches:\n  inbound-call:\n    actions:\n      - action: hangup@v1\n"


def long_scenario(size: int) -> str:
    head = "description: '"
    tail = "'\n" + SCENARIO
    return head + "x" * (size - len(head) - len(tail)) + tail


@pytest.mark.parametrize(("script", "reason"), [
    ("- say: hello\n", "must be a YAML mapping"),
    ("branches: [unclosed\n", "is not valid YAML"),
    ("just words", "must be a YAML mapping"),
    ("", "must be a YAML mapping"),
    (long_scenario(MAX_SCRIPT_CHARS + 1), f"is longer than {MAX_SCRIPT_CHARS} characters"),
])
def test_create_and_edit_refuse_a_script_that_is_not_a_scenario(rpc: Rpc, script: str,
                                                                 reason: str) -> None:
    expect(rpc, 151, "apps.create", "ACTIONS10", "bad", {"script": script},
           contains=f"p.script {reason}")
    assert rpc.call("apps.get_list", False) == []
    app = rpc.call("apps.create", "ACTIONS10", "good", {"format": "YAML", "script": SCENARIO})
    expect(rpc, 151, "apps.edit", app["hash"], None, {"script": script}, contains="p.script")
    assert rpc.call("apps.get", app["hash"])["p"]["script"] == SCENARIO


def test_a_scenario_up_to_the_limit_is_kept_as_sent(rpc: Rpc) -> None:
    at_limit = long_scenario(MAX_SCRIPT_CHARS)
    assert len(at_limit) == MAX_SCRIPT_CHARS
    app = rpc.call("apps.create", "ACTIONS10", "max", {"script": at_limit})
    assert app["p"] == {"format": "YAML", "script": at_limit}
    commented = "# kept as written\n" + SCENARIO.replace("hangup@v1", "hangup@v1  # bye")
    edited = rpc.call("apps.edit", app["hash"], None, {"script": commented})
    assert edited["p"]["script"] == commented


def test_an_app_created_without_a_script_has_none(rpc: Rpc) -> None:
    app = rpc.call("apps.create", "ACTIONS10", "empty", None)
    assert app["p"] == {"format": "YAML", "script": ""}
