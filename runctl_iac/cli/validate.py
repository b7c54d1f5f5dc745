"""`runctl validate FILE...`: load and check specs, print every problem, exit 1 if any is an error."""

from __future__ import annotations

import enum
import sys
from pathlib import Path

import typer

from runctl_iac.cli.common import EXIT_ERROR, EXIT_OK, write_out
from runctl_iac.cli.stack_args import stack_option, stacks_dir_option


class ValidateFormat(enum.StrEnum):
    """validate's formats only: --help must not offer markdown and then refuse it."""

    text = "text"
    json = "json"


def validate(
    files: list[Path] = typer.Argument(
        ...,
        help="Spec files to check; - reads one from standard input.",
        metavar="FILE...",
        show_default=False,
    ),
    stack: str | None = stack_option(),
    stacks_dir: Path | None = stacks_dir_option(),
    output: ValidateFormat = typer.Option(
        ValidateFormat.text, "--output", "-o", help="Output format: text|json.", case_sensitive=False
    ),
) -> None:
    """Check spec files: YAML, schema and semantic checks, with the stack overlay merged.

    Every problem of every file is reported as `file:line:col: error[CODE] path: message`.
    Exits 0 when all files are valid (warnings allowed), 1 otherwise. validate checks the
    spec alone: the guardrails of the project configuration (runctl.toml or [tool.runctl]:
    allowed regions and instance types, the instance cap, required tags) and the spec's
    budgets are applied by `runctl plan` (and budgets by `runctl cost`), not here.

    Example:

        runctl validate examples/llama-finetune.yaml --stack prod

        cat spec.yaml | runctl validate -
    """
    from runctl_iac.diagnostics import has_errors
    from runctl_iac.render.diagnostics import render_json, render_text, summary, use_colour
    from runctl_iac.spec import DEFAULT_STACK, load_spec

    stack_name = stack if stack is not None else DEFAULT_STACK
    every = []
    text: list[str] = []
    colour = output is ValidateFormat.text and use_colour(sys.stdout)
    failed = False
    for file in files:
        result = load_spec(file, stack=stack, stacks_dir=stacks_dir)
        every.extend(result.diagnostics)
        text.append(render_text(result.diagnostics, colour=colour))
        if result.spec is None or has_errors(result.diagnostics):
            failed = True
        else:
            name = "<stdin>" if str(file) == "-" else file.as_posix()
            text.append(f"{name}: ok (stack {stack_name})\n")
    if output is ValidateFormat.json:
        write_out(render_json(every))
    else:
        write_out("".join(text) + summary(len(files), every))
    raise typer.Exit(EXIT_ERROR if failed else EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="validate")(validate)
