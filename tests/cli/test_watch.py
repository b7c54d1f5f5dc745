"""`runctl watch` from an empty folder through the real CLI, the engine and the local emulator
(marked `engine`): apply, a launched run (its manifest and node status as the node script writes
them), a spot interruption (stand-in fault injection), then `watch --once` ending the three ways CI
reads from its exit code. The relaunch itself needs SSM on the nodes (not in the emulator): it is
tested against moto in tests/launch/test_watch.py and under bash in tests/launch/test_watch_node.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from runctl_iac import staging
from runctl_iac.compiler.buckets import STAGING_KEY
from runctl_iac.engine.local import status as local_status
from runctl_iac.launch import runs
from runctl_iac.launch.outputs import read_outputs
from tests.cli.plan_helpers import invoke
from tests.engine.standin.faults import interrupt

SPEC = """\
version: 1
name: watched
region: us-east-1
target: local
ttl: 2h
instances:
  worker:
    image: al2023
    disk_gb: 20
    capacity:
      types: [t3.medium, t3.large]
      zones: [us-east-1a]
training:
  group: worker
  run: python train.py
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None) -> Iterator[Path]:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    # the product does not create the state folder yet (another change makes the first command do it)
    (work / ".runctl" / "state").mkdir(parents=True)
    (work / "spec.yaml").write_text(SPEC)
    started = invoke("local", "start")
    assert started.code == 0, started.stderr
    try:
        yield work
    finally:
        invoke("local", "stop")


def test_watch_help_has_an_example() -> None:
    shown = invoke("watch", "--help")
    assert shown.code == 0 and "runctl watch examples/llama-finetune.yaml --stack prod --once" in shown.stdout


@pytest.mark.engine
def test_watch_once_reports_what_ci_needs(project: Path) -> None:
    applied = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert applied.code == 0, applied.stdout + applied.stderr
    outputs = read_outputs(project / "spec.yaml", "watched", "dev", local=True)
    bucket = outputs["buckets"][STAGING_KEY]
    instance = outputs["instances"]["instance.worker.0"]["id"]
    server = local_status(project)
    assert server is not None
    fake = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=server.url, **fake)
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=server.url, **fake)
    run_id = staging.new_run_id()
    runs.write_manifest(
        s3, bucket, run_id, {"run_id": run_id, "nodes": [{"rank": 0, "instance_id": instance}]}
    )

    def node(state: str, code: int | None = None) -> None:
        doc = {"version": 1, "run_id": run_id, "rank": 0, "restart": 0, "state": state, "exit_code": code}
        s3.put_object(Bucket=bucket, Key=staging.status_key(run_id, 0), Body=json.dumps(doc))

    node("running")
    running = invoke("watch", "spec.yaml", "--once")
    assert running.code == 0, running.stdout + running.stderr
    assert f"run {run_id}: running (restarts 0): no node lost" in running.stderr

    interrupt(ec2, instance)
    spent = invoke("watch", "spec.yaml", "--once", "--max-restarts", "0")
    assert spent.code == 3, spent.stdout + spent.stderr
    assert f"run {run_id}: max-restarts (restarts 0): node(s) 0 lost; 0 restart(s) already" in spent.stderr

    node("failed", 2)
    failed = invoke("watch", "spec.yaml", "--once")
    assert failed.code == 1
    assert "node 0 failed with exit code 2: a bug is not retried" in failed.stderr

    node("succeeded", 0)
    done = invoke("watch", "spec.yaml", "--once", "--interval", "5s")
    assert done.code == 0 and "succeeded" in done.stderr

    bad = invoke("watch", "spec.yaml", "--interval", "soon")
    assert bad.code == 1 and "error[E0827]" in bad.stderr and "Traceback" not in bad.stderr
