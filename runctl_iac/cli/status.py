"""`runctl status SPEC`: resources, outputs, expiry, cost rate and the last update of a stack."""

from __future__ import annotations

import json
import sys

import typer

from runctl_iac.cli.common import EXIT_OK, OutputFormat, check_output, fail, output_option
from runctl_iac.cli.stack_args import StackArgs, stack_command

FORMATS = (OutputFormat.text, OutputFormat.json)


@stack_command(project=True)
def status(
    where: StackArgs,
    output: OutputFormat = output_option(*FORMATS),
) -> None:
    """Show the stack: resources and their AWS ids, outputs, expiry countdown, $/hour now, $ spent
    since the last update (catalog prices), how the last update ended, the latest run's $ spent
    as its nodes counted it (read from the stack's staging bucket, the spec's own when it names
    one), with the nodes that stopped themselves (autostop), and what the stack's stopped
    instances still cost a month (their EBS volumes).

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
    from runctl_iac.launch.stopped import stack_stopped_cost

    env = dict(target.extra_env or {})
    spend = stack_run_spend(st.outputs, env, st.staging_key)  # the latest run, from heartbeats
    stopped = stack_stopped_cost(st.outputs, st.region, env)  # what stopped instances still cost
    if stopped is not None and stopped.hourly_usd is not None:
        st.leave_out_stopped(stopped.hourly_usd)
    if output is OutputFormat.json:
        doc = st.to_json() | {
            "latest_run": None if spend is None else spend.to_json(),
            "stopped": None if stopped is None else stopped.to_json(),
        }
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        from runctl_iac.render.engine import status_text
        from runctl_iac.render.job import run_spend_line, stopped_cost_line

        sys.stdout.write(status_text(st) + run_spend_line(spend) + stopped_cost_line(stopped))
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="status")(status)
