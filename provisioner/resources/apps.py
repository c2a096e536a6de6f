"""Voice apps (``apps:``): identity is the app's name.

Live read: ``apps.get_list(true)``, one call that also gives every app's DIDs (shared with the
numbers kind). Only the params the manifest sets are compared; an update sends the live params
with the desired ones laid over them, because ``apps.edit`` replaces params whole. A package
cannot be edited: the app is replaced, the new one created first so numbers move to it before
the old one is deleted. An ACTIONS10 scenario is compared as parsed YAML (``actions.same``).

Real accounts also hold apps of packages the tool does not know (``CALLFORWARDING10``,
``TRUNKTERMINATION10`` ...). They are read and shown in the plan as unmanaged (a warning), and
are never changed or deleted, not even by ``policy.prune: [apps]`` or by a manifest app of the
same name (which is created beside them), unless an ``absent: true`` entry names them.
"""

from __future__ import annotations

from typing import Any

from provisioner import actions
from provisioner.manifest.desired import Desired
from provisioner.models.apps import APP_CLASSES, MEDIA_PATHS
from provisioner.models.values import compact_number
from provisioner.planning.diff import compare, flatten, merge
from provisioner.planning.plan import Action, Change, FieldChange, Ref
from provisioner.resources import duplicates, policy
from provisioner.resources.base import Live, LiveReader, PlanContext, ResourceKind
from provisioner.resources.duplicates import Split
from provisioner.sensitive import wrap_paths


