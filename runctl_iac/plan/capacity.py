"""Capacity candidates priced and checked against the budget, for plan, cost and diff.

Each candidate is priced as the whole environment would cost with its group on that candidate
(compile the placed spec, estimate it). A budget must hold for every candidate: one that exceeds it,
or whose price is unknown while a budget is set, is blocked (fail closed) and apply never tries it.
The placed candidate (candidate 1 until an apply records another) goes through the plan's ordinary
budget check, so a blocked placed candidate blocks the plan; E0530 says when a group has no
candidate left at all.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import TYPE_CHECKING

from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.plan.config import ProjectConfig
from runctl_iac.plan.cost import estimate_cost
from runctl_iac.plan.model import CandidateCost
from runctl_iac.plan.policy import check_budget
from runctl_iac.spec.capacity import candidates, place, placement_of
from runctl_iac.spec.model import Spec

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph


def capacity_costs(
    spec: Spec, config: ProjectConfig, prices: dict[str, Decimal] | None = None
) -> tuple[CandidateCost, ...]:
    """One row per candidate of every group that lists `capacity` (none for single-type specs)."""
    from runctl_iac.compiler import compile as compile_spec

    rows: list[CandidateCost] = []
    budget = spec.budget
    has_budget = budget.max_hourly_usd is not None or budget.max_run_usd is not None
    for name, group in spec.instances.items():
        if group.capacity is None:
            continue
        current = placement_of(group)
        cands = candidates(group)
        for cand in cands:
            placed = place(spec, {name: cand})
            graph, _ = compile_spec(placed)
            cost = estimate_cost(graph, placed, spot_discount=config.spot_discount, live_prices=prices)
            problems = [d.message for d in check_budget(placed, cost) if d.is_error]
            if not problems and has_budget and cost.incomplete:
                problems.append("its price is unknown, so the budget cannot be checked")
            rows.append(
                CandidateCost(
                    group=name,
                    index=cand.index,
                    total=len(cands),
                    label=cand.label(),
                    key=cand.key(),
                    hourly_usd=None if cost.incomplete else cost.hourly_usd,
                    per_run_usd=None if cost.incomplete else cost.per_run_usd,
                    blocked=problems[0] if problems else None,
                    placed=current is not None and current.key() == cand.key(),
                )
            )
    return tuple(rows)


def worst_case(rows: tuple[CandidateCost, ...]) -> tuple[Decimal | None, Decimal | None]:
    """The highest $/hour and $/run among the candidates apply may use (not blocked)."""
    usable = [r for r in rows if r.blocked is None]
    hourly = [r.hourly_usd for r in usable if r.hourly_usd is not None]
    per_run = [r.per_run_usd for r in usable if r.per_run_usd is not None]
    return (max(hourly) if hourly else None, max(per_run) if per_run else None)


def capacity_findings(spec: Spec, rows: tuple[CandidateCost, ...]) -> list[Diagnostic]:
    """E0530 for a group whose every candidate is blocked."""
    out: list[Diagnostic] = []
    for name in dict.fromkeys(r.group for r in rows):
        mine = [r for r in rows if r.group == name]
        if mine and all(r.blocked is not None for r in mine):
            out.append(
                spec.source.diagnostic(
                    Severity.ERROR,
                    "E0530",
                    f"every capacity candidate of {name} is over the budget or unpriced",
                    ("instances", name, "capacity"),
                    "add a cheaper candidate, or raise the budget",
                )
            )
    return out


def placed_as_base(spec: Spec, base: Graph | None) -> Spec:
    """`spec` on the candidates its base Graph's instances run on (what the last apply placed), so a
    plan after a failover diffs against the candidate in use, not candidate 1."""
    if base is None:
        return spec
    choices = {}
    for name, group in spec.instances.items():
        res = base.resources.get(f"instance.{name}.0") if group.capacity is not None else None
        if res is None:
            continue
        props = res.properties
        options = props.get("instance_market_options")
        spot = isinstance(options, dict) and options.get("market_type") == "spot"
        zone = props.get("availability_zone")
        shape = (props.get("instance_type"), "spot" if spot else "on-demand")
        same = [c for c in candidates(group) if (c.type, c.market) == shape]
        match = next((c for c in same if c.zone == zone), None) or next(
            (c for c in same if c.zone is None), None
        )
        if match is not None:
            choices[name] = dataclasses.replace(match, zone=zone) if isinstance(zone, str) else match
    return place(spec, choices)
