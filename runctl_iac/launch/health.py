"""How a running job is doing, from what its nodes report: stale heartbeats, old checkpoint syncs,
and what a node costs by the hour (for `$ so far`). Read by `runctl job`; no AWS call here."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from runctl_iac.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph, LaunchPlan
    from runctl_iac.launch.runs import NodeStatus
    from runctl_iac.spec.model import Spec


def node_hourly(graph: Graph, spec: Spec, plan: LaunchPlan) -> Decimal | None:
    """Estimated $/hour of one node of the training group (instance and root disk; a RunPod pod and
    its disks), by the same pricing rule as `runctl plan` (spot: the spot estimate)."""
    from runctl_iac.compiler.runpod import pod_id
    from runctl_iac.plan.cost import estimate_cost

    group = pod_id(plan.group) if plan.provider == "runpod" else f"instance.{plan.group}"
    lines = [line for line in estimate_cost(graph, spec).lines if line.resource == group]
    if not lines or any(line.hourly_usd is None for line in lines):
        return None
    return sum((line.hourly_usd or Decimal(0) for line in lines), Decimal(0)) / len(plan.nodes)


def job_warnings(plan: LaunchPlan, statuses: list[NodeStatus], now: datetime) -> list[Diagnostic]:
    """W0812 for a running node with a stale heartbeat; W0811 when its last checkpoint sync is too old."""
    out = []
    every = plan.checkpoint_every_seconds
    for s in statuses:
        if s.stale(now):
            out.append(
                Diagnostic(
                    Severity.WARNING,
                    "W0812",
                    f"node {s.rank}: no heartbeat for {int(s.heartbeat_age(now) or 0)}s while {s.state}",
                    path="training",
                    hint="the node may be gone (spot reclaim, shutdown); check it with `runctl status`",
                )
            )
        if every and s.state == "running" and s.started_at is not None:
            last = s.checkpoint_at or s.started_at
            if (now - last).total_seconds() > 2 * every:
                out.append(
                    Diagnostic(
                        Severity.WARNING,
                        "W0811",
                        f"node {s.rank}: last checkpoint sync {int((now - last).total_seconds())}s ago "
                        f"(checkpoints.every is {every}s)",
                        path="training.checkpoints.every",
                        hint="is the job writing to checkpoints.dir? see `runctl logs` for sync failures",
                    )
                )
    return out
