"""Plan orchestration: Spec -> Plan (changes, cost of new and base, findings).

    plan = make_plan(spec)                         # against the applied snapshot under ./.runctl
    plan = make_plan(spec, base=against_base(p))   # against a file; or git_base(ref, spec_path)

Steps: compile; choose the base (given, else the applied snapshot under `root`);
diff the base Graph against the new one (or take `changes` from the engine's
preview, which is authoritative when it ran: the same `Changes` model with
`source="engine"`); cost of the new and of the base Graph; then findings in a
stable order: load warnings, unknown prices, policy, data loss, volume shrinks.

The base's cost uses the base spec's run length when the caller has it
(`runctl diff OLD NEW`), else this spec's (a snapshot is a bare Graph), so the
per-run delta then compares runs of the same length.

No cloud SDK is imported here; `live_prices=True` imports boto3 through
`plan.live_prices` only when it is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from runctl_iac.compiler.graph import Graph
from runctl_iac.diagnostics import Diagnostic
from runctl_iac.plan.base import ResolvedBase, snapshot_base
from runctl_iac.plan.config import ProjectConfig
from runctl_iac.plan.model import Changes, CostEstimate, Plan
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
    graph: the compiled Graph of `spec` when the caller already has it.
    base_spec: the spec the base was compiled from, when known (its run length prices the base).
    changes: changes computed elsewhere (the engine preview); None: the offline diff.
    diagnostics: warnings from loading the spec, carried into the findings.
    Raises `DiagnosticError` when the base, the config or live prices cannot be read.
    """
    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.plan.cost import cost_warnings
    from runctl_iac.plan.diff import data_loss_findings, diff_graphs, shrink_findings
    from runctl_iac.plan.policy import check_policy

    config = config or ProjectConfig()
    if graph is None:
        graph, _ = compile_spec(spec)
    if base is None:
        base = snapshot_base(graph.project, graph.stack, root or Path.cwd())
    if changes is None:
        changes = diff_graphs(base.graph, graph)
    prices = spot_prices(graph, base.graph) if live_prices else None
    cost = plan_cost(graph, spec, config, prices)
    base_cost = plan_cost(base.graph, base_spec or spec, config, prices) if base.graph is not None else None
    findings = [
        *diagnostics,
        *cost_warnings(cost, spec),
        *check_policy(spec, graph, cost, config),
        *data_loss_findings(changes, fail_on_data_loss, spec, base_spec),
        *shrink_findings(changes, spec),
    ]
    return Plan(
        project=graph.project,
        stack=graph.stack,
        spec_hash=graph.spec_hash(),
        base=base.base,
        changes=changes,
        cost=cost,
        base_cost=base_cost,
        findings=tuple(findings),
        graph=graph,
    )
