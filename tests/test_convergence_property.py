"""Convergence under random faults, as a property: whatever the manifest and the faults that
hit the first apply, ONE clean apply converges the account, with no duplicate and no collateral
damage.

Each example draws a manifest (apps of the four packages, assignments among the emulator's 20
master DIDs, webhooks with or without HMAC secrets, TTS media used by apps, SIP subscribers,
maybe a sub-account with resources, a policy pruning some kinds); objects made beforehand
through the API, outside the manifest (apps, some holding DIDs, webhooks, media, a subscriber,
an app inside the sub-account) or drifted from it (other params or package, other options, a
disabled sub-account ...); a seeded fault profile (503s and lost answers up to 30 % each, maybe
a rate limit); a random set of API variants (``emulator/variants.py``: each plays the other
answer of an unconfirmed API behaviour), switched on after the seeding; and whether the faulty
apply runs a saved plan (``plan --out``). Under the faults only a ``ProvisionerError`` may
surface. Then the faults stop (the variants stay) and one more apply runs:

- the next plan is empty (live == desired);
- no identity is held twice (apps by name, webhooks by (type, endpoint), media by name, SIP
  subscribers by username, sub-accounts by company), in the master and in the sub-account;
- every object outside the manifest is as it was (attributes, DID assignments), unless its kind
  is pruned, in which case it is gone (or unassigned); the emulator logged no crash;
- or, when a variant removes a method the manifest needs, both plans fail (PlanError naming
  the method) and the account is exactly as seeded.

Requests are sequential and the fault draws seeded by the example, so a failure replays
exactly; the emulator's clock is fake (backoff sleeps advance it). ``run_trial`` is shared
with ``benchmarks/soak.py``.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_text import say

from provisioner.api.client import CallrClient
from provisioner.api.rpc import Credentials, RetryPolicy
from provisioner.emulator import Emulator
from provisioner.emulator.faults import FaultProfile
from provisioner.emulator.variants import VARIANTS, missing_methods
from provisioner.errors import PlanError, ProvisionerError
from provisioner.manifest.desired import load
from provisioner.planning import planfile
from provisioner.planning.engine import apply_plan, build_plan

ENDPOINT = "http://emulator.test/json-rpc/v1.1/"
NUMBERS = tuple(f"+331990000{i:02d}" for i in range(1, 21))
VOICES = ("TTS_FR-FR_AUDREY", "TTS_EN-GB_DANIEL", "TTS_DE-DE_ANNA")
HOOK_TYPES = ("sms.mo", "call.inbound_hangup", "did.assigned", "media.recording.new")
PRUNABLE = ("apps", "webhooks", "media", "sip_subscribers", "numbers")
COMPANY = "Client Prop"


# -- scenarios -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Legacy:
    """Objects created through the API before the first apply. A name or identity of the
    manifest makes a drifted managed object; any other stays outside the manifest."""

    apps: tuple[tuple[str, str, dict[str, Any]], ...] = ()  # (name, package, params)
    dids: tuple[tuple[str, str], ...] = ()  # (number, name of the legacy app holding it)
    hooks: tuple[tuple[str, str, dict[str, Any] | None], ...] = ()  # (type, endpoint, options)
    media: tuple[tuple[str, str], ...] = ()  # (name, TTS text)
    subscribers: tuple[tuple[str, str], ...] = ()  # (username, codec)
    subaccount: bool = False
    """The manifest's sub-account exists already, drifted, holding an app it does not list."""


@dataclass(frozen=True)
class Scenario:
    manifest: dict[str, Any]
    legacy: Legacy
    profile: FaultProfile
    prune: tuple[str, ...] = ()
    saved: bool = False
    """The faulty apply runs a plan saved before the faults (``plan --out``, ``apply FILE``)."""
    variants: tuple[str, ...] = ()
    """The API's other answers, in force for both applies (not for the seeding)."""

    def managed(self, section: str) -> set[Any]:
        """The identities a master section of the manifest lists."""
        if section == "webhooks":
            return {(h["type"], h["endpoint"]) for h in self.manifest.get("webhooks", [])}
        if section == "sip_subscribers":
            return set(self.manifest.get("sip", {}).get("subscribers", {}))
        return set(self.manifest.get(section, {}))


