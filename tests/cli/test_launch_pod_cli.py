"""launch, job, logs and stop-job on a stack whose training group is a RunPod pod, through the CLI
against moto: `launch` writes the pod's launch request instead of an SSM command (the pod's side is
tests/launch/test_pod_exec.py); the other commands read and write the staging bucket as for EC2."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from runctl_iac import staging as layout
from runctl_iac.compiler.buckets import STAGING_KEY
from runctl_iac.launch.aws import Clients
from tests.cli.plan_helpers import SECRET_VALUE, invoke, write
from tests.cli.test_launch_cli import fresh_bucket, real, write_snapshot

POD_SPEC = """\
version: 1
name: demo
region: us-east-1
ttl: 4h
buckets:
  results: {}
instances:
  trainer:
    provider: runpod
    gpu: NVIDIA H100 80GB HBM3
    gpu_count: 2
training:
  group: trainer
  run: python train.py
  secrets: [HF_TOKEN]
  checkpoints: {dir: /workspace/ckpt, bucket: results}
"""
POD_AWS_SECRET = "pod-aws-secret-never-printed"


class NoSsm:
    """A pod has no SSM agent: any SSM call fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"SSM {name} called for a RunPod group")


@pytest.fixture
def pod_stack(
    project: Path, moto_server: str, fake_aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    from runctl_iac.compiler import compile
    from runctl_iac.spec import load_spec_or_raise

    write(project / "spec.yaml", POD_SPEC)
    monkeypatch.setenv("RUNCTL_RUNPOD_AWS_SECRET_ACCESS_KEY", POD_AWS_SECRET)
    _graph, plan = compile(load_spec_or_raise(project / "spec.yaml"))
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server)
    bucket = real(plan.staging_bucket)
    fresh_bucket(s3, bucket)
    outputs = {
        "pods": {"pod.trainer": {"id": "podtrainer01", "name": "runctl-demo-dev-trainer"}},
        "buckets": {STAGING_KEY: bucket, "results": real(plan.checkpoint_bucket)},
    }
    write_snapshot(project, outputs)
    monkeypatch.setattr("runctl_iac.launch.aws.clients", lambda *_a, **_k: Clients(s3=s3, ssm=NoSsm()))
    return {"s3": s3, "bucket": bucket}


def _status(s3: Any, bucket: str, run_id: str, state: str) -> None:
    doc = {
        "version": 1,
        "run_id": run_id,
        "rank": 0,
        "state": state,
        "exit_code": 0 if state == "succeeded" else None,
        "started_at": "2099-01-01T00:00:00Z",
        "heartbeat": "2099-01-01T00:00:00Z",
        "ended_at": "2099-01-01T00:10:00Z" if state == "succeeded" else None,
    }
    s3.put_object(Bucket=bucket, Key=layout.status_key(run_id, 0), Body=json.dumps(doc).encode())


def test_launch_writes_the_pod_request_and_job_logs_stop_job_read_the_bucket(
    pod_stack: dict[str, Any],
) -> None:
    s3, bucket = pod_stack["s3"], pod_stack["bucket"]
    run = invoke("launch", "spec.yaml")
    assert run.code == 0, run.stderr
    m = re.search(r"run (\S+): launch request written to s3://\S+/pods/trainer/launch\.json", run.stderr)
    assert m, run.stderr
    run_id = m.group(1)
    request = json.loads(
        s3.get_object(Bucket=bucket, Key=layout.launch_request_key("trainer"))["Body"].read()
    )
    assert request["run_id"] == run_id and request["restart"] == 0
    assert request["script_key"] == layout.script_key(run_id)
    assert request["status_key"] == layout.status_key(run_id, 0)
    script = s3.get_object(Bucket=bucket, Key=layout.script_key(run_id))["Body"].read().decode()
    assert "a RunPod pod instead of an EC2 node" in script and "RUNCTL_NODE_IPS=127.0.0.1" in script
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=layout.run_key(run_id))["Body"].read())
    assert manifest["nodes"] == [{"rank": 0, "instance_id": "podtrainer01"}]

    # the pod reports through the bucket (what its node script writes)
    _status(s3, bucket, run_id, "running")
    job = invoke("job", "spec.yaml", "-o", "json")
    assert job.code == 0, job.stderr
    assert job.json()["run_id"] == run_id and [n["state"] for n in job.json()["nodes"]] == ["running"]
    stop = invoke("stop-job", "spec.yaml")
    assert stop.code == 0 and "asked node(s) 0 to stop" in stop.stderr, stop.stderr
    assert s3.get_object(Bucket=bucket, Key=layout.stop_key(run_id, 0))

    _status(s3, bucket, run_id, "succeeded")
    s3.put_object(Bucket=bucket, Key=layout.log_key(run_id, 0), Body=b"hello from the pod\n")
    done = invoke("job", "spec.yaml")
    assert done.code == 0 and "succeeded" in done.stdout
    logs = invoke("logs", "spec.yaml")
    assert logs.code == 0 and logs.stdout == "hello from the pod\n"
    everything = "".join(r.stdout + r.stderr for r in (run, job, stop, done, logs)) + script
    assert POD_AWS_SECRET not in everything and SECRET_VALUE not in everything


def test_watch_says_a_pods_run_is_not_watched(pod_stack: dict[str, Any]) -> None:
    run = invoke("watch", "spec.yaml", "--once")
    assert run.code == 1
    assert "error[E0828] training.group: training group trainer is a RunPod pod" in run.stderr


def test_print_script_shows_the_pods_script(project: Path) -> None:
    write(project / "spec.yaml", POD_SPEC)
    run = invoke("launch", "spec.yaml", "--print-script")
    assert run.code == 0, run.stderr
    assert (
        "a RunPod pod instead of an EC2 node" in run.stdout
        and "INSTANCE_TYPE='NVIDIA H100 80GB HBM3'" in run.stdout
    )
