"""`runctl validate FILE...`: load and check specs, print every problem, exit 1 if any is an error."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from runctl_iac.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    OutputFormat,
    check_output,
    output_option,
    stack_option,
    stacks_dir_option,
    write_out,
)

_FORMATS = (OutputFormat.text, OutputFormat.json)


def validate(
    files: list[Path] = typer.Argument(
        ..., help="Spec files to check.", metavar="FILE...", show_default=False
    ),
    stack: str | None = stack_option(),
    stacks_dir: Path | None = stacks_dir_option(),
    output: OutputFormat = output_option(*_FORMATS),
) -> None:
    """Check spec files: YAML, schema and semantic checks, with the stack overlay merged.

    Every problem of every file is reported as `file:line:col: error[CODE] path: message`.
    Exits 0 when all files are valid (warnings allowed), 1 otherwise.

    Example:

        runctl validate examples/llama-finetune.yaml --stack prod
    """
    check_output(output, *_FORMATS)
    from runctl_iac.diagnostics import has_errors
    from runctl_iac.render.diagnostics import render_json, render_text, summary, use_colour
    from runctl_iac.spec import DEFAULT_STACK, load_spec

    stack_name = stack if stack is not None else DEFAULT_STACK
    every = []
    text: list[str] = []
    colour = output is OutputFormat.text and use_colour(sys.stdout)
    failed = False
    for file in files:
        result = load_spec(file, stack=stack, stacks_dir=stacks_dir)
        every.extend(result.diagnostics)
        text.append(render_text(result.diagnostics, colour=colour))
        if result.spec is None or has_errors(result.diagnostics):
            failed = True
        else:
            text.append(f"{file.as_posix()}: ok (stack {stack_name})\n")
    if output is OutputFormat.json:
        write_out(render_json(every))
    else:
        write_out("".join(text) + summary(len(files), every))
    raise typer.Exit(EXIT_ERROR if failed else EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="validate")(validate)
