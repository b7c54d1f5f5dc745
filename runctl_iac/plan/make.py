"""Plan orchestration: Spec -> Plan (changes, cost of new and base, findings).

    plan = make_plan(spec)                         # against the applied snapshot under ./.runctl
    plan = make_plan(spec, base=against_base(p))   # against a file; or git_base(ref, spec_path)

Steps: compile; choose the base (given, else the applied snapshot under `root`);
diff the base Graph against the new one (or take `changes` from the engine's
preview, which is authoritative when it ran: the same `Changes` model with
`source="engine"`); cost of the new and of the base Graph; then findings in a
stable order: load warnings, unknown prices, policy, data loss, volume shrinks,
retained buckets a region change would re-create under a name still taken.

The base's cost uses the base's own run length: its spec's when there is one
(`runctl diff OLD NEW`, `--against SPEC`, `--base REF`; data-loss findings about
what only the base held point at that spec's lines too), else the
`max_runtime_seconds` of the job kept in a bare Graph (snapshot, Graph JSON), else
this spec's run length, which the cost notes then say is assumed.

No cloud SDK is imported here; `live_prices=True` imports boto3 through
`plan.live_prices` only when it is asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from runctl_iac.compiler.graph import Graph
from runctl_iac.diagnostics import Diagnostic
from runctl_iac.plan.base import ResolvedBase, snapshot_base
from runctl_iac.plan.config import ProjectConfig
from runctl_iac.plan.model import Changes, CostEstimate, Plan, PlanBase
from runctl_iac.spec.model import Spec


def spot_prices(graph: Graph, base: Graph | None = None) -> dict[str, Decimal]:
    """Live spot prices for the spot types of `graph` (and of `base` when in the same region)."""
    from runctl_iac.plan.live_prices import fetch_graph_spot_prices

    prices = dict(fetch_graph_spot_prices(graph))
    if base is not None and base.region == graph.region:
        for itype, price in fetch_graph_spot_prices(base).items():
            prices.setdefault(itype, price)
    return prices


def plan_cost(
    graph: Graph,
    spec: Spec,
    config: ProjectConfig,
    prices: dict[str, Decimal] | None = None,
) -> CostEstimate:
    from runctl_iac.plan.cost import estimate_cost

    return estimate_cost(graph, spec, spot_discount=config.spot_discount, live_prices=prices)


def with_job(changes: Changes, old: Graph | None, new: Graph) -> Changes:
    """Changes from elsewhere (the engine preview, which sees only Pulumi resources) with the
    training job's entry added first, so a job change is never invisible."""
    from runctl_iac.compiler.job import JOB_TYPE
    from runctl_iac.plan.job_diff import diff_job

    if any(c.type == JOB_TYPE for c in changes.changes):
        return changes
    job = diff_job(old.job if old is not None else None, new.job)
    if job is None:
        return changes
    return dataclasses.replace(changes, changes=(job, *changes.changes))


def without_job(plan: Plan) -> Plan:
    """The plan of an apply that launches nothing (`--no-launch`, the local target): the training
    job's entry is left out, so it is neither announced nor counted."""
    from runctl_iac.compiler.job import JOB_TYPE

    kept = tuple(c for c in plan.changes.changes if c.type != JOB_TYPE)
    if len(kept) == len(plan.changes.changes):
        return plan
    return dataclasses.replace(plan, changes=dataclasses.replace(plan.changes, changes=kept))


