"""Wiring shared by launch, logs, job, stop-job and checkpoints: spec -> applied stack -> clients."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from runctl_iac.cli.common import EXIT_OK, fail, load_compiled, warn

if TYPE_CHECKING:
    from runctl_iac.compiler.graph import Graph
    from runctl_iac.launch.aws import Clients
    from runctl_iac.launch.core import Target
    from runctl_iac.spec.model import Spec

T = TypeVar("T")


def say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


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


def open_stack(
    spec: Path, stack: str | None, stacks_dir: Path | None, local: bool = False, *, launch: bool = False
) -> Opened:
    """The applied stack of SPEC (`local`: on the local emulator), its launch target and clients;
    with `launch`, E0814 first on the local target (no machines)."""
    from runctl_iac.launch.aws import clients
    from runctl_iac.launch.core import local_cannot_run, resolve_target
    from runctl_iac.launch.outputs import read_outputs

    loaded, graph, plan, warnings = load_compiled(spec, stack, stacks_dir, local)
    warn(warnings)
    if launch and loaded.target == "local":
        raise fail([local_cannot_run(spec)])

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


def run_launch(spec: Path, opened: Opened, *, wait: bool, follow: bool, yes: bool) -> int:
    """`runctl launch`: the run started (`launch.core.run_job`), its logs streamed with --follow;
    with --wait or --follow the job's outcome is the exit code."""
    from runctl_iac.launch.core import LogSink, run_job
    from runctl_iac.render.job import log_line

    several = len(opened.target.plan.nodes) > 1
    sink: LogSink | None = None
    if follow:
        sink = lambda rank, line: print(log_line(rank, line, several), flush=True)  # noqa: E731
    guarded(
        lambda: run_job(
            opened.target,
            opened.clients,
            spec_dir=spec.resolve().parent,
            confirm=confirm_with(yes),
            report=say,
            wait=wait,
            on_log=sink,
        )
    )
    if not (wait or follow):
        say(f"watch it: runctl job {spec}   ·   runctl logs {spec} --follow")
    return EXIT_OK
