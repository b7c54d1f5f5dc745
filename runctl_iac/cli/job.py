"""`runctl job SPEC`: one row per node: state, exit code, runtime, heartbeat, last checkpoint sync, $."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import typer

from runctl_iac.cli import here_jobs
from runctl_iac.cli.common import EXIT_OK, OutputFormat, check_output, output_option, warn
from runctl_iac.cli.here_jobs import here_option, run_option
from runctl_iac.cli.job_common import guarded, open_stack
from runctl_iac.cli.stack_args import StackArgs, stack_command


@stack_command(backend=False)
def job(
    where: StackArgs,
    here: bool = here_option(),
    run: str | None = run_option(),
    output: OutputFormat = output_option(OutputFormat.text, OutputFormat.json),
) -> None:
    """Show the job's state on every node, as the nodes report it in the staging bucket.

    A running node whose heartbeat is older than two minutes is flagged STALE
    (W0812: the node may be gone); a checkpoint sync older than twice
    `checkpoints.every` is W0811. `$ so far` is what the node counted from its
    heartbeats (its $/hour: the plan's estimate, or the spot price it read), else
    its runtime at the instance's estimated hourly price. Nodes that stopped
    themselves (autostop, budget cap) say why, when, what they spent and what a
    stopped node still costs (EBS). JSON output: `{version, run_id, nodes: [...]}`.

    Example:

        runctl job examples/llama-finetune.yaml --output json
    """
    spec, stack, stacks_dir, local = where.spec_path, where.stack, where.stacks_dir, where.local
    if here:
        raise typer.Exit(here_jobs.job(spec, stack, stacks_dir, run, output))
    from runctl_iac.launch import runs
    from runctl_iac.launch.health import job_warnings, node_hourly
    from runctl_iac.launch.watch import interruption_summary
    from runctl_iac.plan.autostop import stopped_node_monthly
    from runctl_iac.plan.cost import estimate_cost
    from runctl_iac.render.job import (
        candidate_in_use,
        candidate_line,
        job_rows,
        render_job_json,
        render_job_text,
    )

    check_output(output, OutputFormat.text, OutputFormat.json)
    opened = open_stack(spec, stack, stacks_dir, local)
    s3, bucket, plan = opened.clients.s3, opened.target.bucket, opened.target.plan

    def body() -> int:
        run_id = runs.resolve_run(s3, bucket, run)
        statuses = runs.read_statuses(s3, bucket, run_id, len(plan.nodes))
        now = datetime.now(UTC)
        hourly = node_hourly(opened.graph, opened.spec, plan)
        rows = job_rows(statuses, now, hourly)
        group = opened.spec.instances.get(plan.group)  # None: a RunPod pod (no candidates)
        placed = None if group is None else candidate_in_use(group, hourly)
        warn(job_warnings(plan, statuses, now))
        manifest = runs.read_manifest(s3, bucket, run_id)
        if output is OutputFormat.json:
            doc = json.loads(render_job_json(run_id, rows))
            if manifest.get("restarts") or manifest.get("history"):  # `runctl watch` relaunched it
                doc["restarts"] = int(manifest.get("restarts", 0))
                doc["interruptions"] = manifest.get("history", [])
            if placed is not None:
                doc["candidate"] = placed
            sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        else:
            cost = estimate_cost(opened.graph, opened.spec)
            kept = stopped_node_monthly(cost, plan.group, len(plan.nodes))
            sys.stdout.write(render_job_text(run_id, rows, stopped_monthly=kept))
            summary = interruption_summary(manifest)
            if summary:
                sys.stdout.write(summary + "\n")
            if placed is not None:
                sys.stdout.write(candidate_line(placed) + "\n")
        return EXIT_OK

    raise typer.Exit(guarded(body))


def register(app: typer.Typer) -> None:
    app.command(name="job")(job)