class AppKind(ResourceKind):
    kind = "app"
    section = "apps"
    rank = 30
    needs = ("apps", "numbers", "orders")

    def read(self, reader: LiveReader) -> list[Live]:
        apps = reader.call("apps.get_list", with_numbers=True)
        out = []
        for app in apps:
            package = (app.get("package") or {}).get("name", "")
            params = normalize_params(package, app.get("p") or {})
            out.append(Live(app["hash"], app.get("name", ""), {"package": package,
                                                               "params": params}))
        return out

    def prunable(self, live: Live) -> bool:
        return live.attrs["package"] in APP_CLASSES

    def plan_entries(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        changes: list[Change] = []
        self._warn_unmanaged(desired, ctx)
        for name, spec in desired.apps.items():
            candidates = ctx.live.get(self.kind, {}).get(name, [])
            if spec.absent:  # named explicitly: an app of any package goes
                changes.extend(self._delete(name, obj, ctx) for obj in candidates)
                continue
            candidates = [c for c in candidates if self.prunable(c)]
            ok, renamed = policy.rename_candidate(self, name, spec, ctx)
            if not ok:
                continue  # reported: two live apps could be renamed to this name
            if renamed is not None:
                candidates = [renamed]
            same = [c for c in candidates if c.attrs["package"] == spec.package]
            live: Live | None = same[0] if same else None
            extras: list[Live] = []
            if len(same) > 1:
                kept = self.keep(name, same, ctx)
                if kept is None:
                    self.unique(name, ctx)  # reports the ambiguity
                    continue
                live, extras = kept
                changes.extend(duplicates.marked(self._delete(name, extra, ctx), live,
                                                 len(same), self.section) for extra in extras)
            # Apps of the same name but another package are what a replace leaves behind (the
            # package cannot be edited): they are deleted, and their numbers follow the app.
            leftovers = [c for c in candidates if c is not live and c not in extras]
            params = resolve_media(spec.params.model_dump(exclude_unset=True), ctx)
            params = wrap_paths(params, spec.sensitive)
            if live is None:
                changes.append(self._create(name, spec.package, params, ctx,
                                            replacing=leftovers))
            else:
                ctx.publish(self.kind, name, live.id)
                update = self._update(name, live, params, spec.sensitive, ctx)
                if update is not None:
                    changes.append(update)
            for old in leftovers:
                ctx.replaced[old.id] = ctx.id_of(self.kind, name)
                changes.append(self._delete(name, old, ctx, replaced=True))
        return changes

    def _warn_unmanaged(self, desired: Desired, ctx: PlanContext) -> None:
        """One warning listing the apps of packages the tool does not manage."""
        unknown = sorted((str(live.identity), live.attrs["package"], str(live.id))
                         for lives in ctx.live.get(self.kind, {}).values() for live in lives
                         if not self.prunable(live)
                         and not getattr(desired.apps.get(live.identity), "absent", False))
        if unknown:
            listed = ", ".join(f"{name!r} ({package}, {ident})" for name, package, ident in unknown)
            ctx.warnings.append(f"{ctx.prefix}apps of packages this tool does not manage, left "
                                f"as they are (unmanaged): {listed}")

    def keep(self, identity: Any, found: list[Live], ctx: PlanContext) -> Split | None:
        """Copies of one app (same name and package): keep the one with numbers, or the
        oldest; two with numbers cannot be told apart safely."""
        listed = ctx.read("apps.get_list", with_numbers=True)
        ages = duplicates.ages(listed, "date_creation")
        numbered = {app.get("hash") for app in listed or [] if app.get("did")}
        return duplicates.split(found, lambda obj: obj.id in numbered,
                                lambda obj: ages.get(obj.id, ("", 0)))

    def _create(self, name: str, package: str, params: dict[str, Any], ctx: PlanContext,
                replacing: list[Live]) -> Change:
        address = ctx.address(self.kind, name)
        call = ctx.call(address, "apps.create", package=package, name=name, params=params or None)
        ctx.publish(self.kind, name, Ref(call.id, ("hash",)))
        fields = tuple(FieldChange(path, None, value)
                       for path, value in sorted(flatten(params, "params").items()))
        action = Action.REPLACE if replacing else Action.CREATE
        notes = tuple(f"replaces {old.attrs['package']} app {old.id}: a package cannot be edited"
                      for old in replacing)
        return Change(address, self.kind, action, package, fields, (call,), notes, ctx.account)

    def _update(self, name: str, live: Live, params: dict[str, Any],
                sensitive: frozenset[tuple[str, ...]], ctx: PlanContext) -> Change | None:
        """Edit params in place; an app found by a previous name is renamed by the same call
        (same hash: its numbers stay assigned)."""
        if live.attrs["package"] == "ACTIONS10":
            params = same_scenario_as_live(live.attrs["params"], params)
        fields = compare(live.attrs["params"], params, sensitive, prefix="params")
        summary = live.attrs["package"]
        new_name = None
        if live.identity != name:
            new_name = name
            fields = (FieldChange("name", live.identity, name), *fields)
            summary = f"rename {live.identity} -> {name}"
        if not fields:
            return None
        address = ctx.address(self.kind, name)
        call = ctx.call(address, "apps.edit", hash=live.id, name=new_name,
                        params=merge(live.attrs["params"], params))
        return Change(address, self.kind, Action.UPDATE, summary, tuple(fields), (call,),
                      account=ctx.account)

    def delete(self, identity: Any, live: Live, ctx: PlanContext) -> Change:
        return self._delete(identity, live, ctx)

    def _delete(self, name: str, live: Live, ctx: PlanContext, replaced: bool = False) -> Change:
        address = ctx.address(self.kind, name)
        ctx.deleted[self.kind].add(live.id)
        ctx.names[(self.kind, live.id)] = name
        call = ctx.call(address, "apps.delete", hash=live.id)
        note = "the app it replaces" if replaced else "absent: true"
        return Change(address, self.kind, Action.DELETE, f"{live.attrs['package']} {live.id}",
                      calls=(call,), notes=(note,), account=ctx.account)


def same_scenario_as_live(live: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Scenarios compare as parsed YAML: a desired script that is the live one but for
    comments, key order, indentation or quoting is taken as the live text (no change)."""
    old, new = live.get("script"), params.get("script")
    if isinstance(old, str) and isinstance(new, str) and actions.same(old, new):
        return {**params, "script": old}
    return params


def normalize_params(package: str, params: dict[str, Any]) -> dict[str, Any]:
    """Live params as the manifest would write them: numbers compact, secrets wrapped."""
    cls = APP_CLASSES.get(package)
    sensitive = cls.sensitive if cls is not None else frozenset()
    out = dict(params)
    targets = out.get("targets")
    if isinstance(targets, list):
        out["targets"] = [
            {**t, "number": compact_number(t.get("number"))} if isinstance(t, dict) else t
            for t in targets
        ]
    return dict(wrap_paths(out, sensitive))


def resolve_media(params: dict[str, Any], ctx: PlanContext) -> dict[str, Any]:
    """Replace media names in media fields by the media's id (or a Ref to its creation)."""
    out = dict(params)
    for path in MEDIA_PATHS:
        _resolve_at(out, path, ctx)
    return out


def _resolve_at(node: dict[str, Any], path: tuple[str, ...], ctx: PlanContext) -> None:
    head, rest = path[0], path[1:]
    keys = list(node) if head == "*" else [head]
    for key in keys:
        if key not in node:
            continue
        if rest:
            if isinstance(node[key], dict):
                node[key] = dict(node[key])
                _resolve_at(node[key], rest, ctx)
        elif isinstance(node[key], str):
            ident = ctx.id_of("media", node[key])
            if ident is None and ("media", node[key]) not in ctx.failed:
                ctx.error(f"media {node[key]!r} is not defined")
            node[key] = ident
