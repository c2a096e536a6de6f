"""The checks a scenario passes before it is sent: structure, steps, names, references.

Each rule reports every instance it finds, located at the node concerned. Rules follow
``actions.md`` §8: a YAML mapping of 1..32,768 characters; known top-level keys; ``branches``
a non-empty mapping of ``{actions: [steps]}``; each step one of the documented shapes; action
names ``name@vN``; ``goto.branch`` and ``dial@v1``'s ``answerOnBranch`` naming a branch;
``$`` on variables and results; balanced ``${{ }}``. An action the catalogue does not list is a
warning only: the catalogue (§7) is known to be incomplete.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from provisioner.actions.document import (
    MAX_SCRIPT_CHARS,
    Finding,
    Path_,
    Scenario,
    ScenarioSyntaxError,
    parse,
)
from provisioner.manifest.pydantic_errors import closest

TOP_LEVEL_KEYS = ("description", "compat", "defaults", "variables", "branches")
ENTRY_BRANCHES = ("inbound-call", "inbound-sms", "api-initiated", "hangup")
"""Branches the platform enters by itself; any other branch is entered by ``goto`` or
``answerOnBranch``."""
ACTION_NAME = re.compile(r"[a-z][A-Za-z0-9]*@v[0-9]+")
KNOWN_ACTIONS = frozenset({
    "answer@v1", "bridge@v1", "dial@v1", "fetch@v1", "fetch@v2", "gather@v2", "hangup@v1",
    "javascript@v1", "log@v1", "memcache@v1", "play@v1", "record@v1", "ringing@v1", "say@v2",
    "sms@v1", "startRecording@v1", "voicebot@v1",
})
"""Every action named in CALLR's public documentation (actions.md §7); not the whole list."""
ACTION_KEYS = frozenset({"action", "params", "result", "if", "events"})
GOTO_KEYS = frozenset({"if", "goto"})
THEN_KEYS = frozenset({"if", "then"})
STEP_KEYS = ACTION_KEYS | GOTO_KEYS | THEN_KEYS
SHAPES = ("'action' (with optional 'params', 'result', 'if', 'events'), 'if' + 'goto', or "
          "'if' + 'then'")


def check(text: str) -> tuple[Scenario | None, list[Finding]]:
    """Parse and validate ``text``: the scenario (None if it is not YAML) and every finding.
    Results are cached by text (one scenario file serves many apps): treat them as read-only."""
    scenario, findings = _checked(text)
    return scenario, list(findings)


@lru_cache(maxsize=256)
def _checked(text: str) -> tuple[Scenario | None, tuple[Finding, ...]]:
    scenario, findings = _check(text)
    return scenario, tuple(findings)


def _check(text: str) -> tuple[Scenario | None, list[Finding]]:
    size = _size_finding(text)
    if not text.strip():
        return None, size
    try:
        scenario = parse(text)
    except ScenarioSyntaxError as exc:
        return None, [*size, exc.finding()]
    return scenario, sorted([*size, *validate(scenario)])


def _size_finding(text: str) -> list[Finding]:
    if not text.strip():
        return [Finding(1, 1, (), "the script is empty: a scenario needs at least 'branches'")]
    if len(text) > MAX_SCRIPT_CHARS:
        return [Finding(1, 1, (), f"the script is {len(text):,} characters long: the API "
                                  f"takes at most {MAX_SCRIPT_CHARS:,}")]
    return []


def validate(scenario: Scenario) -> list[Finding]:
    """Every problem of a parsed scenario, sorted by position (errors and warnings)."""
    found = list(scenario.findings)
    data = scenario.data
    if not isinstance(data, dict):
        found.append(scenario.finding((), "a scenario is a YAML mapping (description, "
                                          "variables, branches ...), not "
                                          f"{_kind(data)}"))
        return sorted(found)
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            hint = closest(str(key), TOP_LEVEL_KEYS)
            found.append(scenario.finding((key,), f"unknown top-level key {key!r}{hint}",
                                          key=True))
    found.extend(_variables(scenario, data.get("variables")))
    branches = data.get("branches")
    if "branches" not in data:
        found.append(scenario.finding((), "'branches' is missing: a scenario needs at least "
                                          "one branch (inbound-call, inbound-sms ...)"))
    elif not isinstance(branches, dict) or not branches:
        found.append(scenario.finding(("branches",), "'branches' must be a non-empty mapping "
                                                     "of branch name -> {actions: [...]}"))
    else:
        names = [str(name) for name in branches]
        for name, body in branches.items():
            found.extend(_branch(scenario, ("branches", name), body, names))
    found.extend(_expressions(scenario, data, ()))
    return sorted(found)


def _variables(scenario: Scenario, variables: Any) -> Iterator[Finding]:
    if variables is None:
        return
    if not isinstance(variables, dict):
        yield scenario.finding(("variables",), "'variables' must be a mapping of $name -> "
                                               "initial value")
        return
    for name in variables:
        if not str(name).startswith("$"):
            yield scenario.finding(("variables", name), f"variable {name!r} must start with "
                                                        f"'$' (write ${name})", key=True)


