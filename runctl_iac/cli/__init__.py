"""The `runctl` command line: thin commands over the library.

Each command lives in its own module with a `register(app)` function. Nothing
heavy is imported here: command bodies import the layers they need lazily so
`runctl validate` never pays for pulumi or boto3.
"""

from __future__ import annotations

import importlib
import sys

import typer

from runctl_iac import __version__

COMMAND_MODULES = (
    "validate",
    "schema",
    "graph",
    "plan",
    "diff",
    "cost",
    "apply",
    "destroy",
    "refresh",
    "status",
    "stacks",
    "extend",
    "cancel",
    "recover",
    "doctor",
    "local",
    "launch",
    "run",
    "eject",
    "logs",
    "job",
    "watch",
    "stop_job",
    "checkpoints",
    "resources",
    "gc",
)

app = typer.Typer(
    name="runctl",
    help="Describe a GPU training environment in YAML; plan it, cost it, apply it, tear it down.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"runctl {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """runctl: GPU training environments on AWS from a YAML spec."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"runctl_iac.cli.{_name}").register(app)


def main() -> None:
    """Entry point. Usage errors exit 1, not click's 2: DESIGN.md reserves 2 for
    `plan --detailed-exitcode` ("the plan has changes"), which CI must never
    confuse with a mistyped flag."""
    import click

    from runctl_iac.diagnostics import DiagnosticError

    try:
        result = app(standalone_mode=False)
    except DiagnosticError as exc:  # a safety net: every command renders its own diagnostics
        from runctl_iac.render.diagnostics import render_text

        sys.stderr.write(render_text(exc.diagnostics))
        sys.exit(1)
    except click.UsageError as exc:
        exc.show()
        sys.exit(1)
    except click.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
