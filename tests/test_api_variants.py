"""The agency example under every alternative of the API's unconfirmed behaviours.

For each variant alone, and for all of them together, ``apply --yes`` converges the agency
example (master plus two sub-accounts, every kind) in at most two runs with no duplicate, or,
when a method the manifest needs does not exist, the plan fails before any write naming it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials
from provisioner.emulator import Emulator
from provisioner.emulator.variants import VARIANTS, missing_methods
from provisioner.errors import PlanError
from provisioner.manifest.desired import load
from provisioner.planning.engine import apply_plan, build_plan

AGENCY = Path(__file__).parent.parent / "examples" / "agency"
ENDPOINT = "http://emulator.test/json-rpc/v1.1/"
WRITES = ("create", "edit", "delete", "assign_did", "remove_did", "subscribe", "update",
          "unsubscribe", "set_", "disable", "enable", "archive", "reserve", "buy_order")


def _client(emu: Emulator) -> CallrClient:
    return CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                               transport=emu.transport())


def writes(emu: Emulator) -> int:
    methods: dict[str, int] = emu.stats()["methods"]
    return sum(n for name, n in methods.items()
               if any(name.rsplit(".", 1)[-1].startswith(w) for w in WRITES))


def identities(account: dict[str, Any]) -> Counter[Any]:
    """What a person counts as one object of an account (read from the emulator's state, so
    no variant can hide it)."""
    found: Counter[Any] = Counter()
    found.update(("app", a["name"]) for a in account["apps"].values())
    found.update(("webhook", h["type"], h["endpoint"]) for h in account["webhooks"].values())
    found.update(("media", m["name"]) for m in account["media"].values())
    for kind, objects in account["sip"].items():
        found.update(("sip", kind, o.get("username") or o["id"]) for o in objects.values())
    return found


def state_duplicates(emu: Emulator) -> list[str]:
    state = emu.snapshot()
    master = state["accounts"][state["master"]]
    subs = [state["accounts"][h] for h in master["subs"]]
    companies = Counter(s["sub"]["account"]["company"] for s in subs)
    found = [f"subaccount {c} x{n}" for c, n in companies.items() if n > 1]
    for account in [master, *subs]:
        found += [f"{key} x{n}" for key, n in identities(account).items() if n > 1]
    return found


def converge(emu: Emulator, paths: list[Path], runs: int = 2) -> int:
    """Apply until the plan is empty (at most ``runs`` applies); the number of applies."""
    with _client(emu) as client:
        for run in range(runs + 1):
            plan = build_plan(load(paths, {}), client, "variants")
            if plan.is_empty:
                return run
            if run == runs:
                break
            # one change at a time: the emulator gives each new sub-account the numbers of its
            # rank of creation (Client A first), which the example's numbers follow
            apply_plan(plan, client, parallelism=1)
    raise AssertionError(f"not converged after {runs} applies: {plan.changes}")


CASES = [*VARIANTS, ",".join(VARIANTS)]


@pytest.mark.parametrize("variants", CASES, ids=lambda v: "all" if "," in v else v)
def test_the_agency_example_converges_or_names_the_missing_method(variants: str) -> None:
    chosen = variants.split(",")
    emu = Emulator(None, media_delay=0.0, job_delay=0.0, variants=chosen)
    missing = missing_methods(frozenset(chosen)) & {
        "webhooks.get_list", *(m for m in missing_methods(frozenset(chosen))
                               if m.startswith("sip/"))}
    if missing:
        with _client(emu) as client, pytest.raises(PlanError) as info:
            build_plan(load([AGENCY], {}), client, "variants")
        assert any(method in str(info.value) for method in missing), info.value
        assert writes(emu) == 0
        return
    assert converge(emu, [AGENCY]) <= 2
    assert state_duplicates(emu) == []