def _app_params(draw: st.DrawFn, package: str, name: str, media: list[str]) -> dict[str, Any]:
    if package == "ACTIONS10":
        return {"format": "YAML", "script": draw(st.sampled_from([say("bye"), say("hi")]))}
    if package == "REALTIME10":
        secret = draw(st.sampled_from(["rt-Secret-1", "rt-Secret-2"]))
        return {"url": f"https://{name}.example.com/rt", "login": "bot", "password": secret,
                "data_format": "JSON"}
    medias_key = "welcome" if package == "CALLTRACKING10" else "A_welcome"
    params: dict[str, Any] = {}
    used = draw(st.sampled_from([None, *media]))
    if used is not None:
        params["medias"] = {medias_key: used}
    if package == "CALLTRACKING10":
        count = draw(st.integers(1, 2))
        params["targets"] = [{"number": f"+3312345678{i}", "timeout": draw(st.sampled_from(
            [20, 30]))} for i in range(count)]
    else:
        params["options"] = {"A_attempts": draw(st.integers(1, 3))}
    return params


def _webhooks(draw: st.DrawFn, prefix: str, count: int) -> list[dict[str, Any]]:
    hooks = []
    for i in range(count):
        hook: dict[str, Any] = {"type": draw(st.sampled_from(HOOK_TYPES)),
                                "endpoint": f"https://hooks.example.com/{prefix}{i}"}
        kind = draw(st.sampled_from(["none", "hmac", "format"]))
        if kind == "hmac":
            hook["options"] = {"hmac_algo": draw(st.sampled_from(["SHA256", "MD5"])),
                               "hmac_secret": f"hmac-secret-{prefix}{i}"}
        elif kind == "format":
            hook["options"] = {"format": "JSON"}
        hooks.append(hook)
    return hooks


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    doc: dict[str, Any] = {"version": 1}
    media = [f"prompt-{i}" for i in range(draw(st.integers(0, 3)))]
    if media:
        doc["media"] = {name: {"tts": {"text": draw(st.sampled_from(["Bonjour", "Hello"])),
                                       "voice": draw(st.sampled_from(VOICES))},
                               "category": "WELCOME"} for name in media}
    packages = draw(st.lists(st.sampled_from(("ACTIONS10", "REALTIME10", "CALLTRACKING10",
                                              "CLICKTOCALL10")), max_size=5))
    apps = {f"app-{i}": {"package": p, "params": _app_params(draw, p, f"app-{i}", media)}
            for i, p in enumerate(packages)}
    if apps:
        doc["apps"] = apps
    with_did = [name for name, app in apps.items() if app["package"] != "CLICKTOCALL10"]
    roles = draw(st.lists(st.sampled_from(("manifest", "legacy", "free")), min_size=20,
                          max_size=20))
    managed = [n for n, role in zip(NUMBERS, roles, strict=True) if role == "manifest"][:6]
    if managed:
        doc["numbers"] = {n: draw(st.sampled_from([*with_did, None])) for n in managed}
    hooks = _webhooks(draw, "h", draw(st.integers(0, 4)))
    if hooks:
        doc["webhooks"] = hooks
    users = draw(st.lists(st.sampled_from(["alice", "bob", "carol"]), max_size=3, unique=True))
    if users:
        doc["sip"] = {"subscribers": {u: {"codecs": [draw(st.sampled_from(["PCMA", "OPUS"]))],
                                          "ring_timeout": draw(st.sampled_from([20, 30]))}
                                      for u in users}}
    if draw(st.booleans()):
        doc["subaccounts"] = {COMPANY: _subaccount(draw)}
    prune = tuple(p for p in PRUNABLE if draw(st.integers(0, 3)) == 0)
    if prune:
        doc["policy"] = {"prune": list(prune)}
    legacy = _legacy(draw, doc, roles)
    rates = st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.3])
    profile = FaultProfile(fail_rate=draw(rates), drop_rate=draw(rates),
                           rate_limit=draw(st.sampled_from([None, None, 10.0, 30.0])),
                           seed=draw(st.integers(0, 2**32)))
    variants = draw(st.lists(st.sampled_from(sorted(VARIANTS)), max_size=4, unique=True))
    return Scenario(doc, legacy, profile, prune, draw(st.booleans()), tuple(sorted(variants)))


