"""DID assignments (``numbers:``): identity is the E.164 number, the value the app's name.

Live read: the DIDs of ``apps.get_list(true)`` (shared with the apps kind) plus
``apps.get_dids(true)`` for the unassigned ones: two calls for the whole account, or one when
every number the manifest names is already assigned to some app (``read_for``). A number
absent from the manifest keeps its assignment, except that deleting an app frees its DIDs, which
the plan shows as unassigned (with no call of their own).
"""

from __future__ import annotations

from typing import Any

from provisioner.manifest.desired import Desired
from provisioner.models.apps import APP_CLASSES
from provisioner.models.values import compact_number
from provisioner.planning.plan import Action, Call, Change, Ref
from provisioner.resources.base import Live, LiveReader, PlanContext, ResourceKind
from provisioner.resources.orders import plan_orders


class NumberKind(ResourceKind):
    kind = "number"
    section = "numbers"
    rank = 50
    # Apps free their numbers when deleted; SIP subscribers may present one as their CLI.
    needs = ("numbers", "orders", "apps", "sip_subscribers")

    def read(self, reader: LiveReader) -> list[Live]:
        out = self._assigned(reader)
        self._add_available(reader, out)
        return list(out.values())

    def read_for(self, reader: LiveReader, desired: Desired) -> list[Live]:
        """The assigned DIDs (``apps.get_list(true)``, shared with apps), plus the unassigned
        ones (``apps.get_dids(true)``) only when the manifest names a number, as an assignment
        or a SIP subscriber's cli, that no app holds, or orders numbers (an order assigns the
        account's spare numbers before buying): nothing else looks at unassigned DIDs."""
        out = self._assigned(reader)
        named = set(desired.numbers) | {
            spec.cli for spec in desired.sip_subscribers.values()
            if not spec.absent and spec.cli is not None and spec.cli != "BLOCKED"}
        if not named <= out.keys() or desired.orders:  # orders take spare numbers first
            self._add_available(reader, out)
        return list(out.values())

    @staticmethod
    def _assigned(reader: LiveReader) -> dict[str, Live]:
        out: dict[str, Live] = {}
        for app in reader.call("apps.get_list", with_numbers=True):
            for did in app.get("did") or []:
                number = compact_number(did.get("intl_number"))
                out[number] = Live(did["hash"], number, {"app": app["hash"]})
        return out

    @staticmethod
    def _add_available(reader: LiveReader, out: dict[str, Live]) -> None:
        for did in reader.call("apps.get_dids", only_available=True):
            number = compact_number(did.get("intl_number"))
            out.setdefault(number, Live(did["hash"], number, {"app": did.get("app")}))

    def plan_entries(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        if ctx.reader is None:
            return self._plan_new_account(desired, ctx) + plan_orders(desired, ctx)
        changes: list[Change] = []
        live_numbers = ctx.live.get(self.kind, {})
        for number, app_name in desired.numbers.items():
            live = self.unique(number, ctx)
            if live is None:
                if number not in live_numbers:
                    origin = desired.origin("numbers", number)
                    where = f" ({origin})" if origin is not None else ""
                    ctx.error(f"number {number}{where} is not on the account: check it, or "
                              "order it from the DID store")
                continue
            change = self._reconcile(number, app_name, live, ctx)
            if change is not None:
                changes.append(change)
        # Ignored numbers still follow an app that is replaced: deleting the old app would
        # otherwise free them.
        every = {**live_numbers, **ctx.ignored.get(self.kind, {})}
        for number, lives in every.items():
            if number in desired.numbers:
                continue
            for live in lives:
                current = live.attrs.get("app")
                if current in ctx.replaced:
                    changes.append(self._follow(number, live, current, ctx))
                elif current in ctx.deleted.get("app", set()):
                    changes.append(self._freed(number, current, ctx))
        return changes + plan_orders(desired, ctx)

    def prune(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        """``policy.prune: [numbers]`` unassigns the numbers the manifest does not list; it never
        releases one. Numbers of an app with a ``numbers.order`` belong to the order (pruning
        them would make the next plan buy again), and those of an ignored app, or of an app of a
        package the tool does not manage, stay with it."""
        kept = {ctx.id_of("app", order.app) for order in desired.orders.values()}
        kept |= {live.id for lives in ctx.ignored.get("app", {}).values() for live in lives}
        kept |= {live.id for lives in ctx.live.get("app", {}).values() for live in lives
                 if live.attrs.get("package") not in APP_CLASSES}  # apps the tool cannot manage
        handled = ctx.deleted.get("app", set()) | set(ctx.replaced)
        note = ("pruned: not in the manifest (policy.prune lists numbers); the number stays on "
                "the account, assigned to no app")
        changes: list[Change] = []
        for number, lives in ctx.live.get(self.kind, {}).items():
            if number in desired.numbers:
                continue
            for live in lives:
                current = live.attrs.get("app")
                if current is None or current in kept or current in handled:
                    continue
                call = ctx.call(ctx.address(self.kind, number), "apps.remove_did",
                                did_hash=live.id)
                changes.append(self._change(number, Action.UNASSIGN,
                                            f"from {self._name(current, ctx)}", (call,), ctx,
                                            notes=(note,)))
        return changes

    def _plan_new_account(self, desired: Desired, ctx: PlanContext) -> list[Change]:
        """Numbers of a sub-account this plan creates: their DIDs are looked up at apply time."""
        changes = []
        for number, app_name in desired.numbers.items():
            target = ctx.id_of("app", app_name) if app_name else None
            if target is None:
                continue
            address = ctx.address(self.kind, number)
            lookup = ctx.call(address, "did.search", filters={"KEYWORDS": number.lstrip("+")},
                              options={"quantity": 1})
            assign = ctx.call(address, "apps.assign_did", app_hash=target,
                              did_hash=Ref(lookup.id, ("hits", 0, "hash")))
            changes.append(self._change(
                number, Action.ASSIGN, f"to {app_name}", (lookup, assign), ctx,
                notes=("the sub-account is created by this plan: the number is looked up "
                       "when applying",),
            ))
        return changes

    def _reconcile(self, number: str, app_name: str | None, live: Live,
                   ctx: PlanContext) -> Change | None:
        current = live.attrs.get("app")
        address = ctx.address(self.kind, number)
        if app_name is None:
            if current is None:
                return None
            if current in ctx.deleted.get("app", set()):
                return self._freed(number, current, ctx)
            call = ctx.call(address, "apps.remove_did", did_hash=live.id)
            return self._change(number, Action.UNASSIGN, f"from {self._name(current, ctx)}",
                                (call,), ctx)
        target = ctx.id_of("app", app_name)
        if target is None:
            return None  # the app could not be planned; its own error says why
        if target == current:
            return None
        call = ctx.call(address, "apps.assign_did", app_hash=target, did_hash=live.id)
        if current is None:
            return self._change(number, Action.ASSIGN, f"to {app_name}", (call,), ctx)
        summary = f"{self._name(current, ctx)} -> {app_name}"
        return self._change(number, Action.REASSIGN, summary, (call,), ctx)

    def _follow(self, number: str, live: Live, old_app: Any, ctx: PlanContext) -> Change:
        """A number not in the manifest stays with its app when that app is replaced."""
        address = ctx.address(self.kind, number)
        call = ctx.call(address, "apps.assign_did", app_hash=ctx.replaced[old_app],
                        did_hash=live.id)
        name = self._name(old_app, ctx)
        return self._change(number, Action.REASSIGN, f"{name} (old) -> {name} (new)", (call,),
                            ctx, notes=(f"follows app {name}, which is replaced",))

    def _freed(self, number: str, app_hash: Any, ctx: PlanContext) -> Change:
        name = self._name(app_hash, ctx)
        return self._change(number, Action.UNASSIGN, f"from {name}", (), ctx,
                            notes=(f"freed by deleting app {name}",))

    def _change(self, number: str, action: Action, summary: str, calls: tuple[Call, ...],
                ctx: PlanContext, notes: tuple[str, ...] = ()) -> Change:
        return Change(ctx.address(self.kind, number), self.kind, action, summary, (), calls, notes,
                      ctx.account)

    @staticmethod
    def _name(app_hash: Any, ctx: PlanContext) -> str:
        if isinstance(app_hash, Ref):
            return app_hash.describe()
        return str(ctx.name_of("app", app_hash))
