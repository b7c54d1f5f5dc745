"""`runctl logs SPEC`: the job's logs from the staging bucket (latest run by default)."""

from __future__ import annotations

import time

import typer

from runctl_iac.cli import here_jobs
from runctl_iac.cli.common import EXIT_OK
from runctl_iac.cli.here_jobs import HERE_HELP
from runctl_iac.cli.job_common import guarded, open_stack
from runctl_iac.cli.stack_args import (
    StackArgs,
    stack_command,
)

FOLLOW_POLL_SECONDS = 5.0


@stack_command(backend=False)
def logs(
    where: StackArgs,
    here: bool = typer.Option(False, "--here", help=HERE_HELP),
    node: int | None = typer.Option(None, "--node", "-n", help="Only this node (rank). Default: every node."),
    run: str | None = typer.Option(None, "--run", help="The run id. Default: the latest run."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines until the job ends."),
) -> None:
    """Print the job's logs (stdout and stderr of setup and run, and runctl's own lines).

    Nodes upload their log every few seconds and at exit. With several nodes
    shown, each line starts with `[node N]`.

    Example:

        runctl logs examples/llama-finetune.yaml --node 0 --follow
    """
    spec, stack, stacks_dir, local = where.spec_path, where.stack, where.stacks_dir, where.local
    if here:
        raise typer.Exit(here_jobs.logs(spec, stack, stacks_dir, node, run, follow))
    from runctl_iac.launch import runs
    from runctl_iac.render.job import log_line

    opened = open_stack(spec, stack, stacks_dir, local)
    s3, bucket = opened.clients.s3, opened.target.bucket
    count = len(opened.target.plan.nodes)

    def body() -> int:
        run_id = runs.resolve_run(s3, bucket, run)
        ranks = [node] if node is not None else list(range(count))
        if node is not None and not 0 <= node < count:
            from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity

            message = f"node {node} does not exist: the group has {count} node(s)"
            raise DiagnosticError(
                [Diagnostic(Severity.ERROR, "E0802", message, str(spec), path="training.group")]
            )
        offsets = dict.fromkeys(ranks, 0)
        while True:
            for rank in ranks:
                data = runs.read_log(s3, bucket, run_id, rank, offsets[rank])
                cut = len(data) if not follow else data.rfind(b"\n") + 1
                offsets[rank] += cut
                for line in data[:cut].decode("utf-8", "replace").splitlines():
                    print(log_line(rank, line, len(ranks) > 1), flush=True)
            if not follow or all(runs.read_status(s3, bucket, run_id, r).final for r in ranks):
                return EXIT_OK
            time.sleep(FOLLOW_POLL_SECONDS)

    raise typer.Exit(guarded(body))


def register(app: typer.Typer) -> None:
    app.command(name="logs")(logs)
