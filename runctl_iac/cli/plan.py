"""`runctl plan SPEC`: what applying the spec would change, what it costs, and what blocks it."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from runctl_iac.cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    OutputFormat,
    check_output,
    output_option,
    stack_option,
    stacks_dir_option,
    write_out,
)

if TYPE_CHECKING:
    from runctl_iac.diagnostics import Diagnostic
    from runctl_iac.plan.model import Plan
    from runctl_iac.spec.model import Spec

FORMATS = (OutputFormat.text, OutputFormat.json, OutputFormat.markdown)


def out_option() -> Path | None:
    return typer.Option(
        None,
        "--out",
        metavar="FILE",
        help="Also write the JSON plan document to FILE; - writes it to stdout "
        "(the --output view then goes to stderr).",
    )


def detailed_exitcode_option() -> bool:
    return typer.Option(
        False, "--detailed-exitcode", help="Exit 0: no changes, 1: error or blocked, 2: changes."
    )


def fail_on_data_loss_option() -> bool:
    return typer.Option(
        False, "--fail-on-data-loss", help="Exit 1 when the change deletes or replaces data (E0507)."
    )


def fail(diagnostics: Iterable[Diagnostic]) -> typer.Exit:
    """Print diagnostics to stderr in the compiler form; the caller raises the returned exit (code 1)."""
    from runctl_iac.render.diagnostics import render_text, use_colour

    sys.stderr.write(render_text(diagnostics, colour=use_colour(sys.stderr)))
    return typer.Exit(EXIT_ERROR)


def usage_error(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def load_or_exit(spec: Path, stack: str | None, stacks_dir: Path | None) -> tuple[Spec, list[Diagnostic]]:
    """The checked Spec and its (warning) diagnostics; exit 1 with every diagnostic when it does not load."""
    from runctl_iac.diagnostics import has_errors
    from runctl_iac.spec import load_spec

    result = load_spec(spec, stack=stack, stacks_dir=stacks_dir)
    if result.spec is None or has_errors(result.diagnostics):
        raise fail(result.diagnostics)
    return result.spec, list(result.diagnostics)


def emit_plan(plan: Plan, output: OutputFormat, out: Path | None, detailed_exitcode: bool) -> typer.Exit:
    """Render the plan to stdout (and its JSON document to `out`); the exit code it deserves.
    `out` `-` is stdout: the JSON document goes there, and the --output view to stderr."""
    if out is not None and str(out) == "-":
        if output is OutputFormat.json:  # the same document: write it once
            return emit_plan(plan, output, None, detailed_exitcode)
        from runctl_iac.render.plan_json import render_plan_json

        write_out(render_plan_json(plan))
        sys.stdout.flush()
        with contextlib.redirect_stdout(sys.stderr):
            return emit_plan(plan, output, None, detailed_exitcode)
    if out is not None:
        from runctl_iac.render.plan_json import render_plan_json

        try:
            out.write_text(render_plan_json(plan), encoding="utf-8")
        except OSError as exc:
            return usage_error(f"--out {out}: cannot write the plan ({exc.strerror or exc})")
    if output is OutputFormat.json:
        from runctl_iac.render.plan_json import render_plan_json

        write_out(render_plan_json(plan))
    elif output is OutputFormat.markdown:
        from runctl_iac.render.plan_markdown import render_plan_markdown

        write_out(render_plan_markdown(plan))
    else:
        from runctl_iac.render.diagnostics import use_colour
        from runctl_iac.render.plan_text import render_plan_text

        write_out(render_plan_text(plan, color=use_colour(sys.stdout)))
    if plan.blocked:
        return typer.Exit(EXIT_ERROR)
    if detailed_exitcode and plan.changes.has_changes:
        return typer.Exit(EXIT_CHANGES)
    return typer.Exit(EXIT_OK)


def plan(
    spec: Path = typer.Argument(..., metavar="SPEC", help="The spec file.", show_default=False),
    stack: str | None = stack_option(),
    stacks_dir: Path | None = stacks_dir_option(),
    offline: bool = typer.Option(
        False, "--offline", help="Offline plan only: compile, diff, cost, policy; no engine, no secrets."
    ),
    engine: bool = typer.Option(
        False, "--engine", help="Require the engine preview (Pulumi CLI, credentials, secret variables)."
    ),
    against: Path | None = typer.Option(
        None, "--against", metavar="FILE", help="Compare with this snapshot, Graph JSON or spec YAML."
    ),
    base: str | None = typer.Option(
        None, "--base", metavar="REF", help="Compare with the spec (and overlay) at this git ref."
    ),
    output: OutputFormat = output_option(*FORMATS),
    out: Path | None = out_option(),
    detailed_exitcode: bool = detailed_exitcode_option(),
    fail_on_data_loss: bool = fail_on_data_loss_option(),
    live_prices: bool = typer.Option(
        False, "--live-prices", help="Read current spot prices from AWS (needs credentials)."
    ),
    backend: str | None = typer.Option(
        None,
        "--backend",
        metavar="URL",
        help="State backend holding the applied snapshot.",
        show_default=False,
    ),
) -> None:
    """Show what applying SPEC would create, update, replace or delete, what it costs, and what blocks it.

    The base is the last applied snapshot of the stack (kept where the stack's state lives:
    .runctl/snapshots/ in the project by default; none: everything is created), or --against
    FILE, or --base GIT_REF. When the Pulumi CLI, credentials and the secret variables are there
    and the stack exists, the engine preview gives the changes (--engine requires it, --offline
    skips it). Data loss
    (a volume or bucket without `retain: true` deleted or replaced) is flagged; with
    --fail-on-data-loss it blocks. Budgets and guardrails from runctl.toml block too (exit 1).
    The offline plan needs no cloud credentials and no secret values.

    Example:

        runctl plan examples/llama-finetune.yaml --stack dev --base origin/main --output markdown
    """
    check_output(output, *FORMATS)
    if offline and engine:
        raise usage_error("--offline and --engine cannot be used together")
    if against is not None and base is not None:
        raise usage_error("--against and --base cannot be used together (choose one base)")
    if engine and (against is not None or base is not None):
        raise usage_error(
            "--engine compares with the stack itself; it cannot be used with --against or --base"
        )
    from runctl_iac.diagnostics import DiagnosticError

    loaded, warnings = load_or_exit(spec, stack, stacks_dir)
    try:
        from runctl_iac.plan.base import resolve_base
        from runctl_iac.plan.config import load_project_config
        from runctl_iac.plan.make import make_plan

        config = load_project_config(spec)
        changes = None
        if against is None and base is None:
            from runctl_iac.cli.plan_engine import applied_base, preview_changes
            from runctl_iac.compiler import compile as compile_spec

            resolved = applied_base(spec, loaded, backend, config)
            if not offline:
                from runctl_iac.plan.capacity import placed_as_base

                loaded = placed_as_base(loaded, resolved.graph)  # the candidate the last apply placed
                graph, _ = compile_spec(loaded)
                changes = preview_changes(spec, loaded, graph, backend, config, required=engine)
        else:
            resolved = resolve_base(
                loaded.name,
                loaded.stack,
                Path.cwd(),
                against=against,
                git_ref=base,
                spec_path=spec,
                stacks_dir=stacks_dir,
            )
        result = make_plan(
            loaded,
            base=resolved,
            changes=changes,
            fail_on_data_loss=fail_on_data_loss,
            config=config,
            live_prices=live_prices,
            diagnostics=warnings,
        )
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    raise emit_plan(result, output, out, detailed_exitcode)


def register(app: typer.Typer) -> None:
    app.command(name="plan")(plan)
