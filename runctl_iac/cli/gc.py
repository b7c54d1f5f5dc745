"""`runctl gc`: remove expired environments and orphaned resources; a dry run unless --yes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from runctl_iac.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    OutputFormat,
    check_output,
    fail,
    output_option,
    write_out,
)
from runctl_iac.cli.resources import FORMATS, region_option
from runctl_iac.cli.stack_args import backend_option, local_option, project_option
from runctl_iac.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from runctl_iac.teardown.sweep import DestroyStack

MIN_AGE_DEFAULT = "30m"


def engine_destroyer() -> DestroyStack | None:
    """The engine's `destroy_stack(project, stack, backend_url)` when a Pulumi CLI is installed, else
    None: an expired stack's resources are then swept by their tags (as when the engine fails)."""
    from runctl_iac.engine.teardown import gc_destroyer

    return gc_destroyer(Path.cwd())


def _min_age(text: str) -> dt.timedelta:
    from runctl_iac.spec.durations import parse_duration

    if text.strip() in ("0", "0m"):
        return dt.timedelta(0)
    return dt.timedelta(seconds=parse_duration(text).seconds)


def _usage(code: str, path: str, message: str, hint: str) -> typer.Exit:
    return fail([Diagnostic(Severity.ERROR, code, message, path=path, hint=hint)])


def gc(
    expired: bool = typer.Option(False, "--expired", help="Stacks whose expiry (ttl) has passed."),
    orphans: bool = typer.Option(
        False, "--orphans", help="Tagged resources whose stack is not in the backend."
    ),
    region: list[str] = region_option(),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be removed (the default)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Remove them, without asking."),
    min_age: str = typer.Option(
        MIN_AGE_DEFAULT,
        "--min-age",
        metavar="DURATION",
        help="Skip resources younger than this (an apply may be running).",
    ),
    force: bool = typer.Option(
        False, "--force", help="Also remove stacks whose job is running (fresh heartbeat)."
    ),
    delete_data: bool = typer.Option(
        False, "--delete-data", help="Empty and delete non-retained buckets that still hold objects."
    ),
    project: str | None = project_option(),
    backend: str | None = backend_option(),
    local: bool = local_option(),
    audit_log: Path | None = typer.Option(
        None,
        "--audit-log",
        metavar="PATH",
        help="JSON-lines audit log. Default: .runctl/audit.jsonl in the project root.",
        show_default=False,
    ),
    output: OutputFormat = output_option(*FORMATS),
) -> None:
    """Tear down what nobody wants: expired stacks and orphaned resources (both when neither flag is given).

    Expired stacks are destroyed through the engine, or swept by their tags when it cannot run;
    orphans are resources tagged runctl:managed-by whose project/stack has no stack in any backend
    runctl knows for the project (the one apply uses, the default .runctl/state, the local target's,
    runctl.toml's), looked for in projects those backends know or the one --project names; a
    backend that cannot be read keeps what may be its stacks'. --local: the local emulator. Never touched:
    retained resources (runctl:retain=true), resources younger than --min-age, stacks with an
    update in progress; a stack whose job is running is refused unless --force. With
    `[gc] stopped_for = "7d"` in runctl.toml, --expired also destroys stacks whose instances
    have all been stopped (autostop) that long, listing the retained volumes they keep. A dry run (the
    default) lists exactly what would go and the $/hour saved; --yes deletes in dependency order
    and appends every action to the audit log. Exit 1 when any deletion fails.

    Example:

        runctl gc --expired --orphans --region us-east-1 --yes
    """
    check_output(output, *FORMATS)
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.plan.config import load_project_config
    from runctl_iac.teardown.gc import GcOptions
    from runctl_iac.teardown.service import plan, project_root, run

    if dry_run and yes:
        raise _usage("E0904", "--yes", "--dry-run and --yes contradict each other", "pass one of them")
    try:
        age = _min_age(min_age)
    except ValueError as exc:
        raise _usage("E0904", "--min-age", str(exc), "e.g. --min-age 30m, 2h, or 0 to disable") from None
    both = not expired and not orphans
    destroy = engine_destroyer()
    root = project_root()
    try:
        stopped_for = load_project_config(root).gc_stopped_for
        options = GcOptions(
            expired=expired or both,
            orphans=orphans or both,
            min_age=age,
            force=force,
            delete_data=delete_data,
            stopped_for=None if stopped_for is None else dt.timedelta(seconds=stopped_for.seconds),
        )
        session = plan(
            region,
            options=options,
            project=project,
            backend=backend,
            engine=destroy is not None,
            root=root,
            local=local,
        )
        result = None
        if yes and not session.plan.empty:
            result = run(session, audit_log=audit_log, root=root, destroy_stack=destroy)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    audit = None if result is None else str(audit_log or root / ".runctl" / "audit.jsonl")
    from runctl_iac.render.teardown import render_gc_json, render_gc_text

    render = render_gc_json if output is OutputFormat.json else render_gc_text
    write_out(render(session.plan, result, session.warnings, audit))
    if result is not None and result.failed:
        raise fail(
            [
                Diagnostic(
                    Severity.ERROR,
                    "E0905",
                    f"{len(result.failed)} removal(s) failed",
                    hint=f"see {audit}; rerun gc once the cause is fixed (done items are skipped)",
                )
            ]
        )
    raise typer.Exit(EXIT_OK if result is None or not result.failed else EXIT_ERROR)


def register(app: typer.Typer) -> None:
    app.command(name="gc")(gc)
