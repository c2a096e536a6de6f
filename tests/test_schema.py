"""The published JSON Schema matches the models."""

from __future__ import annotations

import json
from pathlib import Path

from provisioner.manifest.schema import manifest_schema, render

PUBLISHED = Path(__file__).parent.parent / "schemas" / "manifest.schema.json"


def test_published_schema_is_up_to_date() -> None:
    assert PUBLISHED.read_text(encoding="utf-8") == render(), (
        "schemas/manifest.schema.json is stale: run python -m provisioner.manifest.schema > "
        "schemas/manifest.schema.json"
    )


def test_schema_describes_every_section_and_nested_resources() -> None:
    schema = manifest_schema()
    assert set(schema["properties"]) == {
        "version", "apps", "numbers", "media", "sip", "webhooks", "subaccounts", "policy"
    }
    assert schema["required"] == ["version"]
    resources = schema["$defs"]["SubAccountSpec"]["properties"]["resources"]
    assert {"$ref": "#/$defs/Resources"} in resources["anyOf"]
    assert "subaccounts" not in schema["$defs"]["Resources"]["properties"]
    # Ranges from CALLR's object reference reach the schema.
    target = schema["$defs"]["Target"]["properties"]["timeout"]
    assert (target["minimum"], target["maximum"]) == (5, 300)
    json.dumps(schema)
