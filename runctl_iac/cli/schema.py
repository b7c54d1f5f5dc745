"""`runctl schema`: print the spec's JSON Schema, or the Markdown reference generated from it."""

from __future__ import annotations

import typer

from runctl_iac.cli.common import EXIT_OK, write_out


def schema(
    markdown: bool = typer.Option(
        False, "--markdown", help="Print the Markdown spec reference generated from the schema instead."
    ),
) -> None:
    """Print the JSON Schema of runctl specs (draft 2020-12), or its Markdown reference.

    Point your editor at the schema for completion and hover docs: start a spec with
    `# yaml-language-server: $schema=<path to runctl.schema.json>`.

    Example:

        runctl schema > runctl.schema.json

        runctl schema --markdown > docs/spec.md
    """
    if markdown:
        from runctl_iac.spec.reference import markdown_reference

        write_out(markdown_reference())
    else:
        from runctl_iac.spec.schema import schema_text

        write_out(schema_text())
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command(name="schema")(schema)
