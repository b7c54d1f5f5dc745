"""`runctl cost SPEC`: what the spec's environment costs per hour, per run and per month."""

from __future__ import annotations

from pathlib import Path

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
        from runctl_iac.plan.config import load_project_config
        from runctl_iac.plan.cost import cost_warnings
        from runctl_iac.plan.make import plan_cost, spot_prices
        from runctl_iac.plan.policy import check_budget

        config = load_project_config(spec)
        graph, _ = compile_spec(loaded)
        estimate = plan_cost(graph, loaded, config, spot_prices(graph) if live_prices else None)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    findings = [*warnings, *cost_warnings(estimate, loaded), *check_budget(loaded, estimate)]
    if output is OutputFormat.json:
        from runctl_iac.render.cost import render_cost_json

        write_out(render_cost_json(loaded.name, loaded.stack, estimate, findings))
    elif output is OutputFormat.markdown:
        from runctl_iac.render.cost import render_cost_markdown

        write_out(render_cost_markdown(loaded.name, loaded.stack, estimate, findings))
    else:
        from runctl_iac.render.cost import render_cost_text

        write_out(render_cost_text(loaded.name, loaded.stack, estimate, findings))
    raise typer.Exit(EXIT_ERROR if has_errors(findings) else EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="cost")(cost)
