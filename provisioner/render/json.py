"""Machine-readable plan: deterministic, redacted JSON (``Plan.to_dict`` plus a fingerprint)."""

from __future__ import annotations

import json
import re

from provisioner.planning.plan import Plan

_INVISIBLE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters JSON may carry raw that a terminal could act on (C1 controls, text reordering):
written as ``\\uXXXX`` escapes, which parse to the same string."""


def render_plan(plan: Plan) -> str:
    body = plan.to_dict()
    body["fingerprint"] = plan.fingerprint()
    text = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False)
    return _INVISIBLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text) + "\n"
