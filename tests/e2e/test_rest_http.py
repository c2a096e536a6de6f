"""End to end over HTTP through REST v2: the real command against ``/v2.0`` of the served
emulator, and across protocols on the same account."""

from __future__ import annotations

from pathlib import Path

from .conftest import Served, cli_env, provisioner

ROOT = Path(__file__).resolve().parents[2]
ACTIONS_ONLY = ROOT / "tests" / "data" / "rest" / "actions-only"
EXAMPLE = ROOT / "examples" / "actions"
ONCALL = ("--var", "oncall=+33612345678")
LEGACY = ROOT / "tests" / "data" / "rest" / "legacy.yaml"
KEY = {"CALLR_API_KEY": "sandbox"}


def rest_url(served: Served) -> str:
    return served.url.removesuffix("/json-rpc/v1.1/") + "/v2.0"


def scenarios(served: Served) -> dict[str, str]:
    state = served.emulator.snapshot()
    apps = state["accounts"][state["master"]]["apps"].values()
    return {a["name"]: a["package"]["name"] for a in apps}


def test_actions_manifest_applies_through_rest_then_no_changes_both_ways(served: Served) -> None:
    env = cli_env(**KEY)
    rest = ("--endpoint", rest_url(served))
    applied = provisioner("apply", ACTIONS_ONLY, *rest, "--yes", env=env)
    assert applied.returncode == 0, applied.stderr
    assert "through REST v2" in applied.stdout.splitlines()[0]
    assert "Apply complete: 5 changes applied." in applied.stdout
    assert scenarios(served) == {"front-desk": "ACTIONS10", "after-hours": "ACTIONS10"}
    again = provisioner("plan", ACTIONS_ONLY, *rest, "--detailed-exitcode", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout
    assert "REST v2 readiness" not in again.stdout
    rpc = provisioner("plan", ACTIONS_ONLY, "--endpoint", served.url, "--detailed-exitcode",
                      env=env)
    assert rpc.returncode == 0, rpc.stdout + rpc.stderr
    methods = served.emulator.stats()["methods"]
    assert methods["POST /actions"] == 2 and methods["PUT /numbers/{number}/scenario/{sid}"] == 3


def test_actions_example_through_rest_and_back(served: Served) -> None:
    """The Callr Actions example (four scenarios and their numbers) applies through
    ``--endpoint .../v2.0``, then plans no changes through REST, and through JSON-RPC."""
    env = cli_env(**KEY)
    applied = provisioner("apply", EXAMPLE, *ONCALL, "--endpoint", rest_url(served), "--yes",
                          env=env)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete: 8 changes applied." in applied.stdout
    for endpoint in (rest_url(served), served.url):
        again = provisioner("plan", EXAMPLE, *ONCALL, "--endpoint", endpoint,
                            "--detailed-exitcode", env=env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "No changes." in again.stdout


def test_applied_through_json_rpc_then_no_changes_through_rest(served: Served) -> None:
    env = cli_env(**KEY)
    applied = provisioner("apply", EXAMPLE, *ONCALL, "--endpoint", served.url, "--yes",
                          env=env)
    assert applied.returncode == 0, applied.stderr
    rest = provisioner("plan", EXAMPLE, *ONCALL, "--endpoint", rest_url(served), "--api",
                       "rest", "--detailed-exitcode", env=env)
    assert rest.returncode == 0, rest.stdout + rest.stderr
    assert "No changes." in rest.stdout


def test_legacy_manifest_through_rest_exits_1_before_any_call(served: Served) -> None:
    result = provisioner("plan", LEGACY, "--endpoint", rest_url(served), env=cli_env(**KEY))
    assert result.returncode == 1
    for app, package in (("support-line", "CALLTRACKING10"), ("callback", "CLICKTOCALL10"),
                         ("bot", "REALTIME10")):
        assert any(f"app.{app}: package {package} is not supported by REST v2" in line
                   for line in result.stderr.splitlines()), result.stderr
    assert "Traceback" not in result.stderr
    assert served.emulator.stats()["total"] == 0


def test_saved_rest_plan_is_not_applied_through_json_rpc(served: Served, tmp_path: Path) -> None:
    env = cli_env(**KEY)
    saved = tmp_path / "plan.json"
    made = provisioner("plan", ACTIONS_ONLY, "--endpoint", rest_url(served), "--out", saved,
                       env=env)
    assert made.returncode == 0, made.stderr
    refused = provisioner("apply", saved, "--endpoint", served.url, "--yes", env=env)
    assert refused.returncode == 1
    assert "planned through the rest API" in refused.stderr
    assert scenarios(served) == {}
    applied = provisioner("apply", saved, "--endpoint", rest_url(served), "--yes", env=env,
                          cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert set(scenarios(served)) == {"front-desk", "after-hours"}


def test_rest_refuses_login_and_password(served: Served) -> None:
    env = cli_env(CALLR_LOGIN="sandbox", CALLR_PASSWORD="sandbox")
    result = provisioner("plan", ACTIONS_ONLY, "--endpoint", rest_url(served), env=env)
    assert result.returncode == 1 and "CALLR_API_KEY" in result.stderr
    assert "sandbox" not in result.stderr.replace("sandbox.", "")


def test_debug_log_never_shows_the_api_key(served: Served) -> None:
    secret = "k" * 40
    served.emulator.api_keys = frozenset({secret})
    env = cli_env(CALLR_API_KEY=secret)
    result = provisioner("--debug", "apply", ACTIONS_ONLY, "--endpoint", rest_url(served),
                         "--yes", env=env)
    assert result.returncode == 0, result.stderr
    assert "POST /actions" in result.stderr  # the debug log shows the requests
    assert secret not in result.stdout + result.stderr
    wrong = provisioner("plan", ACTIONS_ONLY, "--endpoint", rest_url(served),
                        env=cli_env(CALLR_API_KEY="w" * 40))
    assert wrong.returncode == 1 and "unauthorized" in wrong.stderr
    assert "w" * 40 not in wrong.stderr
