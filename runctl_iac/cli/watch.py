"""`runctl watch SPEC`: recover the run after spot interruptions and lost nodes (see launch.watch)."""

from __future__ import annotations

import os
import re
import socket
import sys
import time
from typing import TYPE_CHECKING, Any

import typer

from runctl_iac.cli.common import fail
from runctl_iac.cli.job_common import guarded, open_stack, say
from runctl_iac.cli.stack_args import StackArgs, stack_command

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from runctl_iac.cli.job_common import Opened
    from runctl_iac.launch.watch import Watcher
    from runctl_iac.spec.model import Duration


@stack_command(backend=False)
def watch(
    where: StackArgs,
    once: bool = typer.Option(False, "--once", help="One tick, then exit (for cron or a scheduled CI job)."),
    max_restarts: int = typer.Option(
        3, "--max-restarts", min=0, metavar="N", help="Restarts before giving up."
    ),
    interval: str = typer.Option("60s", "--interval", metavar="DURATION", help="Time between ticks."),
    retry_on_failure: bool = typer.Option(
        False, "--retry-on-failure", help="Also relaunch a node that failed with a non-zero exit code."
    ),
) -> None:
    """Watch the latest run and bring it back when a node is interrupted or gone.

    Each tick reads the nodes' status.json heartbeats and DescribeInstances. An interrupted or lost
    node makes watch re-apply the stack (the instance comes back, on the next capacity candidate
    when the first has none) and relaunch the run with the same run id: the nodes restore their
    checkpoint and report the restart number. Two watchers never both recover: a lease object in
    the staging bucket (and the stack lock) lets one through.

    A node stopped on purpose (`runctl stop-job`, the budget cap, autostop) is never relaunched.

    Exit codes: 0 the job succeeded (with --once: also still running, or recovered); 1 a node
    failed with a non-zero exit code (not retried unless --retry-on-failure), was stopped on
    purpose, or an error; 3 max restarts reached; 4 the environment's ttl passed.

    Example:

        runctl watch examples/llama-finetune.yaml --stack prod --once --max-restarts 5
    """
    from runctl_iac.diagnostics import Diagnostic, Severity
    from runctl_iac.launch.watch import EXIT
    from runctl_iac.spec.durations import parse_duration

    try:
        seconds = _seconds(interval, parse_duration)
    except ValueError as exc:
        raise fail(
            [
                Diagnostic(
                    Severity.ERROR,
                    "E0827",
                    f"--interval {interval!r}: {exc}",
                    hint="30s, 5m or 1h",
                )
            ]
        ) from None
    while True:
        # opened again after a recovery: the re-apply may have placed another candidate (its $/hour)
        opened = open_stack(where.spec_path, where.stack, where.stacks_dir, where.local)
        watcher = _watcher(where, opened, max_restarts, retry_on_failure, max(seconds * 3, 300))
        result = guarded(watcher.tick)
        say(f"run {result.run_id}: {result.verdict} (restarts {result.restarts}): {result.detail}")
        if once or result.verdict in ("succeeded", "failed", "stopped", "max-restarts", "expired"):
            raise typer.Exit(EXIT[result.verdict])
        time.sleep(seconds)


def _seconds(text: str, parse_duration: Callable[[str], Duration]) -> int:
    """`30s` (ticks are shorter than the spec's durations, which start at minutes), else `5m`, `1h`."""
    m = re.fullmatch(r"\s*([1-9][0-9]*)s\s*", text)
    return int(m.group(1)) if m else parse_duration(text).seconds


def _watcher(where: StackArgs, opened: Opened, max_restarts: int, retry: bool, lease: int) -> Watcher:
    from runctl_iac.engine.local import FAKE_CREDENTIALS
    from runctl_iac.launch.aws import boto_session
    from runctl_iac.launch.health import node_hourly
    from runctl_iac.launch.watch import Watcher

    _refuse_a_pod(opened)
    local = opened.spec.target == "local"
    endpoint = opened.clients.s3.meta.endpoint_url if local else None
    session = boto_session(opened.graph.region, FAKE_CREDENTIALS if local else None)
    ec2 = session.client("ec2", endpoint_url=endpoint)
    return Watcher(
        s3=opened.clients.s3,
        ec2=ec2,
        bucket=opened.target.bucket,
        owner=f"{os.environ.get('USER', 'runctl')}@{socket.gethostname()} pid {os.getpid()}",
        reapply=lambda: _reapply(where, opened),
        relaunch=lambda outputs, run_id, restart: _relaunch(where, outputs, run_id, restart),
        max_restarts=max_restarts,
        retry_on_failure=retry,
        lease_seconds=lease,
        node_hourly=node_hourly(opened.graph, opened.spec, opened.target.plan),
    )


def _reapply(where: StackArgs, opened: Opened) -> Mapping[str, Any]:
    """`runctl apply SPEC --yes --no-launch` for the stack (capacity failover included); its outputs."""
    from runctl_iac.cli.apply import ApplyFlags, apply_stack
    from runctl_iac.launch.outputs import read_outputs

    spec = where.spec_path
    code = apply_stack(where, ApplyFlags(yes=True, no_launch=True))
    if code:
        raise typer.Exit(code)
    sys.stdout.flush()
    return read_outputs(spec, opened.graph.project, opened.graph.stack, local=opened.spec.target == "local")


def _relaunch(where: StackArgs, outputs: Mapping[str, Any], run_id: str, restart: int) -> None:
    """Start the run again on the stack as the re-apply left it: on the candidate it placed now (its
    instance type and $/hour go to the nodes and the manifest), not the one before the interruption."""
    from runctl_iac.launch.core import resolve_target, start_run

    now = open_stack(where.spec_path, where.stack, where.stacks_dir, where.local)
    g = now.graph
    target = resolve_target(g.project, g.stack, g.region, now.target.plan, outputs)
    start_run(
        target,
        now.clients,
        spec_dir=where.spec_path.resolve().parent,
        confirm=lambda _q: True,
        report=say,
        relaunch=(run_id, restart),
    )


def register(app: typer.Typer) -> None:
    app.command(name="watch")(watch)


def _refuse_a_pod(opened: Opened) -> None:
    """E0828: a run in a RunPod pod has no EC2 instance to watch."""
    from runctl_iac.diagnostics import Diagnostic, Severity

    if opened.target.plan.provider == "runpod":
        raise fail(
            [
                Diagnostic(
                    Severity.ERROR,
                    "E0828",
                    f"training group {opened.target.plan.group} is a RunPod pod: "
                    "runctl watch follows EC2 nodes",
                    path="training.group",
                    hint="the pod's bootstrap starts an unfinished run again after a pod restart; "
                    "follow it with `runctl job` or `runctl logs --follow`",
                )
            ]
        )
