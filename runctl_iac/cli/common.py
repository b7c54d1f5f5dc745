"""Options and plumbing shared by the commands: output format, stacks, exit codes."""

from __future__ import annotations

import enum
import sys
from pathlib import Path

import typer

# exit codes (DESIGN.md): 0 ok / no changes, 1 any error, 2 plan has changes (--detailed-exitcode)
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


STACK_HELP = (
    "Stack to load: deep-merges STACK.yaml from stacks/ next to the spec, else stacks/ at the project "
    "root, over it. Default: dev."
)
STACKS_DIR_HELP = "Folder holding the stack overlays, instead of the stacks/ lookup."


def stack_option() -> str | None:
    return typer.Option(None, "--stack", "-s", help=STACK_HELP, show_default=False)


def stacks_dir_option() -> Path | None:
    return typer.Option(None, "--stacks-dir", help=STACKS_DIR_HELP, show_default=False)


def output_option(*allowed: OutputFormat) -> OutputFormat:
    names = "|".join(a.value for a in allowed)
    return typer.Option(
        OutputFormat.text, "--output", "-o", help=f"Output format: {names}.", case_sensitive=False
    )


def check_output(value: OutputFormat, *allowed: OutputFormat) -> None:
    """Reject an output format this command does not produce (exit 1, no traceback)."""
    if value not in allowed:
        names = ", ".join(a.value for a in allowed)
        typer.echo(f"error: --output {value.value} is not available here (choose {names})", err=True)
        raise typer.Exit(EXIT_ERROR)


def write_out(text: str) -> None:
    sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")
