"""The Callr Actions language package: parse, validate, compare, merge, line diff."""

from __future__ import annotations

import textwrap

import pytest

from provisioner.actions import (
    MAX_SCRIPT_CHARS,
    ScenarioSyntaxError,
    check,
    dump,
    line_diff,
    merge_variables,
    parse,
    same,
)

FORWARD = textwrap.dedent("""\
    description: Forward calls   # a comment
    compat:
      version: 2025-09-01
    variables:
      $target: "+15550000000"
    defaults:
      autoAnswer: false
    branches:
      inbound-call:
        actions:
          - action: dial@v1
            params:
              answerOnBranch: answered
              targets:
                - number: ${{ $target }}
                  timeout: 20
            result: $dial
          - if: "!$dial?.ok"
            goto:
              branch: hangup
      answered:
        actions:
          - action: bridge@v1
      hangup:
        actions:
          - if: call.cdr.durationAnswered
            then:
              - action: log@v1
                params:
                  message: "call ${{ JSON.stringify(call) }}"
    """)


def messages(text: str) -> list[str]:
    return [str(f) for f in check(text)[1]]


def test_a_real_scenario_is_valid_and_keeps_expressions() -> None:
    scenario, findings = check(FORWARD)
    assert findings == []
    assert scenario is not None
    target = scenario.data["branches"]["inbound-call"]["actions"][0]["params"]["targets"][0]
    assert target["number"] == "${{ $target }}"
    assert scenario.data["compat"]["version"] == "2025-09-01", "an unquoted date is its text"


def test_positions_are_those_of_the_text() -> None:
    scenario = parse(FORWARD)
    assert scenario.position(("branches", "inbound-call", "actions", 1, "goto", "branch")) == (
        20, 19)
    assert scenario.position(("variables", "$target"), key=True) == (5, 3)


@pytest.mark.parametrize(("text", "expected"), [
    ("branches: [unclosed\n", "not valid YAML"),
    ("- say: hello\n", "1:1: a scenario is a YAML mapping"),
    ("", "the script is empty"),
    ("descripton: x\nbranches: {a: {actions: [{action: log@v1}]}}\n",
     "1:1: descripton: unknown top-level key 'descripton' (did you mean 'description'?)"),
    ("description: x\n", "'branches' is missing"),
    ("branches: {}\n", "'branches' must be a non-empty mapping"),
    ("branches:\n  inbound-call:\n    - action: log@v1\n", "write 'actions:' above the list"),
    ("branches:\n  a:\n    actions:\n      - action: log@v1\n        goto: {branch: a}\n",
     "has no known shape"),
    ("branches:\n  a:\n    actions:\n      - acton: log@v1\n",
     "unknown step key 'acton' (did you mean 'action'?)"),
    ("branches:\n  a:\n    actions:\n      - action: log\n", "must be written name@vN"),
    ("branches:\n  a:\n    actions:\n      - goto: {branch: voicemial}\n  voicemail:\n"
     "    actions: [{action: hangup@v1}]\n",
     "4:24: branches.a.actions[0].goto.branch: branch 'voicemial' does not exist"),
    ("branches:\n  a:\n    actions:\n      - action: dial@v1\n        params: "
     "{answerOnBranch: answered}\n", "branch 'answered' does not exist"),
    ("variables: {target: 1}\nbranches: {a: {actions: [{action: hangup@v1}]}}\n",
     "variable 'target' must start with '$'"),
    ("branches: {a: {actions: [{action: dial@v1, result: dial}]}}\n",
     "result 'dial' must be a variable starting with '$'"),
    ("branches: {a: {actions: [{action: log@v1, params: {message: '${{ x'}}]}}\n",
     "'${{' is never closed"),
    ("branches:\n  a:\n    actions:\n      - if: !$dial.ok\n        then: [{action: hangup@v1}]\n",
     "reads as a YAML tag: quote the value"),
])
def test_each_rule_is_located(text: str, expected: str) -> None:
    found = messages(text)
    assert any(expected in message for message in found), found


def test_too_long_is_refused_and_the_limit_itself_is_not() -> None:
    head = "branches: {a: {actions: [{action: log@v1, params: {message: '"
    tail = "'}}]}}\n"
    at_limit = head + "x" * (MAX_SCRIPT_CHARS - len(head) - len(tail)) + tail
    assert len(at_limit) == MAX_SCRIPT_CHARS and messages(at_limit) == []
    over = head + "x" * (MAX_SCRIPT_CHARS + 1 - len(head) - len(tail)) + tail
    assert any("32,769 characters long" in m for m in messages(over))


def test_unknown_action_is_a_warning() -> None:
    _, findings = check("branches: {a: {actions: [{action: transfer@v3}]}}\n")
    assert [f.severity for f in findings] == ["warning"]
    assert "not in the known catalogue" in findings[0].message


