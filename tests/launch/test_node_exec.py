"""The node script executed for real under bash (see nodehost.py for the pretend node).

Two tests, each starting several nodes at once so the area stays short: the happy path on a
two-node group plus a second launch, and every way a job ends other than success.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from runctl_iac import staging
from runctl_iac.compiler.graph import LaunchPlan
from runctl_iac.launch.script import Runtime, render_script
from tests.launch import nodehost
from tests.launch.plans import HOSTILE, compiled, full_training, spec

pytestmark = pytest.mark.usefixtures("fake_aws_credentials")
SECRET = "s3cr3t-value-never-printed"
STATE = "demo-dev"
IPS = ("10.0.0.1", "10.0.0.2")

SUCCESS_RUN = """set -e
echo "rank=$RUNCTL_NODE_RANK nodes=$RUNCTL_NUM_NODES master=$RUNCTL_MASTER_ADDR ips=$RUNCTL_NODE_IPS"
echo "run=$RUNCTL_RUN_ID venv=${VIRTUAL_ENV:-none} code=$(cat hello.txt)"
printf '%s' "$API_TOKEN" > "$RUNCTL_ROOT/secret-seen"
printf '%s' "$HOSTILE" > "$RUNCTL_ROOT/hostile-seen"
if [ -f "$RUNCTL_CHECKPOINT_DIR/step-1.pt" ]; then echo "restored checkpoint"; fi
echo weights > "$RUNCTL_CHECKPOINT_DIR/step-1.pt"
sleep 1
"""


def _script(
    plan: LaunchPlan, rank: int, run_id: str, bucket: str, code_uri: str, ips: tuple[str, ...]
) -> str:
    rt = Runtime(run_id, bucket, ips, code_uri)
    return render_script(plan, rank, project="demo", stack="dev", region="us-east-1", runtime=rt)


def test_two_nodes_run_to_success_and_a_second_launch_reuses_setup(tmp_path: Path, moto_server: str) -> None:
    setup = 'echo setup >> "$RUNCTL_ROOT/setup-count"'
    _graph, plan = compiled(spec(count=2, training=full_training(run=SUCCESS_RUN, setup=setup)))
    plan = replace(plan, checkpoint_every_seconds=1)
    aws, bucket, plan, code_uri = nodehost.stage(moto_server, plan, tmp_path, SECRET)
    run1 = staging.new_run_id()
    with nodehost.fake_imds() as imds:
        roots = [tmp_path / f"node{r}" for r in (0, 1)]
        for r, root in enumerate(roots):
            venv = root / "opt" / "pytorch" / "bin"
            venv.mkdir(parents=True)
            (venv / "activate").write_text(f"export VIRTUAL_ENV={root / 'opt' / 'pytorch'}\n")
            env = nodehost.node_env(root, moto_server, imds.url)
            # one script for both nodes, the rank as its argument, as `runctl launch` runs it
            nodehost.start(_script(plan, None, run1, bucket, code_uri, IPS), root, env, rank=r)
        try:
            docs = [nodehost.wait_final(nodehost.status_path(root, STATE, run1)) for root in roots]
            for r, doc in enumerate(docs):
                assert doc["state"] == "succeeded", (r, doc)
                assert doc["exit_code"] == 0 and doc["rank"] == r and doc["run_id"] == run1
                assert doc["checkpoint"]["bytes"] > 0
                assert aws.status(bucket, run1, r) == doc
                log = aws.text(bucket, staging.log_key(run1, r))
                assert f"rank={r} nodes=2 master=10.0.0.1 ips=10.0.0.1,10.0.0.2" in log
                assert f"run={run1} venv={roots[r] / 'opt' / 'pytorch'} code=code-v1" in log
                assert "restored checkpoint" not in log
                assert (roots[r] / "secret-seen").read_text() == SECRET
                assert (roots[r] / "hostile-seen").read_text() == HOSTILE
                assert SECRET not in log and SECRET not in json.dumps(doc)
                ckpt = aws.s3.get_object(
                    Bucket=plan.checkpoint_bucket, Key=f"runctl-checkpoints/node-{r}/step-1.pt"
                )
                assert ckpt["Body"].read() == b"weights\n"
            # second launch on node 0: setup does not run again, the checkpoint comes back from S3
            root = roots[0]
            (root / "ckpt" / "step-1.pt").unlink()
            run2 = staging.new_run_id()
            env = nodehost.node_env(root, moto_server, imds.url)
            nodehost.start(_script(plan, 0, run2, bucket, code_uri, IPS), root, env, name="node2.sh")
            doc = nodehost.wait_final(nodehost.status_path(root, STATE, run2))
            assert doc["state"] == "succeeded"
            assert "restored checkpoint" in aws.text(bucket, staging.log_key(run2, 0))
            for r in (0, 1):
                assert (roots[r] / "setup-count").read_text().splitlines() == ["setup"]
        finally:
            for root in roots:
                nodehost.kill_leftovers(root)
    script = _script(plan, 0, run1, bucket, code_uri, IPS)
    assert SECRET not in script


def _wait_for(path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.2)


def test_every_unhappy_ending_is_recorded(tmp_path: Path, moto_server: str) -> None:
    long_job = 'echo started > "$RUNCTL_CHECKPOINT_DIR/last.pt"; echo "job up"; sleep 60'
    hostile_dir = "/ck pt/$(touch /tmp/runctl-pwned)'q`x`"
    cases: dict[str, tuple[str, dict[str, Any], dict[str, str]]] = {
        # name: (run text, plan changes, extra environment)
        "fails": (
            'printf "%s" "$HOSTILE" > "$RUNCTL_ROOT/hostile-seen"; echo "about to fail"; exit 3',
            {"checkpoint_dir": hostile_dir},
            {},
        ),
        "spot": (long_job, {}, {}),
        "stopped": (long_job, {}, {"RUNCTL_HEARTBEAT_SECONDS": "2"}),
        "nosecret": ("echo never", {"secret_parameters": {"API_TOKEN": "/runctl/demo/dev/MISSING"}}, {}),
        "timeout": (long_job, {"max_runtime_seconds": 2}, {}),
        "gpus": ("echo never", {}, {"STUB_GPUS": "2"}),
        "driver": ("echo never", {}, {"STUB_GPUS": "broken"}),
    }
    _graph, base = compiled(spec(training=full_training(setup=None)))
    aws, bucket, base, code_uri = nodehost.stage(moto_server, base, tmp_path, SECRET)
    runs = {name: staging.new_run_id() for name in cases}
    marker = Path("/tmp/runctl-pwned")
    marker.unlink(missing_ok=True)
    with nodehost.fake_imds() as imds:
        roots: dict[str, Path] = {}
        try:
            for name, (run_text, changes, extra) in cases.items():
                root = roots[name] = tmp_path / name
                plan = replace(base, run=run_text, **changes)
                env = nodehost.node_env(root, moto_server, f"{imds.url}/{name}", **extra)
                nodehost.start(_script(plan, 0, runs[name], bucket, code_uri, IPS[:1]), root, env)
            _wait_for(roots["spot"] / "ckpt" / "last.pt")
            imds.notice("/spot")
            _wait_for(roots["stopped"] / "ckpt" / "last.pt")
            aws.s3.put_object(Bucket=bucket, Key=staging.stop_key(runs["stopped"], 0), Body=b"")
            docs = {n: nodehost.wait_final(nodehost.status_path(r, STATE, runs[n])) for n, r in roots.items()}
        finally:
            for root in roots.values():
                nodehost.kill_leftovers(root)
    assert docs["fails"]["state"] == "failed" and docs["fails"]["exit_code"] == 3
    assert docs["fails"]["reason"] == "run exited with 3"
    assert (roots["fails"] / "hostile-seen").read_text() == HOSTILE
    assert (roots["fails"] / "ck pt" / "$(touch /tmp/runctl-pwned)'q`x`").is_dir()
    assert not marker.exists()

    assert docs["spot"]["state"] == "interrupted"
    assert docs["spot"]["reason"] == "interrupted: spot interruption notice"
    assert docs["spot"]["checkpoint"]["bytes"] > 0  # the final sync ran after the notice
    assert docs["stopped"]["state"] == "stopped" and docs["stopped"]["reason"] == "stopped: runctl stop-job"
    assert docs["timeout"]["state"] == "timed-out"
    assert docs["gpus"]["state"] == "failed"
    assert docs["gpus"]["reason"] == "preflight: nvidia-smi sees 2 GPU(s), g5.xlarge has 1 (NVIDIA A10G)"
    assert docs["driver"]["reason"].startswith("preflight: nvidia-smi failed, the driver does not answer")
    assert docs["gpus"]["exit_code"] is None
    assert docs["nosecret"]["state"] == "failed"
    assert (
        docs["nosecret"]["reason"]
        == "secret API_TOKEN could not be read from SSM parameter /runctl/demo/dev/MISSING"
    )
    for name, doc in docs.items():
        assert doc["ended_at"] and doc["heartbeat"] and SECRET not in json.dumps(doc)
        assert aws.status(bucket, runs[name], 0) == doc
    assert "about to fail" in aws.text(bucket, staging.log_key(runs["fails"], 0))
    assert "nvidia-smi sees 2 GPU(s)" in aws.text(bucket, staging.log_key(runs["gpus"], 0))
