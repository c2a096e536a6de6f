"""Hand-edited saved plans (issue 11, "Saved plans are contracts"): each reproduction of the
adversarial review, with the file's seal left as it was and with the seal computed again (as
whoever edits a keyless file can), is refused with nothing written; with PROVISIONER_PLAN_KEY no
edit passes at all."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from provisioner.api.client import CallrClient
from provisioner.emulator import Emulator
from provisioner.planning import planfile, planseal
from provisioner.planning.engine import apply_plan
from provisioner.planning.plancheck import guards_of
from provisioner.render.codec import PlanFileError
from tests.conftest import ENDPOINT, Account
from tests.scenarios import scenario_writer

ACCOUNT = "sandbox:/tmp/tamper.json"
KEY = "k-3b1f0a77"
Edit = Callable[[dict[str, Any]], None]

APPS_30 = "version: 1\napps:\n" + "".join(
    f"  app{i:02}: {{package: ACTIONS10, params: {{script: s{i}}}}}\n" for i in range(30))


@pytest.fixture
def manifest(manifest: Callable[..., Path]) -> Callable[..., Path]:
    """The conftest writer; each ``script: WORD`` becomes a real scenario (tests/scenarios.py)."""
    return scenario_writer(manifest)


def names(client: CallrClient) -> list[str]:
    return sorted(a["name"] for a in client.call("apps.get_list", with_numbers=True))


def edited(path: Path, edit: Edit, *, reseal: bool) -> Path:
    body = json.loads(path.read_text())
    edit(body)
    if reseal:  # what anyone editing a keyless file can do: sha256 over the new content
        body[planseal.SEAL] = planseal.seal(body, None)
    path.write_text(json.dumps(body))
    return path


def change(body: dict[str, Any], address: str) -> dict[str, Any]:
    return next(c for c in body["changes"] if c["address"] == address)


TWO_APPS = """
    version: 1
    apps:
      bot: {{package: ACTIONS10, params: {{script: {script}}}}}
      other: {{package: ACTIONS10, params: {{script: b}}{protect}}}
