"""Apps of packages the tool does not know (``CALLFORWARDING10``, ``TRUNKTERMINATION10`` on real
accounts): read, shown as unmanaged, never changed or deleted unless named, listed by export."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from provisioner.api.client import CallrClient
from provisioner.emulator import Emulator
from provisioner.export import export_account
from provisioner.export.write import plan_files
from tests.conftest import Account

Write = Callable[..., Path]
N1, N2 = "+33199000001", "+33199000002"


def seed(emulator: Emulator, client: CallrClient) -> tuple[str, str]:
    forward = emulator.add_app("CALLFORWARDING10", "forward")
    trunk = emulator.add_app("TRUNKTERMINATION10", "desk")
    dids = {d["intl_number"]: d["hash"] for d in client.apps_get_dids(False)}
    client.apps_assign_did(forward, dids[N1])
    return forward, trunk


def owners(client: CallrClient) -> dict[str, str | None]:
    return {d["intl_number"]: d["app"] for d in client.apps_get_dids(False)}


def test_unknown_apps_survive_prune_and_a_namesake(account: Account, client: CallrClient,
                                                   emulator: Emulator, manifest: Write) -> None:
    forward, trunk = seed(emulator, client)
    path = manifest(f"""\
        version: 1
        policy: {{prune: [apps, numbers]}}
        apps:
          desk: {{package: ACTIONS10}}
        numbers: {{"{N2}": desk}}
        """)
    plan = account.plan(path)
    assert [(c.address, c.action.value) for c in plan.changes] == [
        ("app.desk", "create"), (f"number.{N2}", "assign")]
    (warning,) = [w for w in plan.warnings if "unmanaged" in w]
    assert "'forward' (CALLFORWARDING10" in warning and "'desk' (TRUNKTERMINATION10" in warning
    account.converge(path)
    packages = sorted(a["package"]["name"] for a in client.apps_get_list(False))
    assert packages == ["ACTIONS10", "CALLFORWARDING10", "TRUNKTERMINATION10"]
    assert owners(client)[N1] == forward  # its number stays with it, prune or not
    assert account.plan(path).is_empty
    assert trunk in {a["hash"] for a in client.apps_get_list(False)}


def test_an_absent_entry_names_an_unknown_app_explicitly(
        account: Account, client: CallrClient, emulator: Emulator, manifest: Write) -> None:
    forward, _ = seed(emulator, client)
    path = manifest("version: 1\napps: {forward: {package: ACTIONS10, absent: true}}\n")
    changes = account.converge(path).changes
    assert sorted((c.address, c.action.value) for c in changes) == [
        ("app.forward", "delete"), (f"number.{N1}", "unassign")]  # freed with its app
    (delete,) = [c for c in changes if c.kind == "app"]
    assert delete.calls[0].kwargs()["hash"] == forward
    assert forward not in {a["hash"] for a in client.apps_get_list(False)}


def test_export_lists_unknown_apps_as_comments(client: CallrClient, emulator: Emulator,
                                               tmp_path: Path) -> None:
    forward, trunk = seed(emulator, client)
    client.apps_create("ACTIONS10", "known", None)
    files = plan_files(export_account(client), tmp_path)
    first = files[tmp_path / "apps.yaml"]
    assert "# Unmanaged (packages this tool does not know)" in first
    assert f"#   app 'forward': CALLFORWARDING10 {forward}" in first
    assert f"#   app 'desk': TRUNKTERMINATION10 {trunk}" in first
    assert "forward:" not in first.split("apps:", 1)[1]
