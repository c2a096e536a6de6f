"""Sub-accounts (``subaccounts:``): identity is the company name (or a pinned ``hash``).

Live read: ``account/sub.search({"archived": null})``, paged, archived ones included so a
re-declared archived sub-account is brought back instead of duplicated. Contact and params are
edited in place (``account/sub.edit``); ``enabled`` maps to ``account/sub.enable``/``disable``;
``account`` (first and last name) can only be set at creation, so a difference is a warning.
Retiring (``absent: true``) is disable, then archive, then wait for the archive job. The
sub-account's own resources are planned by the engine inside it, with Login-As.
"""

from __future__ import annotations

from typing import Any

from provisioner.models.subaccounts import SubAccountSpec
from provisioner.planning.diff import compare, flatten, merge
from provisioner.planning.plan import Action, Call, Change, FieldChange, Ref, Until
from provisioner.resources.base import AMBIGUOUS, Live, LiveReader, PlanContext, ResourceKind

JOB_TIMEOUT = 300.0
EDITABLE_PARAMS = {"billing": ("addresses", "emails"), "default": ("locale", "timezone")}


class SubAccountKind(ResourceKind):
    kind = "subaccount"
    section = "subaccounts"
    rank = 10

    def read(self, reader: LiveReader) -> list[Live]:
        out = []
        for hit in reader.search("account/sub.search", {"archived": None}):
            company = (hit.get("account") or {}).get("company", "")
            state = hit.get("state") or {}
            attrs = {
                "account": _pick(hit.get("account"), ("firstname", "lastname")),
                "contact": hit.get("contact") or {},
                "params": _editable_params(hit.get("params")),
                "enabled": not state.get("disabled", False),
                "archived": bool(state.get("archived", False)),
            }
            out.append(Live(hit["hash"], company, attrs))
        return out

    def match(self, name: Any, spec: SubAccountSpec, ctx: PlanContext) -> Any:
        """By company name (an archived one if no active one), or by the pinned ``hash``."""
        if spec.hash is None:
            found = ctx.live.get(self.kind, {}).get(name, [])
            active = [obj for obj in found if not obj.attrs["archived"]]
            if len(active) > 1 or (not active and len(found) > 1):
                self.unique(name, ctx)
                return AMBIGUOUS
            candidates = active or found
            return candidates[0] if candidates else None
        by_hash = {obj.id: obj for objs in ctx.live.get(self.kind, {}).values() for obj in objs}
        live = by_hash.get(spec.hash)
        if live is None:
            ctx.error(f"sub-account {name!r}: hash {spec.hash} is not a sub-account of this "
                      "account (remove `hash:` to create it)")
            return AMBIGUOUS
        if live.identity != name and live.identity not in spec.previous_names:
            ctx.error(f"sub-account {spec.hash} is named {live.identity!r}, not {name!r}: the API "
                      "cannot rename a company; use that name as the key")
            return AMBIGUOUS
        return live

    def prunable(self, live: Live) -> bool:
        return not live.attrs["archived"]

    def renaming(self, name: Any, live: Live, change: Change | None,
                 ctx: PlanContext) -> Change | None:
        """Adopt a sub-account found by a previous name: the API cannot rename a company, so
        it keeps its live name; the manifest key is only how the manifest refers to it."""
        ctx.warnings.append(
            f"{ctx.address(self.kind, name)}: managing live sub-account {live.identity!r} "
            f"({live.id}) through previous_names; the API cannot rename a company, so it keeps "
            f"the name {live.identity!r}")
        return change

    def to_delete(self, name: Any, spec: SubAccountSpec, ctx: PlanContext) -> list[Live]:
        live = self.match(name, spec, ctx)
        return [live] if isinstance(live, Live) and not live.attrs["archived"] else []

    def create(self, name: str, spec: SubAccountSpec, ctx: PlanContext) -> Change | None:
        wanted = _desired_attrs(spec)
        if not (wanted["contact"].get("emails")):
            ctx.error(f"sub-account {name!r}: contact.emails (one address) is required to "
                      "create it")
            return None
        address = ctx.address(self.kind, name)
        properties = {"account": {"company": name, **wanted["account"]},
                      "contact": wanted["contact"]}
        if wanted["params"]:
            properties["params"] = wanted["params"]
        create = ctx.call(address, "account/sub.create", properties=properties,
                          options={"password": {"method": "AUTO"}})
        ref = Ref(create.id, ("hash",))
        ctx.publish(self.kind, name, ref)
        calls: list[Call] = [create]
        if spec.enabled is False:
            calls.append(ctx.call(address, "account/sub.disable", hash=ref))
        fields = tuple(FieldChange(k, None, v) for k, v in sorted(flatten(properties).items()))
        return Change(address, self.kind, Action.CREATE, "", fields, tuple(calls),
                      generated_secrets=("credentials.password",))

    def update(self, name: str, live: Live, spec: SubAccountSpec,
                ctx: PlanContext) -> Change | None:
        wanted = _desired_attrs(spec)
        address = ctx.address(self.kind, name)
        fields: list[FieldChange] = []
        calls: list[Call] = []
        if live.attrs["archived"]:
            fields.append(FieldChange("archived", True, False))
            calls.append(ctx.call(address, "account/sub.unarchive", hash=live.id))
        edits = {k: wanted[k] for k in ("contact", "params") if wanted[k]}
        edit_fields = compare({k: live.attrs[k] for k in edits}, edits)
        if edit_fields:
            fields.extend(edit_fields)
            if "params" in edits:  # only the params sub-objects that change are sent
                changed = {f.path.split(".")[1] for f in edit_fields
                           if f.path.startswith("params.")}
                edits["params"] = {k: v for k, v in edits["params"].items() if k in changed}
                if not edits["params"]:
                    del edits["params"]
            calls.append(ctx.call(address, "account/sub.edit", hash=live.id,
                                  properties=_edit_properties(live, edits), options={}))
        for change in compare(live.attrs["account"], wanted["account"], prefix="account"):
            ctx.warnings.append(f"{address}: {change.path} cannot be changed after creation "
                                "(the API has no such edit); left as is")
        archived = live.attrs["archived"]
        currently = live.attrs["enabled"] and not archived  # unarchive leaves it disabled
        target = spec.enabled if spec.enabled is not None else (True if archived else None)
        if target is not None and target != currently:
            fields.append(FieldChange("enabled", currently, target))
            method = "account/sub.enable" if target else "account/sub.disable"
            calls.append(ctx.call(address, method, hash=live.id))
        if not calls:
            return None
        return Change(address, self.kind, Action.UPDATE, str(live.id), tuple(fields),
                      tuple(calls))

    def delete(self, name: str, live: Live, ctx: PlanContext) -> Change:
        """Retire: disable, archive, wait for the archive job (the API has no delete)."""
        address = ctx.address(self.kind, name)
        calls: list[Call] = []
        if live.attrs["enabled"]:
            calls.append(ctx.call(address, "account/sub.disable", hash=live.id))
        archive = ctx.call(address, "account/sub.archive", hash=live.id, options=None)
        wait = ctx.call(address, "jobs.get", job_id=Ref(archive.id),
                        until=Until("status", ("DONE",), ("CANCELED",), timeout=JOB_TIMEOUT,
                                    interval=0.5))
        calls += [archive, wait]
        return Change(address, self.kind, Action.DELETE, f"{live.id}: disable, archive",
                      calls=tuple(calls), notes=("absent: true; its resources stay archived "
                                                 "with it",))


