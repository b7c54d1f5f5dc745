"""`runctl launch SPEC`: start the training job on every node of its group (SSM, no inbound port)."""

from __future__ import annotations

import typer

from runctl_iac.cli.common import EXIT_OK, fail, load_compiled, warn, write_out
from runctl_iac.cli.job_common import open_stack, run_launch
from runctl_iac.cli.stack_args import StackArgs, stack_command


@stack_command(backend=False)
def launch(
    where: StackArgs,
    wait: bool = typer.Option(
        False, "--wait", help="Wait for the job; exit 0 only when every node succeeded."
    ),
    follow: bool = typer.Option(
        False, "--follow", "-f", help="Stream the logs until the job ends (implies --wait)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Stop a run that is still running without asking."),
    print_script: bool = typer.Option(
        False, "--print-script", help="Print a node's bash script and exit (offline, no credentials)."
    ),
    node: int = typer.Option(0, "--node", "-n", help="The node (rank) whose script --print-script shows."),
) -> None:
    """Start the training job on every node of its group, through SSM Run Command.

    The code is uploaded to the stack's staging bucket (only when it changed),
    the run's bash script is staged there, and each node fetches and starts it
    detached, so this command may return (or the laptop disconnect) while the
    job runs: watch it with `runctl job` and `runctl logs`. A run still running
    on the stack is stopped first, after asking (--yes in CI). With --wait or
    --follow the exit code is the job's outcome: 0 when every node succeeded,
    1 otherwise, with the failing node, its state and the tail of its log.
    A RunPod group has no SSM: runctl writes a launch request to the staging
    bucket, which the pod polls (docs/runpod.md).
    --print-script shows what a node runs, without credentials; values known
    only at launch are read by the script from its environment.

    Example:

        runctl launch examples/llama-finetune.yaml --stack dev --wait --follow
        runctl launch examples/llama-finetune.yaml --print-script --node 1
    """
    spec, stack, stacks_dir, local = where.spec_path, where.stack, where.stacks_dir, where.local
    if print_script:
        from runctl_iac.diagnostics import Diagnostic, Severity
        from runctl_iac.launch.script import render_script

        _spec, graph, plan, warnings = load_compiled(spec, stack, stacks_dir, local)
        warn(warnings)
        if not plan.nodes:
            hint = "add a training section to launch a job"
            raise fail(
                [Diagnostic(Severity.ERROR, "E0801", "the spec has no training", str(spec), hint=hint)]
            )
        if not 0 <= node < len(plan.nodes):
            message = f"node {node} does not exist: group {plan.group} has {len(plan.nodes)} node(s)"
            hint = f"use --node 0..{len(plan.nodes) - 1}"
            raise fail(
                [Diagnostic(Severity.ERROR, "E0802", message, str(spec), path="training.group", hint=hint)]
            )
        write_out(render_script(plan, node, project=graph.project, stack=graph.stack, region=graph.region))
        raise typer.Exit(EXIT_OK)
    opened = open_stack(spec, stack, stacks_dir, local, launch=True)
    raise typer.Exit(run_launch(spec, opened, wait=wait, follow=follow, yes=yes))


def register(app: typer.Typer) -> None:
    app.command(name="launch")(launch)
