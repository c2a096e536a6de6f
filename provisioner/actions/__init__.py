"""Callr Actions scenarios: parse, validate (located), normalize, compare, merge, line diff.

A scenario is the YAML document of an ACTIONS10 app (``params.script`` in JSON-RPC) or of a
REST v2 ``/actions`` scenario (``script``, ``format: yaml``). This package knows the language
(the shared API reference, ``callr-api/actions.md``) and nothing about manifests, plans or
APIs, so the JSON-RPC and REST backends, ``export``, ``migrate`` and the emulator all use the
same rules.

The stable API (everything in ``__all__``)::

    parse(text) -> Scenario                  # raises ScenarioSyntaxError(line, col) if not YAML
    validate(scenario) -> list[Finding]      # every problem, each with line/col; errors + warnings
    check(text) -> (Scenario | None, list[Finding])   # parse + size + validate, never raises
    normalize(data) -> data                  # what is compared: dates as strings, plain types
    same(old_text, new_text) -> bool         # equal as parsed YAML (comments, order, quoting
                                             # and indentation are not changes; list order is)
    dump(mapping) -> str                     # a scenario mapping as block YAML text
    merge_variables(text, variables) -> str # ``variables`` laid over the scenario's own block,
                                             # the rest of the text (comments) kept
    line_diff(old, new) -> list[str]         # unified diff lines of two multi-line strings

``Finding.severity`` is ``"error"`` or ``"warning"`` (an action name the catalogue does not
know: the catalogue is incomplete). ``Finding.path`` is the path inside the scenario
(``("branches", "inbound-call", "actions", 0, "goto", "branch")``), ``line``/``col`` are 1-based
in the scenario's text. ``MAX_SCRIPT_CHARS`` is the REST v2 limit (1..32,768 characters).

Expressions (``${{ ... }}``) are the runtime's: they are kept verbatim, only checked for
balance. The tool's own ``${env:...}``/``${var:...}`` placeholders are expanded before a
scenario reaches this package (``provisioner.manifest.loader``).
"""

from __future__ import annotations

from provisioner.actions.document import (
    MAX_SCRIPT_CHARS,
    Finding,
    Scenario,
    ScenarioSyntaxError,
    dump,
    normalize,
    parse,
)
from provisioner.actions.rules import (
    ACTION_NAME,
    ENTRY_BRANCHES,
    KNOWN_ACTIONS,
    TOP_LEVEL_KEYS,
    check,
    validate,
)
from provisioner.actions.text import is_multiline, line_diff, same
from provisioner.actions.variables import merge_variables

__all__ = [
    "ACTION_NAME",
    "ENTRY_BRANCHES",
    "KNOWN_ACTIONS",
    "MAX_SCRIPT_CHARS",
    "TOP_LEVEL_KEYS",
    "Finding",
    "Scenario",
    "ScenarioSyntaxError",
    "check",
    "dump",
    "is_multiline",
    "line_diff",
    "merge_variables",
    "normalize",
    "parse",
    "same",
    "validate",
]
