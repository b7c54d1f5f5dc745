"""Capacity candidates in plan and cost: priced per candidate, blocked over the budget, worst case."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from runctl_iac.cli import app
from runctl_iac.plan.capacity import capacity_costs, capacity_findings, worst_case
from runctl_iac.plan.config import ProjectConfig
from runctl_iac.plan.make import make_plan
from runctl_iac.render.plan_json import load_schema
from runctl_iac.render.plan_text import render_plan_text
from runctl_iac.spec import load_spec_bytes, load_spec_or_raise
from tests.render.golden import check_golden

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "tests" / "fixtures" / "specs" / "good" / "capacity.yaml"


def test_every_candidate_is_priced_and_over_budget_ones_are_blocked() -> None:
    spec = load_spec_or_raise(SPEC)
    rows = capacity_costs(spec, ProjectConfig())
    assert [(r.index, r.label, r.blocked is not None, r.placed) for r in rows] == [
        (1, "g6e.12xlarge spot in us-east-1a", False, True),
        (2, "g6e.12xlarge spot in any zone", False, False),
        (3, "g6e.12xlarge on-demand in us-east-1a", True, False),
        (4, "g6e.12xlarge on-demand in any zone", True, False),
        (5, "g6.12xlarge spot in us-east-1a", False, False),
        (6, "g6.12xlarge spot in any zone", False, False),
        (7, "g6.12xlarge on-demand in us-east-1a", False, False),
        (8, "g6.12xlarge on-demand in any zone", False, False),
    ]
    assert rows[2].blocked is not None and rows[2].blocked.endswith("exceeds the budget of $8.00/hour")
    # the worst usable candidate is g6.12xlarge on-demand: its price plus the 100 GB root disk
    hourly, per_run = worst_case(rows)
    assert hourly == rows[6].hourly_usd and per_run == rows[6].per_run_usd
    assert hourly is not None and Decimal("4.6016") < hourly < Decimal("4.7")
    assert capacity_findings(spec, rows) == []


def test_a_group_with_every_candidate_blocked_is_e0530() -> None:
    text = SPEC.read_text(encoding="utf-8").replace("max_hourly_usd: 8", "max_hourly_usd: 1")
    spec = load_spec_bytes(text.encode(), "capacity.yaml").spec
    assert spec is not None
    rows = capacity_costs(spec, ProjectConfig())
    assert all(r.blocked for r in rows)
    [finding] = capacity_findings(spec, rows)
    assert (finding.code, finding.path, finding.line) == ("E0530", "instances.trainer.capacity", 12)
    assert worst_case(rows) == (None, None)


def test_single_type_specs_have_no_capacity_section(tmp_path: Path) -> None:
    spec = load_spec_or_raise(REPO / "examples" / "quickstart.yaml")
    plan = make_plan(spec, root=tmp_path)
    assert plan.capacity == ()
    assert "Capacity candidates" not in render_plan_text(plan)


def test_plan_text_shows_the_candidates_in_order(tmp_path: Path) -> None:
    plan = make_plan(load_spec_or_raise(SPEC), root=tmp_path)
    text = render_plan_text(plan)
    check_golden("capacity-candidates.txt", text[text.index("Capacity candidates") :])


def test_plan_and_cost_json_carry_the_candidates_and_match_the_schema(tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    schema = load_schema()
    runner = CliRunner()
    plan = runner.invoke(app, ["plan", "--offline", str(SPEC), "--output", "json"])
    doc = json.loads(plan.stdout)
    assert list(Draft202012Validator(schema).iter_errors(doc)) == []
    cost = runner.invoke(app, ["cost", str(SPEC), "--output", "json"])
    assert cost.exit_code == 0, cost.output
    cost_doc = json.loads(cost.stdout)
    cost_schema = {**schema, "$ref": "#/$defs/cost_document"}
    for key in ("required", "properties", "additionalProperties"):
        cost_schema.pop(key)
    assert list(Draft202012Validator(cost_schema).iter_errors(cost_doc)) == []
    assert cost_doc["capacity"] == doc["capacity"]
    assert [c["blocked"] is not None for c in doc["capacity"]["candidates"]] == [
        False,
        False,
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_cost_text_and_markdown_end_with_the_candidates() -> None:
    runner = CliRunner()
    text = runner.invoke(app, ["cost", str(SPEC)]).stdout
    check_golden("capacity-cost.txt", text[text.index("Capacity candidates") :])
    markdown = runner.invoke(app, ["cost", str(SPEC), "--output", "markdown"]).stdout
    check_golden("capacity-cost.md", markdown[markdown.index("**Capacity candidates**") :])


def test_a_plan_against_a_failed_over_base_stays_on_its_candidate(tmp_path: Path) -> None:
    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.plan.base import write_snapshot
    from runctl_iac.spec.capacity import candidates, place

    spec = load_spec_or_raise(SPEC)
    fifth = candidates(spec.instances["trainer"])[4]
    graph, _ = compile_spec(place(spec, {"trainer": fifth}))
    write_snapshot(graph, tmp_path)
    plan = make_plan(spec, root=tmp_path)
    assert not plan.changes.has_changes
    assert [r.index for r in plan.capacity if r.placed] == [5]
    assert "trainer: placed: g6.12xlarge spot in us-east-1a, candidate 5 of 8" in render_plan_text(plan)
