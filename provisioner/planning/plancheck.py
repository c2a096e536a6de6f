"""A saved plan's safety, derived again at apply from its calls and the live account.

A plan file may have been edited, and a plain digest can be recomputed by whoever edits it. So
``apply plan.json`` never trusts what the file says *about* its calls (an action, an address,
the ``unsafe`` list): it reads what each call does to which live object and decides again.

- Each write method has one effect on one kind (``EFFECTS``); a method plans never make (a
  release: ``did/store.cancel_subscription``) is refused.
- A change whose calls delete, unassign, take a number from its app or buy must say so
  (``delete``/``replace``, ``unassign``..., ``reassign``, ``purchase``): an ``apps.edit``
  turned into an ``apps.delete``, or a ``purchase`` relabelled ``assign``, is refused. So
  ``--allow-purchase`` is asked for every ``did/store.*`` write, whatever the file calls it.
- A delete of a protected object is refused. The object is the live one the call names (read
  at apply, by id), and the protected addresses come from the manifests when apply is given
  them, else from the plan's ``guards``.
- The safety thresholds are recomputed per live object touched (so packing 29 deletes into one
  change weighs 29), with the live counts read at apply and the thresholds of the manifests or
  the ``guards``. Deleting an app frees its numbers: they weigh as unassigned.
- A change whose calls act on live objects must be in the basis (else its staleness would go
  unchecked), and a sub-account's calls must log in to that sub-account (or a previous name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from provisioner.api.methods import METHODS
from provisioner.models.policy import SECTION_OF, Policy, Safety
from provisioner.planning import safety
from provisioner.planning.plan import Action, Change, Plan
from provisioner.render.codec import PlanFileError
from provisioner.resources import KINDS, SUBACCOUNTS, PlanContext
from provisioner.resources.policy import protected_addresses

if TYPE_CHECKING:
    from provisioner.manifest.desired import Desired
    from provisioner.planning.planbasis import Index
    from provisioner.resources.base import Live


@dataclass(frozen=True)
class Effect:
    kind: str
    action: Action
    subject: str | None = None
    """The argument naming the live object acted on (``hash``, ``did_hash``, ``id``)."""


def _crud(service: str, kind: str, subject: str = "id", delete: str = "delete",
          updates: Iterable[str] = ("edit",)) -> dict[str, Effect]:
    out = {f"{service}.create": Effect(kind, Action.CREATE),
           f"{service}.{delete}": Effect(kind, Action.DELETE, subject)}
    out.update({f"{service}.{verb}": Effect(kind, Action.UPDATE, subject) for verb in updates})
    return out


EFFECTS: dict[str, Effect] = {
    **_crud("apps", "app", "hash"),
    "apps.assign_did": Effect("number", Action.ASSIGN, "did_hash"),
    "apps.remove_did": Effect("number", Action.UNASSIGN, "did_hash"),
    "did/store.reserve": Effect("number", Action.PURCHASE),
    "did/store.buy_order": Effect("number", Action.PURCHASE),
    **_crud("sip/subscriber", "sip_subscriber"),
    **_crud("sip/trunk/origination", "sip_trunk"),
    **_crud("sip/trunk/termination", "sip_trunk"),
    **{k.replace(".create", ".subscribe"): v for k, v in _crud(
        "webhooks", "webhook", "hash", "unsubscribe", ("update",)).items()},
    **_crud("account/sub", "subaccount", "hash", "archive",
            ("edit", "enable", "disable", "unarchive")),
    **_crud("media/library", "media", "id", "delete", ("set_name", "set_tags", "set_content")),
    "media/tts.set_content": Effect("media", Action.UPDATE, "id"),
}
"""Every write method a plan makes -> its effect. Any other write is refused in a saved plan."""
RELEASES = {"did/store.cancel_subscription"}
STATED = {  # a change whose calls have this effect must be stated as one of these actions
    Action.DELETE: {Action.DELETE, Action.REPLACE},
    Action.UNASSIGN: {Action.UNASSIGN, Action.REASSIGN, Action.DELETE, Action.REPLACE},
    Action.PURCHASE: {Action.PURCHASE},
    Action.REASSIGN: {Action.REASSIGN},  # taking a number from the app that has it
}
STRENGTH = (Action.DELETE, Action.UNASSIGN, Action.REASSIGN, Action.UPDATE, Action.ASSIGN)


@dataclass(frozen=True)
class Guard:
    """What one account's saved plan is checked against."""

    protected: Mapping[str, str] = field(default_factory=dict)
    """Protected address (or a previous name's) -> the protecting entry's address."""
    policy: Policy = field(default_factory=Policy)
    subaccounts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The master's: each sub-account's name -> its previous names (what Login-As may find)."""

    def to_dict(self) -> dict[str, Any]:
        # pairs, not a mapping: an address may hold a value from the environment (a webhook
        # endpoint), and only values, never keys, are stored as references (``envref``)
        return {"protected": [list(pair) for pair in sorted(self.protected.items())],
                "safety": self.policy.safety.model_dump(mode="json"),
                "ignore": {k: list(v) for k, v in sorted(self.policy.ignore.items())},
                "subaccounts": {k: list(v) for k, v in sorted(self.subaccounts.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Guard:
        try:
            policy = Policy(safety=Safety(**data["safety"]), ignore=dict(data["ignore"]))
            return cls({str(k): str(v) for k, v in data["protected"]}, policy,
                       {str(k): tuple(map(str, v)) for k, v in data["subaccounts"].items()})
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanFileError(f"the plan file's guards are malformed ({exc!r})") from exc


def guard_of(desired: Desired, account: str) -> Guard:
    ctx = PlanContext({}, account=account)
    protected: dict[str, str] = {}
    for kind in (SUBACCOUNTS, *KINDS) if not account else KINDS:
        protected.update(protected_addresses(kind, desired, ctx))
    names = {} if account else {name: tuple(getattr(spec, "previous_names", ()))
                                for name, spec in desired.subaccounts.items()}
    return Guard(protected, desired.policy, names)


def guards_of(desired: Desired) -> dict[str, Guard]:
    """The guard of every account of the manifests ("" for the master)."""
    out = {"": guard_of(desired, "")}
    out.update({name: guard_of(nested, name) for name, nested in desired.accounts.items()})
    return out


def file_guards(plan: Plan) -> dict[str, Guard]:
    return {account: Guard.from_dict(data) for account, data in plan.guards.items()}


@dataclass(frozen=True)
class Touch:
    """One live object a call acts on, with the strongest effect found so far."""

    account: str
    kind: str
    address: str
    action: Action
    change: str


def kinds_touched(changes: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Account -> the kinds the file's write calls act on (numbers too when an app goes):
    what apply must read to derive the effects, from the raw file."""
    wanted: dict[str, set[str]] = {}
    for change in changes:
        for call in change.get("calls") or []:
            if isinstance(call.get("login_as"), str):  # which sub-account it logs in to
                wanted.setdefault("", set()).add(SUBACCOUNTS.kind)
            effect = EFFECTS.get(str(call.get("method")))
            subject = dict(call.get("args") or []).get(effect.subject) if effect else None
            if effect is None or not isinstance(subject, str | int):
                continue  # a create, or an object this plan creates (a Ref)
            kinds = wanted.setdefault(str(change.get("account") or ""), set())
            kinds.add(effect.kind)
            if effect.kind == "app" and effect.action is Action.DELETE:
                kinds.add("number")
    return wanted


