"""`runctl graph SPEC`: print the compiled resource graph (text tree, JSON, or Graphviz dot)."""

from __future__ import annotations

import enum
import sys
from pathlib import Path

import typer

from runctl_iac.cli.common import EXIT_ERROR, EXIT_OK, write_out
from runctl_iac.cli.stack_args import stack_option, stacks_dir_option


class GraphFormat(enum.StrEnum):
    text = "text"
    json = "json"
    dot = "dot"


def graph(
    spec: Path = typer.Argument(..., help="The spec file.", metavar="SPEC", show_default=False),
    stack: str | None = stack_option(),
    stacks_dir: Path | None = stacks_dir_option(),
    output: GraphFormat = typer.Option(
        GraphFormat.text, "--output", "-o", help="Output format: text|json|dot.", case_sensitive=False
    ),
) -> None:
    """Compile a spec and print its resource graph, without credentials or network.

    text: resources grouped by kind with their dependencies; json: the
    deterministic Graph (the same spec always gives the same bytes, and its hash
    is the stack's spec hash); dot: Graphviz, one cluster per kind. Secret values
    are never needed or shown, only their names. Exits 1 if the spec is invalid.

    Example:

        runctl graph examples/llama-finetune.yaml --stack prod --output dot | dot -Tsvg > graph.svg
    """
    from runctl_iac.compiler import compile
    from runctl_iac.diagnostics import has_errors
    from runctl_iac.render import graph as render
    from runctl_iac.render.diagnostics import render_text, use_colour
    from runctl_iac.spec import load_spec

    result = load_spec(spec, stack=stack, stacks_dir=stacks_dir)
    if result.diagnostics:
        sys.stderr.write(render_text(result.diagnostics, colour=use_colour(sys.stderr)))
    if result.spec is None or has_errors(result.diagnostics):
        raise typer.Exit(EXIT_ERROR)
    compiled, _launch = compile(result.spec)
    renderers = {
        GraphFormat.text: render.render_text,
        GraphFormat.json: render.render_json,
        GraphFormat.dot: render.render_dot,
    }
    write_out(renderers[output](compiled))
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="graph")(graph)
