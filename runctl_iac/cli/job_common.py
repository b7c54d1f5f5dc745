"""Plumbing shared by launch, logs, job, stop-job and checkpoints: spec -> applied stack -> clients."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from runctl_iac.cli.common import EXIT_ERROR, EXIT_OK

if TYPE_CHECKING:
    from datetime import datetime
    from decimal import Decimal

    from runctl_iac.compiler.graph import Graph, LaunchPlan
    from runctl_iac.diagnostics import Diagnostic
    from runctl_iac.launch.aws import Clients
    from runctl_iac.launch.core import Target
    from runctl_iac.launch.runs import NodeStatus
    from runctl_iac.spec.model import Spec

T = TypeVar("T")


def fail(diagnostics: Iterable[Diagnostic]) -> typer.Exit:
    from runctl_iac.render.diagnostics import render_text, use_colour

    sys.stderr.write(render_text(list(diagnostics), colour=use_colour(sys.stderr)))
    return typer.Exit(EXIT_ERROR)


def say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def load_compiled(spec: Path, stack: str | None, stacks_dir: Path | None) -> tuple[Spec, Graph, LaunchPlan]:
    """Load and compile the spec; diagnostics go to stderr, errors exit 1."""
    from runctl_iac.compiler import compile
    from runctl_iac.diagnostics import has_errors
    from runctl_iac.render.diagnostics import render_text, use_colour
    from runctl_iac.spec import load_spec

    result = load_spec(spec, stack=stack, stacks_dir=stacks_dir)
    if result.diagnostics:
        sys.stderr.write(render_text(result.diagnostics, colour=use_colour(sys.stderr)))
    if result.spec is None or has_errors(result.diagnostics):
        raise typer.Exit(EXIT_ERROR)
    graph, plan = compile(result.spec)
    return result.spec, graph, plan


@dataclass(frozen=True)
class Opened:
    spec: Spec
    graph: Graph
    target: Target
    clients: Clients


def guarded(body: Callable[[], T]) -> T:
    """Run a command body: DiagnosticError and AWS failures become diagnostics and exit 1."""
    from runctl_iac.diagnostics import DiagnosticError

    try:
        return body()
    except DiagnosticError as exc:
        raise fail(exc.diagnostics) from None
    except Exception as exc:
        from runctl_iac.launch.aws import failure_diagnostic, is_aws_failure

        if not is_aws_failure(exc):
            raise
        raise fail([failure_diagnostic(exc)]) from None


def open_stack(spec: Path, stack: str | None, stacks_dir: Path | None) -> Opened:
    from runctl_iac.launch.aws import clients
    from runctl_iac.launch.core import resolve_target
    from runctl_iac.launch.outputs import read_outputs

    loaded, graph, plan = load_compiled(spec, stack, stacks_dir)

    def body() -> Opened:
        local = loaded.target == "local"
        outputs = read_outputs(spec, graph.project, graph.stack, local=local)
        target = resolve_target(graph.project, graph.stack, graph.region, plan, outputs)
        endpoint, credentials = None, None
        if local:
            from runctl_iac.engine.local import FAKE_CREDENTIALS, local_target

            endpoint, credentials = local_target(spec, graph.project, graph.stack)[1], FAKE_CREDENTIALS
        return Opened(loaded, graph, target, clients(graph.region, endpoint, credentials))

    return guarded(body)


def confirm_with(yes: bool) -> Callable[[str], bool]:
    def confirm(question: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            return False
        return bool(typer.confirm(question, default=False, err=True))

    return confirm


def follow_logs(opened: Opened, run_id: str, wait: bool, follow: bool) -> int:
    """--wait / --follow: the job's outcome as the exit code."""
    from runctl_iac.launch import core
    from runctl_iac.render.job import log_line

    nodes = len(opened.target.plan.nodes)
    several = nodes > 1

    def body() -> int:
        sink: core.LogSink | None = None
        if follow:
            sink = lambda rank, line: print(log_line(rank, line, several), flush=True)  # noqa: E731
        statuses = core.wait_for_outcome(opened.clients, opened.target.bucket, run_id, nodes, on_log=sink)
        problems = core.outcome(opened.clients, opened.target.bucket, run_id, statuses)
        if problems:
            raise fail(problems)
        say(f"run {run_id}: succeeded on every node")
        return EXIT_OK

    return guarded(body)


def run_launch(spec: Path, opened: Opened, *, wait: bool, follow: bool, yes: bool) -> int:
    from runctl_iac.launch.core import start_run

    run_id = guarded(
        lambda: start_run(
            opened.target,
            opened.clients,
            spec_dir=spec.resolve().parent,
            confirm=confirm_with(yes),
            report=say,
        )
    )
    if not (wait or follow):
        say(f"watch it: runctl job {spec}   ·   runctl logs {spec} --follow")
        return EXIT_OK
    return follow_logs(opened, run_id, wait, follow)


def node_hourly(opened: Opened) -> Decimal | None:
    """Estimated $/hour of one node of the training group (instance and root disk)."""
    from decimal import Decimal

    from runctl_iac.plan.cost import estimate_cost

    group = f"instance.{opened.target.plan.group}"
    lines = [line for line in estimate_cost(opened.graph, opened.spec).lines if line.resource == group]
    if not lines or any(line.hourly_usd is None for line in lines):
        return None
    return sum((line.hourly_usd or Decimal(0) for line in lines), Decimal(0)) / len(opened.target.plan.nodes)


def job_warnings(opened: Opened, statuses: list[NodeStatus], now: datetime) -> list[Diagnostic]:
    """W0812 for a running node with a stale heartbeat; W0811 when its last checkpoint sync is too old."""
    from runctl_iac.diagnostics import Diagnostic, Severity

    out = []
    every = opened.target.plan.checkpoint_every_seconds
    for s in statuses:
        if s.stale(now):
            out.append(
                Diagnostic(
                    Severity.WARNING,
                    "W0812",
                    f"node {s.rank}: no heartbeat for {int(s.heartbeat_age(now) or 0)}s while {s.state}",
                    path="training",
                    hint="the node may be gone (spot reclaim, shutdown); check it with `runctl status`",
                )
            )
        if every and s.state == "running" and s.started_at is not None:
            last = s.checkpoint_at or s.started_at
            if (now - last).total_seconds() > 2 * every:
                out.append(
                    Diagnostic(
                        Severity.WARNING,
                        "W0811",
                        f"node {s.rank}: last checkpoint sync {int((now - last).total_seconds())}s ago "
                        f"(checkpoints.every is {every}s)",
                        path="training.checkpoints.every",
                        hint="is the job writing to checkpoints.dir? see `runctl logs` for sync failures",
                    )
                )
    return out


def write_warnings(opened: Opened, statuses: list[NodeStatus], now: datetime) -> None:
    from runctl_iac.render.diagnostics import render_text, use_colour

    warnings = job_warnings(opened, statuses, now)
    if warnings:
        sys.stderr.write(render_text(warnings, colour=use_colour(sys.stderr)))