def _subaccount(draw: st.DrawFn) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    count = draw(st.integers(0, 2))
    if count:
        resources["apps"] = {f"sub-app-{i}": {"package": "ACTIONS10",
                                              "params": {"script": say(f"sub {i}")}}
                             for i in range(count)}
    hooks = _webhooks(draw, "s", draw(st.integers(0, 2)))
    if hooks:
        resources["webhooks"] = hooks
    entry: dict[str, Any] = {"account": {"firstname": "Jane", "lastname": "Doe"},
                             "contact": {"emails": ["ops@client.example"]},
                             "enabled": draw(st.booleans())}
    if resources:
        entry["resources"] = resources
    return entry


def _legacy(draw: st.DrawFn, doc: dict[str, Any], roles: list[str]) -> Legacy:
    often = st.integers(0, 2).map(lambda n: n == 0)  # one time in three
    apps: list[tuple[str, str, dict[str, Any]]] = [
        (f"legacy-{i}", "ACTIONS10", {"format": "YAML", "script": say(f"legacy {i}")})
        for i in range(draw(st.integers(0, 3)))]
    for name, app in doc.get("apps", {}).items():  # drifted: other params, or another package
        if draw(often):
            package = draw(st.sampled_from([app["package"], "ACTIONS10"]))
            params = (_app_params(draw, package, "drift", []) if package != "ACTIONS10"
                      else {"format": "YAML", "script": say("drifted")})
            apps.append((name, package, params))
    dids: list[tuple[str, str]] = []
    legacy_names = [name for name, _, _ in apps if name.startswith("legacy-")]
    if legacy_names:
        owners = st.sampled_from(legacy_names)
        dids = [(n, draw(owners)) for n, role in zip(NUMBERS, roles, strict=True)
                if role == "legacy"][:4]
        dids += [(n, draw(owners)) for n in doc.get("numbers", {}) if draw(often)]
    hooks: list[tuple[str, str, dict[str, Any] | None]] = [
        ("sms.mo", f"https://legacy.example.com/{i}", None)
        for i in range(draw(st.integers(0, 2)))]
    hooks.extend((h["type"], h["endpoint"], {"format": "JSON"})
                 for h in doc.get("webhooks", []) if draw(often))
    media = [(f"legacy-prompt-{i}", "Old prompt") for i in range(draw(st.integers(0, 1)))]
    media.extend((name, "Drifted") for name in doc.get("media", {}) if draw(often))
    subscribers = [("dave", "PCMU")] if draw(st.booleans()) else []
    subscribers.extend((user, "G729") for user in doc.get("sip", {}).get("subscribers", {})
                       if draw(often))
    sub = "subaccounts" in doc and draw(st.booleans())
    return Legacy(tuple(apps), tuple(dids), tuple(hooks), tuple(media), tuple(subscribers), sub)


# -- one trial -----------------------------------------------------------------------------------

@dataclass
class Trial:
    """What happened in one example; ``problems`` is empty when every property held."""

    faults: dict[str, int] = field(default_factory=dict)
    first_error: str = ""
    """The ProvisionerError type that ended the faulty apply, if one did."""
    recovered: int = 0
    failed_steps: int = 0
    duplicates: list[str] = field(default_factory=list)
    converged: bool = False
    refused: bool = False
    """The plan named a method a variant removed, and nothing was written."""
    problems: list[str] = field(default_factory=list)


