"""`runctl local start|stop|status`: the local AWS emulator (moto server) for `target: local`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from runctl_iac.cli.common import EXIT_ERROR, EXIT_OK

local_app = typer.Typer(
    help=(
        "The local AWS emulator for `target: local` specs (a moto server on 127.0.0.1).\n\n"
        "Example:\n\n    runctl local start && runctl apply examples/local.yaml --yes && runctl local stop"
    ),
    no_args_is_help=True,
)


def _root() -> Path:
    from runctl_iac.stackref import project_root

    return project_root(Path.cwd())


@local_app.command("start")
def start(
    port: int | None = typer.Option(None, "--port", help="Port to listen on (default: a free one)."),
) -> None:
    """Start the emulator for this project (reused when it already runs).

    Example:

        runctl local start && runctl apply examples/local.yaml --yes
    """
    from runctl_iac.cli.common import fail
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine import local

    try:
        server, started = local.start(_root(), port)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    verb = "started" if started else "already running"
    sys.stdout.write(f"local emulator {verb} at {server.url} (pid {server.pid})\n")
    raise typer.Exit(EXIT_OK)


@local_app.command("stop")
def stop() -> None:
    """Stop the emulator and remove the local stacks' state, so nothing dangles.

    Example:

        runctl local stop
    """
    from runctl_iac.engine import local

    running = local.stop(_root())
    sys.stdout.write(
        "local emulator stopped; local stacks removed\n"
        if running
        else "local emulator was not running; local stacks removed\n"
    )
    raise typer.Exit(EXIT_OK)


@local_app.command("status")
def status() -> None:
    """Say whether the emulator runs, and where (exit 1 when it does not).

    Example:

        runctl local status
    """
    from runctl_iac.engine import local

    server = local.status(_root())
    if server is None:
        hint = "`runctl local start`" if local.moto_installed() else local.INSTALL_HINT
        sys.stdout.write(f"local emulator: not running (start it with {hint})\n")
        raise typer.Exit(EXIT_ERROR)
    sys.stdout.write(f"local emulator: running at {server.url} (pid {server.pid})\n")
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.add_typer(local_app, name="local")
