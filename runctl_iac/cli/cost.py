"""`runctl cost SPEC`: what the spec's environment costs per hour, per run and per month."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from runctl_iac.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    OutputFormat,
    check_output,
    fail,
    load_or_exit,
    output_option,
    write_out,
)
from runctl_iac.cli.plan import FORMATS
from runctl_iac.cli.stack_args import stack_option, stacks_dir_option

if TYPE_CHECKING:
    from runctl_iac.diagnostics import Diagnostic
    from runctl_iac.plan.model import CandidateCost, CostEstimate
    from runctl_iac.spec.model import Spec


def cost(
    spec: Path = typer.Argument(..., metavar="SPEC", help="The spec file.", show_default=False),
    stack: str | None = stack_option(),
    stacks_dir: Path | None = stacks_dir_option(),
    output: OutputFormat = output_option(*FORMATS),
    live_prices: bool = typer.Option(
        False, "--live-prices", help="Read current spot prices from AWS (needs credentials)."
    ),
) -> None:
    """Estimate what SPEC costs: $/hour while running, $ per run (max_runtime or ttl), $ per month.

    Prices come from the catalog shipped with runctl (on-demand; spot as an assumed discount,
    marked as an estimate) unless --live-prices reads current spot prices. Unknown prices are
    warnings and mark the estimate incomplete. Exit 1 when the spec is invalid or the estimate
    exceeds the spec's budget.

    Example:

        runctl cost examples/llama-finetune.yaml --stack prod --output markdown
    """
    check_output(output, *FORMATS)
    from runctl_iac.diagnostics import DiagnosticError, has_errors

    loaded, warnings = load_or_exit(spec, stack, stacks_dir)
    try:
        from runctl_iac.compiler import compile as compile_spec
        from runctl_iac.plan.capacity import capacity_costs, capacity_findings
        from runctl_iac.plan.config import load_project_config
        from runctl_iac.plan.cost import cost_warnings
        from runctl_iac.plan.make import plan_cost, spot_prices
        from runctl_iac.plan.policy import check_budget

        config = load_project_config(spec)
        graph, _ = compile_spec(loaded)
        prices = spot_prices(graph) if live_prices else None
        estimate = plan_cost(graph, loaded, config, prices)
        rows = capacity_costs(loaded, config, prices)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    findings = [
        *warnings,
        *cost_warnings(estimate, loaded),
        *check_budget(loaded, estimate),
        *capacity_findings(loaded, rows),
    ]
    write_out(_render(output, loaded, estimate, findings, rows))
    raise typer.Exit(EXIT_ERROR if has_errors(findings) else EXIT_OK)


def _render(
    output: OutputFormat,
    spec: Spec,
    estimate: CostEstimate,
    findings: list[Diagnostic],
    rows: tuple[CandidateCost, ...],
) -> str:
    """The cost view, with the capacity candidates after it when the spec lists some."""
    from runctl_iac.render import capacity, cost

    if output is OutputFormat.json:
        doc = cost.cost_document(spec.name, spec.stack, estimate, findings)
        if rows:
            doc["capacity"] = capacity.capacity_json(rows)
        return json.dumps(doc, sort_keys=True, indent=2) + "\n"
    if output is OutputFormat.markdown:
        text = cost.render_cost_markdown(spec.name, spec.stack, estimate, findings)
        extra = capacity.capacity_markdown(rows)
        return text + ("\n" + "\n".join(extra).rstrip("\n") + "\n" if extra else "")
    text = cost.render_cost_text(spec.name, spec.stack, estimate, findings)
    return text + ("\n" + "\n".join(capacity.capacity_lines(rows)) + "\n" if rows else "")


def register(app: typer.Typer) -> None:
    app.command(name="cost")(cost)
