"""`runctl run SPEC --here` through the real CLI, from an empty folder (no git, no runctl.toml, empty HOME).

The job is a tiny torch-free Python script; the tests wait on the run's own signals (its exit,
a FIFO the job writes to), never on time.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

RUNCTL = str(Path(sys.executable).parent / "runctl")
SECRET = "s3cr3t-value-never-printed"
DEADLINE = 120  # seconds: an upper bound for a stuck run, never a wait for something to happen

SPEC = """\
version: 1
name: here-journey
region: us-east-1
buckets:
  ckpts: {{}}
instances:
  trainer:
    type: g5.xlarge
    count: 2
training:
  group: trainer
  code: code
  setup: echo once >> "$SETUP_LOG"
  run: {run}
  env:
    SETUP_LOG: "{root}/setup.log"
    READY: "{root}/ready"
    QUOTED: "it's $(not) `run`"
  secrets: [TRAIN_TOKEN]
  checkpoints:
    dir: /opt/checkpoints
    bucket: ckpts
"""

CHECK = """\
import os, sys
rank, world = int(os.environ["RUNCTL_NODE_RANK"]), int(os.environ["RUNCTL_NUM_NODES"])
assert 0 <= rank < world, (rank, world)
assert os.environ["RUNCTL_MASTER_ADDR"] == "127.0.0.1"
assert os.environ["RUNCTL_NODE_IPS"] == ",".join(["127.0.0.1"] * world)
assert os.environ["QUOTED"] == "it's $(not) `run`"
assert os.environ["TRAIN_TOKEN"] == "{secret}"
ckpt = os.path.join(os.environ["RUNCTL_CHECKPOINT_DIR"], "step-1.txt")
with open(ckpt, "w") as fh:
    fh.write(f"rank {{rank}} of {{world}}\\n")
print(f"rank {{rank}} of {{world}} ok", flush=True)
sys.exit(int(os.environ.get("EXIT_WITH", "0")))
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    (work / "code").mkdir(parents=True)
    (tmp_path / "home").mkdir()
    (work / "code" / "check.py").write_text(CHECK.format(secret=SECRET), encoding="utf-8")
    return work


def write_spec(folder: Path, run: str) -> Path:
    spec = folder / "spec.yaml"
    spec.write_text(SPEC.format(run=json.dumps(run), root=folder), encoding="utf-8")
    return spec


def env(folder: Path, **extra: str) -> dict[str, str]:
    out = {
        "PATH": os.environ["PATH"],
        "HOME": str(folder.parent / "home"),
        "NO_COLOR": "1",
        "TRAIN_TOKEN": SECRET,
        "RUNCTL_MIN_FREE_MB": "1",
    }
    return {**out, **extra}


