"""The training job's entry in the offline diff (issue 8 item 1)."""

from __future__ import annotations

import dataclasses

from runctl_iac.compiler import compile as compile_spec
from runctl_iac.compiler.graph import Graph
from runctl_iac.plan.diff import diff_graphs
from runctl_iac.plan.job_diff import diff_job
from runctl_iac.plan.model import Action
from runctl_iac.spec.model import Training
from tests.compiler.specs import single_node


def test_job_changes_are_property_level() -> None:
    old = {"group": "g", "nodes": 1, "run": "a", "env": {"A": "1", "B": "2"}}
    new = {"group": "g", "nodes": 2, "run": "a", "env": {"A": "1", "C": "3"}}
    change = diff_job(old, new)
    assert change is not None and change.action is Action.UPDATE
    assert [(p.path, p.old, p.new) for p in change.properties] == [
        ("env.B", "2", None),
        ("env.C", None, "3"),
        ("nodes", 1, 2),
    ]
    assert not any(p.secret or p.replaces for p in change.properties)
    assert change.note is not None and "relaunched on apply" in change.note


def test_job_create_delete_and_unchanged() -> None:
    job = {"group": "g", "nodes": 1, "run": "a"}
    assert diff_job(None, None) is None
    created, deleted, same = diff_job(None, job), diff_job(job, None), diff_job(job, dict(job))
    assert created is not None and created.action is Action.CREATE
    assert deleted is not None and deleted.action is Action.DELETE and not deleted.data_loss
    assert same is not None and same.action is Action.NOOP and same.properties == ()


def test_training_change_is_listed_first_and_changes_nothing_else() -> None:
    spec = single_node()
    assert spec.training is not None
    edited = dataclasses.replace(spec, training=dataclasses.replace(spec.training, run="python other.py"))
    changes = diff_graphs(compile_spec(spec)[0], compile_spec(edited)[0])
    visible = [c for c in changes.changes if c.action is not Action.NOOP]
    assert [(c.id, c.action) for c in visible] == [("job", Action.UPDATE)]
    assert changes.changes[0].id == "job" and changes.has_changes


def test_removing_training_deletes_the_job_entry() -> None:
    with_job = compile_spec(single_node())[0]
    without = compile_spec(single_node(training=None))[0]
    assert without.job is None
    job = next(c for c in diff_graphs(with_job, without).changes if c.id == "job")
    assert job.action is Action.DELETE


def test_job_survives_the_graph_json_round_trip() -> None:
    graph = compile_spec(single_node(training=Training(group="box", run="x", env={"A": "1"})))[0]
    again = Graph.from_json(graph.to_json())
    assert again.job == graph.job and again.spec_hash() == graph.spec_hash()
    assert not diff_graphs(again, graph).has_changes


def test_engine_changes_get_the_job_entry() -> None:
    from runctl_iac.plan.base import ResolvedBase
    from runctl_iac.plan.make import make_plan
    from runctl_iac.plan.model import Changes, PlanBase

    spec = single_node()
    assert spec.training is not None
    old_graph = compile_spec(spec)[0]
    edited = dataclasses.replace(spec, training=dataclasses.replace(spec.training, run="python other.py"))
    base = ResolvedBase(PlanBase("snapshot", "s.json", old_graph.spec_hash()), old_graph)
    plan = make_plan(edited, base=base, changes=Changes((), source="engine"))
    assert [(c.id, c.action) for c in plan.changes.changes] == [("job", Action.UPDATE)]
    assert plan.changes.source == "engine" and plan.changes.has_changes
