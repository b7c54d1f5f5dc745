"""`runctl plan SPEC`: what applying the spec would change, what it costs, and what blocks it."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from runctl_iac.cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    OutputFormat,
    check_output,
    fail,
    load_or_exit,
    output_option,
    usage_error,
    write_out,
)
from runctl_iac.cli.stack_args import (
    StackArgs,
    stack_command,
)

if TYPE_CHECKING:
    from runctl_iac.plan.model import Plan

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


@stack_command()
def plan(
    where: StackArgs,
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
    no_refresh: bool = typer.Option(
        False, "--no-refresh", help="Engine preview against the state as recorded, without reading AWS."
    ),
    live_prices: bool = typer.Option(
        False, "--live-prices", help="Read current spot prices from AWS (needs credentials)."
    ),
) -> None:
    """Show what applying SPEC would create, update, replace or delete, what it costs, and what blocks it.

        The base is the last applied snapshot of the stack (kept where the stack's state lives:
        .runctl/snapshots/ in the project by default; none: everything is created), or --against
        FILE, or --base GIT_REF. When the Pulumi CLI, credentials and the secret variables are there
        and the stack exists, the engine preview gives the changes (--engine requires it, --offline
        skips it). The engine preview first reads what AWS has now, so changes made by hand show as
    their repair (--no-refresh skips that). Data loss
        (a volume or bucket without `retain: true` deleted or replaced) is flagged; with
        --fail-on-data-loss it blocks. Budgets and guardrails from runctl.toml block too (exit 1).
        The offline plan needs no cloud credentials and no secret values.

        Example:

            runctl plan examples/llama-finetune.yaml --stack dev --base origin/main --output markdown
    """
    spec, stack, stacks_dir, local, backend = (
        where.spec_path,
        where.stack,
        where.stacks_dir,
        where.local,
        where.backend,
    )
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
    if local and loaded.target != "local":
        from dataclasses import replace

        loaded = replace(loaded, target="local")
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
                changes = preview_changes(
                    spec, loaded, graph, backend, config, required=engine, refresh=not no_refresh
                )
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
