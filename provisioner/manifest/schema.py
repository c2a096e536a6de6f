"""The manifest's JSON Schema, generated from the pydantic models, for editors and CI.

``python -m provisioner.manifest.schema > schemas/manifest.schema.json`` regenerates the published
file; a test fails when it is out of date.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from provisioner.models.manifest import ManifestFile, Resources

SCHEMA_ID = "https://github.com/callr-provisioner/callr-provisioner/schemas/manifest.schema.json"


def manifest_schema() -> dict[str, Any]:
    schema = ManifestFile.model_json_schema(by_alias=True)
    # A sub-account's ``resources`` is validated by the manifest loader as a nested manifest
    # (its model field is a plain mapping); the schema says what it really holds.
    resources = Resources.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    defs.update(resources.pop("$defs", {}))
    defs["Resources"] = resources
    defs["SubAccountSpec"]["properties"]["resources"] = {
        "anyOf": [{"$ref": "#/$defs/Resources"}, {"type": "null"}],
        "description": "The sub-account's own resources: a manifest without subaccounts.",
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "callr-provisioner manifest"
    return schema


def render() -> str:
    return json.dumps(manifest_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(render())
