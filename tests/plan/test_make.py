"""`make_plan`: base choice, engine-fed changes, findings order, cost of the base."""

from __future__ import annotations

from pathlib import Path

from runctl_iac.compiler import compile as compile_spec
from runctl_iac.plan.base import ResolvedBase, write_snapshot
from runctl_iac.plan.config import ProjectConfig
from runctl_iac.plan.make import make_plan
from runctl_iac.plan.model import Action, Change, Changes, PlanBase
from runctl_iac.spec import load_spec_or_raise
from runctl_iac.spec.model import Spec
from tests.cli.plan_helpers import BASE_SPEC, write


def _spec(tmp_path: Path, text: str = BASE_SPEC, name: str = "spec.yaml") -> Spec:
    return load_spec_or_raise(write(tmp_path / name, text))


def test_no_snapshot_means_everything_is_created(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    plan = make_plan(spec, root=tmp_path)
    graph, _ = compile_spec(spec)
    assert plan.base == PlanBase("none")
    assert plan.base_cost is None
    assert plan.changes.count(Action.CREATE) == len(graph.resources) + 1  # and the job
    assert plan.spec_hash == graph.spec_hash()
    assert plan.cost_delta_hourly_usd == plan.cost.hourly_usd


def test_snapshot_is_the_default_base(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    graph, _ = compile_spec(spec)
    path = write_snapshot(graph, tmp_path)
    plan = make_plan(spec, root=tmp_path)
    assert plan.base == PlanBase("snapshot", str(path), graph.spec_hash())
    assert not plan.changes.has_changes
    assert plan.base_cost is not None and plan.cost_delta_hourly_usd == 0


def test_engine_changes_are_used_as_given_with_the_job_entry(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    engine = Changes((Change("instance.gpu.0", "aws:ec2/instance:Instance", Action.UPDATE),), source="engine")
    plan = make_plan(spec, root=tmp_path, changes=engine)
    assert plan.changes.source == "engine" and plan.changes.changes[1:] == engine.changes
    assert (plan.changes.changes[0].id, plan.changes.changes[0].action) == ("job", Action.CREATE)


def test_findings_order_and_fail_on_data_loss(tmp_path: Path) -> None:
    old = _spec(tmp_path, BASE_SPEC.replace("  results: {}", "  results: {}\n  gone: {}"), "old.yaml")
    old_graph, _ = compile_spec(old)
    base = ResolvedBase(PlanBase("file", "old.yaml", old_graph.spec_hash()), old_graph)
    spec = _spec(tmp_path, BASE_SPEC.replace("max_hourly_usd: 5", "max_hourly_usd: 0.5"))
    plan = make_plan(spec, base=base, fail_on_data_loss=True, config=ProjectConfig())
    assert [f.code for f in plan.findings] == ["E0501", "E0507"]
    assert plan.blocked
    assert plan.findings[0].file == str(tmp_path / "spec.yaml")
