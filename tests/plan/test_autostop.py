"""plan.autostop: the review line, W0515, a stopped node's EBS cost, stopped instances in refresh."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from runctl_iac.compiler import compile
from runctl_iac.plan.autostop import autostop_summary, check_autostop, expected_stops, stopped_node_monthly
from runctl_iac.plan.cost import estimate_cost
from runctl_iac.plan.model import Action, Change, Changes, PropertyChange
from runctl_iac.spec import load_spec_or_raise
from runctl_iac.spec.model import Spec

BASE = """\
version: 1
name: t
ttl: 8h
{budget}
volumes:
  data: {{size_gb: 100}}
instances:
  g: {{type: g5.xlarge, count: 2, disk_gb: 200, volumes: {{data: /data}}{spot}}}
  h: {{type: m5.large}}
training:
  group: g
  run: echo hi
{autostop}
"""


def _spec(tmp_path: Path, budget: str = "", spot: str = "", autostop: str = "") -> Spec:
    path = tmp_path / "spec.yaml"
    path.write_text(BASE.format(budget=budget, spot=spot, autostop=autostop))
    return load_spec_or_raise(path)


def test_summary_says_what_stops_the_spend(tmp_path: Path) -> None:
    assert autostop_summary(_spec(tmp_path)) == "stops after 30 min idle; no runtime budget cap"
    capped = _spec(tmp_path, budget="budget: {max_run_usd: 250}")
    assert autostop_summary(capped) == "stops after 30 min idle; job stopped at $250.00"
    spot = _spec(tmp_path, spot=", spot: true", autostop="  autostop: {idle: 1h30m}")
    assert autostop_summary(spot) == "terminates after 1 h 30 min idle; no runtime budget cap"
    off = _spec(tmp_path, autostop="  autostop: false", budget="budget: {max_run_usd: 9.5}")
    assert autostop_summary(off) == "autostop off; job stopped at $9.50"


def test_w0515_for_gpu_groups_nothing_stops(tmp_path: Path) -> None:
    assert check_autostop(_spec(tmp_path)) == []  # the default autostop covers the GPU group
    found = check_autostop(_spec(tmp_path, autostop="  autostop: false"))
    assert [(d.code, d.path, d.line) for d in found] == [("W0515", "training.autostop", 13)]
    assert "g5.xlarge runs the job with `autostop: false` and no budget.max_run_usd" in found[0].message
    assert (
        check_autostop(_spec(tmp_path, autostop="  autostop: false", budget="budget: {max_run_usd: 9}")) == []
    )


def test_a_stopped_node_still_pays_for_its_ebs(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    graph, _ = compile(spec)
    monthly = stopped_node_monthly(estimate_cost(graph, spec), "g", 2)
    # catalog gp3 in us-east-1: $0.08/GB-month; a 200 GB root disk and a 100 GB volume per node
    assert monthly is not None and monthly.quantize(Decimal("0.01")) == Decimal("24.00")


def test_refresh_counts_a_stopped_instance_as_expected() -> None:
    instance = "aws:ec2/instance:Instance"
    stopped = Change(
        "instance.g.0",
        instance,
        Action.UPDATE,
        (
            PropertyChange("instance_state", "running", "stopped"),
            PropertyChange("public_ip", "1.2.3.4", None),
        ),
    )
    retyped = Change("instance.g.1", instance, Action.UPDATE, (PropertyChange("instance_type", "a", "b"),))
    rest, ids = expected_stops(Changes((stopped, retyped), source="engine"))
    assert ids == ["instance.g.0"]
    assert [c.action for c in rest.changes] == [Action.NOOP, Action.UPDATE]
    assert rest.changes[1] == retyped
