"""The manifest's ``policy`` and the per-entry flags, planned and applied against the emulator:
prune per kind and per account, absent, protect, ignore, rename in place (previous_names)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from provisioner.api.client import CallrClient
from provisioner.errors import ManifestError, PlanError
from provisioner.manifest.desired import load
from provisioner.planning.plan import Action, Plan
from tests.conftest import Account

Write = Callable[..., Path]
HOOK = "https://hooks.example.com/"


def actions(plan: Plan) -> list[tuple[str, Action]]:
    return [(c.address, c.action) for c in plan.changes]


def app_names(client: CallrClient) -> list[str]:
    return sorted(app["name"] for app in client.apps_get_list(True))


def owners(client: CallrClient) -> dict[str, str | None]:
    names = {app["hash"]: app["name"] for app in client.apps_get_list(True)}
    return {d["intl_number"]: names.get(d["app"]) if d["app"] else None
            for d in client.apps_get_dids(False)}


def apps_manifest(*names: str, policy: str = "", extra: str = "") -> str:
    lines = ["version: 1"]
    if policy:
        lines.append(f"policy: {policy}")
    lines.append("apps:" if names else "apps: {}")
    lines += [f"  {name}: {{package: ACTIONS10, params: {{script: {{branches: {{b: {{actions: "
              f"[{{action: log@v1, params: {{message: {name}}}}}]}}}}}}}}}}" for name in names]
    return "\n".join(lines) + "\n" + extra


# -- prune ----------------------------------------------------------------------------------------


def test_without_prune_unlisted_apps_stay(account: Account, client: CallrClient,
                                          manifest: Write) -> None:
    account.converge(manifest(apps_manifest("a", "b")))
    plan = account.plan(manifest(apps_manifest("a")))
    assert plan.is_empty
    assert app_names(client) == ["a", "b"]


def test_prune_apps_deletes_unlisted_ones_then_converges(account: Account, client: CallrClient,
                                                         manifest: Write) -> None:
    account.converge(manifest(apps_manifest("a", "b", "c")))
    path = manifest(apps_manifest("a", policy="{prune: [apps]}"))
    plan = account.converge(path)
    assert actions(plan) == [("app.b", Action.DELETE), ("app.c", Action.DELETE)]
    assert plan.changes[0].notes == ("pruned: not in the manifest (policy.prune lists apps)",)
    assert app_names(client) == ["a"]
    assert account.plan(path).is_empty


def test_prune_only_the_listed_kinds(account: Account, client: CallrClient,
                                     manifest: Write) -> None:
    account.converge(manifest(apps_manifest("a", "b", extra=f"""webhooks:
  - {{type: call.inbound_hangup, endpoint: "{HOOK}one"}}
  - {{type: call.inbound_start, endpoint: "{HOOK}two"}}
""")))
    # No webhooks section at all: listing the kind in prune is enough to read and prune it.
    plan = account.plan(manifest(apps_manifest("a", policy="{prune: [webhooks]}")))
    assert sorted(actions(plan)) == [
        ("webhook.call.inbound_hangup->https://hooks.example.com/one", Action.DELETE),
        ("webhook.call.inbound_start->https://hooks.example.com/two", Action.DELETE),
    ]


TTS = "{tts: {text: hello, voice: TTS_EN-GB_DANIEL}}"
PRUNE_CASES = {
    "media": (f"media:\n  keep-me: {TTS}\n  drop-me: {TTS}\n", f"media:\n  keep-me: {TTS}\n",
              "media.drop-me"),
    "sip_subscribers": ("sip:\n  subscribers:\n    keep-me: {}\n    drop-me: {}\n",
                        "sip:\n  subscribers:\n    keep-me: {}\n", "sip_subscriber.drop-me"),
}


@pytest.mark.parametrize("section", sorted(PRUNE_CASES))
def test_prune_media_and_sip_subscribers(account: Account, manifest: Write,
                                         section: str) -> None:
    both, kept, address = PRUNE_CASES[section]
    account.converge(manifest("version: 1\n" + both))
    assert account.plan(manifest("version: 1\n" + kept)).is_empty
    path = manifest(f"version: 1\npolicy: {{prune: [{section}]}}\n" + kept)
    plan = account.converge(path)
    assert actions(plan) == [(address, Action.DELETE)]
    assert account.plan(path).is_empty


def test_prune_numbers_unassigns_but_never_releases(account: Account, client: CallrClient,
                                                    manifest: Write) -> None:
    account.converge(manifest(apps_manifest("a", "b", extra="""numbers:
  "+33199000001": a
  "+33199000002": a
  "+33199000003": b
