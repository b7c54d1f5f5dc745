"""`runctl stacks`: every stack in the backend with last update, resources, expiry and owner."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import typer

from runctl_iac.cli.common import EXIT_OK, OutputFormat, check_output, fail, output_option
from runctl_iac.cli.stack_args import backend_option, local_option

FORMATS = (OutputFormat.text, OutputFormat.json)


def stacks(
    output: OutputFormat = output_option(*FORMATS),
    backend: str | None = backend_option(),
    local: bool = local_option(),
) -> None:
    """List every stack in the backend (all projects): last update, resource count, expiry, owner.

    The backend is the one `runctl apply` uses from the current directory's project.

    Example:

        runctl stacks --backend s3://team-state/runctl --output json
    """
    check_output(output, *FORMATS)
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine.workspace import list_stacks
    from runctl_iac.stackref import backend_for, no_stacks_yet, resolve_passphrase, state_missing

    try:
        resolved = backend_for(Path.cwd(), backend, local=local)
        if state_missing(resolved):
            if output is OutputFormat.json:
                empty = {"backend": resolved.url, "stacks": []}
                sys.stdout.write(json.dumps(empty, indent=2, sort_keys=True) + "\n")
            else:
                sys.stdout.write(no_stacks_yet(resolved) + "\n")
            raise typer.Exit(EXIT_OK)
        try:
            phrase = resolve_passphrase(resolved)
        except DiagnosticError:
            phrase = None  # listing reads no secret
        rows = list_stacks(resolved, phrase)
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    if output is OutputFormat.json:
        doc = {"backend": resolved.url, "stacks": [asdict(r) for r in rows]}
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    else:
        from runctl_iac.render.engine import table

        if not rows:
            sys.stdout.write(f"no stacks in {resolved.url}\n")
        else:
            body = [
                (
                    r.project,
                    r.stack,
                    r.last_update or "never",
                    "-" if r.resource_count is None else str(r.resource_count),
                    r.expires_at or "-",
                    r.owner or "-",
                    "updating" if r.update_in_progress else "",
                )
                for r in rows
            ]
            headers = ("project", "stack", "last update", "resources", "expires", "owner", "")
            sys.stdout.write(table(headers, body))
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="stacks")(stacks)