def base_cost(
    base: ResolvedBase,
    base_spec: Spec | None,
    spec: Spec,
    config: ProjectConfig,
    prices: dict[str, Decimal] | None,
) -> tuple[CostEstimate | None, str | None]:
    """The base's cost at its own run length, and a note when that run length had to be assumed."""
    from runctl_iac.plan.cost import estimate_cost, run_seconds

    if base.graph is None:
        return None, None
    if base_spec is not None:
        return plan_cost(base.graph, base_spec, config, prices), None
    kept = (base.graph.job or {}).get("max_runtime_seconds")
    run: tuple[int | None, str | None]
    note = None
    if isinstance(kept, int) and not isinstance(kept, bool):
        run = (kept, f"the base's training.max_runtime ({kept} s)")
    else:
        run = run_seconds(spec)
        if run[0] is not None:
            note = (
                f"base: {_bare(base.base)} has no spec and no training.max_runtime, so its per-run "
                f"figure assumes this spec's run length ({run[1]})"
            )
    estimate = estimate_cost(
        base.graph, spec, spot_discount=config.spot_discount, live_prices=prices, run=run
    )
    return estimate, note


def _bare(base: PlanBase) -> str:
    what = "the applied snapshot" if base.kind == "snapshot" else "the Graph document"
    return f"{what} {base.ref}" if base.ref else what


def make_plan(
    spec: Spec,
    *,
    base: ResolvedBase | None = None,
    root: Path | None = None,
    fail_on_data_loss: bool = False,
    config: ProjectConfig | None = None,
    live_prices: bool = False,
    graph: Graph | None = None,
    base_spec: Spec | None = None,
    changes: Changes | None = None,
    diagnostics: Iterable[Diagnostic] = (),
) -> Plan:
    """Build the Plan for `spec`.

    base: the resolved base (`plan.base.resolve_base`); None: the applied snapshot under `root`
      (default: the current directory), or nothing when there is none.
    graph: the compiled Graph of `spec` when the caller already has it; without it, a spec with
      capacity candidates is compiled on the candidate the base runs on (`plan.capacity.placed_as_base`).
    base_spec: the spec the base was compiled from (default: `base.spec`); its run length prices the
      base and findings about what only the base held point at its lines.
    changes: changes computed elsewhere (the engine preview; the job entry is added); None: the
      offline diff.
    diagnostics: warnings from loading the spec, carried into the findings.
    Raises `DiagnosticError` when the base, the config or live prices cannot be read.
    """
    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.plan.capacity import capacity_costs, capacity_findings, placed_as_base
    from runctl_iac.plan.cost import cost_warnings
    from runctl_iac.plan.diff import data_loss_findings, diff_graphs, shrink_findings
    from runctl_iac.plan.policy import check_policy
    from runctl_iac.plan.region_move import retained_bucket_moves

    config = config or ProjectConfig()
    given = graph is not None
    if graph is None:
        graph, _ = compile_spec(spec)
    if base is None:
        base = snapshot_base(graph.project, graph.stack, root or Path.cwd())
    placed = placed_as_base(spec, base.graph)
    if not given and placed != spec:  # the base runs on another capacity candidate than candidate 1
        spec = placed
        graph, _ = compile_spec(spec)
    # the engine's changes (when given) see only Pulumi resources: the job entry is added to them
    changes = diff_graphs(base.graph, graph) if changes is None else with_job(changes, base.graph, graph)
    base_spec = base_spec or base.spec
    prices = spot_prices(graph, base.graph) if live_prices else None
    cost = plan_cost(graph, spec, config, prices)
    capacity = capacity_costs(spec, config, prices)
    old_cost, assumed = base_cost(base, base_spec, spec, config, prices)
    if assumed is not None:
        cost = dataclasses.replace(cost, notes=(*cost.notes, assumed))
    findings = [
        *diagnostics,
        *cost_warnings(cost, spec),
        *check_policy(spec, graph, cost, config),
        *capacity_findings(spec, capacity),
        *data_loss_findings(changes, fail_on_data_loss, spec, base_spec),
        *shrink_findings(changes, spec),
        *retained_bucket_moves(base.graph, graph, changes, spec),
    ]
    plan = Plan(
        project=graph.project,
        stack=graph.stack,
        spec_hash=graph.spec_hash(),
        base=base.base,
        changes=changes,
        cost=cost,
        base_cost=old_cost,
        findings=tuple(findings),
        capacity=capacity,
        graph=graph,
    )
    return without_job(plan) if spec.target == "local" else plan  # the emulator runs no job
