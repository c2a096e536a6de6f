"""Legacy apps as Callr Actions scenarios, with the closest documented behaviour.

- CALLTRACKING10: the targets and their timeouts become one ``dial@v1`` in ``inbound-call``;
  ``options.record_calls`` starts ``startRecording@v1`` on the answered leg, then ``bridge@v1``
  (the pattern of CALLR's official forwarding-with-recording example), with
  ``transcription.language`` from ``options.locale`` when ``options.transcription`` is on.
- CLICKTOCALL10: an ``api-initiated`` branch dials A (``$a``, given when the run is started);
  once A answers, B (``$b``) is dialled, and once B answers the legs are joined by ``bridge@v1``.
- Every other field has no documented equivalent (``rest-v2.md``, ``actions.md``: voicemail,
  prompts by media id, Google Analytics, feeds, retries ...): it is listed, never guessed.

Field paths are listed, never values (a param may hold something private).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CONVERTIBLE = ("CALLTRACKING10", "CLICKTOCALL10")
MANUAL = ("REALTIME10",)
DEFAULT_TIMEOUT = 30


@dataclass(frozen=True)
class Scenario:
    data: dict[str, Any]
    unmapped: tuple[str, ...]
    """Dotted paths of the legacy params with no documented equivalent (not carried over)."""


def convert(package: str, params: dict[str, Any] | None) -> Scenario:
    """The scenario of a CALLTRACKING10 or CLICKTOCALL10 app's params."""
    params = dict(params or {})
    if package == "CALLTRACKING10":
        data, mapped = _call_tracking(params)
    elif package == "CLICKTOCALL10":
        data, mapped = _click_to_call(params)
    else:
        raise ValueError(f"{package} apps are not converted automatically")
    unmapped = tuple(path for path in _paths(params) if path not in mapped)
    return Scenario(data, unmapped)


def _recording(options: dict[str, Any], mapped: set[str]) -> list[dict[str, Any]]:
    """``startRecording@v1`` when ``record_calls`` is on ([] otherwise)."""
    mapped.add("options.record_calls")
    if not options.get("record_calls"):
        return []
    step: dict[str, Any] = {"action": "startRecording@v1"}
    locale = options.get("locale")
    if options.get("transcription") and isinstance(locale, str):
        step["params"] = {"transcription": {"language": locale.replace("_", "-")}}
        mapped.update({"options.transcription", "options.locale"})
    return [step]


def _call_tracking(params: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    mapped = {"targets"}
    targets = [{"number": t.get("number"), "timeout": t.get("timeout", DEFAULT_TIMEOUT)}
               for t in params.get("targets") or [] if isinstance(t, dict)]
    recording = _recording(dict(params.get("options") or {}), mapped)
    if not targets:
        return {"description": "converted from CALLTRACKING10 (no targets)",
                "branches": {"inbound-call": {"actions": [{"action": "hangup@v1"}]}}}, mapped
    dial: dict[str, Any] = {"action": "dial@v1", "params": {"targets": targets}}
    branches: dict[str, Any] = {"inbound-call": {"actions": [dial]}}
    if recording:
        dial["params"]["answerOnBranch"] = "answered"
        branches["answered"] = {"actions": [*recording, {"action": "bridge@v1"}]}
    return {"description": "converted from CALLTRACKING10: forwards calls to its targets",
            "branches": branches}, mapped


def _click_to_call(params: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    mapped: set[str] = set()
    recording = _recording(dict(params.get("options") or {}), mapped)

    def dial(variable: str, branch: str) -> dict[str, Any]:
        target = {"number": "${{ " + variable + " }}", "timeout": DEFAULT_TIMEOUT}
        return {"action": "dial@v1", "params": {"targets": [target], "answerOnBranch": branch}}

    return {
        "description": "converted from CLICKTOCALL10: start a run with $a and $b to call A, "
                       "then B, and bridge them",
        "variables": {"$a": "", "$b": ""},
        "branches": {
            "api-initiated": {"actions": [dial("$a", "a-answered")]},
            "a-answered": {"actions": [dial("$b", "b-answered")]},
            "b-answered": {"actions": [*recording, {"action": "bridge@v1"}]},
        },
    }, mapped


def _paths(value: Any, prefix: str = "") -> list[str]:
    """Dotted paths of the leaves of ``value`` (a list is one leaf)."""
    if isinstance(value, dict) and value:
        out: list[str] = []
        for key, item in value.items():
            out.extend(_paths(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return [prefix] if prefix else []


def header(name: str, package: str, unmapped: tuple[str, ...]) -> str:
    """The comment lines a written scenario starts with."""
    lines = [f"# Converted by `provisioner migrate` from app {name!r} ({package}).",
             "# Review it before applying: the conversion keeps the closest documented behaviour."]
    if unmapped:
        lines.append("# Fields with no documented Callr Actions equivalent (not carried over):")
        lines.extend(f"#   - {path}" for path in unmapped)
    else:
        lines.append("# Every field of the legacy app has a documented equivalent.")
    return "\n".join(lines) + "\n"
