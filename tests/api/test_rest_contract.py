"""Every row of the REST table against the facts of ``rest-v2.md`` (a copy of
``shared/callr-api/rest-v2.md`` in ``tests/data/callr-api/``).

A row marked ``C`` must name a verb and path that the reference states as CONFIRMED; a row
marked ``I`` must not be one the reference confirms (it would deserve a ``C``); and where the
reference's JSON-RPC -> REST mapping (§3) confirms endpoints for the operation, the row uses one
of them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from provisioner.api.methods import METHODS
from provisioner.api.rest import REST_ROWS
from provisioner.api.rest.session import PAGE_LIMIT

REFERENCE = Path(__file__).parents[1] / "data" / "callr-api" / "rest-v2.md"
VERBS = "GET|POST|PUT|PATCH|DELETE"
ENDPOINT = re.compile(rf"`((?:{VERBS})(?:\|(?:{VERBS}))*) (/[^`\s]*)`")
OPERATION = re.compile(r"^\| `([a-z/_.]+)` \|")


def _endpoints(text: str) -> set[tuple[str, str]]:
    return {(verb, path) for verbs, path in ENDPOINT.findall(text) for verb in verbs.split("|")}


def _statements() -> list[tuple[set[tuple[str, str]], bool]]:
    """(endpoints, confirmed) of each table line, and of each heading with its first line."""
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.startswith("|"):
            out.append((_endpoints(line), "CONFIRMED" in line))
        elif line.startswith("####"):
            following = next((rest for rest in lines[i + 1:] if rest.strip()), "")
            out.append((_endpoints(line), following.lstrip("- ").startswith("CONFIRMED")))
    return [(found, confirmed) for found, confirmed in out if found]


def _mapping() -> dict[str, set[tuple[str, str]]]:
    """§3: JSON-RPC method -> the REST endpoints the reference CONFIRMS for it."""
    text = REFERENCE.read_text(encoding="utf-8")
    section = text.split("## 3. JSON-RPC", 1)[1].split("\n## ", 1)[0]
    out: dict[str, set[tuple[str, str]]] = {}
    for line in section.splitlines():
        match = OPERATION.match(line)
        if match and line.rstrip().endswith("| CONFIRMED |"):
            out[match.group(1)] = _endpoints(line)
    return out


CONFIRMED = {endpoint for found, confirmed in _statements() if confirmed for endpoint in found}


def test_the_reference_is_readable() -> None:
    assert ("POST", "/actions") in CONFIRMED
    assert ("GET", "/actions/{sid}") not in CONFIRMED
    assert _mapping()["apps.create"] == {("POST", "/actions")}


@pytest.mark.parametrize("operation", sorted(REST_ROWS))
def test_row_against_the_reference(operation: str) -> None:
    row = REST_ROWS[operation]
    assert operation in METHODS, "operations are named by the JSON-RPC method table"
    endpoint = (row.verb, row.path)
    if row.mark == "C":
        assert endpoint in CONFIRMED, f"{operation}: {endpoint} is not CONFIRMED in rest-v2.md"
    else:
        assert endpoint not in CONFIRMED, f"{operation}: {endpoint} is CONFIRMED: mark it C"
    mapped = _mapping().get(operation)
    if mapped:
        assert endpoint in mapped, f"{operation}: rest-v2.md §3 maps it to {sorted(mapped)}"


def test_paging_limit_is_the_documented_maximum() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    assert f"| `limit` | integer 1..{PAGE_LIMIT} |" in text
