"""`runctl refresh SPEC`: drift between the stack's state and AWS, rendered as changes."""

from __future__ import annotations

import sys

import typer

from runctl_iac.cli.common import (
    EXIT_CHANGES,
    EXIT_OK,
    OutputFormat,
    check_output,
    fail,
    output_option,
)
from runctl_iac.cli.stack_args import (
    StackArgs,
    stack_command,
)

FORMATS = (OutputFormat.text, OutputFormat.json)


@stack_command(project=True)
def refresh(
    named: StackArgs,
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 0: no drift, 1: error, 2: drift."
    ),
    update_state: bool = typer.Option(
        False, "--update-state", help="Also write what AWS has now into the state (pulumi refresh)."
    ),
    output: OutputFormat = output_option(*FORMATS),
) -> None:
    """Show what changed in AWS outside runctl (drift): resources edited or deleted by hand.

    The state is only read, unless --update-state. With --detailed-exitcode a scheduled CI job
    can alert on drift (exit 2).

    Example:

        runctl refresh examples/quickstart.yaml --stack prod --detailed-exitcode
    """
    check_output(output, *FORMATS)
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine import driver
    from runctl_iac.plan.autostop import expected_stops
    from runctl_iac.plan.model import Action

    target, _ = named.resolve("refresh")
    try:
        handle = driver.open_for(target, create=False)
        drift = driver.refresh(handle, preview_only=not update_state)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    except driver.Interrupted:
        raise fail([]) from None
    drift, stopped = expected_stops(drift)  # autostopped instances: expected, not drift
    changed = [c for c in drift.changes if c.action is not Action.NOOP]
    if output is OutputFormat.json:
        import json

        from runctl_iac.render.plan_json import change_json

        doc = {
            "project": target.project,
            "stack": target.stack,
            "drift": bool(changed),
            "state_updated": update_state,
            "changes": [change_json(c) for c in changed],
            "stopped": stopped,
        }
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        from runctl_iac.render.plan_text import change_lines, emit

        where = f"{target.project}/{target.stack}"
        if stopped:
            sys.stdout.write(
                f"stopped (autostop, expected): {', '.join(stopped)}; `runctl apply` starts them again\n"
            )
        if not changed:
            sys.stdout.write(
                f"no drift: {where} matches its state ({len(drift.changes)} resources checked)\n"
            )
        else:
            sys.stdout.write(f"drift in {where}: {len(changed)} resource(s) changed outside runctl\n\n")
            sys.stdout.write(emit(line for c in changed for line in change_lines(c)))
            note = "the state now records it" if update_state else "the state is unchanged"
            sys.stdout.write(f"\n{note}; `runctl apply` puts the spec's values back\n")
    raise typer.Exit(EXIT_CHANGES if changed and detailed_exitcode else EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="refresh")(refresh)
