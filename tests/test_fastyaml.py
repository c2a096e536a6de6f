"""The loader's fast path gives exactly what the round-trip path gives, or steps aside."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.manifest.fastyaml import compose_plain
from provisioner.manifest.loader import MAX_DEPTH, load_document, load_round_trip

ROOT = Path(__file__).parent.parent
PLAIN = sorted([*ROOT.joinpath("examples").rglob("*.yaml"),
                *ROOT.joinpath("tests", "data", "valid").rglob("*.yaml"),
                *ROOT.joinpath("tests", "data", "invalid").glob("*.yaml")])
ENV = {"BOT_PASSWORD": "pw-1234567", "HOOK_SECRET": "hmac-secret-1"}


@pytest.mark.parametrize("path", PLAIN, ids=lambda p: str(p.relative_to(ROOT)))
def test_same_data_positions_and_problems_as_the_round_trip_path(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast, fast_problems = load_document(path, "m.yaml", ENV, {"bot_host": "b.example"})
    slow, slow_problems = load_round_trip(text, "m.yaml", ENV, {"bot_host": "b.example"})
    assert fast.data == slow.data
    assert fast_problems == slow_problems
    assert fast.env_names == slow.env_names and fast.env_paths == slow.env_paths
    for table in ("keys", "values"):
        fast_table, slow_table = getattr(fast, table), getattr(slow, table)
        assert {p: fast_table[p] for p in slow_table} == slow_table, table


def test_plain_documents_take_the_fast_path() -> None:
    tree = compose_plain("version: 1\napps:\n  bot:\n    package: REALTIME10\n", MAX_DEPTH)
    assert tree is not None
    assert tree.data == {"version": 1, "apps": {"bot": {"package": "REALTIME10"}}}
    assert tree.keys[("apps", "bot", "package")] == (4, 5)
    assert tree.values[("apps", "bot", "package")] == (4, 14)


@pytest.mark.parametrize("text", [
    "a: &x {b: 1}\nc: *x\n",                 # alias
    "a: 1\na: 2\n",                          # duplicate key
    "<<: {a: 1}\n",                          # merge key
    "a: !foo 1\n",                           # tag
    "a: 2001-12-14\n",                       # timestamp
    "? [a]\n: 1\n",                          # complex key
    "a: [1\n",                               # syntax error
    "a: 1\n---\nb: 2\n",                     # two documents
    "%YAML 1.1\n---\na: yes\n",              # a directive: 1.1 reads yes as true
    "a:\t1\n",                               # a tab
])
def test_anything_unusual_steps_aside(text: str) -> None:
    assert compose_plain(text, MAX_DEPTH) is None


def test_too_many_values_step_aside() -> None:
    text = "a: [" + ", ".join("1" for _ in range(50)) + "]\n"
    assert compose_plain(text, MAX_DEPTH, max_nodes=100) is not None
    assert compose_plain(text, MAX_DEPTH, max_nodes=40) is None