class Crashes(logging.Handler):
    """While entered, collects the emulator's "handler crashed" records (an API bug)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> Crashes:
        logging.getLogger("provisioner.emulator").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("provisioner.emulator").removeHandler(self)


def census(client: CallrClient) -> dict[str, Counter[Any]]:
    """Live objects by identity, per kind: a count above 1 is a duplicate."""
    library = client.call("media/library.get_list", categories=None) or {}
    return {
        "app": Counter(a["name"] for a in client.apps_get_list(False)),
        "media": Counter(m["name"] for m in library.values()),
        "webhook": Counter((h["type"], h["endpoint"]) for h in client.call("webhooks.get_list")),
        "sip_subscriber": Counter(s["username"]
                                  for s in client.search_all("sip/subscriber.search")),
    }


def duplicates(client: CallrClient, where: str = "") -> list[str]:
    """Every identity held twice, in the account and (at the top) in its sub-accounts."""
    found = [f"{where}{kind} {key!r} x{n}" for kind, counts in census(client).items()
             for key, n in counts.items() if n > 1]
    if where:
        return found
    subs = client.search_all("account/sub.search", {"archived": None})
    companies = Counter(s["account"]["company"] for s in subs)
    found += [f"subaccount {c!r} x{n}" for c, n in companies.items() if n > 1]
    for sub in subs:
        found += duplicates(client.as_account(sub["hash"]), f"in {sub['account']['company']}: ")
    return found


SUB_SEED = {"version": 1, "subaccounts": {COMPANY: {
    "account": {"firstname": "Old", "lastname": "Name"}, "contact": {"emails": ["old@a.example"]},
    "enabled": False, "resources": {"apps": {"sub-legacy": {
        "package": "ACTIONS10", "params": {"script": say("kept")}}}}}}}
"""The sub-account as it was before the manifest, when ``Legacy.subaccount``."""


def _seed(client: CallrClient, legacy: Legacy, folder: Path) -> None:
    """Create the legacy objects (no faults yet)."""
    if legacy.subaccount:
        seed = folder / "seed.yaml"
        seed.write_text(json.dumps(SUB_SEED), encoding="utf-8")
        assert apply_plan(build_plan(load([seed], {}), client, "seed"), client).ok
    hashes = {}
    for name, package, params in legacy.apps:
        hashes[name] = client.apps_create(package, name, params)["hash"]
    dids = {d["intl_number"]: d["hash"] for d in client.apps_get_dids(False)}
    for number, owner in legacy.dids:
        client.apps_assign_did(hashes[owner], dids[number])
    for kind, endpoint, options in legacy.hooks:
        client.call("webhooks.subscribe", type=kind, endpoint=endpoint, options=options)
    for name, text in legacy.media:
        media_id = client.call("media/library.create", name=name)
        client.call("media/tts.set_content", id=media_id, text=text, voice=VOICES[0],
                    options=None)
    for username, codec in legacy.subscribers:
        client.call("sip/subscriber.create", properties={"username": username,
                                                          "codecs": [codec]}, options=None)


def _outside(client: CallrClient, scenario: Scenario) -> dict[str, Any]:
    """Every object outside the manifest, by identity, with all its attributes."""
    library = client.call("media/library.get_list", categories=None) or {}
    managed = scenario.managed("numbers")
    owners = {}
    for did in client.apps_get_dids(False):
        if did["intl_number"] not in managed:
            app = did.get("app")
            owners[did["intl_number"]] = app.get("hash") if isinstance(app, dict) else app
    return {
        "apps": {a["name"]: {k: v for k, v in a.items() if k != "did"}
                 for a in client.apps_get_list(False) if a["name"] not in scenario.managed("apps")},
        "webhooks": {(h["type"], h["endpoint"]): h for h in client.call("webhooks.get_list")
                     if (h["type"], h["endpoint"]) not in scenario.managed("webhooks")},
        "media": {m["name"]: m for m in library.values()
                  if m["name"] not in scenario.managed("media")},
        "sip_subscribers": {s["username"]: s
                            for s in client.search_all("sip/subscriber.search")
                            if s["username"] not in scenario.managed("sip_subscribers")},
        "dids": owners,
        "in_subaccount": _sub_apps(client, scenario),
    }


def _sub_apps(client: CallrClient, scenario: Scenario) -> dict[str, Any]:
    """The sub-account's apps that its resources do not list."""
    entry = scenario.manifest.get("subaccounts", {}).get(COMPANY)
    if entry is None:
        return {}
    listed = set(entry.get("resources", {}).get("apps", {}))
    found = client.search_all("account/sub.search", {"archived": None})
    return {f"{sub['hash']}/{app['name']}": app for sub in found
            for app in client.as_account(sub["hash"]).apps_get_list(False)
            if app["name"] not in listed}


