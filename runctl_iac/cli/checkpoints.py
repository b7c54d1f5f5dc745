"""`runctl checkpoints SPEC`: the checkpoints each node synced to S3, with time and size."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import typer

from runctl_iac.cli import here_jobs
from runctl_iac.cli.common import EXIT_OK, fail
from runctl_iac.cli.here_jobs import HERE_HELP
from runctl_iac.cli.job_common import guarded, open_stack
from runctl_iac.cli.stack_args import (
    StackArgs,
    stack_command,
)


@stack_command(backend=False)
def checkpoints(
    where: StackArgs,
    here: bool = typer.Option(False, "--here", help=HERE_HELP),
) -> None:
    """List the checkpoints in S3: per node, each file with its size and time, and the last sync.

    Nodes sync `training.checkpoints.dir` to `runctl-checkpoints/node-<rank>/` in
    the checkpoint bucket every `checkpoints.every` and when the job ends. A node
    of a running job whose newest checkpoint is older than twice `every` gets W0811.

    Example:

        runctl checkpoints examples/llama-finetune.yaml --stack prod
    """
    spec, stack, stacks_dir, local = where.spec_path, where.stack, where.stacks_dir, where.local
    if here:
        raise typer.Exit(here_jobs.checkpoints(spec, stack, stacks_dir))
    from runctl_iac.diagnostics import Diagnostic, Severity
    from runctl_iac.launch import runs
    from runctl_iac.launch.script import CHECKPOINT_PREFIX
    from runctl_iac.render.diagnostics import render_text
    from runctl_iac.render.job import render_checkpoints_text

    opened = open_stack(spec, stack, stacks_dir, local)
    plan = opened.target.plan
    if plan.checkpoint_bucket is None:
        hint = "set training.checkpoints {dir, bucket, every}"
        raise fail(
            [
                Diagnostic(
                    Severity.ERROR,
                    "E0801",
                    "the spec has no training.checkpoints",
                    str(spec),
                    path="training.checkpoints",
                    hint=hint,
                )
            ]
        )
    bucket = plan.checkpoint_bucket
    s3 = opened.clients.s3

    def body() -> int:
        now = datetime.now(UTC)
        per_node = {
            n.rank: runs.list_checkpoints(s3, bucket, f"{CHECKPOINT_PREFIX}/node-{n.rank}/")
            for n in plan.nodes
        }
        sys.stdout.write(render_checkpoints_text(per_node, now))
        every = plan.checkpoint_every_seconds
        latest = runs.list_runs(s3, opened.target.bucket)
        if every and latest:
            statuses = runs.read_statuses(s3, opened.target.bucket, latest[-1], len(plan.nodes))
            for s in statuses:
                newest = max((o.modified for o in per_node[s.rank]), default=s.started_at)
                if s.state == "running" and newest is not None and (now - newest).total_seconds() > 2 * every:
                    message = (
                        f"node {s.rank}: last checkpoint sync {int((now - newest).total_seconds())}s ago"
                    )
                    warning = Diagnostic(
                        Severity.WARNING,
                        "W0811",
                        message,
                        path="training.checkpoints.every",
                        hint=f"checkpoints.every is {every}s; see `runctl logs` for sync failures",
                    )
                    sys.stderr.write(render_text([warning]))
        return EXIT_OK

    raise typer.Exit(guarded(body))


def register(app: typer.Typer) -> None:
    app.command(name="checkpoints")(checkpoints)
