"""What every command shares: exit codes, the output option, diagnostics out, loading a spec, and the
stack a command works on (`resolve_stack`). The stack option group is `cli/stack_args.py`."""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph, LaunchPlan
    from runctl_iac.diagnostics import Diagnostic
    from runctl_iac.engine.workspace import Target
    from runctl_iac.spec.model import Spec

# exit codes (DESIGN.md): 0 ok / no changes, 1 any error, 2 plan has changes (--detailed-exitcode)
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


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


def yes_option() -> bool:
    return typer.Option(
        False, "--yes", "-y", help="Do not ask for confirmation (required without a terminal)."
    )


# ---- diagnostics and loading, for every command ----


def fail(diagnostics: Iterable[Diagnostic]) -> typer.Exit:
    """Print diagnostics to stderr in the compiler form; the caller raises the returned exit (code 1)."""
    from runctl_iac.render.diagnostics import render_text, use_colour

    sys.stderr.write(render_text(list(diagnostics), colour=use_colour(sys.stderr)))
    return typer.Exit(EXIT_ERROR)


def usage_error(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def warn(diagnostics: Iterable[Diagnostic]) -> None:
    """Warnings to stderr, in the compiler form."""
    from runctl_iac.render.diagnostics import render_text, use_colour

    found = list(diagnostics)
    if found:
        sys.stderr.write(render_text(found, colour=use_colour(sys.stderr)))


def load_or_exit(spec: Path, stack: str | None, stacks_dir: Path | None) -> tuple[Spec, list[Diagnostic]]:
    """The checked Spec and its (warning) diagnostics; exit 1 with every diagnostic when it does not load."""
    from runctl_iac.diagnostics import has_errors
    from runctl_iac.spec import load_spec

    result = load_spec(spec, stack=stack, stacks_dir=stacks_dir)
    if result.spec is None or has_errors(result.diagnostics):
        raise fail(result.diagnostics)
    return result.spec, list(result.diagnostics)


def load_compiled(
    spec: Path, stack: str | None, stacks_dir: Path | None, local: bool = False
) -> tuple[Spec, Graph, LaunchPlan, list[Diagnostic]]:
    """(Spec, Graph, LaunchPlan, warnings); `--local` turns the target into the local emulator."""
    from dataclasses import replace

    from runctl_iac.compiler import compile as compile_spec

    loaded, warnings = load_or_exit(spec, stack, stacks_dir)
    if local and loaded.target != "local":
        loaded = replace(loaded, target="local")
    graph, launch_plan = compile_spec(loaded)
    return loaded, graph, launch_plan, warnings


def resolve_stack(
    spec: Path | None,
    project: str | None,
    stack: str | None,
    stacks_dir: Path | None,
    backend: str | None,
    local: bool,
    *,
    command: str,
) -> tuple[Target, str]:
    """(Target, label for hints) from a spec, from --project/--stack, or, with neither, from the
    only project in the backend; no secret value is needed, nothing is created."""
    from runctl_iac.diagnostics import DiagnosticError
    from runctl_iac.engine.targets import stack_target

    try:  # e.g. no stack there (E0711), no emulator running (E0712), no passphrase (E0710)
        if spec is not None:
            loaded, _ = load_or_exit(spec, stack, stacks_dir)
            is_local = local or loaded.target == "local"
            label = str(spec) if stack is None else f"{spec} --stack {loaded.stack}"
            return stack_target(spec, loaded.name, loaded.stack, backend, local=is_local), label
        if project is None:
            project, stack = _only_stack(backend, local, stack, command)
        from runctl_iac.spec.model import DEFAULT_STACK

        stack_name = stack or DEFAULT_STACK
        label = f"--project {project} --stack {stack_name}" + (" --local" if local else "")
        return stack_target(Path.cwd(), project, stack_name, backend, local=local), label
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None


def _only_stack(backend: str | None, local: bool, stack: str | None, command: str) -> tuple[str, str | None]:
    """(project, stack) when no SPEC and no --project are given: the backend's only project (and its
    only stack, or `--stack`), else exit 1 listing what there is to choose from."""
    from runctl_iac.stackref import backend_for, no_stacks_yet, state_missing
    from runctl_iac.stackstate import BackendError, list_stacks

    resolved = backend_for(Path.cwd(), backend, local=local)
    flag = " --local" if local else ""
    if state_missing(resolved):
        raise usage_error(f"{command} needs SPEC or --project P --stack S: {no_stacks_yet(resolved)}")
    try:
        found = [s for s in list_stacks(resolved.url) if stack is None or s.stack == stack]
    except (BackendError, OSError):
        raise usage_error(f"{command} needs SPEC, or --project P --stack S") from None
    projects = sorted({s.project for s in found})
    if len(projects) == 1 and (stack is not None or len(found) == 1):
        return projects[0], stack or found[0].stack
    if not found:
        raise usage_error(f"{command} needs SPEC or --project P --stack S: no stacks in {resolved.url}")
    choices = "".join(f"\n  runctl {command} --project {s.project} --stack {s.stack}{flag}" for s in found)
    raise usage_error(f"{command} needs SPEC, or one of the stacks in {resolved.url}:{choices}")
