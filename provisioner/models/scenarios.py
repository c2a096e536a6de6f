"""ACTIONS10 apps: the scenario's three forms -> the one text sent, every problem located.

``script: |`` (text), ``script:`` (a mapping, written out as block YAML) or ``script_file:``
(read from a file under the manifests' folder, its ``${env:}``/``${var:}`` placeholders
expanded line by line) give the scenario's text. It is checked by ``provisioner.actions``;
each finding is located in the manifest, and also in the scenario's own text:

- inline mapping: at the node itself, in the manifest;
- ``script: |``: at the manifest line of that script line (a ``|`` block maps line for line),
  with "script line N" in the message;
- ``script_file:``: at the ``script_file`` value, the message starting ``FILE:LINE:COL``.

``params.variables`` are then merged into the scenario's ``variables`` (the rest of the text
kept as written) and the app's params become exactly ``{format, script}``: what the API takes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provisioner import actions
from provisioner.errors import Notice, Problem
from provisioner.manifest.loader import substitute_lines
from provisioner.manifest.paths import PATH_ERRORS, reason
from provisioner.manifest.paths import shown as shown_path
from provisioner.models.apps import ActionsApp, ActionsParams
from provisioner.models.media import refused_path

if TYPE_CHECKING:
    from provisioner.manifest.desired import Origin

def finish(spec: Any, origin: Origin) -> tuple[Any, list[Problem]]:
    """The app with its scenario resolved, checked and merged; (None, problems) if invalid."""
    if not isinstance(spec, ActionsApp) or spec.absent:
        return spec, []
    params = spec.params
    if params.script is None and params.script_file is None and params.variables is None:
        return spec, []  # no scenario managed (or ``script: null``, sent as written)
    problems = _variable_names(params, origin)
    source = _source(params, origin, problems)
    if source is None:
        return None, problems
    text, locate = source
    _, findings = actions.check(text)
    problems.extend(locate(f) for f in findings)
    if any(not isinstance(p, Notice) for p in problems):
        return None, problems
    if params.variables:
        text = actions.merge_variables(text, params.variables)
        if len(text) > actions.MAX_SCRIPT_CHARS:
            problems.append(origin.problem(
                f"with its variables merged the script is {len(text):,} characters long: the "
                f"API takes at most {actions.MAX_SCRIPT_CHARS:,}", "params", "variables"))
            return None, problems
    resolved = ActionsParams.model_construct({"format", "script"},
                                             format=params.format or "YAML", script=text)
    return spec.model_copy(update={"params": resolved}), problems


Locate = Callable[[actions.Finding], Problem]
"""Turns a finding in the scenario's text into a problem located in the manifest."""


def _source(params: ActionsParams, origin: Origin,
            problems: list[Problem]) -> tuple[str, Locate] | None:
    if isinstance(params.script, dict):
        return actions.dump(params.script), _inline(origin)
    if isinstance(params.script, str):
        return params.script, _text(params.script, origin)
    if params.script_file is not None:
        return _file(params.script_file, origin, problems)
    problems.append(origin.problem("'variables' needs a scenario: give 'script' or "
                                   "'script_file'", "params", "variables", key=True))
    return None


def _variable_names(params: ActionsParams, origin: Origin) -> list[Problem]:
    return [origin.problem(f"variable {name!r} must start with '$' (write ${name})", "params",
                           "variables", name, key=True)
            for name in params.variables or {} if not str(name).startswith("$")]


def _made(finding: actions.Finding, at: Problem, line: int, col: int,
          message: str) -> Problem:
    """A Problem (a Notice for a warning) at ``line``:``col`` of ``at``'s file and path."""
    kind = Notice if finding.severity == "warning" else Problem
    return kind(at.file, line, col, at.path, message)


def _inline(origin: Origin) -> Locate:
    def locate(finding: actions.Finding) -> Problem:
        at = origin.problem(finding.message, "params", "script", *finding.path, key=finding.key)
        return _made(finding, at, at.line, at.col, at.message)
    return locate


def _text(script: str, origin: Origin) -> Locate:
    anchor = origin.problem("", "params", "script")
    first = _block_start(script, anchor)

    def locate(finding: actions.Finding) -> Problem:
        inside = f"{finding.dotted}: " if finding.path else ""
        message = f"script line {finding.line}: {inside}{finding.message}"
        if first is None:
            message = f"script line {finding.line}, col {finding.col}: {inside}{finding.message}"
            return _made(finding, anchor, anchor.line, anchor.col, message)
        return _made(finding, anchor, first[0] + finding.line - 1, first[1] + finding.col,
                     message)
    return locate


def _block_start(script: str, anchor: Problem) -> tuple[int, int] | None:
    """(manifest line of the script's line 1, the block's indentation) when the script is a
    ``|`` block whose lines are the manifest's lines; None otherwise (quoted, folded ...)."""
    try:
        lines = Path(anchor.file).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return None
    head = lines[anchor.line - 1][anchor.col - 1:] if anchor.line <= len(lines) else ""
    if not head.startswith("|"):
        return None
    body = script.split("\n")
    start = anchor.line  # 0-based index of the block's first line
    block = lines[start:start + len(body)]
    indent = next((len(line) - len(line.lstrip(" ")) for line in block if line.strip()), 0)
    for ours, theirs in zip(body, block, strict=False):
        if ours.strip() and theirs[indent:] != ours:
            return None  # a placeholder changed the line, or the layout is not line for line
    return anchor.line + 1, indent


def _file(written: str, origin: Origin, problems: list[Problem]) -> tuple[str, Locate] | None:
    # Relative to the manifest file, as audio files are (an overlay's value too: the folder
    # tree given on the command line is the manifests').
    manifest = Path(origin.doc.file)
    shown = (manifest.parent / written).as_posix()
    try:
        path = (manifest.parent / written).resolve()
        refused = refused_path(written, path, origin, what="scenario files")
        if refused is not None:
            problems.append(origin.problem(refused, "params", "script_file"))
            return None
        raw = path.read_text(encoding="utf-8")
    except PATH_ERRORS as exc:  # a NUL byte, a name too long, a symlink loop ...
        problems.append(origin.problem(f"cannot read {shown_path(written)}: {reason(exc)}",
                                       "params", "script_file"))
        return None
    except UnicodeDecodeError:
        problems.append(origin.problem(f"{written} is not UTF-8 text", "params", "script_file"))
        return None
    text, found = substitute_lines(raw, shown, origin.doc.env, origin.doc.variables,
                                   origin.doc.used_variables)
    anchor = origin.problem("", "params", "script_file")
    for p in found:
        problems.append(Problem(anchor.file, anchor.line, anchor.col, anchor.path,
                                f"{p.file}:{p.line}:{p.col}: {p.message}"))

    def locate(finding: actions.Finding) -> Problem:
        return _made(finding, anchor, anchor.line, anchor.col, f"{shown}:{finding}")
    return text, locate
