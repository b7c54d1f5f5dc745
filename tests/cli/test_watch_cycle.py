"""The whole recovery cycle through the real CLI (marked `engine`): apply on the real Pulumi CLI and the
stand-in aws plugin (failing over to candidate 3), a launched run, a spot interruption, `runctl watch
--once` re-applying and relaunching the run from its checkpoint (restart 1, same run id), a later
`watch --once` seeing success, and `runctl job` telling the restarts, the time and $ lost and the
candidate in use at its own price.

What is emulated, and how:
- AWS is the local emulator (moto). Moto's SSM records SendCommand (ListCommands) and answers every
  invocation `Success` at once, but has no DescribeInstanceInformation and runs nothing: the SSM
  client runctl makes is wrapped in `tests/launch/fakessm.FakeSsm`, which says the agent is online
  and forwards SendCommand to moto; the test then acts as the agent: it reads the command moto
  recorded for the instance and runs it for real under bash, with the node's filesystem under a
  folder of its own (`/var/lib/runctl` in the command, and RUNCTL_ROOT for the node script:
  tests/launch/nodehost.py), its instance metadata from `nodehost.FakeImds` and the AWS CLI
  pointed at the emulator.
- The spot interruption: the metadata's spot notice (the node syncs its checkpoint and ends
  `interrupted`), then AWS terminating the instance (`tests/engine/standin/faults.interrupt`).
- The first launch goes through `launch.core.start_run` on the stack as `runctl launch` opens it
  (`cli.job_common.open_stack`): `runctl launch` itself refuses the local target (E0814), which has
  no machines; `runctl watch`'s relaunch is the product's own, through the CLI.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from runctl_iac import staging
from runctl_iac.cli.job_common import open_stack
from runctl_iac.compiler import compile as compile_spec
from runctl_iac.engine.local import status as local_status
from runctl_iac.launch import aws as launch_aws
from runctl_iac.launch import core, runs
from runctl_iac.launch.health import node_hourly
from runctl_iac.spec import load_spec_bytes
from runctl_iac.spec.capacity import candidates, place
from tests.cli.plan_helpers import invoke
from tests.engine.real import local_project
from tests.engine.standin.faults import interrupt
from tests.launch import nodehost
from tests.launch.fakessm import FakeSsm
from tests.launch.test_node_exec import _wait_for

pytestmark = pytest.mark.engine

SPEC = """\
version: 1
name: cycle
region: us-east-1
target: local
ttl: 2h
buckets:
  ckpt: {}
instances:
  worker:
    image: al2023
    disk_gb: 20
    capacity:
      types: [t3.medium, t3.large, m5.large]
      zones: [us-east-1a]
training:
  group: worker
  autostop: false
  checkpoints: {dir: /ckpt, bucket: ckpt, every: 1m}
  run: |
    set -e
    if [ -f "$RUNCTL_CHECKPOINT_DIR/step.pt" ]; then
      echo "restored $(cat "$RUNCTL_CHECKPOINT_DIR/step.pt") at restart $RUNCTL_RESTART"
      exit 0
    fi
    echo step-100 > "$RUNCTL_CHECKPOINT_DIR/step.pt"
    sleep 60
"""
STATE = "cycle-dev"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None) -> Iterator[Path]:
    real = launch_aws.clients

    def with_agent(region: str, endpoint_url: str | None = None, credentials: Any = None) -> Any:
        made = real(region, endpoint_url, credentials)
        return dataclasses.replace(made, ssm=FakeSsm(delegate=made.ssm))

    monkeypatch.setattr(launch_aws, "clients", with_agent)
    with local_project(tmp_path, monkeypatch, files={"spec.yaml": SPEC}) as work:
        yield work


def act_as_agent(ssm: Any, instance_id: str, root: Path, endpoint: str, imds: str) -> None:
    """Run the last command sent to `instance_id` as its SSM agent would, on a node under `root`."""
    sent = ssm.list_commands(InstanceId=instance_id)["Commands"]
    [command] = sent[-1]["Parameters"]["commands"]
    assert command.startswith("set -e; mkdir -p /var/lib/runctl/") and " start 0" in command
    env = nodehost.node_env(root, endpoint, imds)
    local = command.replace("/var/lib/runctl/", f"{root}/var/lib/runctl/")
    done = subprocess.run(["bash", "-c", local], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def price_of(candidate: int) -> Any:
    """$/hour of one node of the worker group on that candidate, by runctl's own pricing."""
    loaded = load_spec_bytes(SPEC.encode(), "spec.yaml").spec
    assert loaded is not None
    group = loaded.instances["worker"]
    placed = place(loaded, {"worker": candidates(group)[candidate - 1]})
    graph, plan = compile_spec(placed)
    return node_hourly(graph, placed, plan)


