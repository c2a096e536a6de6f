"""``provisioner.planning.diff``: project, merge and compare, including MISSING and secrets."""

from __future__ import annotations

import json

from provisioner.planning.diff import compare, merge, project
from provisioner.planning.plan import MISSING, Action, Change, FieldChange, Plan, plain
from provisioner.render import RENDERERS
from provisioner.sensitive import REDACTED, Secret


def test_project_keeps_only_the_desired_shape() -> None:
    live = {"a": 1, "b": {"x": 1, "y": 2}, "unmanaged": True, "c": [1, 2]}
    desired = {"a": 5, "b": {"y": 0}, "c": [3]}
    assert project(live, desired) == {"a": 1, "b": {"y": 2}, "c": [1, 2]}


def test_project_marks_absent_live_keys_missing() -> None:
    out = project({"a": 1}, {"a": 1, "b": 2, "n": {"k": 1}})
    assert out["a"] == 1
    assert out["b"] is MISSING
    assert out["n"] is MISSING


def test_project_non_mapping_live_is_returned_whole() -> None:
    assert project("text", {"a": 1}) == "text"
    assert project([1, 2], [3]) == [1, 2]


def test_merge_lays_desired_over_live_recursively() -> None:
    live = {"a": 1, "b": {"x": 1, "y": 2}, "keep": "me", "lst": [1, 2]}
    desired = {"b": {"y": 3, "z": 4}, "lst": [9]}
    assert merge(live, desired) == {
        "a": 1, "b": {"x": 1, "y": 3, "z": 4}, "keep": "me", "lst": [9],
    }
    assert live == {"a": 1, "b": {"x": 1, "y": 2}, "keep": "me", "lst": [1, 2]}


def test_merge_replaces_non_mappings() -> None:
    assert merge({"a": 1}, 5) == 5
    assert merge(None, {"a": 1}) == {"a": 1}
    assert merge({"a": {"x": 1}}, {"a": None}) == {"a": None}


def test_compare_equal_is_empty_tuple() -> None:
    assert compare({"a": 1, "b": {"c": 2}, "extra": 3}, {"a": 1, "b": {"c": 2}}) == ()
    assert compare({"a": [1, 2]}, {"a": [1, 2]}) == ()


def test_compare_nested_dict_field() -> None:
    live = {"options": {"locale": "fr_FR", "record_calls": False, "feeds": "both"}}
    desired = {"options": {"locale": "en_US", "record_calls": False}}
    changes = compare(live, desired, prefix="params")
    assert changes == (FieldChange("params.options.locale", "fr_FR", "en_US"),)


def test_compare_several_fields_sorted_by_path() -> None:
    changes = compare({"b": 1, "a": 1, "c": 1}, {"b": 2, "a": 2, "c": 1})
    assert [c.path for c in changes] == ["a", "b"]
    assert [(c.old, c.new) for c in changes] == [(1, 2), (1, 2)]


def test_compare_list_change() -> None:
    live = {"targets": [{"number": "+33100000001", "timeout": 30}]}
    desired = {"targets": [{"number": "+33100000002", "timeout": 30}]}
    changes = compare(live, desired)
    assert changes, "a changed list item is a change"
    assert any(c.path.startswith("targets") for c in changes)
    assert all(c.new != c.old for c in changes)
    longer = compare({"emails": ["a@x.io"]}, {"emails": ["a@x.io", "b@x.io"]})
    assert [(c.path, c.old, c.new) for c in longer] == [("emails[1]", MISSING, "b@x.io")]


def test_compare_missing_live_key() -> None:
    changes = compare({"a": 1}, {"a": 1, "b": "new"})
    assert len(changes) == 1
    assert changes[0].path == "b"
    assert changes[0].old is MISSING
    assert changes[0].new == "new"


def test_compare_secret_same_value_is_no_change() -> None:
    assert compare({"password": Secret("s3")}, {"password": Secret("s3")}) == ()


def test_compare_secret_change_is_sensitive_and_never_clear() -> None:
    sensitive = frozenset({("password",)})
    changes = compare({"password": Secret("old-clear"), "url": "u"},
                      {"password": Secret("new-clear")}, sensitive, prefix="params")
    assert len(changes) == 1
    change = changes[0]
    assert change.path == "params.password"
    assert change.sensitive is True
    text = " ".join([repr(change), str(change.old), str(change.new),
                     json.dumps(plain(change.old, change.sensitive)),
                     json.dumps(plain(change.new, change.sensitive))])
    assert "old-clear" not in text and "new-clear" not in text
    assert plain(change.new, change.sensitive) == REDACTED
    plan = Plan("t", (Change("app.x", "app", Action.UPDATE, fields=changes),))
    for name, render in RENDERERS.items():
        out = render(plan)
        assert "old-clear" not in out and "new-clear" not in out, name
        assert REDACTED in out, name


def test_compare_secret_from_empty_is_sensitive() -> None:
    changes = compare({"password": ""}, {"password": Secret("brand-new")},
                      frozenset({("password",)}))
    assert len(changes) == 1 and changes[0].sensitive
    assert plain(changes[0].old, True) == ""
    assert plain(changes[0].new, True) == REDACTED