def test_json_bodies_ending_in_braces_are_not_unbalanced() -> None:
    text = ("branches: {a: {actions: [{action: fetch@v2, params: "
            "{body: '{\"a\": {\"b\": ${{ x }}}}'}}]}}\n")
    assert messages(text) == []


def test_syntax_error_is_located() -> None:
    with pytest.raises(ScenarioSyntaxError) as info:
        parse("branches:\n  a: [unclosed\n")
    assert info.value.line >= 2


def test_same_ignores_comments_order_indentation_and_quoting_not_list_order() -> None:
    relaid = textwrap.dedent("""\
        branches:
            inbound-call:
                actions:
                -   action: log@v1   # logged
                    params: {message: 'hi'}
                -   action: hangup@v1
        description: "x"
        """)
    base = ("description: x\nbranches:\n  inbound-call:\n    actions:\n"
            "      - action: log@v1\n        params:\n          message: hi\n"
            "      - action: hangup@v1\n")
    assert same(base, relaid)
    swapped = base.replace("log@v1", "TMP").replace("hangup@v1", "log@v1").replace(
        "TMP", "hangup@v1")
    assert not same(base, swapped)
    assert same("compat: {version: 2025-09-01}\n", "compat: {version: '2025-09-01'}\n")


def test_merge_variables_keeps_comments_and_layout() -> None:
    merged = merge_variables(FORWARD, {"$target": "+33199001234", "$extra": 3})
    assert "description: Forward calls   # a comment" in merged
    assert '$target: "+33199001234"' in merged
    assert parse(merged).data["variables"] == {"$target": "+33199001234", "$extra": 3}
    changed = [line for line in line_diff(FORWARD, merged) if line[:1] in "+-"]
    assert changed == ['-  $target: "+15550000000"', '+  $target: "+33199001234"',
                       "+  $extra: 3"]


def test_merge_variables_adds_a_block_before_branches() -> None:
    text = "defaults: {language: en-GB}\nbranches:\n  a:\n    actions:\n      - action: log@v1\n"
    merged = merge_variables(text, {"$who": "${{ call.fromNumber }}"})
    data = parse(merged).data
    assert list(data) == ["defaults", "variables", "branches"]
    assert data["variables"] == {"$who": "${{ call.fromNumber }}"}


def test_dump_is_block_yaml_that_parses_back() -> None:
    data = parse(FORWARD).data
    text = dump(data)
    assert "      - action: dial@v1" in text
    assert parse(text).data == data
    body = {"branches": {"a": {"actions": [{"action": "fetch@v2",
                                            "params": {"body": "{\n  \"x\": 1\n}\n"}}]}}}
    assert "body: |" in dump(body) and parse(dump(body)).data == body


def test_line_diff_shows_one_pair_for_one_changed_line() -> None:
    new = FORWARD.replace("timeout: 20", "timeout: 25")
    diff = line_diff(FORWARD, new)
    assert diff[0].startswith("@@ ")
    assert [d for d in diff if d[:1] in "+-"] == ["-              timeout: 20",
                                                  "+              timeout: 25"]
    assert line_diff(FORWARD, FORWARD) == []


def test_merge_rewrites_only_the_variable_lines_comments_aligned() -> None:
    text = textwrap.dedent("""\
        variables:
          $target: "+15550000000"   # who answers
          $url: https://example.invalid/hook # where data goes
          $retries: 3
        branches: {a: {actions: [{action: log@v1}]}}
        """)
    merged = merge_variables(text, {"$target": "+33199001234567", "$retries": 5,
                                    "$label": "on call: night"})
    assert merged.splitlines()[:5] == [
        "variables:",
        '  $target: "+33199001234567" # who answers',
        "  $url: https://example.invalid/hook # where data goes",
        "  $retries: 5",
        "  $label: 'on call: night'",
    ]
    shorter = merge_variables(text, {"$target": "+331"}).splitlines()[1]
    assert shorter.startswith('  $target: "+331" ')
    assert shorter.index("#") == text.splitlines()[1].index("#"), "the comment stays aligned"


@pytest.mark.parametrize("text", [
    "variables: {$target: '+1555', $n: 1}\nbranches: {a: {actions: [{action: log@v1}]}}\n",
    "variables:\n  $target: >\n    folded\n    text\n"
    "branches: {a: {actions: [{action: log@v1}]}}\n",
    "branches: {a: {actions: [{action: log@v1}]}}\n",
])
def test_merge_of_other_layouts_keeps_the_data_exact(text: str) -> None:
    merged = merge_variables(text, {"$target": "+33100000000"})
    data = parse(merged).data
    assert data["variables"]["$target"] == "+33100000000"
    assert data["branches"] == parse(text).data["branches"]
