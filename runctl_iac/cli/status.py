"""`runctl status SPEC`: resources, outputs, expiry, cost rate and the last update of a stack."""

from __future__ import annotations

import json
import sys

import typer

from runctl_iac.cli.common import EXIT_OK, OutputFormat, check_output, fail, output_option
from runctl_iac.cli.stack_args import (
    StackArgs,
    stack_command,
)

FORMATS = (OutputFormat.text, OutputFormat.json)


@stack_command(project=True)
def status(
    where: StackArgs,
    output: OutputFormat = output_option(*FORMATS),
) -> None:
    """Show the stack: resources and their AWS ids, outputs, expiry countdown, $/hour now, $ spent
    since the last update (catalog prices), how the last update ended, and the latest run's $
    spent as its nodes counted it, with the nodes that stopped themselves (autostop).

    Example:

        runctl status examples/quickstart.yaml --stack dev --output json
    """
    check_output(output, *FORMATS)
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine.status import stack_status

    target, _ = where.resolve("status")
    try:
        st = stack_status(target)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    from runctl_iac.launch.runs import stack_run_spend

    spend = stack_run_spend(st.outputs, dict(target.extra_env or {}))  # the latest run, from heartbeats
    if output is OutputFormat.json:
        doc = st.to_json() | {"latest_run": None if spend is None else spend.to_json()}
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        from runctl_iac.render.engine import status_text
        from runctl_iac.render.job import run_spend_line

        sys.stdout.write(status_text(st) + run_spend_line(spend))
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="status")(status)
