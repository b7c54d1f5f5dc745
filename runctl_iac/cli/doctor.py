"""`runctl doctor`: the Pulumi CLI, the AWS plugin, credentials, region, backend, secrets, emulator."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from runctl_iac.cli.common import EXIT_ERROR, EXIT_OK
from runctl_iac.cli.stack_args import backend_option


def doctor(
    install: bool = typer.Option(
        False, "--install", help="Install the Pulumi CLI (if missing) and the matching AWS plugin."
    ),
    backend: str | None = backend_option(),
) -> None:
    """Check that this machine can apply: Pulumi CLI (minimum version), the AWS plugin matching
    the installed pulumi_aws, AWS credentials (account and ARN), region, the state backend
    (reachable and writable), where the secrets passphrase comes from, and the local emulator.
    Exit 1 when something apply needs is missing; each ✗ has a hint.

    Example:

        runctl doctor --install
    """
    from runctl_iac.cli.common import fail
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine import doctor as doc
    from runctl_iac.render.engine import doctor_text
    from runctl_iac.stackref import backend_for

    try:
        resolved = backend_for(Path.cwd(), backend)
        if install:
            for line in doc.install():
                sys.stdout.write(line + "\n")
        checks = doc.run_checks(resolved)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower()
    sys.stdout.write(doctor_text(checks, unicode="utf" in encoding))
    missing = [c for c in checks if c.required and not c.ok]
    raise typer.Exit(EXIT_ERROR if missing else EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="doctor")(doctor)
