"""``provisioner fmt``: rewrite manifests in the canonical layout, comments kept.

The canonical layout is the one ``export`` writes: mappings indented by 2 spaces, list items
by 4 with the dash at 2 (``- {number: ...}`` under ``targets:``), no trailing spaces, one
newline at the end. Everything else is kept as written, by ruamel.yaml's round-trip mode:
comments, blank lines, key order, flow or block style, quotes and block scalars. A file that is
not valid YAML is a located problem and is left untouched. Formatting is idempotent: a
formatted file formats to itself.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from provisioner.errors import ManifestError, Problem
from provisioner.manifest.duplicate_keys import duplicate_key
from provisioner.manifest.paths import expand_paths
from provisioner.manifest.yaml_errors import quiet_load, yaml_error

WIDTH = 100
"""Flow mappings longer than this wrap (as the examples do); a long scalar is never split."""


@dataclass(frozen=True)
class Formatted:
    path: Path
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = False
    yaml.representer.add_representer(type(None), _null)
    return yaml


def _null(representer: Any, data: None) -> Any:
    """``null`` written out, as manifests write "no app" (ruamel would leave it empty)."""
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def format_text(text: str, display: str) -> str:
    """``text`` in the canonical layout; ManifestError (located) if it is not valid YAML."""
    yaml = _yaml()
    try:
        tree = quiet_load(yaml, text)
    except DuplicateKeyError as exc:  # its message quotes both values, passwords included
        raise ManifestError([duplicate_key(text, display, exc)]) from None
    except MarkedYAMLError as exc:
        line, col, reason = yaml_error(exc)
        raise ManifestError([Problem(display, line, col, "", f"YAML error: {reason}")]) from None
    except (YAMLError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise ManifestError([Problem(display, 1, 1, "", f"YAML error: {exc}")]) from None
    if tree is None:
        return text
    out = io.StringIO()
    yaml.dump(tree, out)
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def format_paths(paths: Sequence[str | Path]) -> list[Formatted]:
    """Every manifest under ``paths`` (as ``validate`` finds them), formatted in memory;
    ManifestError listing every file that cannot be read or parsed."""
    files, problems = expand_paths(paths)
    done: list[Formatted] = []
    for path in files:
        try:
            before = path.read_text(encoding="utf-8-sig")
            done.append(Formatted(path, before, format_text(before, str(path))))
        except ManifestError as exc:
            problems.extend(exc.problems)
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(path), 1, 1, "", f"cannot read file: {exc}"))
    if problems:
        raise ManifestError(problems)
    return done


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (a crash leaves the old or the new file)."""
    scratch = path.with_name(f".{path.name}.fmt-tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(path)