def _check_outside(before: dict[str, Any], after: dict[str, Any], scenario: Scenario) -> list[str]:
    problems = []
    for section in ("apps", "webhooks", "media", "sip_subscribers", "in_subaccount"):
        expected = {} if section in scenario.prune else before[section]
        if after[section] != expected:
            problems.append(f"unmanaged {section}: before {before[section]!r}, expected "
                            f"{expected!r}, after {after[section]!r}")
    live_apps = {a["hash"] for a in after["apps"].values()}
    for number, owner in before["dids"].items():
        expected = None if "numbers" in scenario.prune or owner not in live_apps else owner
        if after["dids"].get(number) != expected:
            problems.append(f"unmanaged DID {number}: app {owner!r} before, "
                            f"{after['dids'].get(number)!r} after (expected {expected!r})")
    return problems


class FakeClock:
    """The emulator's clock: each reading advances it a little (about 50 requests a second);
    the client's backoff sleeps advance it instead of waiting, so a 429 lifts at once."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        self.now += 0.01
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _plan_and_apply(client: CallrClient, path: Path, emulator: Emulator | None = None,
                    scenario: Scenario | None = None) -> tuple[int, int]:
    """(write calls recovered, failed steps). With ``scenario``, its faults start after the
    plan is saved (``--out``) and reloaded, or before the plan is made."""
    if scenario is not None and emulator is not None and scenario.saved:
        saved = path.with_name("plan.json")
        planfile.save(build_plan(load([path], {}), client, "property"), saved, "property")
        emulator.faults.configure(scenario.profile)
        plan = planfile.load(saved, client, "property", {})
    else:
        if scenario is not None and emulator is not None:
            emulator.faults.configure(scenario.profile)
        plan = build_plan(load([path], {}), client, "property")
    report = apply_plan(plan, client)
    failed = len([s for s in report.steps if s.error])
    return sum(s.recovered for s in report.steps), failed


def run_trial(scenario: Scenario, folder: Path, parallelism: int = 1) -> Trial:
    """Seed, apply under faults, apply once more without, check every property."""
    trial = Trial()
    clock = FakeClock()
    emulator = Emulator(None, media_delay=0.0, job_delay=0.0, clock=clock)
    path = folder / "account.yaml"
    path.write_text(json.dumps(scenario.manifest, indent=1), encoding="utf-8")
    retry = RetryPolicy(attempts=3, base_delay=0.0)
    with Crashes() as crashes, CallrClient.connect(
            Credentials("sandbox", "sandbox"), ENDPOINT, transport=emulator.transport(),
            parallelism=parallelism, retry=retry, sleep=clock.sleep) as client:
        _seed(client, scenario.legacy, folder)
        before = _outside(client, scenario)
        seeded = emulator.snapshot()
        emulator.set_variants(scenario.variants)
        try:
            trial.recovered, trial.failed_steps = _plan_and_apply(client, path, emulator,
                                                                  scenario)
        except ProvisionerError as exc:  # anything else is a bug and propagates
            trial.first_error = type(exc).__name__
        trial.faults = dict(emulator.stats()["faults"])
        emulator.faults.configure(FaultProfile())
        missing = sorted(missing_methods(frozenset(scenario.variants)))
        refused = False
        try:
            _, failed = _plan_and_apply(client, path)
            if failed:
                trial.problems.append(f"the clean apply failed {failed} change(s)")
            trial.converged = build_plan(load([path], {}), client, "property").is_empty
        except PlanError as exc:
            if not any(method in str(exc) for method in missing):
                trial.problems.append(f"clean apply: PlanError: {exc}")
            elif emulator.snapshot()["accounts"] != seeded["accounts"]:
                trial.problems.append(f"written before the plan failed: {exc}")
            trial.converged = refused = True  # refused before any write, naming the method
        except ProvisionerError as exc:
            trial.problems.append(f"clean apply: {type(exc).__name__}: {exc}")
        if not trial.converged:
            trial.problems.append("the plan after the clean apply is not empty")
        emulator.set_variants(())  # the checks read the account through the plain API
        trial.duplicates = duplicates(client)
        trial.problems += [f"duplicate {d}" for d in trial.duplicates]
        trial.refused = refused
        if not refused:  # else the account was compared whole with the seeded one
            trial.problems += _check_outside(before, _outside(client, scenario), scenario)
    trial.problems += [f"emulator crash: {m}" for m in crashes.messages]
    return trial


# -- the property --------------------------------------------------------------------------------

TOTALS: Counter[str] = Counter()
"""Faults injected over every example of this module (checked by the last test)."""


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def test_one_clean_apply_converges_after_a_faulty_one(scenario: Scenario) -> None:
    with tempfile.TemporaryDirectory() as folder:
        trial = run_trial(scenario, Path(folder))
    TOTALS.update(trial.faults)
    TOTALS["examples"] += 1
    TOTALS["recovered"] += trial.recovered
    profile = scenario.profile
    if profile.fail_rate or profile.drop_rate or profile.rate_limit:
        TOTALS["faulty examples"] += 1
    TOTALS.update(f"variant {name}" for name in scenario.variants)
    TOTALS["refused"] += trial.refused
    assert not trial.problems, trial.problems


def test_faults_were_injected_across_the_examples() -> None:
    """Runs after the property (file order): the profiles did hit the applies."""
    if not TOTALS["examples"]:
        test_one_clean_apply_converges_after_a_faulty_one()
    assert TOTALS["faulty examples"] > 0
    assert TOTALS["fail"] > 0 and TOTALS["drop"] > 0 and TOTALS["rate_limited"] > 0, TOTALS
    assert TOTALS["recovered"] > 0, TOTALS
    assert all(TOTALS[f"variant {name}"] > 0 for name in VARIANTS), TOTALS
    assert 0 < TOTALS["refused"] < TOTALS["examples"], TOTALS


# -- the detectors detect --------------------------------------------------------------------------

def test_the_checks_see_a_duplicate_and_a_touched_object(tmp_path: Path) -> None:
    """The properties above are only as good as their detectors: feed them a broken account."""
    scenario = Scenario({"version": 1, "apps": {"app-0": {"package": "ACTIONS10"}}},
                        Legacy(apps=(("legacy-0", "ACTIONS10", {"script": say("a")}),)),
                        FaultProfile())
    emulator = Emulator(None, media_delay=0.0, job_delay=0.0)
    with CallrClient.connect(Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=emulator.transport()) as client:
        _seed(client, scenario.legacy, tmp_path)
        before = _outside(client, scenario)
        for _ in range(2):
            client.apps_create("ACTIONS10", "app-0", {"script": say("x")})
        client.call("webhooks.subscribe", type="sms.mo", endpoint="https://h.example/1",
                    options=None)
        client.call("webhooks.subscribe", type="sms.mo", endpoint="https://h.example/1",
                    options=None)
        (legacy,) = [a for a in client.apps_get_list(False) if a["name"] == "legacy-0"]
        client.apps_edit(legacy["hash"], None, {"script": say("changed")})
        assert sorted(duplicates(client)) == [
            "app 'app-0' x2", "webhook ('sms.mo', 'https://h.example/1') x2"]
        problems = _check_outside(before, _outside(client, scenario), scenario)
    assert [p.split(":")[0] for p in problems] == ["unmanaged apps", "unmanaged webhooks"]
