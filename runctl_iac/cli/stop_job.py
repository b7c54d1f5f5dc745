"""`runctl stop-job SPEC`: stop the running job: SIGTERM, a final checkpoint sync, state `stopped`."""

from __future__ import annotations

import time

import typer

from runctl_iac.cli import here_jobs
from runctl_iac.cli.common import EXIT_OK
from runctl_iac.cli.here_jobs import HERE_HELP
from runctl_iac.cli.job_common import guarded, open_stack, say
from runctl_iac.cli.stack_args import (
    StackArgs,
    stack_command,
)


@stack_command(backend=False)
def stop_job(
    where: StackArgs,
    here: bool = typer.Option(False, "--here", help=HERE_HELP),
    run: str | None = typer.Option(None, "--run", help="The run id. Default: the latest run."),
    wait: bool = typer.Option(False, "--wait", help="Wait until every node has recorded its final state."),
) -> None:
    """Ask every node of the run to stop its job.

    Each node sees the request at its next heartbeat (every 15 s), sends SIGTERM
    to the job (SIGKILL 30 s later if it is still there), syncs its checkpoints
    a last time and records the state `stopped`. The instances keep running:
    `runctl destroy` removes them.

    Example:

        runctl stop-job examples/llama-finetune.yaml --wait
    """
    spec, stack, stacks_dir, local = where.spec_path, where.stack, where.stacks_dir, where.local
    if here:
        raise typer.Exit(here_jobs.stop_job(spec, stack, stacks_dir, run, wait))
    from runctl_iac.launch import runs

    opened = open_stack(spec, stack, stacks_dir, local)
    s3, bucket, count = opened.clients.s3, opened.target.bucket, len(opened.target.plan.nodes)

    def body() -> int:
        run_id = runs.resolve_run(s3, bucket, run)
        active = [s.rank for s in runs.read_statuses(s3, bucket, run_id, count) if not s.final]
        if not active:
            say(f"run {run_id}: no node is running; nothing to stop")
            return EXIT_OK
        runs.request_stop(s3, bucket, run_id, active)
        say(f"run {run_id}: asked node(s) {', '.join(map(str, active))} to stop")
        while wait:
            statuses = runs.read_statuses(s3, bucket, run_id, count)
            if all(s.final for s in statuses if s.rank in active):
                for s in statuses:
                    say(f"node {s.rank}: {s.state}")
                break
            time.sleep(5)
        return EXIT_OK

    raise typer.Exit(guarded(body))


def register(app: typer.Typer) -> None:
    app.command(name="stop-job")(stop_job)
