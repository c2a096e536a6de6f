"""Machine-readable plan: deterministic, redacted JSON (``Plan.to_dict`` plus a fingerprint)."""

from __future__ import annotations

import json

from provisioner.plan import Plan


def render_plan(plan: Plan) -> str:
    body = plan.to_dict()
    body["fingerprint"] = plan.fingerprint()
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
