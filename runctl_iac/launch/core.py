"""The launch: from an applied stack's outputs to a running job, and the job's outcome.

    run_id = start_run(target, clients, ...)     # code, scripts, SSM commands; returns at once
    statuses = wait_for_outcome(...)             # only with --wait: poll status.json (and logs)

`launch_after_apply(applied)` is the entry point for `runctl apply`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from runctl_iac import staging
from runctl_iac.compiler.graph import LaunchPlan
from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.launch import code, pod, runs, ssm
from runctl_iac.launch.aws import Clients
from runctl_iac.launch.outputs import AppliedStack, staging_bucket
from runctl_iac.launch.script import Runtime, fetch_and_run_command, render_script, state_name

Report = Callable[[str], None]
# total bytes -> (callback per uploaded chunk, called with the chunk's size; done)
ProgressFactory = Callable[[int], tuple[code.Progress, Callable[[], None]]]
Confirm = Callable[[str], bool]
LOST_AFTER = 900  # seconds without a heartbeat after which --wait gives a node up
PENDING_AFTER = 900  # seconds after the launch by which every node must have written its first status


@dataclass(frozen=True)
class Target:
    """Where the job runs: the LaunchPlan plus what only the applied stack knows."""

    project: str
    stack: str
    region: str
    plan: LaunchPlan
    bucket: str
    instance_ids: tuple[str, ...]
    node_ips: tuple[str, ...]
    volume_ids: Mapping[str, str]


def _error(code_: str, message: str, hint: str, path: str = "training") -> DiagnosticError:
    return DiagnosticError([Diagnostic(Severity.ERROR, code_, message, path=path, hint=hint)])


def with_account(plan: LaunchPlan, staging_physical: str) -> LaunchPlan:
    """The plan with the account part of its bucket names filled in.

    Compiled bucket names end with the `<account>` placeholder (`compiler.names`); the applied
    stack's outputs hold the real names, which differ from the compiled ones only there. The
    staging bucket's real name therefore gives the account suffix for the checkpoint bucket too.
    """
    from dataclasses import replace

    from runctl_iac.compiler.names import ACCOUNT_PLACEHOLDER, resolve_account

    compiled = plan.staging_bucket or ""
    stem = compiled.removesuffix(ACCOUNT_PLACEHOLDER)
    if stem == compiled or not staging_physical.startswith(stem):
        return plan  # names compiled without the placeholder (or a foreign staging bucket): as they are
    suffix = staging_physical[len(stem) :]
    ckpt = plan.checkpoint_bucket
    return replace(
        plan,
        staging_bucket=staging_physical,
        checkpoint_bucket=resolve_account(ckpt, suffix) if ckpt is not None else None,
    )


def resolve_target(
    project: str, stack: str, region: str, plan: LaunchPlan, outputs: Mapping[str, Any]
) -> Target:
    """Match the plan's nodes with the stack outputs (E0803 when the outputs do not cover them)."""
    if not plan.nodes:
        raise _error("E0801", "the spec has no training", "add a training section to launch a job")
    hint = "run `runctl apply` so the stack matches the spec, then launch again"
    on_pod = plan.provider == "runpod"
    machines = outputs.get("pods" if on_pod else "instances") or {}
    ids, ips = [], []
    for node in plan.nodes:
        out = machines.get(node.instance_resource)
        if not isinstance(out, Mapping) or not out.get("id") or not (on_pod or out.get("private_ip")):
            what = "RunPod pod" if on_pod else "instance"
            raise _error("E0803", f"the applied stack has no {what} {node.instance_resource}", hint)
        ids.append(str(out["id"]))
        ips.append(pod.MASTER if on_pod else str(out["private_ip"]))
    bucket = staging_bucket(outputs, plan.staging_key)
    if not bucket:
        raise _error("E0803", "the applied stack has no staging bucket", hint)
    plan = with_account(plan, str(bucket))
    volumes = {str(k): str(v) for k, v in (outputs.get("volumes") or {}).items()}
    for node in plan.nodes:
        for mount in node.mounts:
            if mount.volume_resource not in volumes:
                raise _error("E0803", f"the applied stack has no volume {mount.volume_resource}", hint)
    return Target(project, stack, region, plan, str(bucket), tuple(ids), tuple(ips), volumes)


