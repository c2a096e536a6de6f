"""``provisioner graph``: the offline dependency graph, from the same Refs apply follows."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from provisioner.cli import main
from provisioner.manifest.desired import load
from provisioner.planning.graph import blueprint, edges, to_dot

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_edges_follow_references_between_entries(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        "version: 1\n"
        "media:\n  hello: {tts: {text: Hello, voice: TTS_EN-GB_SERENA}}\n"
        "apps:\n"
        "  desk:\n    package: CALLTRACKING10\n    params:\n"
        "      targets: [{number: '+33612345678'}]\n      medias: {welcome: hello}\n"
        "  bot: {package: REALTIME10, params: {url: 'https://bot.example/callr'}}\n"
        "numbers:\n  '+33199000001': desk\n",
        encoding="utf-8",
    )
    plan = blueprint(load([tmp_path]))
    assert edges(plan.changes) == [
        ("app.desk", "number.+33199000001"),
        ("media.hello", "app.desk"),
    ]
    dot = to_dot(plan)
    assert '"app.bot" [label="app.bot"];' in dot
    assert '"media.hello" -> "app.desk";' in dot


def test_subaccount_resources_sit_in_a_cluster_and_depend_on_the_subaccount() -> None:
    plan = blueprint(load([EXAMPLES / "agency"]))
    dot = to_dot(plan)
    assert 'label="sub-account Client B Clinic";' in dot
    assert ('"subaccount[\\"Client B Clinic\\"]" -> '
            '"subaccount[\\"Client B Clinic\\"].app.booking";') in dot
    # Inside the cluster, nodes are labelled without the sub-account prefix.
    assert '[label="app.booking"]' in dot


def test_graph_and_schema_commands() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["graph", str(EXAMPLES / "quickstart")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("digraph callr {")
    assert "->" in result.output
    published = (Path(__file__).parent.parent / "schemas" / "manifest.schema.json").read_text()
    schema = runner.invoke(main, ["schema"])
    assert schema.exit_code == 0
    assert schema.output == published


def test_graph_of_an_invalid_manifest_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("version: 1\napps:\n  x: {package: NOPE}\n")
    result = CliRunner().invoke(main, ["graph", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.yaml:3:" in result.output