def check(plan: Plan, live: Mapping[str, Index], guards: Mapping[str, Guard]) -> Plan:
    """The plan with ``unsafe`` derived again (plus the file's reasons); PlanFileError for a
    release, an unknown write, a change that hides what its calls do, or a delete of a
    protected object."""
    touches: dict[tuple[str, str, str], Touch] = {}
    problems: list[str] = []
    basis = {(e.account, e.kind, e.address) for e in plan.basis}
    for change in plan.changes:
        found = _derive(change, live.get(change.account), touches)
        if not found and _touches_live(change, touches) and (
                change.account, change.kind, change.address) not in basis:
            found = [f"{change.address}: its calls act on live objects but the basis does not "
                     "list it, so its staleness cannot be checked (the file was edited)"]
        problems.extend(found)
        problems.extend(_login_as(change, live.get(""), guards.get("") or Guard()))
    problems.extend(_protected(touches.values(), guards))
    if problems:
        raise PlanFileError("the saved plan was refused; nothing was applied:\n  "
                            + "\n  ".join(dict.fromkeys(problems)))
    derived = _unsafe(plan, touches.values(), live, guards)
    # The file's own reasons are kept too: removing them can only make a plan look safer.
    return replace(plan, unsafe=tuple(dict.fromkeys((*derived, *plan.unsafe))))


