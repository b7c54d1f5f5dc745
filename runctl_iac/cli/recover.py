"""`runctl recover SPEC`: repair the state after an interrupted update, losing track of nothing."""

from __future__ import annotations

import sys

import typer

from runctl_iac.cli.common import EXIT_OK, fail, yes_option
from runctl_iac.cli.stack_args import (
    StackArgs,
    stack_command,
)


@stack_command(project=True)
def recover(
    where: StackArgs,
    yes: bool = yes_option(),
) -> None:
    """Explain what an interrupted update left pending (which resources, what may exist in AWS),
    then repair the state: resources known to exist are kept, the rest is checked against AWS
    with a refresh. Run `runctl apply` afterwards.

    Example:

        runctl recover examples/quickstart.yaml --stack dev --yes
    """
    from runctl_iac.cli.engine_common import TerminalUI
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine.recover import inspect
    from runctl_iac.engine.recover import recover as do_recover
    from runctl_iac.engine.ui import confirmed

    target, label = where.resolve("recover")
    ui = TerminalUI()
    out = sys.stdout
    try:
        pending = inspect(target)
        if not pending:
            out.write(f"{target.project}/{target.stack} has no pending operations: nothing to recover\n")
            raise typer.Exit(EXIT_OK)
        out.write("the interrupted update left:\n" + "".join(f"  {p.explain()}\n" for p in pending))
        unknown = [p for p in pending if p.operation == "creating" and not p.physical_id]
        if unknown:
            out.write(
                "runctl cannot tell whether these exist; if they do, find them in AWS by their tags "
                f"runctl:project={target.project} and runctl:stack={target.stack} and delete them, "
                "or the next apply creates them again beside the old ones:\n"
                + "".join(f"  {p.id}\n" for p in unknown)
            )
        hint = f"read the list above, then `runctl recover {label} --yes`"
        if not confirmed(ui, yes, command="recover", question="repair the state now?", hint=hint):
            raise typer.Exit(EXIT_OK)
        result = do_recover(target)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    for name in result.adopted:
        out.write(f"  kept {name}: it exists in AWS and is in the state again\n")
    for name in result.dropped:
        out.write(f"  dropped the pending create of {name} from the state\n")
    out.write(f"state refreshed from AWS; next: `runctl apply {label}`\n")
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="recover")(recover)