def _desired_attrs(spec: SubAccountSpec) -> dict[str, Any]:
    def dump(model: Any) -> dict[str, Any]:
        return dict(model.model_dump(exclude_unset=True, by_alias=True)) if model else {}

    return {"account": dump(spec.account), "contact": dump(spec.contact),
            "params": dump(spec.params)}


def _edit_properties(live: Live, edits: dict[str, Any]) -> dict[str, Any]:
    """EditProperties: the given sub-objects whole (live values laid under the desired ones).

    ``params`` carries only the sub-objects the manifest sets: EditParams documents ``billing``
    only, so ``default`` (unconfirmed) is never sent unless the manifest sets it."""
    out = {k: merge(live.attrs[k], v) for k, v in edits.items() if k != "params"}
    if "params" in edits:
        current = live.attrs["params"]
        out["params"] = {k: merge(current.get(k, {}), v) for k, v in edits["params"].items()}
    return out


def _editable_params(params: Any) -> dict[str, Any]:
    """SubAccount.Params cut down to SubAccount.EditParams: ``account/sub.edit`` rejects the
    read-only ``billing.currency_code``, and an edit sends the live sub-objects back whole."""
    params = params or {}
    out: dict[str, Any] = {}
    for key, fields in EDITABLE_PARAMS.items():
        if isinstance(params.get(key), dict):
            out[key] = _pick(params[key], fields)
    return out


def _pick(obj: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    obj = obj or {}
    return {k: obj[k] for k in keys if k in obj}