"""


def edit_bot(account: Account, client: CallrClient, manifest: Callable[..., Path],
             tmp_path: Path, protect: str = "") -> tuple[Path, str]:
    """A saved plan that edits app ``bot`` (``protect`` added to ``other``'s entry); returns it
    and the hash of app ``other``."""
    account.converge(manifest(TWO_APPS.format(script="a", protect="")))
    plan = account.plan(manifest(TWO_APPS.format(script="changed", protect=protect)))
    out = tmp_path / "plan.json"
    planfile.save(plan, out, ACCOUNT)
    other = next(a["hash"] for a in client.call("apps.get_list", with_numbers=True)
                 if a["name"] == "other")
    return out, other


@pytest.fixture
def two_apps(account: Account, client: CallrClient, manifest: Callable[..., Path],
             tmp_path: Path) -> tuple[Path, str]:
    return edit_bot(account, client, manifest, tmp_path)


def edit_into_delete(other: str, *, say_delete: bool = False) -> Edit:
    def edit(body: dict[str, Any]) -> None:
        bot = change(body, "app.bot")
        bot["calls"][0].update(method="apps.delete", args=[["hash", other]])
        if say_delete:
            bot["action"] = "delete"
    return edit


@pytest.mark.parametrize("reseal", [False, True])
def test_edit_turned_into_a_delete_of_another_app(two_apps: tuple[Path, str],
                                                  client: CallrClient, reseal: bool) -> None:
    out, other = two_apps
    edited(out, edit_into_delete(other), reseal=reseal)
    message = ("the change says update but its calls delete" if reseal
               else "was modified after it was made")
    with pytest.raises(PlanFileError, match=message):
        planfile.load(out, client, ACCOUNT, {})
    assert names(client) == ["bot", "other"]


def test_basis_dropped_refused(two_apps: tuple[Path, str], client: CallrClient) -> None:
    """Dropping the basis would skip the staleness check: the calls say what it must list."""
    out, _ = two_apps
    edited(out, lambda body: body.update(basis=[]), reseal=True)
    with pytest.raises(PlanFileError, match=r"app\.bot: its calls act on live objects but the "
                                            "basis does not list it"):
        planfile.load(out, client, ACCOUNT, {})


def test_any_edit_refused_with_the_key(account: Account, client: CallrClient,
                                       manifest: Callable[..., Path], tmp_path: Path) -> None:
    account.converge(manifest("version: 1\napps: {bot: {package: ACTIONS10, params: {script: a}}}"))
    plan = account.plan(manifest("version: 1\napps: {other: {package: ACTIONS10, "
                                 "params: {script: b}}}"))
    out = tmp_path / "plan.json"
    planfile.save(plan, out, ACCOUNT, KEY.encode())
    assert json.loads(out.read_text())[planseal.SEAL]["algorithm"] == "hmac-sha256"
    keyed = {planseal.KEY_VARIABLE: KEY}
    assert planfile.load(out, client, ACCOUNT, keyed).changes
    with pytest.raises(PlanFileError, match="set the same PROVISIONER_PLAN_KEY"):
        planfile.load(out, client, ACCOUNT, {})

    def rename(body: dict[str, Any]) -> None:  # no derived rule would catch this one
        change(body, "app.other")["calls"][0]["args"][1][1] = "renamed"
    edited(out, rename, reseal=False)
    with pytest.raises(PlanFileError, match="modified after it was made"):
        planfile.load(out, client, ACCOUNT, keyed)
    edited(out, rename, reseal=True)  # resealed without the key: a downgrade
    with pytest.raises(PlanFileError, match="made without PROVISIONER_PLAN_KEY"):
        planfile.load(out, client, ACCOUNT, keyed)
    assert names(client) == ["bot"]


def test_emptied_unsafe_is_computed_again(account: Account, client: CallrClient,
                                          manifest: Callable[..., Path],
                                          tmp_path: Path) -> None:
    account.converge(manifest(APPS_30))
    keep_one = APPS_30.replace("apps:\n", "policy: {prune: [apps]}\napps:\n")
    keep_one = "\n".join(line for line in keep_one.splitlines()
                         if not line.startswith("  app") or line.startswith("  app00"))
    plan = account.plan(manifest(keep_one))
    assert plan.unsafe and "29" in str(plan.counts())
    out = tmp_path / "plan.json"
    planfile.save(plan, out, ACCOUNT)
    edited(out, lambda body: body.update(unsafe={"$tuple": []}), reseal=True)
    loaded = planfile.load(out, client, ACCOUNT, {})
    assert loaded.unsafe, "the thresholds are recomputed from the calls, not read from the file"
    assert "97% of the 30 live objects" in loaded.unsafe[0]
    # packing the 29 deletes into one change does not make them weigh 1
    def pack(body: dict[str, Any]) -> None:
        first = body["changes"][0]
        for other in body["changes"][1:]:
            first["calls"].extend(other["calls"])
        body["changes"] = [first]
        body["unsafe"] = {"$tuple": []}
    packed = edited(tmp_path / "plan.json", pack, reseal=True)
    assert planfile.load(packed, client, ACCOUNT, {}).unsafe
    assert len(names(client)) == 30


def test_guards_emptied_are_ignored_when_the_manifests_are_given(
        account: Account, client: CallrClient, manifest: Callable[..., Path],
        tmp_path: Path) -> None:
    """protect: re-read from the manifest at apply, when apply is given it."""
    from provisioner.manifest.desired import load

    account.converge(manifest(APPS_30))
    prune = manifest(APPS_30.replace("apps:\n", "policy: {prune: [apps]}\napps:\n")
                     .replace("  app29: {package: ACTIONS10, params: {script: s29}}\n", ""))
    out = tmp_path / "plan.json"
    planfile.save(account.plan(prune), out, ACCOUNT)  # deletes app29, unprotected at plan time
    assert planfile.load(out, client, ACCOUNT, {}).changes  # as made, it passes
    protected = manifest(APPS_30.replace("script: s29}", "script: s29}, protect: true"))
    with pytest.raises(PlanFileError, match=r"app\.app29 is protected \(protect: true on "
                                            r"app\.app29\)"):
        planfile.load(out, client, ACCOUNT, {}, guards_of(load([protected], {})))
    assert "app29" in names(client)


def test_protected_delete_refused_from_the_guards_it_carries(
        account: Account, client: CallrClient, manifest: Callable[..., Path],
        tmp_path: Path) -> None:
    out, other = edit_bot(account, client, manifest, tmp_path, protect=", protect: true")
    assert json.loads(out.read_text())["guards"][""]["protected"] == [["app.other", "app.other"]]
    edited(out, edit_into_delete(other, say_delete=True), reseal=True)
    with pytest.raises(PlanFileError, match=r"app\.other is protected .* \(in app\.bot\)"):
        planfile.load(out, client, ACCOUNT, {})
    assert names(client) == ["bot", "other"]


SUBS = """
    version: 1
    subaccounts:
    {entries}
"""
SUB = """
      {name}:
        account: {{firstname: Ada, lastname: Lovelace}}
        contact: {{emails: [ops@example.com]}}
        resources: {{apps: {{desk: {{package: ACTIONS10, params: {{script: {script}}}}}}}}}"""


def test_login_as_swapped_to_another_subaccount(account: Account, client: CallrClient,
                                                manifest: Callable[..., Path],
                                                tmp_path: Path) -> None:
    def subs(script_a: str) -> Path:
        entries = SUB.format(name="Acme", script=script_a) + SUB.format(name="Globex",
                                                                        script="g")
        return manifest(SUBS.format(entries=entries))
    account.converge(subs("a"))
    out = tmp_path / "plan.json"
    planfile.save(account.plan(subs("changed")), out, ACCOUNT)
    hashes = {hit["account"]["company"]: hit["hash"]
              for hit in client.search_all("account/sub.search", {})}

    def swap(body: dict[str, Any]) -> None:
        for call in change(body, 'subaccount["Acme"].app.desk')["calls"]:
            call["login_as"] = hashes["Globex"]
        # and the basis entry that would find Globex's desk changed is dropped
        body["basis"] = [e for e in body["basis"] if e["account"] != "Acme"]
    edited(out, swap, reseal=True)
    with pytest.raises(PlanFileError, match=f"log in to {hashes['Globex']}, which is "
                                            "sub-account 'Globex', not 'Acme'"):
        planfile.load(out, client, ACCOUNT, {})


ORDER = """
    version: 1
    apps: {support: {package: ACTIONS10, params: {script: a}}}
    numbers:
      order: {area_code_id: 2, class: CLASSIC, quantity: 1, app: support}  # Lyon: none spare
"""


def test_purchase_relabelled_assign_still_needs_allow_purchase(
        account: Account, client: CallrClient, manifest: Callable[..., Path],
        tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    planfile.save(account.plan(manifest(ORDER)), out, ACCOUNT)

    def relabel(body: dict[str, Any]) -> None:
        for item in body["changes"]:
            if item["action"] == "purchase":
                item["action"] = "assign"
    edited(out, relabel, reseal=True)
    with pytest.raises(PlanFileError, match="the change says assign but its calls purchase"):
        planfile.load(out, client, ACCOUNT, {})
    assert client.call("apps.get_list", with_numbers=True) == []


def test_assign_pointed_at_a_held_number_refused(account: Account, client: CallrClient,
                                                manifest: Callable[..., Path],
                                                tmp_path: Path) -> None:
    account.converge(manifest("""
        version: 1
        apps:
          support: {package: ACTIONS10, params: {script: a}}
          sales: {package: ACTIONS10, params: {script: b}}
        numbers: {"+33199000001": support}
    """))
    out = tmp_path / "plan.json"
    planfile.save(account.plan(manifest("""
        version: 1
        apps: {sales: {package: ACTIONS10, params: {script: b}}}
        numbers: {"+33199000002": sales}
    """)), out, ACCOUNT)
    held = next(a for a in client.call("apps.get_list", with_numbers=True)
                if a["name"] == "support")["did"][0]["hash"]

    def point(body: dict[str, Any]) -> None:
        change(body, "number.+33199000002")["calls"][0]["args"][1][1] = held
    edited(out, point, reseal=True)
    with pytest.raises(PlanFileError, match="the change says assign but its calls reassign"):
        planfile.load(out, client, ACCOUNT, {})


def test_release_in_a_saved_plan_refused(account: Account, client: CallrClient,
                                         manifest: Callable[..., Path], tmp_path: Path) -> None:
    account.converge(manifest("""
        version: 1
        apps: {support: {package: ACTIONS10, params: {script: a}}}
        numbers: {"+33199000001": support}
    """))
    plan = account.plan(manifest("""
        version: 1
        apps: {support: {package: ACTIONS10, params: {script: b}}}
    """))
    out = tmp_path / "plan.json"
    planfile.save(plan, out, ACCOUNT)
    did = client.call("apps.get_list", with_numbers=True)[0]["did"][0]["hash"]
    edited(out, lambda body: body["changes"][0]["calls"].append(
        {"id": "x", "method": "did/store.cancel_subscription", "args": [["did_hash", did]],
         "login_as": None, "until": None}), reseal=True)
    with pytest.raises(PlanFileError, match="releases a number: a saved plan never releases"):
        planfile.load(out, client, ACCOUNT, {})
    assert client.call("apps.get_list", with_numbers=True)[0]["did"]


def test_untampered_plans_pass_and_apply(account: Account, client: CallrClient,
                                         manifest: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    planfile.save(account.plan(manifest(ORDER)), out, ACCOUNT)
    loaded = planfile.load(out, client, ACCOUNT, {})
    assert apply_plan(loaded, client, allow_purchase=True).ok


# -- no offline guess of a secret ----------------------------------------------------------------

MANIFEST = """
    version: 1
    apps:
      bot: {package: REALTIME10, params: {url: "https://bot.example.com/v2", login: bot,
                                          password: "${env:BOT_PASSWORD}"}}
"""


def plan_texts(manifest: Callable[..., Path], tmp_path: Path, key: bytes | None,
               passwords: tuple[str, ...]) -> list[str]:
    """The saved plans of MANIFEST against one account, once with bot's password set to each of
    ``passwords`` (the url changes: apps.edit re-sends the live password)."""
    emulator = Emulator(None)
    path = manifest(MANIFEST)
    texts = []
    with CallrClient.connect(planfile.Credentials("sandbox", "sandbox"), ENDPOINT,
                             transport=emulator.transport()) as client:
        app = client.call("apps.create", package="REALTIME10", name="bot", params={})
        for password in passwords:
            client.call("apps.edit", hash=app["hash"], name=None, params={
                "url": "https://bot.example.com/v1", "login": "bot", "password": password})
            plan = Account(client, {"BOT_PASSWORD": password}).plan(path)
            planfile.save(plan, tmp_path / "plan.json", ACCOUNT, key)
            texts.append((tmp_path / "plan.json").read_text())
            assert password not in texts[-1]
    return texts


def test_a_known_secret_cannot_be_confirmed_from_the_file(
        tmp_path: Path, manifest: Callable[..., Path]) -> None:
    """Without the key, nothing in the file depends on the secret: the same account with two
    different passwords gives byte-identical plan files."""
    one, two = plan_texts(manifest, tmp_path, None, ("sunshine42", "moonlight17"))
    assert one == two
    assert json.loads(one)["secrets_check"] == ""
    for digest in (hashlib.sha256, hashlib.sha1, hashlib.md5, hashlib.sha512):
        assert digest(b"sunshine42").hexdigest()[:16] not in one


def test_with_the_key_the_secret_digest_is_an_hmac(tmp_path: Path,
                                                   manifest: Callable[..., Path]) -> None:
    one, two = (json.loads(text) for text in plan_texts(
        manifest, tmp_path, KEY.encode(), ("sunshine42", "moonlight17")))
    assert one["basis"] == two["basis"], "secrets are left out of the basis"
    assert one["secrets_check"] != two["secrets_check"]
    digests = {planseal.keyed_digest(["sunshine42"], key) for key in (None, b"guess")}
    assert one["secrets_check"] not in digests


def test_env_values_of_plain_fields_are_references(account: Account, client: CallrClient,
                                                   manifest: Callable[..., Path],
                                                   tmp_path: Path) -> None:
    """Plan files store the reference, never the value, for any ${env:...} (a token in a
    REALTIME10 url, a webhook endpoint)."""
    path = manifest("""
        version: 1
        apps:
          bot: {package: REALTIME10, params: {url: "https://bot.example.com/?t=${env:TOKEN}"}}
        webhooks:
          - type: call.inbound_hangup
            endpoint: "https://hooks.example.com/${env:HOOK_PATH}"
            protect: true
    """)
    env = {"TOKEN": "tok-5eb2a1", "HOOK_PATH": "path-77c0de"}
    out = tmp_path / "plan.json"
    planfile.save(Account(client, env).plan(path), out, ACCOUNT)
    text = out.read_text()
    assert "tok-5eb2a1" not in text and "path-77c0de" not in text
    assert apply_plan(planfile.load(out, client, ACCOUNT, env), client).ok
    [bot] = client.call("apps.get_list", with_numbers=True)
    assert bot["p"]["url"] == "https://bot.example.com/?t=tok-5eb2a1"


# -- no false refusal: every example, saved then applied --------------------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_ENV = {"BOT_PASSWORD": "s3cret-bot-pass", "CLINIC_BOT_PASSWORD": "s3cret-bot-pass",
               "HOOK_SECRET": "hmac-secret-123"}


@pytest.mark.parametrize("name", ["quickstart", "media", "sip", "webhooks", "store", "agency"])
def test_examples_saved_and_applied_as_planned(name: str, client: CallrClient,
                                               tmp_path: Path) -> None:
    account = Account(client, EXAMPLE_ENV)
    plan = account.plan(EXAMPLES / name)
    out = tmp_path / "plan.json"
    planfile.save(plan, out, ACCOUNT, KEY.encode())
    keyed = {**EXAMPLE_ENV, planseal.KEY_VARIABLE: KEY}
    loaded = planfile.load(out, client, ACCOUNT, keyed)
    assert loaded == plan and loaded.unsafe == plan.unsafe
    report = apply_plan(loaded, client, allow_purchase=True)
    assert report.ok, [(s.change.address, s.error) for s in report.steps if s.error]
    assert account.plan(EXAMPLES / name).is_empty


def test_a_teardown_saved_and_applied_as_planned(client: CallrClient, manifest: Callable[..., Path],
                                                 tmp_path: Path) -> None:
    """Deletes of every kind (sub-accounts archived, numbers unassigned, trunks and media
    deleted): the derived rules agree with the plan's own."""
    account = Account(client, EXAMPLE_ENV)
    for name in ("agency", "sip"):
        assert account.apply(EXAMPLES / name)[1].ok
    teardown = manifest("""
        version: 1
        policy: {prune: [apps, media, numbers, sip_subscribers, subaccounts, webhooks]}
        sip: {trunks: {origination: {}, termination: {}}}
    """)
    plan = account.plan(teardown)
    assert plan.unsafe and {c.action.value for c in plan.changes} >= {"delete", "unassign"}
    out = tmp_path / "plan.json"
    planfile.save(plan, out, ACCOUNT)
    loaded = planfile.load(out, client, ACCOUNT, EXAMPLE_ENV)
    assert loaded == replace(plan, unsafe=loaded.unsafe)
    assert set(plan.unsafe) <= set(loaded.unsafe)
    assert apply_plan(loaded, client).ok
    assert account.plan(teardown).is_empty