def runctl(folder: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [RUNCTL, *args],
        cwd=folder,
        env=env(folder, **extra),
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def statuses(folder: Path) -> list[dict[str, object]]:
    (run_dir,) = (folder / ".runctl" / "runs").iterdir()
    return [json.loads(p.read_text()) for p in sorted(run_dir.glob("node-*/status.json"))]


def every_file_text(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in (folder / ".runctl").rglob("*") if p.is_file())


def test_two_local_processes_get_the_node_contract_and_write_checkpoints(folder: Path) -> None:
    spec = write_spec(folder, "python3 check.py")
    before = runctl(folder, "plan", "spec.yaml", "--offline", "--output", "json")
    assert before.returncode in (0, 2), before.stderr

    done = runctl(folder, "run", "spec.yaml", "--here", "--nodes", "2", "--follow")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "[node 0] rank 0 of 2 ok" in done.stdout and "[node 1] rank 1 of 2 ok" in done.stdout
    assert "W0821" in done.stderr  # g5.xlarge has a GPU, this machine (the test's) may not: a warning
    assert [s["state"] for s in statuses(folder)] == ["succeeded", "succeeded"]
    ckpts = folder / ".runctl" / "checkpoints" / "here-journey-dev"
    assert (ckpts / "node-1" / "step-1.txt").read_text() == "rank 1 of 2\n"
    assert (folder / "setup.log").read_text() == "once\n"  # setup ran once for this machine
    assert SECRET not in done.stdout + done.stderr + every_file_text(folder)
    assert not (folder / ".runctl" / "state").exists()

    job = runctl(folder, "job", "spec.yaml", "--here", "--output", "json")
    assert [n["state"] for n in json.loads(job.stdout)["nodes"]] == ["succeeded", "succeeded"]
    logs = runctl(folder, "logs", "spec.yaml", "--here", "--node", "1")
    assert "rank 1 of 2 ok" in logs.stdout and "rank 0" not in logs.stdout
    listed = runctl(folder, "checkpoints", "spec.yaml", "--here")
    assert "step-1.txt" in listed.stdout
    after = runctl(folder, "plan", "spec.yaml", "--offline", "--output", "json")
    assert (after.returncode, after.stdout) == (before.returncode, before.stdout)
    assert spec.read_text() == SPEC.format(run=json.dumps("python3 check.py"), root=folder)


def test_a_failing_job_exits_with_its_exit_code(folder: Path) -> None:
    write_spec(folder, "python3 check.py")

    done = runctl(folder, "run", "spec.yaml", "--here", EXIT_WITH="7")

    assert done.returncode == 7, done.stderr
    (status,) = statuses(folder)
    assert (status["state"], status["exit_code"]) == ("failed", 7)
    assert "node 0: failed (run exited with 7)" in done.stderr


def test_a_runpod_training_group_runs_here_too(folder: Path) -> None:
    spec = write_spec(folder, "python3 check.py")
    pod = "    provider: runpod\n    gpu: NVIDIA H100 80GB HBM3\n    container_image: my/train:1\n"
    spec.write_text(spec.read_text().replace("    type: g5.xlarge\n    count: 2\n", pod), encoding="utf-8")

    done = runctl(folder, "run", "spec.yaml", "--here")

    assert done.returncode == 0, done.stderr
    (status,) = statuses(folder)
    assert status["state"] == "succeeded"
    assert "warning[W0823] instances.trainer.container_image: the spec's image my/train:1" in done.stderr


def _wait_for_fifo(path: Path, proc: subprocess.Popen[str]) -> None:
    """Block until the job writes its line into the FIFO (or runctl ends first: a failed test)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        got = b""
        while not got.endswith(b"\n"):
            ready, _, _ = select.select([fd], [], [], DEADLINE)
            assert ready and proc.poll() is None, "the job never signalled that it runs"
            got += os.read(fd, 64)
    finally:
        os.close(fd)


@pytest.mark.parametrize("how", ["ctrl-c", "stop-job"])
def test_ctrl_c_or_stop_job_stops_the_job_and_records_stopped(folder: Path, how: str) -> None:
    write_spec(folder, 'echo up > "$READY"; exec sleep 600')
    os.mkfifo(folder / "ready")
    proc = subprocess.Popen(
        [RUNCTL, "run", "spec.yaml", "--here"],
        cwd=folder,
        env=env(folder),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        _wait_for_fifo(folder / "ready", proc)
        if how == "ctrl-c":
            proc.send_signal(signal.SIGINT)
        else:
            stopped = runctl(folder, "stop-job", "spec.yaml", "--here", "--wait")
            assert "node 0: stopped" in stopped.stderr, stopped.stderr
        _, err = proc.communicate(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
    (status,) = statuses(folder)
    assert status["state"] == "stopped", err
    assert proc.returncode == (130 if how == "ctrl-c" else 143), err
    assert runctl(folder, "plan", "spec.yaml", "--offline").returncode in (0, 2)
    assert not (folder / ".runctl" / "state").exists()


def test_usage_problems_are_diagnostics(folder: Path) -> None:
    write_spec(folder, "python3 check.py")
    no_here = runctl(folder, "run", "spec.yaml")
    assert no_here.returncode == 1 and "E0824" in no_here.stderr and "runctl launch" in no_here.stderr

    no_secret = runctl(folder, "run", "spec.yaml", "--here", TRAIN_TOKEN="")
    assert no_secret.returncode == 1 and "E0825" in no_secret.stderr

    path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not Path(p, "nvidia-smi").exists()
    )
    no_gpu = runctl(folder, "run", "spec.yaml", "--here", "--require-gpu", PATH=path)
    assert no_gpu.returncode == 1 and "E0820" in no_gpu.stderr
    assert not (folder / ".runctl" / "runs").exists()

    none = runctl(folder, "job", "spec.yaml", "--here")
    assert none.returncode == 1 and "E0826" in none.stderr
    assert "Traceback" not in no_here.stderr + no_secret.stderr + no_gpu.stderr + none.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="the node script needs bash")
def test_the_rendered_local_script_holds_no_secret_value(folder: Path) -> None:
    write_spec(folder, "python3 check.py")
    assert runctl(folder, "run", "spec.yaml", "--here").returncode == 0
    (script,) = (folder / ".runctl" / "runs").glob("*/node.sh")
    text = script.read_text()
    assert "SECRET_NAMES=(TRAIN_TOKEN)" in text and SECRET not in text


def test_checkpoints_s3_syncs_to_the_applied_checkpoint_bucket(folder: Path, moto_server: str) -> None:
    import boto3

    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.compiler.names import resolve_account
    from runctl_iac.engine.snapshot import write_applied
    from runctl_iac.spec import load_spec_or_raise
    from runctl_iac.stackref import backend_for

    spec = write_spec(folder, "python3 check.py")
    without = runctl(folder, "run", "spec.yaml", "--here", "--checkpoints", "s3")
    assert without.returncode == 1 and "E0803" in without.stderr  # never applied: no bucket to name

    graph, plan = compile_spec(load_spec_or_raise(spec))
    staging = resolve_account(plan.staging_bucket or "", "0a1b2c3d")
    bucket = resolve_account(plan.checkpoint_bucket or "", "0a1b2c3d")
    # a pretend apply: the applied snapshot runctl apply would write (this creates .runctl/state,
    # which `runctl run --here` itself never does)
    write_applied(graph, backend_for(spec), {"buckets": {plan.staging_key or "_staging": staging}})
    aws = {
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(folder / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # the aws CLI
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=bucket)

    done = runctl(folder, "run", "spec.yaml", "--here", "--checkpoints", "s3", **aws)

    assert done.returncode == 0, done.stderr
    body = s3.get_object(Bucket=bucket, Key="runctl-checkpoints/node-0/step-1.txt")["Body"].read()
    assert body == b"rank 0 of 1\n"
