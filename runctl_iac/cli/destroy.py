"""`runctl destroy SPEC | --project P --stack S`: what goes, what is retained, confirm, destroy."""

from __future__ import annotations

import typer

from runctl_iac.cli.common import EXIT_OK, fail, yes_option
from runctl_iac.cli.stack_args import (
    StackArgs,
    stack_command,
)


@stack_command(project=True)
def destroy(
    where: StackArgs,
    yes: bool = yes_option(),
) -> None:
    """Destroy the stack: every resource goes except volumes and buckets with `retain: true`,
    which stay in AWS (listed with their ids and monthly cost) and leave the state. The empty
    stack is removed. Works from CI with only project, stack and backend: no spec, no secrets.
    Without SPEC and --project: the backend's only project.

    Example:

        runctl destroy --project quickstart --stack pr-123 --backend s3://team-state/runctl --yes
    """
    from runctl_iac.cli.engine_common import TerminalUI, interrupted_exit
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine.destroy import run_destroy
    from runctl_iac.engine.driver import Interrupted

    target, label = where.resolve("destroy")
    try:
        run_destroy(target, TerminalUI("destroy"), yes=yes, label=label)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    except Interrupted:
        raise interrupted_exit("destroy", target, label) from None
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="destroy")(destroy)