""")))
    path = manifest(apps_manifest("a", "b", policy="{prune: [numbers]}", extra="""numbers:
  "+33199000001": a
"""))
    plan = account.converge(path)
    assert actions(plan) == [("number.+33199000002", Action.UNASSIGN),
                             ("number.+33199000003", Action.UNASSIGN)]
    assert [c.method for c in plan.calls()] == ["apps.remove_did", "apps.remove_did"]
    now = owners(client)
    assert now["+33199000001"] == "a"
    assert now["+33199000002"] is None and now["+33199000003"] is None, "still on the account"
    assert account.plan(path).is_empty


def test_prune_numbers_keeps_the_numbers_of_an_order(account: Account, client: CallrClient,
                                                     manifest: Write) -> None:
    account.converge(manifest(apps_manifest("a", extra="""numbers:
  "+33199000001": a
""")))
    plan = account.plan(manifest(apps_manifest("a", policy="{prune: [numbers]}", extra="""numbers:
  order: {area_code_id: 1, quantity: 1, app: a}
""")))
    assert plan.is_empty, "the order owns a's number: pruning it would buy it again"


def test_subaccount_policy_is_its_own(account: Account, client: CallrClient,
                                      manifest: Write) -> None:
    def write(master_policy: str, nested_policy: str, *apps: str) -> Path:
        nested = "".join(f"        {a}: {{package: ACTIONS10, params: {{script: {{branches: "
                         f"{{b: {{actions: [{{action: log@v1, params: {{message: {a}}}}}]"
                         "}}}}}\n" for a in apps)
        return manifest(f"""version: 1
policy: {master_policy}
apps:
  m: {{package: ACTIONS10, params: {{script: {{branches: {{
      m: {{actions: [{{action: hangup@v1}}]}}}}}}}}}}
subaccounts:
  "Client A":
    contact: {{emails: [ops@client-a.example]}}
    resources:
      policy: {nested_policy}
      apps:
{nested}""")

    account.converge(write("{}", "{}", "x", "y"))
    # The master's prune does not reach into the sub-account ...
    assert account.plan(write("{prune: [apps]}", "{}", "x")).is_empty
    # ... the sub-account's own policy does, and only there.
    plan = account.converge(write("{}", "{prune: [apps]}", "x"))
    assert actions(plan) == [('subaccount["Client A"].app.y', Action.DELETE)]
    assert app_names(client) == ["m"]


def test_prune_subaccounts_archives_them_once(account: Account, client: CallrClient,
                                              manifest: Write) -> None:
    entry = '  "{0}": {{contact: {{emails: [ops@x.example]}}}}\n'
    account.converge(manifest("version: 1\nsubaccounts:\n" + entry.format("A") +
                              entry.format("B")))
    path = manifest("version: 1\npolicy: {prune: [subaccounts]}\nsubaccounts:\n" +
                    entry.format("A"))
    plan = account.converge(path)
    assert actions(plan) == [("subaccount.B", Action.DELETE)]
    assert [c.method for c in plan.calls()] == [
        "account/sub.disable", "account/sub.archive", "jobs.get"]
    assert account.plan(path).is_empty, "an archived sub-account is not pruned again"


# -- absent ----------------------------------------------------------------------------------------

ABSENT = {
    "apps": ("apps:\n  x: {package: ACTIONS10}\n",
             "apps:\n  x: {package: ACTIONS10, absent: true}\n", "app.x"),
    "media": ("media:\n  x: {tts: {text: hi, voice: TTS_EN-GB_DANIEL}}\n",
              "media:\n  x: {absent: true}\n", "media.x"),
    "sip_subscribers": ("sip:\n  subscribers:\n    xyz: {}\n",
                        "sip:\n  subscribers:\n    xyz: {absent: true}\n", "sip_subscriber.xyz"),
    "webhooks": (f"webhooks:\n  - {{type: sms.mo, endpoint: '{HOOK}'}}\n",
                 f"webhooks:\n  - {{type: sms.mo, endpoint: '{HOOK}', absent: true}}\n",
                 f"webhook.sms.mo->{HOOK}"),
    "trunks": ("sip:\n  trunks:\n    origination:\n      t: {properties: {host: h.example}}\n",
               "sip:\n  trunks:\n    origination:\n      t: {properties: {host: h.example}, "
               "absent: true}\n", "sip_trunk.origination.t"),
    "subaccounts": ("subaccounts:\n  X: {contact: {emails: [a@x.example]}}\n",
                    "subaccounts:\n  X: {absent: true}\n", "subaccount.X"),
}


@pytest.mark.parametrize("kind", sorted(ABSENT))
def test_absent_deletes_whatever_the_policy(account: Account, manifest: Write,
                                            kind: str) -> None:
    present, absent, address = ABSENT[kind]
    account.converge(manifest("version: 1\n" + present))
    path = manifest("version: 1\npolicy: {prune: []}\n" + absent)
    plan = account.converge(path)
    assert actions(plan) == [(address, Action.DELETE)]
    assert account.plan(path).is_empty


# -- protect ---------------------------------------------------------------------------------------


def test_protect_refuses_absent(account: Account, client: CallrClient, manifest: Write) -> None:
    account.converge(manifest(apps_manifest("a")))
    path = manifest("version: 1\napps:\n  a: {package: ACTIONS10, absent: true, protect: true}\n")
    with pytest.raises(PlanError) as caught:
        account.plan(path)
    (message,) = caught.value.messages
    assert message.startswith("app.a is protected (protect: true on app.a) but this plan would "
                              "delete it (absent: true)")
    assert "remove protect: true" in message
    assert app_names(client) == ["a"]


def test_protect_refuses_an_app_replace(account: Account, manifest: Write) -> None:
    account.converge(manifest(apps_manifest("a")))
    path = manifest("version: 1\napps:\n  a: {package: REALTIME10, protect: true}\n")
    with pytest.raises(PlanError, match=r"app\.a is protected .* would replace it"):
        account.plan(path)
    unprotected = manifest("version: 1\napps:\n  a: {package: REALTIME10}\n")
    replace = account.plan(unprotected)
    assert [c.action for c in replace.changes] == [Action.REPLACE, Action.DELETE]


def test_protect_refuses_a_trunk_replace(account: Account, manifest: Write) -> None:
    trunk = ("version: 1\nsip:\n  trunks:\n    origination:\n"
             "      t: {{properties: {{host: {0}}}{1}}}\n")
    account.converge(manifest(trunk.format("a.example", "")))
    with pytest.raises(PlanError, match=r"sip_trunk\.origination\.t is protected"):
        account.plan(manifest(trunk.format("b.example", ", protect: true")))


def test_protect_refuses_pruning_a_previous_name(account: Account, manifest: Write) -> None:
    account.converge(manifest(apps_manifest("old", "new")))
    path = manifest("""version: 1
