"""`runctl extend SPEC [--by DURATION]`: move the stack's expiry later (config, stack tag, AWS tags)."""

from __future__ import annotations

import typer

from runctl_iac.cli.common import EXIT_OK, fail
from runctl_iac.cli.stack_args import (
    StackArgs,
    stack_command,
)


@stack_command(project=True)
def extend(
    where: StackArgs,
    by: str | None = typer.Option(
        None,
        "--by",
        metavar="DURATION",
        help="How much later, e.g. 4h, 1d, 90m (at most 30d). Default: the stack's ttl.",
        show_default=False,
    ),
) -> None:
    """Keep the environment longer: its expiry moves by DURATION, by default the ttl it was applied
    with (from now when already expired).

    The new expiry goes to the stack configuration and tag, and an update of the last applied
    Graph (not of the spec's current content: nothing else changes) re-tags the AWS resources
    (`runctl:expires-at`), so `runctl gc` sees it. The training secrets must be set, as for apply.

    Example:

        runctl extend examples/quickstart.yaml --stack dev --by 4h
    """
    from runctl_iac.cli.engine_common import TerminalUI, interrupted_exit
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine.driver import Interrupted
    from runctl_iac.engine.extend import extension_seconds, run_extend

    try:
        if by is not None:
            extension_seconds(by, None)  # a bad --by is told before the stack is looked for
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    target, label = where.resolve("extend")
    try:
        run_extend(target, TerminalUI("update"), by=by)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    except Interrupted:
        raise interrupted_exit("extend", target, label) from None
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="extend")(extend)
