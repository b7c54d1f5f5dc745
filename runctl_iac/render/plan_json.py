"""A Plan as a versioned JSON document (shape: runctl_iac/data/plan.schema.json; format
version 2 added the training job as the `job` change, see `plan.job_diff`).

No-op resources are counted in `summary` but not listed. Money is carried as
strings. A secret property's values are the string "(secret)", never the value.
"""

from __future__ import annotations

import json
from typing import Any

from runctl_iac.plan.model import Action, Change, Plan, PropertyChange
from runctl_iac.render.cost import cost_json
from runctl_iac.render.diagnostics import findings_json

FORMAT_VERSION = 2
SECRET = "(secret)"


def _scrub(value: Any) -> Any:
    """Placeholders for secrets become "(secret)" too (they only name the variable, but stay uniform)."""
    if isinstance(value, dict):
        if "$secret" in value:
            return SECRET
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _property(prop: PropertyChange) -> dict[str, Any]:
    return {
        "path": prop.path,
        "old": SECRET if prop.secret else _scrub(prop.old),
        "new": SECRET if prop.secret else _scrub(prop.new),
        "replaces": prop.replaces,
        "secret": prop.secret,
    }


def change_json(change: Change) -> dict[str, Any]:
    return {
        "id": change.id,
        "type": change.type,
        "action": change.action.value,
        "data_loss": change.data_loss,
        "retained": change.retained,
        "note": change.note,
        "properties": [_property(p) for p in change.properties],
    }


def summary_json(plan: Plan) -> dict[str, int]:
    c = plan.changes.count
    return {
        "create": c(Action.CREATE),
        "update": c(Action.UPDATE),
        "replace": c(Action.REPLACE),
        "delete": c(Action.DELETE),
        "unchanged": c(Action.NOOP),
        "data_loss": sum(1 for ch in plan.changes.changes if ch.data_loss),
    }


def plan_document(plan: Plan) -> dict[str, Any]:
    document = _document(plan)
    if plan.graph is not None:  # so `plan --against plan.json` accepts runctl's own --out file
        document["graph"] = plan.graph.to_json()
    return document


def _document(plan: Plan) -> dict[str, Any]:
    document = {
        "format_version": FORMAT_VERSION,
        "project": plan.project,
        "stack": plan.stack,
        "spec_hash": plan.spec_hash,
        "base": {"kind": plan.base.kind, "ref": plan.base.ref, "spec_hash": plan.base.spec_hash},
        "source": plan.changes.source,
        "has_changes": plan.changes.has_changes,
        "changes": [change_json(c) for c in plan.changes.changes if c.action is not Action.NOOP],
        "summary": summary_json(plan),
        "cost": cost_json(plan.cost, plan.base_cost, has_base=plan.base.kind != "none"),
        "findings": findings_json(plan.findings),
        "blocked": plan.blocked,
    }
    if plan.capacity:  # only for specs with capacity candidates: older documents stay as they were
        from runctl_iac.render.capacity import capacity_json

        document["capacity"] = capacity_json(plan.capacity)
    return document


def render_plan_json(plan: Plan) -> str:
    """Deterministic: keys sorted, two-space indent, trailing newline."""
    return json.dumps(plan_document(plan), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def load_schema() -> dict[str, Any]:
    """The plan document's JSON Schema, shipped in the package."""
    from importlib.resources import files

    text = files("runctl_iac").joinpath("data/plan.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
