"""Autostop through the real Pulumi CLI against the local emulator (marked `engine`).

The compiled shutdown behaviour reaches EC2; an instance stopped as autostop leaves it (moto
StopInstances) is started again by `runctl apply`, which says so, replaces nothing and finds no
data loss.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.cli.plan_helpers import invoke

SPEC = """\
version: 1
name: autostop-demo
region: us-east-1
target: local
ttl: 2h
budget:
  max_run_usd: 5
volumes:
  scratch:
    size_gb: 20
instances:
  worker:
    type: t3.medium
    count: 2
    image: al2023
    disk_gb: 20
    volumes:
      scratch: /scratch
training:
  group: worker
  run: echo hello
"""


def _ec2(root: Path) -> Any:
    return _client(root, "ec2")


def _client(root: Path, service: str) -> Any:
    server = json.loads((root / ".runctl" / "local" / "server.json").read_text())
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{server['port']}",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _states(ec2: Any, ids: list[str]) -> dict[str, str]:
    found = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    return {i["InstanceId"]: i["State"]["Name"] for r in found for i in r["Instances"]}


@pytest.mark.engine
def test_apply_starts_autostopped_instances_without_replacing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runctl.toml").write_text("")
    (tmp_path / "spec.yaml").write_text(SPEC)
    started = invoke("local", "start")
    assert started.code == 0, started.stderr
    try:
        applied = invoke("apply", "spec.yaml", "--yes", "--no-launch")
        assert applied.code == 0, applied.stdout + applied.stderr
        status = invoke("status", "spec.yaml", "--output", "json").json()
        nodes = status["outputs"]["instances"]
        ids = [nodes[rid]["id"] for rid in sorted(nodes)]  # in logical-id order, as apply lists them
        assert len(ids) == 2
        ec2 = _ec2(tmp_path)
        for iid in ids:
            behaviour = ec2.describe_instance_attribute(
                InstanceId=iid, Attribute="instanceInitiatedShutdownBehavior"
            )
            assert behaviour["InstanceInitiatedShutdownBehavior"]["Value"] == "stop"
        ec2.stop_instances(InstanceIds=ids)  # what `shutdown -h` on autostopped nodes leaves
        # the nodes' last statuses, as autostop uploads them: status shows the run's $ from them
        s3 = _client(tmp_path, "s3")
        staging = status["outputs"]["buckets"]["_staging"]
        for rank, spent in ((0, "1.25"), (1, "0.75")):
            doc = {
                "state": "succeeded",
                "rank": rank,
                "spend": {"usd": spent},
                "autostop": {"action": "stop"},
            }
            key = f"runs/20261206T100000Z-abcdef/node-{rank}/status.json"
            s3.put_object(Bucket=staging, Key=key, Body=json.dumps(doc).encode())
        shown = invoke("status", "spec.yaml")
        assert (
            "latest run 20261206T100000Z-abcdef: $2.00 spent (from the nodes' heartbeats); "
            "autostopped node(s): 0, 1" in shown.stdout
        ), shown.stdout + shown.stderr
        assert set(_states(ec2, ids).values()) == {"stopped"}
        drift = invoke("refresh", "spec.yaml", "--detailed-exitcode")  # stopped is expected: no drift
        assert drift.code == 0, drift.stdout + drift.stderr
        assert "drift in" not in drift.stdout  # (the stand-in reports no state change; see test_autostop.py)

        planned = invoke("plan", "spec.yaml", "--engine")
        assert planned.code == 0, planned.stdout + planned.stderr
        assert (
            f"`runctl apply` will start 2 stopped instances (autostop; kept, not replaced): {', '.join(ids)}"
            in (planned.stderr)
        )
        again = invoke("apply", "spec.yaml", "--yes", "--no-launch")
        out = again.stdout + again.stderr
        assert again.code == 0, out
        assert f"start 2 stopped instances: {', '.join(ids)}" in out
        assert "0 to replace, 0 to delete" in out
        assert "W0507" not in out and "data loss" not in out.lower()
        assert _states(ec2, ids) == dict.fromkeys(ids, "running")  # the same instances, running again
        after = invoke("status", "spec.yaml", "--output", "json").json()
        assert [after["outputs"]["instances"][rid]["id"] for rid in sorted(nodes)] == ids
    finally:
        invoke("local", "stop")
