"""`runctl cancel SPEC`: stop the stack's running update and remove its lock."""

from __future__ import annotations

import sys

import typer

from runctl_iac.cli.common import EXIT_OK, fail, yes_option
from runctl_iac.cli.stack_args import (
    StackArgs,
    stack_command,
)


@stack_command(project=True)
def cancel(
    where: StackArgs,
    yes: bool = yes_option(),
) -> None:
    """Cancel the update holding the stack's lock (e.g. a CI job that was killed), then say what
    the interrupted update left pending. Only do this when no update is really running.

    Example:

        runctl cancel examples/quickstart.yaml --stack dev --yes
    """
    from runctl_iac.cli.engine_common import TerminalUI
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine import driver
    from runctl_iac.engine.recover import inspect
    from runctl_iac.engine.ui import confirmed

    target, label = where.resolve("cancel")
    ui = TerminalUI()
    try:
        question = "cancel the running update? (only if it is not really running)"
        hint = f"make sure no update is running, then `runctl cancel {label} --yes`"
        if not confirmed(ui, yes, command="cancel", question=question, hint=hint):
            raise typer.Exit(EXIT_OK)
        handle = driver.open_for(target, create=False)
        if driver.cancel(handle, target):
            sys.stdout.write(
                f"the update of {target.project}/{target.stack} was cancelled; the lock is removed\n"
            )
        else:
            sys.stdout.write(
                f"nothing to cancel: no update of {target.project}/{target.stack} holds the lock\n"
            )
        pending = inspect(target)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    if pending:
        sys.stdout.write("it left pending operations:\n")
        sys.stdout.write("".join(f"  {p.explain()}\n" for p in pending))
        sys.stdout.write(f"next: `runctl recover {label}`\n")
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="cancel")(cancel)
