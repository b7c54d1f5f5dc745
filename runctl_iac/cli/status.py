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
    since the last update (catalog prices), and how the last update ended.

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
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(st.to_json(), indent=2, sort_keys=True) + "\n")
    else:
        from runctl_iac.render.engine import status_text

        sys.stdout.write(status_text(st))
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="status")(status)
