"""`runctl extend SPEC --by DURATION`: move the stack's expiry later (config, stack tag, AWS tags)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from runctl_iac.cli.common import EXIT_OK, stack_option, stacks_dir_option
from runctl_iac.cli.engine_common import (
    backend_option,
    local_stack_option,
    project_option,
    spec_or_project_argument,
)


def extend(
    spec: Path | None = spec_or_project_argument(),
    by: str = typer.Option(..., "--by", metavar="DURATION", help="How much later, e.g. 4h, 1d, 90m."),
    project: str | None = project_option(),
    stack: str | None = stack_option(),
    stacks_dir: Path | None = stacks_dir_option(),
    backend: str | None = backend_option(),
    local: bool = local_stack_option(),
) -> None:
    """Keep the environment longer: its expiry moves by DURATION (from now when already expired).

    The new expiry goes to the stack configuration and tag, and an update of the last applied
    Graph (not of the spec's current content: nothing else changes) re-tags the AWS resources
    (`runctl:expires-at`), so `runctl gc` sees it. The training secrets must be set, as for apply.

    Example:

        runctl extend examples/quickstart.yaml --stack dev --by 4h
    """
    from runctl_iac.cli.destroy import local_endpoint, resolve_stack
    from runctl_iac.cli.engine_common import TerminalUI, interrupted_exit
    from runctl_iac.cli.plan import fail, usage_error
    from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
    from runctl_iac.engine import driver, snapshot
    from runctl_iac.engine import workspace as ws
    from runctl_iac.engine.program import check_secret_env
    from runctl_iac.spec.durations import parse_duration

    try:
        seconds = parse_duration(by).seconds
    except ValueError as exc:
        raise usage_error(f"--by: {exc}") from None
    target, label = resolve_stack(spec, project, stack, stacks_dir, backend, local, command="extend")
    try:
        applied = snapshot.read_applied(target.project, target.stack, target.backend)
        if applied is None:
            raise DiagnosticError(
                [
                    Diagnostic(
                        Severity.ERROR,
                        "E0711",
                        f"nothing was applied to {target.project}/{target.stack}",
                        hint="apply it first (`runctl apply`)",
                    )
                ]
            )
        check_secret_env(applied.graph)
        program = driver.graph_program(applied.graph, local_endpoint(target))
        handle = driver.open_for(target, program, create=False)
        current = ws.plain_config(handle)
        if ws.EXPIRES_AT_CONFIG not in current:
            raise usage_error(
                f"{target.project}/{target.stack} has no ttl: nothing expires, nothing to extend"
            )
        new = driver.extended(current, seconds, datetime.now(UTC))
        config = driver.configure(handle, {ws.EXPIRES_AT_CONFIG: new})
        sys.stdout.write(
            f"expiry of {target.project}/{target.stack}: {current[ws.EXPIRES_AT_CONFIG]} -> {new}\n"
        )
        view = TerminalUI("update").progress()
        try:
            outcome = driver.up(handle, view.handle)
        finally:
            view.close()
        snapshot.write_applied(applied.graph, target.backend, outcome.outputs, config)
        sys.stdout.write("resources re-tagged with the new expiry\n")
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    except driver.Interrupted:
        raise interrupted_exit("extend", target, label) from None
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="extend")(extend)