def test_watch_once_recovers_an_interrupted_run_on_the_failed_over_candidate(project: Path) -> None:
    # t3.medium and t3.large have no capacity: apply places candidate 3 (m5.large)
    (project / "faults.json").write_text(
        json.dumps({"capacity": [{"type": "t3.medium"}, {"type": "t3.large"}]})
    )
    applied = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert applied.code == 0, applied.stdout + applied.stderr
    assert "worker: placed: m5.large on-demand in us-east-1a, candidate 3 of 3" in applied.stdout
    server = local_status(project)
    assert server is not None
    fake = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=server.url, **fake)
    ssm = boto3.client("ssm", region_name="us-east-1", endpoint_url=server.url, **fake)

    opened = open_stack(project / "spec.yaml", None, None)
    assert opened.target.plan.instance_type == "m5.large"  # the placed candidate, not candidate 1
    run_id = core.start_run(
        opened.target, opened.clients, spec_dir=project, confirm=lambda _q: True, report=lambda _l: None
    )
    bucket = opened.target.bucket
    first = opened.target.instance_ids[0]
    first_root, second_root = project / "node-1", project / "node-2"
    with nodehost.fake_imds() as imds:
        try:
            act_as_agent(ssm, first, first_root, server.url, f"{imds.url}/first")
            _wait_for(first_root / "ckpt" / "step.pt")
            # the spot interruption: the notice (final checkpoint sync), then AWS terminates it
            imds.notice("/first")
            ended = nodehost.wait_final(nodehost.status_path(first_root, STATE, run_id))
            assert (ended["state"], ended["restart"]) == ("interrupted", 0)
            interrupt(ec2, first)

            watched = invoke("watch", "spec.yaml", "--once")
            assert watched.code == 0, watched.stdout + watched.stderr
            assert f"run {run_id}: recovered (restarts 1): node(s) 0 lost; relaunched as restart 1" in (
                watched.stderr
            )
            assert "worker: placed: m5.large on-demand in us-east-1a, candidate 3 of 3" in watched.stdout
            manifest = runs.read_manifest(opened.clients.s3, bucket, run_id)
            [node] = manifest["nodes"]
            assert node["instance_id"] != first and manifest["instance_type"] == "m5.large"
            assert manifest["restarts"] == 1 and len(manifest["history"]) == 1
            [live] = ec2.describe_instances(InstanceIds=[node["instance_id"]])["Reservations"][0]["Instances"]
            assert (live["State"]["Name"], live["InstanceType"]) == ("running", "m5.large")

            running = invoke("watch", "spec.yaml", "--once")  # relaunched, not started yet on the node
            assert running.code == 0 and f"run {run_id}: running (restarts 1)" in running.stderr

            # a fresh node: nothing on its disk, the checkpoint comes back from S3
            act_as_agent(ssm, node["instance_id"], second_root, server.url, f"{imds.url}/second")
            again = nodehost.wait_final(nodehost.status_path(second_root, STATE, run_id))
        finally:
            nodehost.kill_leftovers(first_root)
            nodehost.kill_leftovers(second_root)
    assert (again["state"], again["restart"], again["run_id"]) == ("succeeded", 1, run_id)
    log = opened.clients.s3.get_object(Bucket=bucket, Key=staging.log_key(run_id, 0))["Body"].read()
    assert b"restored step-100 at restart 1" in log

    done = invoke("watch", "spec.yaml", "--once")
    assert done.code == 0, done.stdout + done.stderr
    assert f"run {run_id}: succeeded (restarts 1): every node succeeded" in done.stderr

    job = invoke("job", "spec.yaml")
    assert job.code == 0, job.stdout + job.stderr
    hourly, first_hourly = price_of(3), price_of(1)
    assert hourly != first_hourly
    assert f"candidate in use: m5.large on-demand in us-east-1a (3 of 3) · ${hourly:.4f}/hour per node" in (
        job.stdout
    )
    assert "restarts: 1 · time lost to interruptions: " in job.stdout and " · on m5.large" in job.stdout
    doc = json.loads(invoke("job", "spec.yaml", "--output", "json").stdout)
    assert doc["restarts"] == 1 and doc["candidate"]["index"] == 3
    assert doc["candidate"]["hourly_usd"] == str(hourly)
    [lost] = doc["interruptions"]
    assert lost["nodes"] == [0] and lost["lost_usd"] is not None
