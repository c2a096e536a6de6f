"""SIP trunks (``sip.trunks.origination`` and ``sip.trunks.termination``), one kind.

objects.txt documents no trunk field, so a trunk's ``properties`` and ``options`` are opaque
mappings and a trunk is identified by its content (both mappings, compared order-insensitively
for mapping keys); the manifest key only names it in plans (``sip_trunk.origination.pbx-paris``).

A direction's section, when the manifest has one, lists ALL trunks of that direction: a live
trunk whose content no entry wants is deleted. A desired trunk with no live twin is created; when
a live trunk is left over too, the two are shown as a replace (the closest live trunk is paired
with it, field by field) and run create-before-delete: the create in the ordinary phase, the
delete with every delete at the end of the plan, so calls keep flowing through one trunk or the
other. Without a section for a direction, its live trunks are left alone.

Live read: ``sip/trunk/{direction}.search`` paged to the end, for both directions.
"""

from __future__ import annotations

import json
from typing import Any

from provisioner.manifest.desired import Desired
from provisioner.models.sip import TrunkSpec
from provisioner.planning.diff import describe
from provisioner.planning.plan import Action, Change, FieldChange, Ref
from provisioner.resources.base import Live, LiveReader, PlanContext, ResourceKind

DIRECTIONS = ("origination", "termination")


def content_key(properties: Any, options: Any) -> str:
    """A trunk's identity: its content as canonical JSON (mapping keys sorted)."""
    body = {"properties": properties or {}, "options": options or {}}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


class SipTrunkKind(ResourceKind):
    kind = "sip_trunk"
    section = "sip_trunks"
    needs = ("trunks_origination", "trunks_termination")
    rank = 45

    def read(self, reader: LiveReader) -> list[Live]:
        out = []
        for direction in DIRECTIONS:
            for trunk in reader.search(f"sip/trunk/{direction}.search"):
                properties = dict(trunk.get("properties") or {})
                options = dict(trunk.get("options") or {})
                identity = (direction, content_key(properties, options))
                out.append(Live(trunk["id"], identity, {"direction": direction,
                                                        "properties": properties,
                                                        "options": options}))
        return out

    def entries(self, desired: Desired) -> dict[Any, Any]:
        """Entries of both directions, keyed ``direction.name`` like their addresses."""
        return {f"{direction}.{name}": spec for direction in DIRECTIONS
                for name, spec in getattr(desired, f"trunks_{direction}").items()}

    def plan_entries(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        changes: list[Change] = []
        for direction in DIRECTIONS:
            section = f"trunks_{direction}"
            if section not in desired.present:
                continue  # no section for this direction: its live trunks are not managed
            entries: dict[str, TrunkSpec] = getattr(desired, section)
            changes.extend(_Direction(self.kind, direction, entries, ctx).plan())
        return changes


class _Direction:
    """The plan of one direction's trunks against its live trunks."""

    def __init__(self, kind: str, direction: str, entries: dict[str, TrunkSpec],
                 ctx: PlanContext) -> None:
        self.kind = kind
        self.direction = direction
        self.entries = entries
        self.ctx = ctx
        self.service = f"sip/trunk/{direction}"
        lives = [obj for group in ctx.live.get(kind, {}).values() for obj in group
                 if obj.attrs["direction"] == direction]
        # Unclaimed live trunks in id order, and by content key: claiming one is O(1).
        self.unclaimed: dict[int, Live] = {
            id(obj): obj for obj in sorted(lives, key=lambda obj: str(obj.id).zfill(20))}
        self.by_key: dict[str, list[Live]] = {}
        for obj in self.unclaimed.values():
            self.by_key.setdefault(obj.identity[1], []).append(obj)

    def address(self, name: str) -> str:
        return self.ctx.address(self.kind, f"{self.direction}.{name}")

    def plan(self) -> list[Change]:
        absent = {content_key(s.properties, s.options): name
                  for name, s in self.entries.items() if s.absent}
        to_create: list[tuple[str, TrunkSpec]] = []
        for name, spec in self.entries.items():
            if spec.absent:
                continue
            key = content_key(spec.properties, spec.options)
            if key in absent:
                self.ctx.error(
                    f"{self.direction} trunks {name!r} and {absent[key]!r} have the same content "
                    f"but {absent[key]!r} is absent: true: remove one of them"
                )
                continue
            live = self._claim(key)
            if live is None:
                to_create.append((name, spec))
            else:
                self.ctx.publish(self.kind, f"{self.direction}.{name}", live.id)
        changes: list[Change] = []
        for name, spec in to_create:
            old = self._closest(spec)
            changes.append(self._create(name, spec, old))
            if old is not None:
                changes.append(self._delete(name, old, f"replaced by {self.address(name)}"))
        for live in list(self.unclaimed.values()):
            key = live.identity[1]
            name = absent.get(key, f"#{live.id}")
            note = ("absent: true" if key in absent else
                    f"not in the manifest's sip.trunks.{self.direction}, which lists them all")
            changes.append(self._delete(name, live, note))
        return changes

    def _claim(self, key: str) -> Live | None:
        """The first unclaimed live trunk (by id) with this content, now claimed."""
        for live in self.by_key.get(key, []):
            if self.unclaimed.pop(id(live), None) is not None:
                return live
        return None

    def _closest(self, spec: TrunkSpec) -> Live | None:
        """The unclaimed live trunk most like ``spec`` (most equal top-level entries)."""
        if not self.unclaimed:
            return None

        def score(live: Live) -> int:
            return (_same(live.attrs["properties"], spec.properties)
                    + _same(live.attrs["options"], spec.options))

        best = max(self.unclaimed.values(), key=score)  # the first (lowest id) on ties
        del self.unclaimed[id(best)]
        return best

    def _create(self, name: str, spec: TrunkSpec, old: Live | None) -> Change:
        address = self.address(name)
        call = self.ctx.call(address, f"{self.service}.create", properties=dict(spec.properties),
                             options=dict(spec.options) or None)
        self.ctx.publish(self.kind, f"{self.direction}.{name}", Ref(call.id, ("id",)))
        new = {"properties": dict(spec.properties), "options": dict(spec.options)}
        if old is None:
            fields = tuple(FieldChange(f"{part}.{key}", None, value)
                           for part in ("properties", "options")
                           for key, value in sorted(new[part].items()))
            return Change(address, self.kind, Action.CREATE, f"{self.direction} trunk", fields,
                          (call,), account=self.ctx.account)
        current = {"properties": old.attrs["properties"], "options": old.attrs["options"]}
        note = (f"replaces {self.direction} trunk {old.id} (the fields shown differ from it): "
                "created first, the old one is deleted at the end of the plan so calls keep "
                "flowing")
        return Change(address, self.kind, Action.REPLACE, f"new {self.direction} trunk",
                      describe(current, new), (call,), (note,), self.ctx.account)

    def _delete(self, name: str, live: Live, note: str) -> Change:
        address = self.address(name)
        self.ctx.deleted[self.kind].add(live.id)
        call = self.ctx.call(address, f"{self.service}.delete", id=live.id)
        return Change(address, self.kind, Action.DELETE, f"{self.direction} trunk {live.id}",
                      calls=(call,), notes=(note,), account=self.ctx.account)


def _same(live: dict[str, Any], wanted: dict[str, Any]) -> int:
    return sum(1 for key, value in wanted.items() if key in live and live[key] == value)