def upload_code(
    target: Target, clients: Clients, spec_dir: Path, report: Report, progress: ProgressFactory | None = None
) -> str:
    """The code location for the nodes: an s3:// location as it is, a local dir packed and uploaded."""
    location = target.plan.code
    if not location:
        return ""
    if location.startswith("s3://"):
        return location
    directory = (spec_dir / location).resolve()
    if not directory.is_dir():
        raise _error(
            "E0809",
            f"training.code {location!r} is not a directory ({directory})",
            "training.code is a directory relative to the spec, or an s3:// prefix",
            "training.code",
        )
    packed = code.pack(directory)
    if packed.size > code.WARN_BYTES:
        from runctl_iac.diagnostics import render_text

        warning = Diagnostic(
            Severity.WARNING,
            "W0810",
            f"{packed.size / 2**20:.0f} MiB in {packed.files} files is uploaded on every change",
            path="training.code",
            hint="keep data and checkpoints out of it (.runctlignore) or put them in a bucket",
        )
        report(render_text([warning]).rstrip())
    key = staging.code_key(packed.digest)
    bar, done = progress(len(packed.data)) if progress is not None else (None, lambda: None)
    try:
        uploaded = code.upload(clients.s3, target.bucket, key, packed, bar)
    finally:
        done()
    if uploaded:
        report(f"code: uploaded {packed.files} files ({len(packed.data) / 2**20:.1f} MiB) as {key}")
    else:
        report(f"code: unchanged ({key})")
    return f"s3://{target.bucket}/{key}"


def stop_active_run(target: Target, clients: Clients, confirm: Confirm, report: Report) -> None:
    """A run still going on this stack: ask, then ask its nodes to stop (E0813 when declined)."""
    previous = runs.list_runs(clients.s3, target.bucket)
    if not previous:
        return
    run_id = previous[-1]
    count = len(runs.read_manifest(clients.s3, target.bucket, run_id).get("nodes", [])) or len(
        target.plan.nodes
    )
    now = datetime.now(UTC)
    statuses = runs.read_statuses(clients.s3, target.bucket, run_id, count)
    active = [s for s in statuses if not s.final and s.state != "pending" and not s.stale(now, LOST_AFTER)]
    if not active:
        return
    if not confirm(f"run {run_id} is still running on {len(active)} node(s); stop it and launch a new run?"):
        raise _error(
            "E0813", f"run {run_id} is still running", "stop it with `runctl stop-job`, or pass --yes"
        )
    runs.request_stop(clients.s3, target.bucket, run_id, [s.rank for s in active])
    report(f"asked run {run_id} to stop (its nodes sync their checkpoints first)")


def start_run(
    target: Target,
    clients: Clients,
    *,
    spec_dir: Path,
    confirm: Confirm,
    report: Report,
    progress: ProgressFactory | None = None,
    online_timeout: float = ssm.ONLINE_TIMEOUT,
    poll: float = 1.0,
    relaunch: tuple[str, int] | None = None,
) -> str:
    """Stage everything and start the job on every node; returns the run id once every node has it.

    `relaunch` (run id, restart number): start that run again after an interruption (`runctl
    watch`): same run id, so the nodes restore its checkpoints and report the restart number.
    """
    plan = target.plan
    if relaunch is None:
        stop_active_run(target, clients, confirm, report)
    code_uri = upload_code(target, clients, spec_dir, report, progress)
    run_id, restart = relaunch if relaunch is not None else (staging.new_run_id(), 0)
    runtime = Runtime(run_id, target.bucket, target.node_ips, code_uri, target.volume_ids, restart)
    state = state_name(target.project, target.stack)
    script = render_script(
        plan, None, project=target.project, stack=target.stack, region=target.region, runtime=runtime
    )
    clients.s3.put_object(
        Bucket=target.bucket,
        Key=staging.script_key(run_id),
        Body=script.encode(),
        ContentType="text/x-shellscript",
    )
    history = runs.read_manifest(clients.s3, target.bucket, run_id).get("history", []) if relaunch else []
    runs.write_manifest(
        clients.s3,
        target.bucket,
        run_id,
        {
            "run_id": run_id,
            "project": target.project,
            "stack": target.stack,
            "group": plan.group,
            "instance_type": plan.instance_type,
            "nodes": [{"rank": n.rank, "instance_id": target.instance_ids[n.rank]} for n in plan.nodes],
            "code": code_uri,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **({"restarts": restart, "history": history} if relaunch is not None else {}),
        },
    )
    if plan.provider == "runpod":
        key = pod.request_launch(clients.s3, target.bucket, plan.group, run_id, restart)
        report(f"run {run_id}: launch request written to s3://{target.bucket}/{key}; the pod starts the run")
        return run_id
    ssm_targets = [
        ssm.Target(
            node.rank,
            target.instance_ids[node.rank],
            fetch_and_run_command(target.bucket, run_id, node.rank, state, target.region),
        )
        for node in plan.nodes
    ]
    report(f"run {run_id}: waiting for the SSM agent on {len(ssm_targets)} node(s)")
    ssm.wait_online(clients.ssm, list(target.instance_ids), timeout=online_timeout, poll=poll)
    invocations = ssm.run_everywhere(clients.ssm, ssm_targets, f"runctl {run_id}", poll=poll)
    problems = ssm.failed(invocations)
    if problems:
        raise DiagnosticError(problems)
    report(f"run {run_id}: started on {len(invocations)} node(s)")
    return run_id


LogSink = Callable[[int, str], None]


