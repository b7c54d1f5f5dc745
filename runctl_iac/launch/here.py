"""`runctl run SPEC --here`: the spec's training job on this machine, through the node's own supervisor.

The node script (`node.sh`, rendered by `launch.script`) runs unchanged: the same preflight, `setup`
once, `run` under `max_runtime`, stop handling, `status.json` and log. `here.sh` goes in at the
script's LOCAL_OVERRIDES marker and moves only the supervisor's input and output from S3, SSM,
IMDS and EBS to this machine. `--nodes N` starts N supervisors, ranks 0..N-1, master 127.0.0.1;
rank 0 starts first and the others once it has finished `setup` (setup runs once per machine).

Where a local run lives, below the project root (`.runctl/`, beside the state folder, which a local
run neither needs nor creates):

    .runctl/runs/<run-id>/run.json                   project, stack, nodes, started_at (local: true)
    .runctl/runs/<run-id>/node.sh                    the rendered script (no secret values in it)
    .runctl/runs/<run-id>/node-<rank>/status.json    as on a node
    .runctl/runs/<run-id>/node-<rank>/log.txt        the job's stdout and stderr
    .runctl/runs/<run-id>/node-<rank>/stop           present: `runctl stop-job --here` asked it to stop
    .runctl/checkpoints/<project>-<stack>/node-<rank>/   RUNCTL_CHECKPOINT_DIR, kept between runs
    .runctl/here/<project>-<stack>/                  setup markers (setup runs again when it changes)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from runctl_iac import staging
from runctl_iac.compiler.graph import LaunchPlan
from runctl_iac.diagnostics import Diagnostic, DiagnosticError, Severity
from runctl_iac.launch.here_checks import min_free_mb
from runctl_iac.launch.runs import NodeStatus
from runctl_iac.launch.script import Runtime, render_script, state_name, with_overrides

MASTER = "127.0.0.1"
POLL_SECONDS = 0.2  # how often runctl reads the local status and log files
INTERRUPTED = 130  # the shell's exit code after Ctrl-C

LogSink = Callable[[int, str], None]


def _error(code: str, message: str, hint: str, path: str = "training") -> DiagnosticError:
    return DiagnosticError([Diagnostic(Severity.ERROR, code, message, path=path, hint=hint)])


@dataclass(frozen=True)
class Local:
    """One stack's local runs below the project root."""

    root: Path
    project: str
    stack: str

    @property
    def base(self) -> Path:
        return self.root / ".runctl"

    @property
    def runs_dir(self) -> Path:
        return self.base / "runs"

    @property
    def state_dir(self) -> Path:
        return self.base / "here" / state_name(self.project, self.stack)

    @property
    def checkpoint_dir(self) -> Path:
        return self.base / "checkpoints" / state_name(self.project, self.stack)

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def node_dir(self, run_id: str, rank: int) -> Path:
        return self.run_dir(run_id) / f"node-{rank}"

    def runs(self) -> list[str]:
        """This stack's local run ids, oldest first."""
        found = []
        if self.runs_dir.is_dir():
            for d in self.runs_dir.iterdir():
                if not staging.RUN_ID.match(d.name):
                    continue
                manifest = read_manifest(d)
                if manifest.get("project") == self.project and manifest.get("stack") == self.stack:
                    found.append(d.name)
        return sorted(found)

    def resolve_run(self, run_id: str | None) -> str:
        """The given run (it must be this stack's) or the latest; E0826 when there is none."""
        runs = self.runs()
        if run_id is None and runs:
            return runs[-1]
        if run_id in runs:
            return run_id
        what = f"no local run {run_id}" if run_id else "no local run"
        raise _error(
            "E0826",
            f"{what} of {self.project}/{self.stack} in {self.runs_dir}",
            "start one with `runctl run SPEC --here`; `--run` takes an id from .runctl/runs/",
        )