policy: {prune: [apps]}
apps:
  new: {package: ACTIONS10, params: {script: {branches: {b: {actions: [
          {action: log@v1, params: {message: new}}]}}}}, protect: true, previous_names: [old]}
""")
    with pytest.raises(PlanError, match=r"app\.old is protected \(protect: true on app\.new\) "
                                        r"but this plan would delete it \(pruned"):
        account.plan(path)


# -- ignore ----------------------------------------------------------------------------------------


def test_ignore_hides_from_prune(account: Account, client: CallrClient, manifest: Write) -> None:
    account.converge(manifest(apps_manifest("a", "legacy-1", "legacy-2", "other")))
    path = manifest(apps_manifest("a", policy='{prune: [apps], ignore: {apps: ["legacy-*"]}}'))
    plan = account.converge(path)
    assert actions(plan) == [("app.other", Action.DELETE)]
    assert app_names(client) == ["a", "legacy-1", "legacy-2"]


def test_ignore_hides_from_updates_and_renames(account: Account, client: CallrClient,
                                               manifest: Write) -> None:
    account.converge(manifest(apps_manifest("legacy-1")))
    path = manifest("""version: 1
policy: {ignore: {apps: ["legacy-*"]}}
apps:
  fresh: {package: ACTIONS10, params: {script: {branches: {
      x: {actions: [{action: hangup@v1}]}}}}, previous_names: [legacy-1]}
""")
    plan = account.plan(path)
    assert actions(plan) == [("app.fresh", Action.CREATE)], "an ignored app is never renamed"


def test_ignored_numbers_are_not_pruned(account: Account, client: CallrClient,
                                        manifest: Write) -> None:
    account.converge(manifest(apps_manifest("a", extra="""numbers:
  "+33199000001": a
  "+33199000002": a
""")))
    path = manifest(apps_manifest(
        "a", policy='{prune: [numbers], ignore: {numbers: ["+331990000*2"]}}',
        extra='numbers:\n  "+33199000001": a\n'))
    assert account.plan(path).is_empty


# -- rename in place -------------------------------------------------------------------------------


def test_rename_app_in_place_keeps_its_numbers(account: Account, client: CallrClient,
                                               manifest: Write) -> None:
    account.converge(manifest(apps_manifest("old", extra='numbers:\n  "+33199000001": old\n')))
    (before,) = client.apps_get_list(True)
    path = manifest("""version: 1
