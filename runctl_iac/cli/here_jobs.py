"""`runctl job|logs|checkpoints|stop-job SPEC --here`: the same views on local runs (`runctl run --here`).

They read `.runctl/runs/<run-id>/` below the project root instead of the staging bucket; no stack,
state or AWS credentials are needed. Each command calls in here when given `--here`.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from runctl_iac.cli.common import EXIT_OK, OutputFormat, load_compiled, warn
from runctl_iac.cli.job_common import guarded, say

if TYPE_CHECKING:
    from runctl_iac.launch.here import Local

HERE_HELP = "Read the local runs of `runctl run --here` (.runctl/runs/) instead of the stack's."
POLL_SECONDS = 0.5


def _local(spec: Path, stack: str | None, stacks_dir: Path | None) -> Local:
    from runctl_iac.launch.here import Local
    from runctl_iac.project import project_root

    _, graph, _, warnings = load_compiled(spec, stack, stacks_dir)
    warn(warnings)
    return Local(project_root(spec), graph.project, graph.stack)


def job(spec: Path, stack: str | None, stacks_dir: Path | None, run: str | None, output: OutputFormat) -> int:
    from runctl_iac.launch import here
    from runctl_iac.render.job import job_rows, render_job_json, render_job_text

    local = _local(spec, stack, stacks_dir)

    def body() -> int:
        run_id = local.resolve_run(run)
        rows = job_rows(here.read_statuses(local, run_id), datetime.now(UTC), None)
        if output is OutputFormat.json:
            sys.stdout.write(render_job_json(run_id, rows))
        else:
            sys.stdout.write(render_job_text(run_id, rows, note="local run (runctl run --here)"))
        return EXIT_OK

    return guarded(body)


def logs(
    spec: Path, stack: str | None, stacks_dir: Path | None, node: int | None, run: str | None, follow: bool
) -> int:
    from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
    from runctl_iac.launch import here
    from runctl_iac.render.job import log_line

    local = _local(spec, stack, stacks_dir)

    def body() -> int:
        run_id = local.resolve_run(run)
        count = len(here.read_statuses(local, run_id))
        if node is not None and not 0 <= node < count:
            message = f"node {node} does not exist: the local run has {count} node(s)"
            raise DiagnosticError([Diagnostic(Severity.ERROR, "E0802", message, str(spec), path="training")])
        ranks = [node] if node is not None else list(range(count))
        offsets = dict.fromkeys(ranks, 0)
        while True:
            for rank in ranks:
                path = local.node_dir(run_id, rank) / "log.txt"
                data = path.read_bytes()[offsets[rank] :] if path.is_file() else b""
                cut = len(data) if not follow else data.rfind(b"\n") + 1
                offsets[rank] += cut
                for line in data[:cut].decode("utf-8", "replace").splitlines():
                    print(log_line(rank, line, len(ranks) > 1), flush=True)
            statuses = here.read_statuses(local, run_id)
            if not follow or all(statuses[r].final for r in ranks):
                return EXIT_OK
            time.sleep(POLL_SECONDS)

    return guarded(body)


def checkpoints(spec: Path, stack: str | None, stacks_dir: Path | None) -> int:
    from runctl_iac.launch.runs import CheckpointObject
    from runctl_iac.render.job import render_checkpoints_text

    local = _local(spec, stack, stacks_dir)
    per_node: dict[int, list[CheckpointObject]] = {}
    for d in sorted(local.checkpoint_dir.glob("node-*")):
        rank = d.name.removeprefix("node-")
        if not rank.isdigit():
            continue
        files = sorted(p for p in d.rglob("*") if p.is_file())
        per_node[int(rank)] = [
            CheckpointObject(
                str(p.relative_to(d)),
                p.stat().st_size,
                datetime.fromtimestamp(p.stat().st_mtime, UTC),
            )
            for p in files
        ]
    if not per_node:
        say(f"no local checkpoints in {local.checkpoint_dir}")
        return EXIT_OK
    sys.stdout.write(render_checkpoints_text(per_node, datetime.now(UTC)))
    return EXIT_OK


def stop_job(spec: Path, stack: str | None, stacks_dir: Path | None, run: str | None, wait: bool) -> int:
    from runctl_iac.launch import here

    local = _local(spec, stack, stacks_dir)

    def body() -> int:
        run_id = local.resolve_run(run)
        active = [s.rank for s in here.read_statuses(local, run_id) if not s.final]
        if not active:
            say(f"run {run_id}: no local process is running; nothing to stop")
            return EXIT_OK
        here.request_stop(local, run_id, active)
        say(f"run {run_id}: asked local node(s) {', '.join(map(str, active))} to stop")
        while wait:
            statuses = here.read_statuses(local, run_id)
            if all(s.final for s in statuses if s.rank in active):
                for s in statuses:
                    say(f"node {s.rank}: {s.state}")
                break
            time.sleep(POLL_SECONDS)
        return EXIT_OK

    return guarded(body)
