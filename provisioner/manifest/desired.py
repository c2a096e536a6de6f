"""Manifest files -> one validated ``Desired`` account, or every problem at once.

Steps: expand the paths (directories give their ``*.yaml``/``*.yml`` files, recursively, sorted,
skipping dot-files and dot-folders),
load each file with positions and ``${env:...}`` substitution, validate it against
``ManifestFile``, merge the files (the same identity twice is an error naming both places), then
check references across entries (a number's app must be defined and take DIDs ...). Nothing here
talks to the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from provisioner.errors import ConfigError, ManifestError, Notice, Problem
from provisioner.manifest import overlay
from provisioner.manifest.envref import RecordingEnv
from provisioner.manifest.loader import (
    Document,
    Path_,
    default_env,
    load_document,
    walk,
    without_second_hand,
)
from provisioner.manifest.paths import PATH_ERRORS, expand_paths

# re-exported: migrate.convert imports it from here
from provisioner.manifest.paths import YAML_SUFFIXES as YAML_SUFFIXES
from provisioner.manifest.pydantic_errors import closest, did_you_mean, problems_from
from provisioner.models.manifest import SECTIONS, Section
from provisioner.models.policy import Policy, check_policy


@dataclass(frozen=True)
class Origin:
    """Where an entry was defined: its document and its path inside it."""

    doc: Document
    path: Path_

    def __str__(self) -> str:
        file, line, col = self.doc.locate(self.path, key=True)
        return f"{file}:{line}:{col}"

    def problem(self, message: str, *sub: str | int, key: bool = False) -> Problem:
        return self.doc.problem((*self.path, *sub), message, key=key)


@dataclass
class Desired:
    """The merged desired state of one account (the master, or a sub-account's resources)."""

    apps: dict[str, Any] = field(default_factory=dict)
    numbers: dict[str, str | None] = field(default_factory=dict)
    orders: dict[Any, Any] = field(default_factory=dict)
    media: dict[str, Any] = field(default_factory=dict)
    sip_subscribers: dict[str, Any] = field(default_factory=dict)
    trunks_origination: dict[str, Any] = field(default_factory=dict)
    trunks_termination: dict[str, Any] = field(default_factory=dict)
    webhooks: dict[Any, Any] = field(default_factory=dict)
    subaccounts: dict[str, Any] = field(default_factory=dict)
    accounts: dict[str, Desired] = field(default_factory=dict)
    """Each sub-account's own resources, keyed like ``subaccounts``."""
    origins: dict[tuple[str, Any], Origin] = field(default_factory=dict)
    invalid: set[tuple[str, Any]] = field(default_factory=set)
    present: set[str] = field(default_factory=set)
    """Sections written in some file, even empty (``origination: {}`` manages "no trunk")."""
    policy: Policy = field(default_factory=Policy)
    """This account's ``policy`` (prune, ignore, safety); the defaults when no file has one."""
    policy_origin: Origin | None = None
    variables_used: set[str] = field(default_factory=set)
    """The names of the ``${var:NAME}`` placeholders of the files and overlays (master only)."""
    warnings: list[Problem] = field(default_factory=list)
    """Located notices that do not make the manifest invalid (an unknown Actions action)."""
    env_used: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Every ``${env:NAME}`` value read while loading (a saved plan stores references to
    them, never the values: ``envref``)."""

    def origin(self, section: str, identity: Any) -> Origin | None:
        return self.origins.get((section, identity))

    def names(self, section: str) -> list[Any]:
        """Every identity defined in ``section``, valid or not (for "did you mean" hints)."""
        return [identity for (sec, identity) in self.origins if sec == section]

    def is_defined(self, section: str, identity: Any) -> bool:
        return (section, identity) in self.origins


def load(paths: Sequence[str | Path], env: Mapping[str, str] | None = None, *,
         variables: Mapping[str, Any] | None = None, var_files: Sequence[str | Path] = (),
         overlays: Sequence[str | Path] = ()) -> Desired:
    """Load, validate and merge manifest files; raise ManifestError listing every problem.

    ``${var:NAME}`` takes ``var_files`` (in order) then ``variables``; ``overlays`` apply, in
    order, on top of the base files before validation (``provisioner.manifest.overlay``).
    """
    env = RecordingEnv(default_env() if env is None else env)
    files, problems = expand_paths(paths)
    filed, var_problems = overlay.read_var_files(var_files, _display, env)
    variables = {**filed, **(variables or {})}
    problems.extend(var_problems)
    loaded = [(*load_document(path, _display(path), env, variables), path) for path in files]
    for doc, _, path in loaded:
        doc.root = _root(path, paths)
        doc.env = env
    loaded = _without_scenario_files(loaded)
    added, overlay_problems = overlay.apply_overlays(
        [doc for doc, _, _ in loaded], overlays, _display, env, variables)
    problems.extend(overlay_problems)
    desired = Desired()
    for doc, doc_problems, _ in [*loaded, *((doc, [], None) for doc in added)]:
        problems.extend(doc_problems)
        desired.warnings.extend(doc.notices)
        if doc.data is None and not doc_problems:
            problems.append(Problem(doc.file, 1, 1, "", "empty manifest: add 'version: 1'"))
            continue
        if doc_problems and doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            problems.append(doc.problem((), "a manifest is a mapping with 'version: 1' at the top"))
            continue
        _validate_and_merge(desired, doc, problems)
    problems.extend(check_references(desired))
    problems = without_second_hand(problems, [*(doc for doc, _, _ in loaded), *added])
    problems = overlay.reword_added(problems, added, desired)
    if problems:
        raise ManifestError(problems)
    desired.variables_used = {name for doc in [*(doc for doc, _, _ in loaded), *added]
                              for name in doc.used_variables}
    desired.env_used = dict(env.used)
    return desired


def unknown_variables(given: Mapping[str, Any], used: set[str]) -> None:
    """ConfigError for a ``--var`` no manifest or overlay uses (a typo would otherwise pass
    unseen, the manifests taking a default or a var-file's value)."""
    unknown = sorted(set(given) - used)
    if not unknown:
        return
    hints = "; ".join(f"--var {name}: no manifest uses ${{var:{name}}}"
                      f"{closest(name, sorted(used))}" for name in unknown)
    known = f"the manifests use {', '.join(sorted(used))}" if used else "they use no variable"
    raise ConfigError(f"{hints} ({known}); nothing was sent to the API")


def _without_scenario_files(loaded: list[tuple[Document, list[Problem], Path]],
                            ) -> list[tuple[Document, list[Problem], Path]]:
    """The loaded files less the Callr Actions scenarios a manifest refers to with
    ``script_file:`` (a folder of manifests holds them; they are not manifests)."""
    referenced: set[Path] = set()
    for doc, _, path in loaded:
        for written in _script_files(doc.data):
            try:
                referenced.add((path.parent / written).resolve())
            except PATH_ERRORS:
                continue  # not a file this folder holds; the scenario check reports it
    if not referenced:
        return loaded
    return [entry for entry in loaded if entry[2].resolve() not in referenced]


def _script_files(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return []
    accounts: list[Any] = [data]
    subs = data.get("subaccounts")
    if isinstance(subs, dict):
        accounts += [s.get("resources") for s in subs.values() if isinstance(s, dict)]
    found = []
    for account in accounts:
        apps = account.get("apps") if isinstance(account, dict) else None
        for app in apps.values() if isinstance(apps, dict) else ():
            params = app.get("params") if isinstance(app, dict) else None
            written = params.get("script_file") if isinstance(params, dict) else None
            if isinstance(written, str):
                found.append(written)
    return found


def _root(file: Path, given: Sequence[str | Path]) -> Path:
    """The folder audio files must stay in: the PATH argument holding ``file`` (or its folder)."""
    resolved = file.resolve()
    for raw in given:
        folder = Path(raw).resolve()
        if folder.is_dir() and resolved.is_relative_to(folder):
            return folder
    return resolved.parent


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _validate_and_merge(desired: Desired, doc: Document, problems: list[Problem]) -> None:
    data: dict[Any, Any] = doc.data
    if "version" not in data and "branches" in data:
        problems.append(doc.problem((), "this is a Callr Actions scenario, not a manifest: "
                                        "refer to it with 'script_file:' from an ACTIONS10 app"))
        return
    if "version" not in data:
        problems.append(doc.problem((), "missing 'version: 1' at the top of the file"))
    elif data["version"] != 1:
        message = f"unsupported version {data['version']!r}: use 1"
        problems.append(doc.problem(("version",), message))
    _validate_tree(desired, doc, (), data, problems, top=True)


def _validate_tree(desired: Desired, doc: Document, base: Path_, data: dict[Any, Any],
                   problems: list[Problem], *, top: bool) -> None:
    """Validate one account's sections found under ``base``, entry by entry, and merge them.

    Entry-level validation means one bad app does not hide problems elsewhere, and the names of
    invalid entries still count as defined, so they cause no second-hand "not defined" errors.
    """
    sections = [s for s in SECTIONS if top or s.name != "subaccounts"]
    _check_containers(doc, base, data, sections, problems, top=top)
    merge_policy(desired, doc, base, data, problems, top=top)
    for section in sections:
        raw = walk(data, section.path)
        if raw is None:
            continue
        desired.present.add(section.name)
        _merge_section(desired, section, doc, (*base, *section.path), raw, problems)
    if top:
        for name in desired.subaccounts:
            origin = desired.origins[("subaccounts", name)]
            if origin.doc is not doc:
                continue
            nested = desired.accounts.setdefault(name, Desired())
            resources = walk(data, ("subaccounts", origin.path[-1], "resources"))
            if isinstance(resources, dict):
                _validate_tree(nested, doc, (*origin.path, "resources"), resources, problems,
                               top=False)
                problems.extend(check_references(nested))


def _check_containers(doc: Document, base: Path_, data: dict[Any, Any],
                      sections: list[Section], problems: list[Problem], *, top: bool) -> None:
    """Unknown keys at the levels that hold sections (top level, ``sip``, ``sip.trunks``)."""
    allowed: dict[tuple[str, ...], set[str]] = {(): {"version", "policy"} if top else {"policy"}}
    for section in sections:
        for depth in range(len(section.path)):
            allowed.setdefault(section.path[:depth], set()).add(section.path[depth])
    entry_levels = {section.path for section in sections}
    for container, keys in allowed.items():
        if container in entry_levels:
            continue  # a section's own mapping: its keys are entries, checked by the section
        node = walk(data, container)
        if node is None:
            continue
        if not isinstance(node, dict):
            problems.append(doc.problem((*base, *container), "expected a mapping"))
            continue
        for key in node:
            if key not in keys:
                hint = did_you_mean(str(key), sorted(keys))
                what = "section" if not container else "key"
                problems.append(
                    doc.problem((*base, *container, key), f"unknown {what} {key!r}{hint}", key=True)
                )


def _merge_section(desired: Desired, section: Section, doc: Document, path: Path_, raw: Any,
                   problems: list[Problem]) -> None:
    target: dict[Any, Any] = getattr(desired, section.name)
    if section.is_list:
        if isinstance(raw, dict) and section.single_ok:
            raw = [raw]
            items: list[tuple[Any, Path_]] = [(raw[0], path)]
        elif not isinstance(raw, list):
            problems.append(doc.problem(path, f"{section.label} must be a list"))
            return
        else:
            items = [(value, (*path, i)) for i, value in enumerate(raw)]
        for value, item_path in items:
            checked = _validated(section.value_type, value, doc, item_path, problems)
            if checked is _INVALID:
                continue
            identity = section.identity(checked) if section.identity else item_path
            _add(desired, target, section, Origin(doc, item_path), identity, checked, problems)
        return
    if not isinstance(raw, dict):
        problems.append(doc.problem(path, f"{section.label} must be a mapping"))
        return
    for raw_key, raw_value in raw.items():
        if raw_key in section.reserved:
            continue
        entry_path = (*path, raw_key)
        identity = _validated(section.key_type, raw_key, doc, entry_path, problems, key=True)
        if identity is None:
            continue
        value = _validated(section.value_type, raw_value, doc, entry_path, problems)
        _add(desired, target, section, Origin(doc, entry_path), identity, value, problems)


def _add(desired: Desired, target: dict[Any, Any], section: Section, origin: Origin,
         identity: Any, value: Any, problems: list[Problem]) -> None:
    first = desired.origins.get((section.name, identity))
    if first is not None:
        shown = section.show(identity) if section.show else repr(identity)
        problems.append(origin.problem(
            f"{section.singular} {shown} is defined twice: also at {first}", key=True
        ))
        return
    desired.origins[(section.name, identity)] = origin
    if value is _INVALID:
        desired.invalid.add((section.name, identity))
        return
    if section.finish is not None:
        value, found = section.finish(value, origin)
        problems.extend(p for p in found if not isinstance(p, Notice))
        desired.warnings.extend(p for p in found if isinstance(p, Notice))
        if value is None:
            desired.invalid.add((section.name, identity))
            return
    target[identity] = value


_INVALID: Any = object()


@cache
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def _validated(tp: Any, value: Any, doc: Document, path: Path_, problems: list[Problem],
               *, key: bool = False) -> Any:
    try:
        return _adapter(tp).validate_python(value)
    except ValidationError as exc:
        located = problems_from(exc, doc, tp, path)
        if key:
            located = [doc.problem(path, p.message, key=True) for p in located]
        problems.extend(located)
        return None if key else _INVALID


def check_references(desired: Desired) -> list[Problem]:
    """Cross-entry checks of every section (each section's ``check``), then numbers -> apps."""
    problems: list[Problem] = []
    for section in SECTIONS:
        if section.check is not None:
            problems.extend(section.check(desired))
    problems.extend(check_policy(desired))
    for number, app_name in desired.numbers.items():
        if app_name is None:
            continue
        origin = desired.origins[("numbers", number)]
        app = desired.apps.get(app_name)
        if app is None and ("apps", app_name) in desired.invalid:
            continue
        if app is None:
            hint = closest(app_name, desired.names("apps"))
            problems.append(origin.problem(f"app {app_name!r} is not defined in apps{hint}"))
        elif app.absent:
            problems.append(origin.problem(f"app {app_name!r} is marked absent: it takes no DID"))
        elif not app.has_did:
            problems.append(origin.problem(
                f"app {app_name!r} is a {app.package} app, which cannot be assigned a DID"
            ))
    return problems


def merge_policy(desired: Desired, doc: Document, base: Path_, data: dict[Any, Any],
                 problems: list[Problem], *, top: bool) -> None:
    """Validate the ``policy`` of one account's section of a file and record it in ``desired``."""
    if "policy" not in data:
        return
    origin = Origin(doc, (*base, "policy"))
    if desired.policy_origin is not None:
        problems.append(origin.problem(
            f"policy is defined twice: also at {desired.policy_origin}", key=True))
        return
    desired.policy_origin = origin
    policy = _validated(Policy, data["policy"], doc, origin.path, problems)
    if not isinstance(policy, Policy):
        return
    desired.policy = policy
    if not top and "subaccounts" in policy.prune:
        index = policy.prune.index("subaccounts")
        problems.append(origin.problem(
            "a sub-account has no sub-accounts to prune: prune them at the top level",
            "prune", index))
