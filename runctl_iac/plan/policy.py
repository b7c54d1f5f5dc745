"""Plan-time guardrails: budget, instance cap, allowlists, required tags.

Every finding is a Diagnostic pointing at the spec line responsible (via
`spec.source`). Errors block the plan (exit 1); warnings are shown.

- E0501 / E0502: the hourly / per-run estimate exceeds `budget.max_hourly_usd` /
  `budget.max_run_usd`. Both sides are compared rounded to cents (ROUND_HALF_UP),
  the way they are shown. A `max_run_usd` with no run time (no
  `training.max_runtime`, no `ttl`) is E0502 too: an unbounded run exceeds any budget.
- An incomplete estimate with a budget is blocked where the price is missing
  (E0513, from `cost.cost_warnings`): a budget fails closed.
- E0503: all instances in the spec (every group's count) above `max_instances`,
  at the count of the largest group.
- E0504 / E0505: region / instance type not in the config's allowlist (globs for types).
- E0506: a required tag key missing, at `tags` (or the spec root when there is none).
- W0515: a GPU group that nothing stops when idle (see `plan.autostop`).
"""

from __future__ import annotations

from runctl_iac.compiler.graph import Graph
from runctl_iac.diagnostics import Diagnostic, Severity
from runctl_iac.plan.autostop import check_autostop
from runctl_iac.plan.config import ProjectConfig
from runctl_iac.plan.cost import format_usd, round_usd
from runctl_iac.plan.model import CostEstimate
from runctl_iac.project import CONFIG_FILE
from runctl_iac.spec.model import PathT, Spec


def budget_hint(spec: Spec, per_run: bool = True) -> str:
    """What lowers the cost: spot only for groups that are not spot yet, max_runtime only per run."""
    ways = [] if all(g.spot is not None for g in spec.instances.values()) else ["spot instances"]
    ways.append("fewer or smaller instances")
    if per_run:
        ways.append("a shorter training.max_runtime")
    return "use " + (", ".join(ways[:-1]) + ", or " + ways[-1] if len(ways) > 2 else " or ".join(ways))


def _diag(
    spec: Spec, severity: Severity, code: str, path: PathT, message: str, hint: str | None = None
) -> Diagnostic:
    return spec.source.diagnostic(severity, code, message, path, hint)


def _config_name(config: ProjectConfig) -> str:
    return config.source or CONFIG_FILE


def check_budget(spec: Spec, cost: CostEstimate) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    budget = spec.budget
    hourly_path: PathT = ("budget", "max_hourly_usd")
    run_path: PathT = ("budget", "max_run_usd")
    if budget.max_hourly_usd is not None and round_usd(cost.hourly_usd) > round_usd(budget.max_hourly_usd):
        out.append(
            _diag(
                spec,
                Severity.ERROR,
                "E0501",
                hourly_path,
                f"estimated {format_usd(cost.hourly_usd)}/hour exceeds the budget of "
                f"{format_usd(budget.max_hourly_usd)}/hour",
                budget_hint(spec, per_run=False),
            )
        )
    if budget.max_run_usd is not None:
        if cost.per_run_usd is None:
            out.append(
                _diag(
                    spec,
                    Severity.ERROR,
                    "E0502",
                    run_path,
                    f"the run has no end, so its cost cannot stay within {format_usd(budget.max_run_usd)}",
                    "set training.max_runtime (or ttl) so the cost per run is known",
                )
            )
        elif round_usd(cost.per_run_usd) > round_usd(budget.max_run_usd):
            hours = format(cost.run_hours.normalize(), "f") if cost.run_hours is not None else "?"
            out.append(
                _diag(
                    spec,
                    Severity.ERROR,
                    "E0502",
                    run_path,
                    f"estimated {format_usd(cost.per_run_usd)} per run ({hours} h at "
                    f"{format_usd(cost.hourly_usd)}/hour) exceeds the budget of "
                    f"{format_usd(budget.max_run_usd)}",
                    budget_hint(spec),
                )
            )
    return out


def check_instance_cap(spec: Spec, config: ProjectConfig) -> list[Diagnostic]:
    total = sum(group.count for group in spec.instances.values())
    if total <= config.max_instances or not spec.instances:
        return []
    largest = max(spec.instances.values(), key=lambda g: g.count)
    return [
        _diag(
            spec,
            Severity.ERROR,
            "E0503",
            ("instances", largest.name, "count"),
            f"{total} instances in the spec exceed the cap of {config.max_instances}",
            f"lower the counts, or raise max_instances in {_config_name(config)}",
        )
    ]


def check_allowlists(spec: Spec, config: ProjectConfig) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if config.allowed_regions is not None and spec.region not in config.allowed_regions:
        out.append(
            _diag(
                spec,
                Severity.ERROR,
                "E0504",
                ("region",),
                f"region {spec.region} is not allowed by {_config_name(config)}",
                "allowed regions: " + (", ".join(config.allowed_regions) or "(none)"),
            )
        )
    for name, group in spec.instances.items():
        if not config.instance_type_allowed(group.type):
            out.append(
                _diag(
                    spec,
                    Severity.ERROR,
                    "E0505",
                    ("instances", name, "type"),
                    f"instance type {group.type} is not allowed by {_config_name(config)}",
                    "allowed types: " + (", ".join(config.allowed_instance_types or ()) or "(none)"),
                )
            )
    return out


def check_required_tags(spec: Spec, config: ProjectConfig) -> list[Diagnostic]:
    missing = [key for key in config.required_tags if key not in spec.tags]
    return [
        _diag(
            spec,
            Severity.ERROR,
            "E0506",
            ("tags",),
            f"required tag {key!r} is missing",
            f"add it under tags: (required by {_config_name(config)})",
        )
        for key in missing
    ]


def check_policy(spec: Spec, graph: Graph, cost: CostEstimate, config: ProjectConfig) -> list[Diagnostic]:
    """Every guardrail finding for a plan, errors and warnings, in a stable order.

    `graph` is part of the stable signature for checks on compiled resources; today's
    checks read the spec (which holds the positions) and the cost.
    """
    return [
        *check_budget(spec, cost),
        *check_instance_cap(spec, config),
        *check_allowlists(spec, config),
        *check_required_tags(spec, config),
        *check_autostop(spec),
    ]
