"""`runctl watch` decisions and one tick against moto: assess, the lease, recovery, the summary."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest

from runctl_iac import staging
from runctl_iac.launch import runs
from runctl_iac.launch.runs import NodeStatus
from runctl_iac.launch.watch import EXIT, Watcher, acquire_lease, assess, interruption_summary
from tests.engine.standin.faults import interrupt

pytestmark = pytest.mark.usefixtures("fake_aws_credentials")
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def status(rank: int, state: str, exit_code: int | None = None, **extra: Any) -> NodeStatus:
    return NodeStatus(rank, state, exit_code, **extra)


@pytest.mark.parametrize(
    ("states", "instances", "retry", "verdict", "lost"),
    [
        (["succeeded", "succeeded"], {0: "terminated", 1: "running"}, False, "succeeded", ()),
        (["running", "failed"], {0: "running", 1: "running"}, False, "failed", ()),
        (["running", "failed"], {0: "running", 1: "running"}, True, "interrupted", (1,)),
        (["interrupted", "running"], {0: "running", 1: "running"}, False, "interrupted", (0,)),
        (["running", "running"], {0: "running", 1: "terminated"}, False, "interrupted", (1,)),
        (["running", "running"], {0: "running"}, False, "interrupted", (1,)),  # instance missing
        (["running", "pending"], {0: "running", 1: "pending"}, False, "running", ()),
        (["budget-exceeded", "budget-exceeded"], {0: "stopped", 1: "terminated"}, False, "stopped", ()),
        (["stopped", "running"], {0: "running", 1: "terminated"}, False, "stopped", ()),
    ],
)
def test_assess(
    states: list[str], instances: dict[int, str], retry: bool, verdict: str, lost: tuple[int, ...]
) -> None:
    seen = assess(
        [status(i, s, 2 if s == "failed" else None) for i, s in enumerate(states)],
        instances,
        retry_on_failure=retry,
    )
    assert (seen.verdict, seen.lost) == (verdict, lost)
    if verdict == "stopped":
        assert seen.detail.endswith("stopped on purpose, not relaunched") and EXIT[verdict] == 1
    if verdict == "failed":
        assert seen.detail == "node 1 failed with exit code 2: a bug is not retried"


def test_a_node_autostop_stopped_is_not_relaunched() -> None:
    """An idle autostop shuts the instances down: watch must not bring the run back."""
    why = {"action": "stop", "reason": "idle: 30m below 10% GPU", "at": "2026-12-06T11:59:00Z"}
    seen = assess([status(0, "failed", 1, autostop=why)], {0: "stopped"}, retry_on_failure=True)
    assert (seen.verdict, seen.lost) == ("stopped", ())
    assert seen.detail == "node 0 failed (idle: 30m below 10% GPU): stopped on purpose, not relaunched"


class Stack:
    """A launched run in moto: staging bucket, manifest, node statuses, one instance per node."""

    def __init__(self, endpoint: str, nodes: int = 2) -> None:
        self.s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
        self.ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=endpoint)
        self.bucket = f"stage-{uuid.uuid4().hex[:8]}"
        self.s3.create_bucket(Bucket=self.bucket)
        image = self.ec2.describe_images()["Images"][0]["ImageId"]
        made = self.ec2.run_instances(ImageId=image, InstanceType="t3.medium", MinCount=nodes, MaxCount=nodes)
        self.ids = [i["InstanceId"] for i in made["Instances"]]
        self.run_id = staging.new_run_id(NOW)
        manifest = {"run_id": self.run_id, "instance_type": "t3.medium"}
        manifest["nodes"] = [{"rank": r, "instance_id": i} for r, i in enumerate(self.ids)]
        runs.write_manifest(self.s3, self.bucket, self.run_id, manifest)
        for rank in range(nodes):
            self.report(rank, "running")
        self.calls: list[Any] = []

    def report(self, rank: int, state: str, **extra: Any) -> None:
        doc = {"version": 1, "run_id": self.run_id, "rank": rank, "state": state, "exit_code": None}
        doc |= {"started_at": "2026-12-06T11:00:00Z", "heartbeat": "2026-12-06T11:59:00Z", **extra}
        key = staging.status_key(self.run_id, rank)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(doc))

    def watcher(self, owner: str = "me", **options: Any) -> Watcher:
        return Watcher(
            s3=self.s3,
            ec2=self.ec2,
            bucket=self.bucket,
            owner=owner,
            reapply=lambda: self.calls.append("reapply") or {"instances": {}},
            relaunch=lambda outputs, run_id, restart: self.calls.append(("relaunch", run_id, restart)),
            node_hourly=Decimal("0.5"),
            now=lambda: NOW,
            **options,
        )


def test_a_spot_interruption_is_recovered_once_with_the_lease_released(moto_server: str) -> None:
    stack = Stack(moto_server)
    stack.report(1, "interrupted", checkpoint={"synced_at": "2026-12-06T11:48:00Z", "bytes": 10})
    interrupt(stack.ec2, stack.ids[1])
    tick = stack.watcher().tick()
    assert (tick.verdict, tick.restarts) == ("recovered", 1)
    assert tick.detail == "node(s) 1 lost; relaunched as restart 1"
    assert stack.calls == ["reapply", ("relaunch", stack.run_id, 1)]
    manifest = runs.read_manifest(stack.s3, stack.bucket, stack.run_id)
    # 12 minutes since the last checkpoint, two nodes at $0.50/hour waiting on it
    assert manifest["history"] == [
        {"at": "2026-12-06T12:00:00Z", "nodes": [1], "lost_seconds": 720, "lost_usd": "0.20"}
    ]
    listed = stack.s3.list_objects_v2(Bucket=stack.bucket, Prefix=staging.lease_key(stack.run_id))
    assert listed.get("KeyCount", 0) == 0  # released
    assert EXIT[tick.verdict] == 0


def test_a_second_watcher_does_not_recover_while_the_lease_is_held(moto_server: str) -> None:
    stack = Stack(moto_server)
    interrupt(stack.ec2, stack.ids[0])
    assert acquire_lease(stack.s3, stack.bucket, stack.run_id, "other", NOW, 600) is None
    tick = stack.watcher().tick()
    assert tick.verdict == "running"
    assert tick.detail.endswith("another watcher recovers it (other until 2026-12-06T12:10:00Z)")
    assert stack.calls == []
    # an expired lease is taken over
    later = Stack(moto_server)
    interrupt(later.ec2, later.ids[0])
    acquire_lease(later.s3, later.bucket, later.run_id, "other", NOW - timedelta(hours=1), 600)
    assert later.watcher().tick().verdict == "recovered"


def test_max_restarts_ttl_and_success_end_the_watch(moto_server: str) -> None:
    stack = Stack(moto_server)
    manifest = runs.read_manifest(stack.s3, stack.bucket, stack.run_id)
    runs.write_manifest(stack.s3, stack.bucket, stack.run_id, {**manifest, "restarts": 3})
    interrupt(stack.ec2, stack.ids[0])
    tick = stack.watcher(max_restarts=3).tick()
    assert (tick.verdict, EXIT[tick.verdict]) == ("max-restarts", 3)
    expired = stack.watcher(max_restarts=9, expires_at=NOW - timedelta(minutes=1)).tick()
    assert (expired.verdict, EXIT[expired.verdict]) == ("expired", 4)
    assert stack.calls == []
    done = Stack(moto_server, nodes=1)
    done.report(0, "succeeded", exit_code=0)
    assert done.watcher().tick().verdict == "succeeded"


def test_interruption_summary_for_runctl_job() -> None:
    assert interruption_summary({"instance_type": "g5.xlarge"}) is None
    manifest = {
        "instance_type": "g5.xlarge",
        "restarts": 2,
        "history": [{"lost_seconds": 720, "lost_usd": "0.20"}, {"lost_seconds": 65, "lost_usd": "0.02"}],
    }
    assert interruption_summary(manifest) == (
        "restarts: 2 · time lost to interruptions: 13m05s · ~$0.22 · on g5.xlarge"
    )
