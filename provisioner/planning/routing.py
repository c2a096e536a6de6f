"""Routing impact: for every number whose call handling a plan changes, the path before and after.

A path reads ``app support-line (CALLTRACKING10) -> targets +33123456789, +33198765432`` or
``app bot (REALTIME10) -> URL https://bot.example.com/callr``; a number assigned to no app reads
``no app``. It is computed at plan time from the live objects the plan read and the desired
state, and stored in the Plan (``Plan.routing``) so renderers only read the plan:

- before: the live app of the number (``apps.get_list``/``apps.get_dids``) and its live params;
- after: the app the manifest gives the number; for a number the manifest does not list, no
  app when the plan unassigns it (pruned, or freed by deleting its app), else the app it has
  now (a replaced app keeps its numbers); with the live params overlaid by the manifest's
  (``apps.edit`` sends them merged the same way).

Only what the plan runs counts (``planned``): a number without a change of its own keeps its
app, and an app without a change keeps its live params, so a ``--target`` plan shows no routing
change that its apply will not make.

A number held by an app the plan does not manage (``policy.ignore``) reads ``app NAME (not
managed)`` (its hash when the account did not say its name).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from provisioner.manifest.desired import Desired
from provisioner.planning.diff import merge
from provisioner.planning.plan import RouteChange
from provisioner.resources.base import Live, LiveAccount

NO_APP = "no app"
NOT_ON_ACCOUNT = "not on the account yet"


Planned = Callable[[str, Any], bool]
"""Whether the plan has a change of (kind, identity) in this account."""


def _everything(kind: str, identity: Any) -> bool:
    return True


def route_changes(desired: Desired, live: LiveAccount, account: str = "",
                  unassigned: Collection[str] = (),
                  planned: Planned = _everything,
                  unmanaged: Mapping[Any, Any] | None = None) -> list[RouteChange]:
    """The numbers of one account whose call path differs after the plan, sorted by number;
    ``unassigned``: the numbers the plan unassigns; ``planned``: which objects the plan
    changes (all, unless the plan is targeted); ``unmanaged``: live id -> name of the apps
    ``policy.ignore`` hides."""
    unmanaged = unmanaged or {}
    apps_by_hash = {obj.id: obj for objs in live.get("app", {}).values() for obj in objs}
    live_numbers = live.get("number", {})
    out = []
    for number in sorted(set(live_numbers) | set(desired.numbers)):
        lives = live_numbers.get(number, [])
        held = lives[0].attrs.get("app") if len(lives) == 1 else None
        current = apps_by_hash.get(held)
        if not planned("number", number) and current is not None:
            wanted: str | None = str(current.identity)
        elif not planned("number", number) and lives:
            continue  # the number keeps no app, or one the plan does not manage
        elif number in desired.numbers:
            wanted = desired.numbers[number]
        elif number in unassigned:
            wanted = None
        elif current is not None:
            wanted = str(current.identity)
        else:
            continue
        if not lives:
            before = NOT_ON_ACCOUNT
        elif held and current is None:
            before = f"app {unmanaged.get(held, held)} (not managed)"
        else:
            before = _path(current)
        after = _after(wanted, desired, live, planned)
        if before != after:
            out.append(RouteChange(account, number, before, after))
    return out


def _after(name: str | None, desired: Desired, live: LiveAccount,
           planned: Planned = _everything) -> str:
    if name is None:
        return NO_APP
    spec = desired.apps.get(name) if planned("app", name) else None
    candidates = live.get("app", {}).get(name, [])
    if spec is None:
        return describe(name, candidates[0].attrs["package"], candidates[0].attrs["params"]) \
            if candidates else f"app {name}"
    if getattr(spec, "absent", False):
        return NO_APP
    params: dict[str, Any] = spec.params.model_dump(exclude_unset=True)
    same = [c for c in candidates if c.attrs["package"] == spec.package]
    if same:
        params = merge(same[0].attrs["params"], params)
    return describe(name, spec.package, params)


def _path(app: Live | None) -> str:
    if app is None:
        return NO_APP
    return describe(str(app.identity), app.attrs["package"], app.attrs["params"])


def describe(name: str, package: str, params: Mapping[str, Any]) -> str:
    """``app NAME (PACKAGE)``, then where that package sends the call, when it says."""
    head = f"app {name} ({package})"
    targets = params.get("targets")
    if isinstance(targets, list) and targets:
        numbers = [str(t.get("number")) for t in targets if isinstance(t, dict)]
        return f"{head} -> targets {', '.join(numbers)}"
    url = params.get("url")
    if isinstance(url, str) and url:
        return f"{head} -> URL {url}"
    return head