def wait_for_outcome(
    clients: Clients,
    bucket: str,
    run_id: str,
    nodes: int,
    *,
    on_log: LogSink | None = None,
    poll: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    lost_after: float = LOST_AFTER,
    pending_after: float = PENDING_AFTER,
    clock: Callable[[], float] = time.monotonic,
) -> list[runs.NodeStatus]:
    """Poll until every node is in a final state, or lost: no heartbeat for `lost_after` seconds, or
    no status at all `pending_after` seconds after the wait began."""
    offsets = [0] * nodes
    began = clock()
    while True:
        statuses = runs.read_statuses(clients.s3, bucket, run_id, nodes)
        if on_log is not None:
            for rank in range(nodes):
                data = runs.read_log(clients.s3, bucket, run_id, rank, offsets[rank])
                cut = data.rfind(b"\n") + 1  # whole lines only; the rest comes with the next upload
                offsets[rank] += cut
                for line in data[:cut].decode("utf-8", "replace").splitlines():
                    on_log(rank, line)
        now = datetime.now(UTC)
        silent = clock() - began > pending_after
        if all(s.final or s.stale(now, lost_after) or (silent and s.state == "pending") for s in statuses):
            return statuses
        sleep(poll)


def outcome(clients: Clients, bucket: str, run_id: str, statuses: list[runs.NodeStatus]) -> list[Diagnostic]:
    """E0808 for each node that did not succeed, with the tail of its log in the hint."""
    out = []
    for s in statuses:
        if s.state == "succeeded":
            continue
        tail = runs.log_tail(clients.s3, bucket, run_id, s.rank, 10)
        if s.final:
            state = s.state
        elif s.state == "pending":
            state = "never reported a status (did the node script start? see the SSM command output)"
        else:
            state = f"{s.state}, heartbeat lost"
        exit_part = f", exit code {s.exit_code}" if s.exit_code is not None else ""
        message = f"run {run_id} node {s.rank}: {state}{exit_part}" + (f": {s.reason}" if s.reason else "")
        hint = "last log lines:\n    " + "\n    ".join(tail) if tail else "the node wrote no log"
        out.append(Diagnostic(Severity.ERROR, "E0808", message, path="training", hint=hint))
    return out


def local_cannot_run(spec_path: Path) -> Diagnostic:
    """E0814: `runctl launch` on the local target, said before anything is tried (the emulator
    runs no machines: an SSM command would only wait for agents that never come online)."""
    return Diagnostic(
        Severity.ERROR,
        "E0814",
        "the local target cannot run the training job: the emulator has no machines to run it on",
        str(spec_path),
        path="target",
        hint="the local target tries the infrastructure only; use target: aws (or drop --local) "
        "to run the job",
    )


def run_job(
    target: Target,
    clients: Clients,
    *,
    spec_dir: Path,
    confirm: Confirm,
    report: Report,
    wait: bool = False,
    on_log: LogSink | None = None,
) -> str:
    """Start the run (`start_run`); with `wait` or `on_log`, wait for its outcome: DiagnosticError
    for the failing nodes, else a success line. Returns the run id. `runctl launch` and the launch
    stage of `runctl apply` are both this call."""
    run_id = start_run(target, clients, spec_dir=spec_dir, confirm=confirm, report=report)
    if wait or on_log is not None:
        statuses = wait_for_outcome(clients, target.bucket, run_id, len(target.plan.nodes), on_log=on_log)
        problems = outcome(clients, target.bucket, run_id, statuses)
        if problems:
            raise DiagnosticError(problems)
        report(f"run {run_id}: succeeded on every node")
    return run_id


def launch_after_apply(
    applied: AppliedStack,
    *,
    wait: bool = False,
    follow: bool = False,
    yes: bool = False,
    out: IO[str] | None = None,
) -> int:
    """Launch the applied stack's training job (what `runctl apply` runs unless --no-launch).

    Returns the exit code: 0 when started (with `wait`: when every node succeeded) or when the spec
    has no training, 1 otherwise, after printing the diagnostics to `out` (stderr by default).
    """
    if not applied.launch_plan.nodes:
        return 0  # nothing to launch
    from runctl_iac.diagnostics import render_text
    from runctl_iac.launch.aws import clients as make_clients

    stream = out or sys.stderr

    def report(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()

    try:
        target = resolve_target(
            applied.project, applied.stack, applied.region, applied.launch_plan, applied.outputs
        )
        c = make_clients(applied.region, applied.endpoint_url)
        sink: LogSink | None = None
        if follow:
            many = len(target.plan.nodes) > 1
            sink = lambda rank, line: report(f"[node {rank}] {line}" if many else line)  # noqa: E731
        spec_dir = Path(applied.spec_path).parent
        run_job(target, c, spec_dir=spec_dir, confirm=lambda _q: yes, report=report, wait=wait, on_log=sink)
        return 0
    except DiagnosticError as exc:
        stream.write(render_text(exc.diagnostics))
        return 1
    except Exception as exc:
        from runctl_iac.launch.aws import failure_diagnostic, is_aws_failure

        if not is_aws_failure(exc):
            raise
        stream.write(render_text([failure_diagnostic(exc)]))
        return 1
