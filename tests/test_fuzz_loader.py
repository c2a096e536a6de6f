"""Generated YAML text and bytes thrown at ``manifest.load``: it returns a Desired or raises
ManifestError with located problems, and nothing else, whatever the input."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provisioner.errors import ManifestError
from provisioner.manifest.desired import Desired, load

KEYS = ["version", "apps", "numbers", "media", "sip", "subscribers", "trunks", "webhooks",
        "subaccounts", "resources", "package", "params", "targets", "number", "timeout",
        "order", "file", "tts", "text", "voice", "options", "absent", "type", "endpoint",
        "hmac_secret", "ring_timeout", "$delete", "+33199000001", "bot", "<<"]
VALUES = ["1", "2", "~", "null", "true", "CALLTRACKING10", "REALTIME10", "ACTIONS10",
          '"+33123456789"', "+33123456789", "30", "-5", "1e400", "0x1F", "'${env:X}'",
          "${var:x}", "${env:BOT_PASSWORD}", "${", "../../etc/passwd", "/etc/passwd",
          "https://h.example/x", "[]", "{}", "[1, [2, [3]]]", "&a x", "*a", "!foo x",
          "!!python/object:os.system {}", "!!binary aGk=", "2001-12-14", "|\n  text", "'", '"',
          "[", "{", ":", "- ", "\t", "\ufeff", "é", "\x00", "? [a]\n: b"]
PUNCTUATION = ["\n", "\n  ", "\n    ", ": ", "- ", ", ", "{", "}", "[", "]", "#", "&a ", "*a",
               "---\n", "...\n", " ", "\t", "'", '"', "? ", "|", ">", "%YAML 1.2\n"]


def tokens() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(KEYS + VALUES + PUNCTUATION), max_size=40).map("".join)


def structured() -> st.SearchStrategy[str]:
    """Manifest-shaped YAML: nested mappings of known keys, with odd values."""
    leaf = st.sampled_from(VALUES)
    tree = st.recursive(leaf, lambda inner: st.dictionaries(st.sampled_from(KEYS), inner,
                                                            max_size=4), max_leaves=20)

    def render(node: object, indent: int = 0) -> str:
        if isinstance(node, dict):
            pad = " " * indent
            return "".join(f"\n{pad}{k}: {render(v, indent + 2)}" for k, v in node.items()) or "{}"
        return str(node)

    return tree.map(lambda node: "version: 1" + render(node) + "\n")


def check(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.yaml"
        path.write_bytes(data)
        try:
            result = load([path], env={"BOT_PASSWORD": "x"}, variables={"x": "v"})
        except ManifestError as exc:
            assert exc.problems, "ManifestError without problems"
            for problem in exc.problems:
                assert problem.file.endswith("m.yaml"), problem
                assert problem.line >= 1 and problem.col >= 1, problem
                assert problem.message, problem
        else:
            assert isinstance(result, Desired)


FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@FAST
@given(st.one_of(tokens(), structured(), st.text(max_size=200)))
def test_generated_yaml_text(text: str) -> None:
    check(text.encode("utf-8", "surrogatepass"))


@FAST
@given(st.binary(max_size=300))
def test_generated_bytes(data: bytes) -> None:
    check(data)


@FAST
@given(structured(), st.binary(min_size=1, max_size=8), st.integers(min_value=0))
def test_manifest_with_bytes_spliced_in(text: str, junk: bytes, where: int) -> None:
    raw = text.encode("utf-8")
    cut = where % (len(raw) + 1)
    check(raw[:cut] + junk + raw[cut:])