def _branch(scenario: Scenario, path: Path_, body: Any, names: list[str]) -> Iterator[Finding]:
    if isinstance(body, list):
        yield scenario.finding(path, "a branch holds its steps under 'actions:' (write "
                                     "'actions:' above the list)")
        return
    if not isinstance(body, dict) or "actions" not in body:
        yield scenario.finding(path, "a branch is a mapping with an 'actions' list")
        return
    for key in body:
        if key != "actions":
            yield scenario.finding((*path, key), f"unknown key {key!r} in a branch: only "
                                                 "'actions'", key=True)
    yield from _steps(scenario, (*path, "actions"), body["actions"], names)


def _steps(scenario: Scenario, path: Path_, steps: Any, names: list[str]) -> Iterator[Finding]:
    if not isinstance(steps, list) or not steps:
        yield scenario.finding(path, "expected a non-empty list of steps")
        return
    for index, step in enumerate(steps):
        yield from _step(scenario, (*path, index), step, names)


def _step(scenario: Scenario, path: Path_, step: Any, names: list[str]) -> Iterator[Finding]:
    if not isinstance(step, dict):
        yield scenario.finding(path, f"a step is a mapping: {SHAPES}, not {_kind(step)}")
        return
    keys = set(step)
    if "action" in keys and keys <= ACTION_KEYS:
        yield from _action(scenario, path, step, names)
    elif "goto" in keys and keys <= GOTO_KEYS:
        yield from _goto(scenario, (*path, "goto"), step["goto"], names)
    elif "then" in keys and keys <= THEN_KEYS and "if" in keys:
        yield from _steps(scenario, (*path, "then"), step["then"], names)
    else:
        unknown = sorted(str(k) for k in keys - STEP_KEYS)
        if unknown:
            hint = closest(unknown[0], sorted(STEP_KEYS))
            yield scenario.finding((*path, unknown[0]), f"unknown step key {unknown[0]!r}"
                                                        f"{hint}: a step is {SHAPES}", key=True)
        else:
            shown = ", ".join(repr(k) for k in sorted(str(k) for k in keys))
            yield scenario.finding(path, f"a step with {shown} has no known shape: a step is "
                                         f"{SHAPES}")
    condition = step.get("if")
    if "if" in keys and (not isinstance(condition, str) or not condition.strip()):
        yield scenario.finding((*path, "if"), "'if' is a JavaScript expression (a string)")


def _action(scenario: Scenario, path: Path_, step: dict[str, Any],
            names: list[str]) -> Iterator[Finding]:
    name = step["action"]
    if not isinstance(name, str) or not ACTION_NAME.fullmatch(name):
        yield scenario.finding((*path, "action"), f"action {name!r} must be written "
                                                  "name@vN (e.g. say@v2, dial@v1)")
    elif name not in KNOWN_ACTIONS:
        hint = closest(name, sorted(KNOWN_ACTIONS))
        yield scenario.finding((*path, "action"), f"action {name!r} is not in the known "
                                                  f"catalogue{hint}: check its name",
                               severity="warning")
    params = step.get("params")
    if "params" in step and not isinstance(params, dict):
        yield scenario.finding((*path, "params"), "'params' must be a mapping")
    result = step.get("result")
    if "result" in step and not (isinstance(result, str) and result.startswith("$")):
        yield scenario.finding((*path, "result"), f"result {result!r} must be a variable "
                                                  "starting with '$' (e.g. $dial)")
    if name == "dial@v1" and isinstance(params, dict) and "answerOnBranch" in params:
        yield from _branch_ref(scenario, (*path, "params", "answerOnBranch"),
                               params["answerOnBranch"], names)
    events = step.get("events")
    if "events" in step:
        if not isinstance(events, dict):
            yield scenario.finding((*path, "events"), "'events' must be a mapping of event "
                                                      "name -> list of steps")
        else:
            for event, steps in events.items():
                yield from _steps(scenario, (*path, "events", event), steps, names)


def _goto(scenario: Scenario, path: Path_, goto: Any, names: list[str]) -> Iterator[Finding]:
    if not isinstance(goto, dict) or set(goto) != {"branch"}:
        yield scenario.finding(path, "'goto' is a mapping with one key, 'branch'")
        return
    yield from _branch_ref(scenario, (*path, "branch"), goto["branch"], names)


def _branch_ref(scenario: Scenario, path: Path_, name: Any,
                names: list[str]) -> Iterator[Finding]:
    if str(name) not in names:
        hint = closest(str(name), names)
        yield scenario.finding(path, f"branch {name!r} does not exist in 'branches'{hint}")


def _expressions(scenario: Scenario, value: Any, path: Path_) -> Iterator[Finding]:
    """``${{`` and ``}}`` balanced in every string, in order (an expression never nests)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _expressions(scenario, item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _expressions(scenario, item, (*path, index))
    elif isinstance(value, str) and ("${{" in value or "}}" in value):
        problem = unbalanced(value)
        if problem:
            yield scenario.finding(path, problem)


def unbalanced(text: str) -> str:
    """What is wrong with the ``${{ ... }}`` expressions of ``text``, or "" if nothing."""
    open_at = -1
    for match in re.finditer(r"\$\{\{|\}\}", text):
        if match.group() == "${{":
            if open_at >= 0:
                return "'${{' opened again before '}}' closed the previous expression"
            open_at = match.start()
        elif open_at >= 0:
            open_at = -1
        # a '}}' outside an expression is plain text (JSON bodies end with '}}')
    if open_at >= 0:
        return "'${{' is never closed: write ${{ expression }}"
    return ""


def _kind(value: Any) -> str:
    if value is None:
        return "an empty document"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"
