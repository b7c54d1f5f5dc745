"""`runctl diff OLD.yaml NEW.yaml` / `runctl diff --base REF SPEC`: review a spec change offline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from runctl_iac.cli.common import OutputFormat, check_output, fail, load_or_exit, output_option, usage_error
from runctl_iac.cli.plan import (
    FORMATS,
    detailed_exitcode_option,
    emit_plan,
    fail_on_data_loss_option,
    out_option,
)
from runctl_iac.cli.stack_args import stack_option, stacks_dir_option

if TYPE_CHECKING:
    from runctl_iac.diagnostics import Diagnostic
    from runctl_iac.spec.model import Spec


def diff(
    files: list[Path] = typer.Argument(
        ...,
        metavar="OLD NEW | SPEC",
        help="Two specs (old, new), or one spec with --base.",
        show_default=False,
    ),
    base: str | None = typer.Option(
        None, "--base", metavar="REF", help="Compare SPEC with itself (and its overlay) at this git ref."
    ),
    stack: str | None = stack_option(),
    stacks_dir: Path | None = stacks_dir_option(),
    output: OutputFormat = output_option(*FORMATS),
    out: Path | None = out_option(),
    detailed_exitcode: bool = detailed_exitcode_option(),
    fail_on_data_loss: bool = fail_on_data_loss_option(),
) -> None:
    """Compare two specs (or a spec with itself at a git ref) without any cloud access.

    Shows, per resource, what the change creates, updates, replaces or deletes, the data it
    would lose, the cost delta and the guardrail findings of the new spec; both specs are
    loaded for the same --stack. Exit 1 when a spec is invalid or the new one is blocked.

    Example:

        runctl diff examples/quickstart.yaml examples/llama-finetune.yaml

        runctl diff --base origin/main examples/llama-finetune.yaml --output markdown
    """
    check_output(output, *FORMATS)
    if base is not None and len(files) != 1:
        raise usage_error("with --base, give exactly one spec: runctl diff --base REF SPEC")
    if base is None and len(files) != 2:
        raise usage_error("give two specs (runctl diff OLD NEW) or one spec with --base REF")
    from runctl_iac.diagnostics import DiagnosticError

    new_path = files[-1]
    base_spec = None
    try:
        from runctl_iac.compiler import compile as compile_spec
        from runctl_iac.plan.base import ResolvedBase, git_base
        from runctl_iac.plan.config import load_project_config
        from runctl_iac.plan.make import make_plan
        from runctl_iac.plan.model import PlanBase

        if base is not None:
            new_spec, warnings = load_or_exit(new_path, stack, stacks_dir)
            resolved = git_base(base, new_path, stack, stacks_dir)
        else:
            base_spec, new_spec, warnings = _load_both(files[0], new_path, stack, stacks_dir)
            old_graph, _ = compile_spec(base_spec)
            resolved = ResolvedBase(PlanBase("file", files[0].as_posix(), old_graph.spec_hash()), old_graph)
        result = make_plan(
            new_spec,
            base=resolved,
            base_spec=base_spec,
            fail_on_data_loss=fail_on_data_loss,
            config=load_project_config(new_path),
            diagnostics=warnings,
        )
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    raise emit_plan(result, output, out, detailed_exitcode)


def _load_both(
    old: Path, new: Path, stack: str | None, stacks_dir: Path | None
) -> tuple[Spec, Spec, list[Diagnostic]]:
    """Both specs and their warnings; when either does not load, exit 1 with both files' problems."""
    from runctl_iac.diagnostics import has_errors
    from runctl_iac.spec import load_spec

    results = [load_spec(path, stack=stack, stacks_dir=stacks_dir) for path in (old, new)]
    every = [d for r in results for d in r.diagnostics]
    if any(r.spec is None or has_errors(r.diagnostics) for r in results):
        raise fail(every)
    old_spec, new_spec = results[0].spec, results[1].spec
    assert old_spec is not None and new_spec is not None
    return old_spec, new_spec, every


def register(app: typer.Typer) -> None:
    app.command(name="diff")(diff)
