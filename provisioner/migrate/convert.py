"""``provisioner migrate``: manifests with legacy apps -> manifests of Callr Actions scenarios.

The manifests are first loaded and validated as ``plan`` would (every problem located, nothing
written on error). Then each file is rewritten at the YAML level (comments, order and every
other entry kept): a CALLTRACKING10 or CLICKTOCALL10 app keeps its name and becomes an ACTIONS10
app whose ``params.script_file`` names ``scenarios/<app>.yaml`` beside its manifest, written
with a header listing the fields that have no documented equivalent (``scenarios.py``).
Numbers keep their assignment to the same app name, so planning the converted manifests against
the live account shows each number moving from the legacy app to its scenario. REALTIME10 apps
(and ``absent: true`` entries) stay as they are and are reported for a manual rewrite.

Directories given as PATH are copied whole into DIR (audio and scenario files referred to by
relative paths keep working); a file given as PATH is written at the top of DIR.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from provisioner import actions
from provisioner.actions.document import writer
from provisioner.errors import ConfigError
from provisioner.manifest.desired import YAML_SUFFIXES
from provisioner.migrate.scenarios import CONVERTIBLE, MANUAL, convert, header

SCENARIO_DIR = "scenarios"
KEPT_KEYS = ("protect", "previous_names")


@dataclass(frozen=True)
class Converted:
    address: str
    package: str
    scenario: Path
    unmapped: tuple[str, ...]


@dataclass(frozen=True)
class Manual:
    address: str
    package: str
    why: str


@dataclass
class Report:
    converted: list[Converted] = field(default_factory=list)
    manual: list[Manual] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        """Anything left to migrate (what ``--check`` fails on)."""
        return bool(self.converted or self.manual)

    def lines(self) -> list[str]:
        out = []
        for item in self.converted:
            out.append(f"{item.address}: {item.package} -> ACTIONS10 ({item.scenario})")
            out.extend(f"    no documented equivalent: {path}" for path in item.unmapped)
        out.extend(f"{item.address}: {item.package}: {item.why}" for item in self.manual)
        return out


def _sources(paths: Sequence[Path]) -> Iterator[tuple[Path, Path]]:
    """(manifest file, its path relative to DIR) for every manifest of ``paths``."""
    for root in paths:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.suffix in YAML_SUFFIXES and path.is_file():
                    yield path, path.relative_to(root)
        else:
            yield root, Path(root.name)


def _app_maps(document: Any) -> Iterator[tuple[str, CommentedMap]]:
    """(address prefix, ``apps`` mapping) of the master and of each sub-account's resources."""
    if not isinstance(document, dict):
        return
    if isinstance(document.get("apps"), dict):
        yield "", document["apps"]
    for name, sub in (document.get("subaccounts") or {}).items():
        resources = sub.get("resources") if isinstance(sub, dict) else None
        if isinstance(resources, dict) and isinstance(resources.get("apps"), dict):
            yield f'subaccount["{name}"].', resources["apps"]


def _address(prefix: str, name: str) -> str:
    return f'{prefix}app["{name}"]' if re.search(r'[\s"\[\]]', name) else f"{prefix}app.{name}"


def _file_name(name: str, taken: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "app"
    candidate, n = f"{stem}.yaml", 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}.yaml"
    taken.add(candidate)
    return candidate


def migrate_file(text: str, rel: Path, report: Report) -> tuple[str, dict[Path, str]]:
    """The converted manifest text and the scenario files to write (paths relative to DIR)."""
    yaml = writer(preserve_quotes=True)
    document = yaml.load(text)
    scenarios: dict[Path, str] = {}
    taken: set[str] = set()
    for prefix, apps in _app_maps(document):
        for name, spec in list(apps.items()):
            package = spec.get("package") if isinstance(spec, dict) else None
            address = _address(prefix, str(name))
            if package in MANUAL:
                report.manual.append(Manual(address, package, "needs a manual rewrite as a "
                                            "Callr Actions scenario (it is driven by your URL)"))
                continue
            if package not in CONVERTIBLE:
                continue
            if spec.get("absent"):
                report.manual.append(Manual(address, package, "absent: true: delete the app "
                                            "through JSON-RPC, then remove the entry"))
                continue
            scenario = convert(package, _plain(spec.get("params")))
            relative = Path(SCENARIO_DIR) / _file_name(str(name), taken)
            target = rel.parent / relative
            scenarios[target] = header(str(name), package, scenario.unmapped) + actions.dump(
                scenario.data)
            apps[name] = _actions_entry(spec, relative)
            report.converted.append(Converted(address, package, target, scenario.unmapped))
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue(), scenarios


def _actions_entry(spec: CommentedMap, script_file: Path) -> CommentedMap:
    entry = CommentedMap()
    entry["package"] = "ACTIONS10"
    entry["params"] = CommentedMap(script_file=script_file.as_posix())
    for key in KEPT_KEYS:
        if key in spec:
            entry[key] = spec[key]
    return entry


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def migrate(paths: Sequence[Path], out: Path | None) -> Report:
    """Convert ``paths`` into ``out`` (None: write nothing, only report)."""
    report = Report()
    planned: dict[Path, str] = {}
    for source, rel in _sources(paths):
        text, scenarios = migrate_file(source.read_text(encoding="utf-8"), rel, report)
        planned[rel] = text
        planned.update(scenarios)
    if out is None:
        return report
    _check_out(out, paths)
    for root in paths:
        if root.is_dir():
            shutil.copytree(root, out, dirs_exist_ok=True)
    for rel, text in planned.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        report.written.append(target)
    return report


def _check_out(out: Path, paths: Sequence[Path]) -> None:
    resolved = out.resolve()
    for root in paths:
        base = root.resolve() if root.is_dir() else root.resolve().parent
        overlaps = resolved == base or (root.is_dir() and (base in resolved.parents
                                                           or resolved in base.parents))
        if overlaps:
            raise ConfigError(f"-o {out} overlaps the manifests in {root}: write the converted "
                              "manifests to a separate directory")
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} is not empty: give a new or empty directory")
