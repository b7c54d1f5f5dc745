"""`runctl status SPEC`: resources, outputs, expiry, cost rate and the last update of a stack."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from runctl_iac.cli.common import (
    EXIT_OK,
    OutputFormat,
    backend_option,
    check_output,
    fail,
    local_option,
    output_option,
    project_option,
    resolve_stack,
    spec_or_project_argument,
    stack_option,
    stacks_dir_option,
)

FORMATS = (OutputFormat.text, OutputFormat.json)


def status(
    spec: Path | None = spec_or_project_argument(),
    project: str | None = project_option(),
    stack: str | None = stack_option(),
    stacks_dir: Path | None = stacks_dir_option(),
    output: OutputFormat = output_option(*FORMATS),
    backend: str | None = backend_option(),
    local: bool = local_option(),
) -> None:
    """Show the stack: resources and their AWS ids, outputs, expiry countdown, $/hour now, $ spent
    since the last update (catalog prices), and how the last update ended.

    Example:

        runctl status examples/quickstart.yaml --stack dev --output json
    """
    check_output(output, *FORMATS)
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine.status import stack_status

    target, _ = resolve_stack(spec, project, stack, stacks_dir, backend, local, command="status")
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