def _derive(change: Change, index: Index | None,
            touches: dict[tuple[str, str, str], Touch]) -> list[str]:
    problems: list[str] = []
    actions: set[Action] = set()
    for call in change.calls:
        if call.method in RELEASES:
            problems.append(f"{change.address}: {call.method} releases a number: a saved plan "
                            "never releases (use `provisioner release`)")
            continue
        effect = EFFECTS.get(call.method)
        if effect is None:
            row = METHODS.get(call.method)
            if row is None or not row.read_only:
                problems.append(f"{change.address}: {call.method} is not a call plans make")
            continue
        subject = dict(call.args).get(effect.subject) if effect.subject else None
        obj = _subject(index, effect, call.method, subject)
        action = _action(effect, obj.attrs if obj is not None else None)
        actions.add(action)
        if obj is None:
            if action in (Action.DELETE, Action.UNASSIGN) and isinstance(subject, str | int):
                problems.append(f"{change.address}: {call.method} names {effect.kind} "
                                f"{subject}, which is not on the account")
            continue
        assert index is not None
        # A trunk's identity is its content: its entry's address reads better.
        address = change.address if effect.kind == "sip_trunk" else index.address_of[
            (effect.kind, str(obj.id))]
        _touch(touches, Touch(change.account, effect.kind, address, action, change.address),
               f"{obj.attrs.get('direction', '')}:{obj.id}")
        if effect.kind == "app" and action is Action.DELETE:
            for number in index.numbers_of(str(obj.id)):
                _touch(touches, Touch(change.account, "number", number[1], Action.UNASSIGN,
                                      change.address), f":{number[0]}")
    for action, allowed in STATED.items():
        if action in actions and change.action not in allowed:
            problems.append(f"{change.address}: the change says {change.action.value} but its "
                            f"calls {action.value} (the file was edited): make the plan again")
    return problems


def _subject(index: Index | None, effect: Effect, method: str, subject: Any) -> Live | None:
    """The live object a call acts on, or None (a Ref to an object the plan creates)."""
    if index is None or not isinstance(subject, str | int) or isinstance(subject, bool):
        return None
    direction = method.split("/")[2].split(".")[0] if effect.kind == "sip_trunk" else None
    return index.find(effect.kind, str(subject), direction)


def _touches_live(change: Change, touches: Mapping[tuple[str, str, str], Touch]) -> bool:
    return any(t.change == change.address and t.account == change.account
               for t in touches.values())


def _login_as(change: Change, master: Index | None, guard: Guard) -> list[str]:
    """Each call of a sub-account's change logs in to that sub-account, not to another one."""
    hashes = {call.login_as for call in change.calls if isinstance(call.login_as, str)}
    problems = []
    for login_as in sorted(hashes):
        found = master.find(SUBACCOUNTS.kind, login_as) if master is not None else None
        names = {change.account, *guard.subaccounts.get(change.account, ())}
        if found is None or found.identity not in names:
            where = f"sub-account {found.identity!r}" if found else "no sub-account"
            problems.append(f"{change.address}: its calls log in to {login_as}, which is "
                            f"{where}, not {change.account!r} (the file was edited)")
    return problems


def _action(effect: Effect, attrs: Mapping[str, Any] | None) -> Action:
    """Assigning a number that an app holds moves it: a reassignment."""
    if effect.action is Action.ASSIGN and attrs is not None and attrs.get("app"):
        return Action.REASSIGN
    return effect.action


def _touch(touches: dict[tuple[str, str, str], Touch], touch: Touch, ident: str) -> None:
    key = (touch.account, touch.kind, ident)
    found = touches.get(key)
    if found is None or STRENGTH.index(touch.action) < STRENGTH.index(found.action):
        touches[key] = touch


def _protected(touches: Iterable[Touch], guards: Mapping[str, Guard]) -> list[str]:
    problems = []
    for touch in touches:
        guard = guards.get(touch.account) or Guard()
        entry = guard.protected.get(touch.address) or guard.protected.get(touch.change)
        if touch.action is Action.DELETE and entry is not None:
            problems.append(f"{touch.address} is protected (protect: true on {entry}) but the "
                            f"saved plan deletes it (in {touch.change})")
    return problems


def _unsafe(plan: Plan, touches: Iterable[Touch], live: Mapping[str, Index],
            guards: Mapping[str, Guard]) -> tuple[str, ...]:
    """Plan-time rules (``safety.assess``) on one pseudo-change per live object touched."""
    pseudo = [Change(t.address, t.kind, t.action, account=t.account) for t in touches]
    counts: dict[tuple[str, str], int] = {}
    for account, index in live.items():
        policy = (guards.get(account) or Guard()).policy
        for kind, identities in index.identities.items():
            section = SECTION_OF.get(kind)
            counts[(account, kind)] = sum(
                n for identity, n in identities.items()
                if section is None or policy.ignores(section, identity) is None)
    thresholds = {account: guard.policy.safety for account, guard in guards.items()}
    return safety.assess(replace(plan, changes=tuple(pseudo)), counts, thresholds)


def describe_calls(plan: Plan, live: Mapping[str, Index]) -> Sequence[str]:
    """One line per write call, naming the live object it acts on as read at apply."""
    lines = []
    for change in plan.changes:
        index = live.get(change.account)
        for call in change.calls:
            effect = EFFECTS.get(call.method)
            subject = dict(call.args).get(effect.subject) if effect and effect.subject else None
            where = index.address_of.get((effect.kind, str(subject))) if (
                effect and index and subject is not None) else None
            target = f" {where} ({subject})" if where else (
                f" {subject}" if isinstance(subject, str) else "")
            lines.append(f"{call.method}{target}  [{change.address}]")
    return lines
