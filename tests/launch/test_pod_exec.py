"""A run in a RunPod pod, for real under bash: the pod's bootstrap (its dockerStartCmd) and the node
script with pod.sh, against moto (see nodehost.py for the pretend machine; no IMDS answers here).

From `runctl launch`'s launch request to status.json `succeeded` and the log in the bucket, a second
request stopped by `stop-job`'s stop object, and a restarted bootstrap that leaves a finished run alone.
The pod's AWS secret key never shows in the script, the logs, the status or the bootstrap's output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from runctl_iac import staging
from runctl_iac.compiler.graph import LaunchPlan
from runctl_iac.compiler.runpod import bootstrap
from runctl_iac.launch import pod, runs
from runctl_iac.launch.script import Runtime, render_script
from tests.launch import nodehost
from tests.launch.plans import compiled, full_training, pod_spec

pytestmark = pytest.mark.usefixtures("fake_aws_credentials")
SECRET = "training-secret-never-printed"
AWS_SECRET = "pod-aws-secret-key-never-printed"
STATE = "demo-dev"

RUN = """set -e
echo "rank=$RUNCTL_NODE_RANK nodes=$RUNCTL_NUM_NODES master=$RUNCTL_MASTER_ADDR code=$(cat hello.txt)"
printf '%s' "$API_TOKEN" > "$RUNCTL_ROOT/secret-seen"
echo weights > "$RUNCTL_CHECKPOINT_DIR/step-1.pt"
"""
LONG = 'echo "long job up"; touch "$RUNCTL_ROOT/long-up"; sleep 120'


def _wait_for(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.2)


def _start_bootstrap(root: Path, env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    with (root / name).open("ab") as out:
        return subprocess.Popen(["bash", "-c", bootstrap()], env=env, stdout=out, stderr=subprocess.STDOUT)


def test_pod_bootstrap_runs_a_launch_request_to_success_and_stops_on_request(
    tmp_path: Path, moto_server: str
) -> None:
    _graph, plan = compiled(pod_spec(full_training(run=RUN, setup="echo setup")))
    assert plan.provider == "runpod" and [n.instance_resource for n in plan.nodes] == ["pod.gpu"]
    aws, bucket, plan, code_uri = nodehost.stage(moto_server, plan, tmp_path, SECRET)
    root = tmp_path / "pod"
    env = nodehost.node_env(
        root,
        moto_server,
        "http://127.0.0.1:9",  # nothing answers: a pod has no instance metadata
        AWS_SECRET_ACCESS_KEY=AWS_SECRET,
        RUNCTL_BUCKET=bucket,
        RUNCTL_REGION="us-east-1",
        RUNCTL_LAUNCH_KEY=staging.launch_request_key("gpu"),
        RUNCTL_POLL_SECONDS="0.2",
        RUNCTL_HEARTBEAT_SECONDS="1",
        STUB_GPUS="broken",  # the pod's preflight does not ask nvidia-smi (no EC2 type to compare with)
    )

    def launch(p: LaunchPlan, run_id: str) -> str:
        runtime = Runtime(run_id, bucket, (pod.MASTER,), code_uri)
        script = render_script(p, None, project="demo", stack="dev", region="us-east-1", runtime=runtime)
        aws.s3.put_object(Bucket=bucket, Key=staging.script_key(run_id), Body=script.encode())
        pod.request_launch(aws.s3, bucket, "gpu", run_id)
        return script

    run1, run2 = staging.new_run_id(), staging.new_run_id()
    script = launch(plan, run1)  # the request is there before the pod starts, as after an apply
    boot = _start_bootstrap(root, env, "boot1.log")
    try:
        doc = nodehost.wait_final(nodehost.status_path(root, STATE, run1))
        assert doc["state"] == "succeeded" and doc["exit_code"] == 0, doc
        assert aws.status(bucket, run1, 0) == doc
        log = aws.text(bucket, staging.log_key(run1, 0))
        assert "rank=0 nodes=1 master=127.0.0.1 code=code-v1" in log
        assert (root / "secret-seen").read_text() == SECRET
        ckpt = aws.s3.get_object(Bucket=plan.checkpoint_bucket, Key="runctl-checkpoints/node-0/step-1.pt")
        assert ckpt["Body"].read() == b"weights\n"

        # a second run on the same pod, stopped the way `runctl stop-job` asks
        launch(replace(plan, run=LONG), run2)
        _wait_for((root / "long-up").exists, "the second run's job")
        runs.request_stop(aws.s3, bucket, run2, [0])
        doc2 = nodehost.wait_final(nodehost.status_path(root, STATE, run2))
        assert doc2["state"] == "stopped" and doc2["reason"] == "stopped: runctl stop-job", doc2
    finally:
        boot.terminate()
        boot.wait()
        nodehost.kill_leftovers(root)

    # the pod restarts (a RunPod reset): the last request's run is over, so it is not started again
    boot = _start_bootstrap(root, env, "boot2.log")
    try:
        _wait_for(lambda: "is over (stopped)" in (root / "boot2.log").read_text(), "the restarted bootstrap")
    finally:
        boot.terminate()
        boot.wait()
    assert aws.status(bucket, run2, 0)["state"] == "stopped"

    outputs = [
        script,
        log,
        aws.text(bucket, staging.log_key(run2, 0)),
        json.dumps([doc, doc2]),
        (root / "boot1.log").read_text(),
        (root / "boot2.log").read_text(),
        aws.text(bucket, staging.launch_request_key("gpu")),
    ]
    for text in outputs:
        assert AWS_SECRET not in text and SECRET not in text


def test_the_pod_script_and_the_bootstrap_pass_shellcheck(tmp_path: Path) -> None:
    _graph, plan = compiled(pod_spec(full_training()))
    script = render_script(plan, 0, project="demo", stack="dev", region="us-east-1")
    assert "a RunPod pod instead of an EC2 node" in script
    (tmp_path / "node.sh").write_text(script)
    (tmp_path / "boot.sh").write_text("#!/usr/bin/env bash\n" + bootstrap())
    shellcheck = str(Path(sys.executable).parent / "shellcheck")
    # SC2329 (a function never invoked): pod.sh redefines node functions, so the node's own go unused
    for name in ("node.sh", "boot.sh"):
        out = subprocess.run(
            [shellcheck, "-x", "--exclude=SC2329", str(tmp_path / name)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, (name, out.stdout)
