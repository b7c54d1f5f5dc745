"""`runctl run SPEC --here`: the spec's training job on this machine, as a node would run it."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from runctl_iac.cli.common import EXIT_ERROR, fail, load_compiled, warn
from runctl_iac.cli.job_common import guarded, say
from runctl_iac.cli.stack_args import stack_option, stacks_dir_option

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph, LaunchPlan
    from runctl_iac.diagnostics import Diagnostic


class CheckpointTarget(enum.StrEnum):
    local = "local"
    s3 = "s3"


def run(
    spec: Path = typer.Argument(..., help="The spec file.", metavar="SPEC", show_default=False),
    here: bool = typer.Option(False, "--here", help="Run the job on this machine (required)."),
    stack: str | None = stack_option(),
    stacks_dir: Path | None = stacks_dir_option(),
    nodes: int = typer.Option(1, "--nodes", min=1, help="Local processes, ranks 0..N-1 (default 1)."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Print the job's log lines as they come."),
    require_gpu: bool = typer.Option(
        False, "--require-gpu", help="Fail (E0820) when this machine has no GPU."
    ),
    checkpoints: CheckpointTarget = typer.Option(
        CheckpointTarget.local,
        "--checkpoints",
        help="Where checkpoints go: a local folder, or also the spec's bucket (needs an applied stack).",
    ),
) -> None:
    """Run the spec's training job on this machine with the contract of a node.

    The node script's own supervisor runs here: the same RUNCTL_* environment
    (ranks 0..N-1, RUNCTL_MASTER_ADDR 127.0.0.1), env values, secrets from this
    shell's environment or a hidden prompt (never written to disk), `setup`
    once, `run` under `max_runtime`. Logs and status.json go to
    `.runctl/runs/<run-id>/`, checkpoints to `.runctl/checkpoints/` (or the
    spec's bucket with `--checkpoints s3`). The spec's image is not used: the
    job runs with this machine's Python. No stack, state or Pulumi is needed.
    Ctrl-C stops the job (state `stopped`). Exits with the job's exit code.
    `runctl job|logs|checkpoints|stop-job --here` read local runs.

    Example:

        runctl run examples/quickstart.yaml --here --nodes 2 --follow
    """
    from runctl_iac.launch import here as hr
    from runctl_iac.launch.here_checks import preflight
    from runctl_iac.project import project_root
    from runctl_iac.render.diagnostics import render_text, use_colour
    from runctl_iac.render.job import log_line

    if not here:
        raise fail(
            [
                _usage(
                    "`runctl run` runs the job on this machine and needs --here",
                    "add --here; to run it on the stack's instances use `runctl launch SPEC`",
                )
            ]
        )
    loaded, graph, plan, warnings = load_compiled(spec, stack, stacks_dir)
    warn(warnings)
    local = hr.Local(project_root(spec), graph.project, graph.stack)

    def body() -> int:
        nonlocal plan
        plan = hr.local_plan(plan, nodes)
        plan = _with_checkpoints(spec, plan, checkpoints, graph, loaded.target == "local")
        code = hr.code_dir(plan, spec.resolve().parent)
        pod = loaded.runpod_groups.get(plan.group)
        image = pod.container_image if pod else loaded.instances[plan.group].image
        found, notes = preflight(plan, image, local.root, require_gpu=require_gpu)
        if found:
            sys.stderr.write(render_text(found, colour=use_colour(sys.stderr)))
        if any(d.severity == "error" for d in found):
            return EXIT_ERROR
        for note in notes:
            say(note)
        secrets = hr.secret_values(plan, _ask)
        several = len(plan.nodes) > 1
        sink = (lambda rank, line: print(log_line(rank, line, several), flush=True)) if follow else None
        run_id, exit_code = hr.run_here(
            plan, local, region=graph.region, code=code, secrets=secrets, on_log=sink, report=say
        )
        for s in hr.read_statuses(local, run_id):
            say(f"node {s.rank}: {s.state}" + (f" ({s.reason})" if s.reason else ""))
        return exit_code

    raise typer.Exit(guarded(body))


def _usage(message: str, hint: str) -> Diagnostic:
    from runctl_iac.diagnostics import Diagnostic, Severity

    return Diagnostic(Severity.ERROR, "E0824", message, hint=hint)


def _ask(name: str) -> str | None:
    """A hidden prompt on a terminal; None without one (then the run stops with E0825)."""
    if not sys.stdin.isatty():
        return None
    value: str = typer.prompt(f"secret {name}", hide_input=True, default="", show_default=False, err=True)
    return value or None


def _with_checkpoints(
    spec: Path, plan: LaunchPlan, target: CheckpointTarget, graph: Graph, local: bool
) -> LaunchPlan:
    """The plan whose checkpoints sync to the spec's bucket (`s3`: its real name, from the applied
    stack's outputs) or stay in the local folder only (`local`: no bucket)."""
    from dataclasses import replace

    from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
    from runctl_iac.launch.core import with_account
    from runctl_iac.launch.outputs import read_outputs, staging_bucket

    if target is CheckpointTarget.local:
        return replace(plan, checkpoint_bucket=None)
    if not plan.checkpoint_dir or not plan.checkpoint_bucket:
        raise DiagnosticError(
            [
                Diagnostic(
                    Severity.ERROR,
                    "E0824",
                    "--checkpoints s3: the spec has no training.checkpoints with a bucket",
                    path="training.checkpoints",
                    hint="set training.checkpoints.dir and .bucket, or leave out --checkpoints s3",
                )
            ]
        )
    applied = read_outputs(spec, graph.project, graph.stack, local=local)
    return with_account(plan, staging_bucket(applied, plan.staging_key) or "")


def register(app: typer.Typer) -> None:
    app.command(name="run")(run)