def read_manifest(run_dir: Path) -> dict[str, object]:
    try:
        data = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_statuses(local: Local, run_id: str) -> list[NodeStatus]:
    """Every node's status as its supervisor last wrote it (`pending` before it has)."""
    nodes = int(str(read_manifest(local.run_dir(run_id)).get("nodes", 1)))
    out = []
    for rank in range(nodes):
        try:
            doc = json.loads((local.node_dir(run_id, rank) / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = {"state": "pending"}
        out.append(NodeStatus.from_json(rank, doc))
    return out


def request_stop(local: Local, run_id: str, ranks: list[int]) -> None:
    """The local twin of a stop request in the bucket: each supervisor checks for it every 2 s."""
    for rank in ranks:
        d = local.node_dir(run_id, rank)
        d.mkdir(parents=True, exist_ok=True)
        (d / "stop").write_text("stop requested by runctl stop-job --here\n", encoding="utf-8")


def local_plan(plan: LaunchPlan, nodes: int) -> LaunchPlan:
    """The plan with `nodes` local nodes, each shaped like the group's first."""
    if not plan.nodes:
        raise _error("E0824", "the spec has no training to run", "add a training section")
    if not 1 <= nodes <= 64:
        raise _error("E0824", f"--nodes {nodes}: a local run has 1 to 64 processes", "use --nodes 1..64")
    first = plan.nodes[0]
    return replace(plan, nodes=tuple(replace(first, rank=i) for i in range(nodes)))


def code_dir(plan: LaunchPlan, spec_dir: Path) -> Path | None:
    if not plan.code:
        return None
    if plan.code.startswith("s3://"):
        raise _error(
            "E0824",
            f"training.code is {plan.code}: a local run uses a local folder",
            f"copy it here (aws s3 sync {plan.code} code/) and point training.code at it in a stack overlay",
            "training.code",
        )
    directory = (spec_dir / plan.code).resolve()
    if not directory.is_dir():
        raise _error(
            "E0809",
            f"training.code {plan.code!r} is not a directory ({directory})",
            "point training.code at the folder holding the job's code",
            "training.code",
        )
    return directory


def render_local(plan: LaunchPlan, local: Local, run_id: str, region: str, code: Path | None) -> str:
    """The node script for a local run: node.sh with the run's values and here.sh at its marker."""
    mounts = {m.volume_resource: "local" for n in plan.nodes for m in n.mounts}
    runtime = Runtime(run_id, "", tuple(MASTER for _ in plan.nodes), "", mounts)
    script = render_script(
        plan, None, project=local.project, stack=local.stack, region=region, runtime=runtime
    )
    venv = os.environ.get("VIRTUAL_ENV", "")
    values = "\n".join(
        f"{name}={_q(value)}"
        for name, value in (
            ("HERE_RUN_DIR", local.run_dir(run_id).resolve()),
            ("HERE_STATE_DIR", local.state_dir.resolve()),
            ("HERE_CHECKPOINT_DIR", local.checkpoint_dir.resolve()),
            ("HERE_CODE_DIR", code or ""),
            ("HERE_VENV", venv),
        )
    )
    overrides = resources.files("runctl_iac.launch").joinpath("here.sh").read_text(encoding="utf-8")
    return with_overrides(script, f"{values}\n{overrides}")


def _q(value: object) -> str:
    import shlex

    return shlex.quote(str(value))


# ---- running ----


def secret_values(plan: LaunchPlan, ask: Callable[[str], str | None]) -> dict[str, str]:
    """Each secret from this process's environment, else `ask` (a hidden prompt); E0825 when neither."""
    values: dict[str, str] = {}
    for name in plan.secret_names:
        value = os.environ.get(name) or ask(name)
        if not value:
            raise _error(
                "E0825",
                f"secret {name} is not set",
                f"export {name} before `runctl run --here` "
                "(it is passed to the job's environment, never written to disk)",
                "training.secrets",
            )
        values[name] = value
    return values


@dataclass
class _Tail:
    path: Path
    offset: int = 0
    rest: str = ""

    def lines(self) -> list[str]:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except OSError:
            return []
        self.offset += len(data)
        text = self.rest + data.decode("utf-8", errors="replace")
        *done, self.rest = text.split("\n")
        return done


def run_here(
    plan: LaunchPlan,
    local: Local,
    *,
    region: str,
    code: Path | None,
    secrets: Mapping[str, str],
    on_log: LogSink | None = None,
    report: Callable[[str], None] = lambda line: None,
) -> tuple[str, int]:
    """Run the job here and wait for it: (run id, the job's exit code; 130 after Ctrl-C)."""
    run_id = staging.new_run_id()
    run_dir = local.run_dir(run_id)
    run_dir.mkdir(parents=True)
    manifest = {
        "version": 1,
        "local": True,
        "project": local.project,
        "stack": local.stack,
        "nodes": len(plan.nodes),
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    (run_dir / "run.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    script = run_dir / "node.sh"
    script.write_text(render_local(plan, local, run_id, region, code), encoding="utf-8")
    env = {**os.environ, **secrets, "RUNCTL_MIN_FREE_MB": str(min_free_mb())}
    report(f"run {run_id}: {len(plan.nodes)} local process(es); files in {run_dir}")
    procs: dict[int, subprocess.Popen[bytes]] = {}
    tails = [_Tail(local.node_dir(run_id, r) / "log.txt") for r in range(len(plan.nodes))]

    def spawn(rank: int) -> None:
        local.node_dir(run_id, rank).mkdir(parents=True, exist_ok=True)
        with (local.node_dir(run_id, rank) / "supervisor.log").open("ab") as out:
            procs[rank] = subprocess.Popen(
                ["bash", str(script), "supervise", str(rank)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches runctl only
            )

    def pump() -> None:
        for rank, tail in enumerate(tails):
            for line in tail.lines():
                if on_log is not None:
                    on_log(rank, line)

    interrupted = False
    try:
        spawn(0)
        while len(plan.nodes) > 1 and procs[0].poll() is None:
            # the other ranks start once rank 0 has run setup (once for this machine)
            if read_statuses(local, run_id)[0].state in ("running", "succeeded"):
                break
            pump()
            time.sleep(POLL_SECONDS)
        if procs[0].poll() is None or read_statuses(local, run_id)[0].state == "succeeded":
            for rank in range(1, len(plan.nodes)):
                spawn(rank)
        while any(p.poll() is None for p in procs.values()):
            pump()
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        interrupted = True
        # the job gets its grace time: a second Ctrl-C waits too
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            report("Ctrl-C: stopping the job (SIGTERM, then a last checkpoint sync)")
            for p in procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs.values():
                p.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
    pump()
    return run_id, INTERRUPTED if interrupted else exit_code(read_statuses(local, run_id))


def exit_code(statuses: list[NodeStatus]) -> int:
    """The job's exit code: the first node (by rank) that did not succeed decides; 0 when all did."""
    for s in statuses:
        if s.state != "succeeded":
            return s.exit_code if s.exit_code else 1
    return 0
