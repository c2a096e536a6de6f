"""Write an ``Export`` as YAML manifests: deterministic bytes, block style, comments kept.

Files: ``<section>.yaml`` for each non-empty section of the master (``apps.yaml``,
``numbers.yaml``, ``media.yaml``, ``sip.yaml``, ``webhooks.yaml``), ``subaccounts/<name>.yaml``
for each sub-account (its entry and its resources), ``scenarios/[<sub-account>/]<app>.yaml`` for
each Callr Actions scenario (its text as the account holds it), ``manifest.yaml`` (just
``version: 1``) when the account holds nothing, and ``.env.example`` listing the secrets to set,
with empty values.

Each file starts with a ``# yaml-language-server: $schema=...`` line: a path relative to this
repository's ``schemas/manifest.schema.json`` when the output directory is inside the repository
(an editor then uses the schema of the checkout), otherwise the schema's published URL.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from provisioner.errors import ConfigError
from provisioner.manifest.paths import Kind as PathKind
from provisioner.manifest.paths import probe
from provisioner.manifest.paths import shown as shown_path

from . import Export

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
SCHEMA_FILE = REPO_ROOT / "schemas" / "manifest.schema.json"
SCHEMA_URL = ("https://raw.githubusercontent.com/callr-provisioner/callr-provisioner/main/"
              "schemas/manifest.schema.json")
SECTION_ORDER = ("media", "apps", "numbers", "sip", "webhooks")
ENV_FILE = ".env.example"
YAML11_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})
"""Strings older YAML readers take for booleans or null: always quoted, for every editor."""

Comments = dict[tuple[str | int, ...], str]


def plan_files(export: Export, out_dir: Path) -> dict[Path, str]:
    """Every file of the export (path -> text), nothing written yet."""
    files: dict[Path, str] = {}
    note = unmanaged_note(export.unmanaged)
    for section in _ordered(export.resources):
        data = {"version": 1, section: export.resources[section]}
        comments = {path: text for path, text in export.comments.items() if path[0] == section}
        files[out_dir / f"{section}.yaml"] = render(data, comments, schema_ref(out_dir), note)
        note = ""  # once, in the account's first file
    for sub in export.subaccounts:
        entry = dict(sub.entry)
        if "resources" in entry:
            entry["resources"] = {k: entry["resources"][k] for k in _ordered(entry["resources"])}
        data = {"version": 1, "subaccounts": {sub.name: entry}}
        comments = {("subaccounts", sub.name, "resources", *path): text
                    for path, text in sub.comments.items()}
        folder = out_dir / "subaccounts"
        files[folder / f"{sub.slug}.yaml"] = render(data, comments, schema_ref(folder),
                                                    unmanaged_note(sub.unmanaged))
    for relative, text in export.scenarios.items():
        files[out_dir / relative] = text
    if export.is_empty:
        files[out_dir / "manifest.yaml"] = render(
            {"version": 1}, {}, schema_ref(out_dir),
            "\n".join(filter(None, ["The account holds nothing the manifest manages.", note])))
    if export.env:
        lines = ["# Secrets the exported manifests read from the environment: set each before",
                 "# plan or apply. Values are never exported.", ""]
        for var in export.env:
            lines += [f"# {var.what}", f"{var.name}=", ""]
        files[out_dir / ENV_FILE] = "\n".join(lines[:-1]) + "\n"
    return files


def unmanaged_note(unmanaged: list[str]) -> str:
    """The header lines listing what the account holds that no manifest entry can describe."""
    if not unmanaged:
        return ""
    lines = ["Unmanaged (packages this tool does not know): read, never changed or deleted:"]
    return "\n".join([*lines, *(f"  {item}" for item in unmanaged)])


def write(export: Export, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Write the export's files; refuse to overwrite manifests unless ``force``."""
    kind, why = probe(out_dir)
    if why or kind is PathKind.FILE:
        raise ConfigError(f"cannot export into {shown_path(out_dir)}: {why or 'it is a file'}")
    files = plan_files(export, out_dir)
    if not force:
        existing = sorted(p for p in files if p.exists())
        if out_dir.is_dir():
            existing += sorted(p for p in out_dir.rglob("*.y*ml") if p not in files)
        if existing:
            shown = ", ".join(str(p) for p in existing[:5])
            raise ConfigError(f"{out_dir} already holds manifests ({shown}): export into an "
                              "empty directory, or pass --force to overwrite")
    for path, text in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
    return sorted(files)


def schema_ref(folder: Path) -> str:
    """The schema for a file in ``folder``: relative inside this repository, else the URL."""
    resolved = folder.resolve()
    if SCHEMA_FILE.is_file() and resolved.is_relative_to(REPO_ROOT):
        return Path(os.path.relpath(SCHEMA_FILE, resolved)).as_posix()
    return SCHEMA_URL


def render(data: dict[str, Any], comments: Comments, schema: str, note: str = "") -> str:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    yaml.representer.add_representer(type(None), _null)
    tree = _node(data, (), comments)
    header = [f"yaml-language-server: $schema={schema}",
              "Exported by `provisioner export`: review it, then manage the account with it."]
    if note:
        header.append(note)
    tree.yaml_set_start_comment("\n".join(header))
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _ordered(resources: dict[str, Any]) -> list[str]:
    return sorted(resources, key=lambda key: (*SECTION_ORDER, key).index(key))


def _node(value: Any, path: tuple[str | int, ...], comments: Comments) -> Any:
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = _node(item, (*path, key), comments)
            if (*path, key) in comments:
                node.yaml_add_eol_comment(comments[(*path, key)], key)
        return node
    if isinstance(value, list):
        seq = CommentedSeq(_node(item, (*path, i), comments) for i, item in enumerate(value))
        if all(not isinstance(item, dict | list) for item in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    if isinstance(value, str) and value.lower() in YAML11_WORDS:
        return DoubleQuotedScalarString(value)
    return value


def _null(representer: RoundTripRepresenter, _: None) -> Any:
    """``null`` written out (ruamel's round-trip default leaves the value empty)."""
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")