apps:
  new: {package: ACTIONS10, params: {script: {branches: {b: {actions: [
          {action: log@v1, params: {message: old}}]}}}}, previous_names: [gone, old]}
numbers:
  "+33199000001": new
""")
    plan = account.converge(path)
    (change,) = plan.changes
    assert (change.address, change.action, change.summary) == (
        "app.new", Action.UPDATE, "rename old -> new")
    assert [(f.path, f.old, f.new) for f in change.fields] == [("name", "old", "new")]
    (after,) = client.apps_get_list(True)
    assert (after["hash"], after["name"]) == (before["hash"], "new")
    assert owners(client)["+33199000001"] == "new"
    assert account.plan(path).is_empty


def test_rename_media_in_place(account: Account, client: CallrClient, manifest: Write) -> None:
    media = "version: 1\nmedia:\n  {0}: {{tts: {{text: {1}, voice: TTS_EN-GB_DANIEL}}{2}}}\n"
    account.converge(manifest(media.format("old", "hello", "")))
    (media_id,) = client.call("media/library.get_list", categories=None)
    path = manifest(media.format("new", "bye", ", previous_names: [old]"))
    plan = account.converge(path)
    (change,) = plan.changes
    assert (change.action, change.summary) == (Action.UPDATE, "rename old -> new")
    assert change.fields[0].path == "name" and change.calls[0].method == "media/library.set_name"
    assert "content" in [f.path for f in change.fields]
    library = client.call("media/library.get_list", categories=None)
    assert list(library) == [media_id] and library[media_id]["name"] == "new"
    assert account.plan(path).is_empty


def test_subaccount_previous_name_adopts_it(account: Account, client: CallrClient,
                                            manifest: Write) -> None:
    account.converge(manifest("""version: 1
subaccounts:
  "Old Co":
    contact: {emails: [ops@x.example]}
    resources:
      apps: {a: {package: ACTIONS10, params: {script: {branches: {
          a: {actions: [{action: hangup@v1}]}}}}}}
"""))
    path = manifest("""version: 1
subaccounts:
  "New Co":
    previous_names: ["Old Co"]
    contact: {emails: [ops@x.example]}
    resources:
      apps: {a: {package: ACTIONS10, params: {script: {branches: {
          b: {actions: [{action: hangup@v1}]}}}}}}
""")
    plan = account.plan(path)
    assert actions(plan) == [('subaccount["New Co"].app.a', Action.UPDATE)], "no create"
    assert any("cannot rename a company" in w for w in plan.warnings)
    account.converge(path)
    assert len(client.search_all("account/sub.search", {"archived": None})) == 1
    assert account.plan(path).is_empty


def test_ambiguous_rename_is_a_plan_error(account: Account, manifest: Write) -> None:
    account.converge(manifest(apps_manifest("old1", "old2")))
    path = manifest("""version: 1
apps:
  new: {package: ACTIONS10, previous_names: [old1, old2]}
""")
    with pytest.raises(PlanError, match=r"app\.new: 2 live apps match its previous_names "
                                        r"\('old1' \(\w+\), 'old2' \(\w+\)\)"):
        account.plan(path)


def test_policy_twice_in_one_account_is_a_manifest_error(manifest: Write) -> None:
    first = manifest("version: 1\npolicy: {prune: [apps]}\n", "a.yaml")
    second = manifest("version: 1\npolicy: {prune: [media]}\n", "b.yaml")
    with pytest.raises(ManifestError) as caught:
        load([first, second], {})
    (problem,) = caught.value.problems
    assert problem.path == "policy"
    assert problem.message.startswith("policy is defined twice: also at ")


def test_protect_inside_a_subaccount_names_it_once(account: Account, manifest: Write) -> None:
    body = """version: 1
subaccounts:
  "Client A":
    contact: {{emails: [ops@client-a.example]}}
    resources:
      apps: {{a: {{package: ACTIONS10{0}}}}}
"""
    account.converge(manifest(body.format("")))
    with pytest.raises(PlanError) as caught:
        account.plan(manifest(body.format(", absent: true, protect: true")))
    (message,) = caught.value.messages
    assert message.startswith('subaccount["Client A"].app.a is protected (protect: true on '
                              'subaccount["Client A"].app.a)')
