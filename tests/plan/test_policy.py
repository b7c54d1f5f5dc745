"""Guardrails: budget, instance cap, allowlists and required tags, each at the spec line responsible."""

from __future__ import annotations

from decimal import Decimal

from runctl_iac.diagnostics import Diagnostic, Severity, has_errors
from runctl_iac.plan.config import ProjectConfig
from runctl_iac.plan.cost import cost_warnings, estimate_cost
from runctl_iac.plan.policy import check_policy
from runctl_iac.spec.model import Budget, Spec
from tests.plan.cost_fixtures import POSITIONS, make_graph, make_spec


def _check(spec: Spec, config: ProjectConfig | None = None) -> list[Diagnostic]:
    graph = make_graph(spec)
    return check_policy(spec, graph, estimate_cost(graph, spec), config or ProjectConfig())


def _where(d: Diagnostic) -> tuple[str, Severity, str, str | None, int | None, int | None]:
    return (d.code, d.severity, d.path, d.file, d.line, d.column)


def test_cheap_spec_with_default_config_has_no_findings() -> None:
    assert _check(make_spec(budget=Budget(max_hourly_usd=Decimal(10), max_run_usd=Decimal(100)))) == []


def test_hourly_budget_exceeded_points_at_the_budget_line() -> None:
    # hourly is $4.94 (see test_cost.test_figures_pinned_to_the_shipped_catalog)
    (finding,) = _check(make_spec(budget=Budget(max_hourly_usd=Decimal("4.50"))))
    assert _where(finding) == ("E0501", Severity.ERROR, "budget.max_hourly_usd", "spec.yaml", 8, 19)
    assert "$4.94/hour" in finding.message and "$4.50/hour" in finding.message
    assert finding.hint == "use spot instances or fewer or smaller instances"  # prep is on-demand


def test_budget_compares_cents_as_shown() -> None:
    assert _check(make_spec(budget=Budget(max_hourly_usd=Decimal("4.94")))) == []
    (finding,) = _check(make_spec(budget=Budget(max_hourly_usd=Decimal("4.93"))))
    assert finding.code == "E0501"


def test_run_budget_exceeded() -> None:
    # 6 h × $4.943… = $29.66
    assert _check(make_spec(budget=Budget(max_run_usd=Decimal("29.66")))) == []
    (finding,) = _check(make_spec(budget=Budget(max_run_usd=Decimal(20))))
    assert _where(finding) == ("E0502", Severity.ERROR, "budget.max_run_usd", "spec.yaml", 9, 16)
    assert "$29.66 per run" in finding.message and "$20.00" in finding.message and "6 h" in finding.message


def test_run_budget_without_an_end_blocks() -> None:
    (finding,) = _check(make_spec(max_runtime_s=None, budget=Budget(max_run_usd=Decimal(1000))))
    assert finding.code == "E0502" and finding.is_error
    assert "max_runtime" in (finding.hint or "")


def test_budget_fails_closed_when_an_instance_price_is_unknown() -> None:
    spec = make_spec(trainer_type="g5.xlarg", spot=None, budget=Budget(max_hourly_usd=Decimal(100)))
    est = estimate_cost(make_graph(spec), spec)
    assert _check(spec) == []  # the policy itself passes: the unknown price blocks, where it is missing
    (finding,) = cost_warnings(est, spec)
    assert _where(finding) == ("E0513", Severity.ERROR, "instances.trainer.type", "spec.yaml", 14, 11)
    assert "budget" in finding.message and "blocked" in finding.message
    assert "did you mean g5.xlarge?" in (finding.hint or "") and "max_price_usd" in (finding.hint or "")
    no_budget = make_spec(trainer_type="g5.xlarg", spot=None)
    (warning,) = cost_warnings(estimate_cost(make_graph(no_budget), no_budget), no_budget)
    assert warning.code == "W0509" and not warning.is_error


def test_budget_fails_closed_when_the_region_is_unknown() -> None:
    spec = make_spec(region="xx-moon-1", budget=Budget(max_run_usd=Decimal(1000)))
    (finding,) = cost_warnings(estimate_cost(make_graph(spec), spec), spec)
    assert _where(finding) == ("E0513", Severity.ERROR, "region", "spec.yaml", 3, 9)
    assert "us-east-1" in (finding.hint or "")


def test_instance_cap_counts_every_group_and_points_at_the_largest() -> None:
    spec = make_spec(trainer_count=10, prep_count=7)
    (finding,) = _check(spec)
    assert _where(finding) == ("E0503", Severity.ERROR, "instances.trainer.count", "spec.yaml", 15, 12)
    assert "17 instances" in finding.message and "16" in finding.message
    assert "max_instances" in (finding.hint or "")
    assert _check(make_spec(trainer_count=10, prep_count=6)) == []

    spec = make_spec(trainer_count=2, prep_count=3)
    (finding,) = _check(spec, ProjectConfig(max_instances=4, source="/repo/runctl.toml"))
    assert finding.path == "instances.prep.count" and finding.line == 21
    assert "/repo/runctl.toml" in (finding.hint or "")


def test_region_and_instance_type_allowlists() -> None:
    config = ProjectConfig(allowed_regions=("us-west-2",), allowed_instance_types=("g5.*", "t3.*"))
    findings = _check(make_spec(), config)
    assert [_where(d) for d in findings] == [
        ("E0504", Severity.ERROR, "region", "spec.yaml", 3, 9),
        ("E0505", Severity.ERROR, "instances.prep.type", "spec.yaml", 20, 11),
    ]
    assert "us-west-2" in (findings[0].hint or "") and "m6i.xlarge" in findings[1].message
    assert _check(make_spec(region="us-west-2", prep_type="t3.large"), config) == []
    assert not ProjectConfig(allowed_instance_types=("g5.*",)).instance_type_allowed("g5")
    assert ProjectConfig(allowed_instance_types=("p4d.24xlarge",)).instance_type_allowed("p4d.24xlarge")


def test_required_tags_at_tags_or_the_root() -> None:
    config = ProjectConfig(required_tags=("team", "cost-center"))
    findings = _check(make_spec(tags={"team": "ml"}), config)
    assert [_where(d) for d in findings] == [("E0506", Severity.ERROR, "tags", "spec.yaml", 5, 3)]
    assert "cost-center" in findings[0].message

    no_tags = {p: pos for p, pos in POSITIONS.items() if p != ("tags",)}
    findings = _check(make_spec(positions=no_tags), config)
    assert [(d.code, d.line, d.column) for d in findings] == [("E0506", 1, 1), ("E0506", 1, 1)]


def test_findings_block_only_when_errors() -> None:
    assert not has_errors(_check(make_spec()))
    assert has_errors(_check(make_spec(budget=Budget(max_hourly_usd=Decimal(1)))))


def test_budget_hint_offers_spot_only_for_groups_not_already_spot() -> None:
    all_spot = make_spec(prep_count=0, budget=Budget(max_hourly_usd=Decimal(1), max_run_usd=Decimal(1)))
    hourly, run = _check(all_spot)
    assert (hourly.code, run.code) == ("E0501", "E0502")
    assert hourly.hint == "use fewer or smaller instances"
    assert run.hint == "use fewer or smaller instances or a shorter training.max_runtime"
    mixed = make_spec(budget=Budget(max_run_usd=Decimal(1)))
    (finding,) = _check(mixed)
    assert finding.hint == "use spot instances, fewer or smaller instances, or a shorter training.max_runtime"
