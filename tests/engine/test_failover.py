"""Capacity failover at apply through the real CLI, the stand-in aws plugin's fault injection
(tests/engine/standin/faults.py) and the local emulator (marked `engine`).

Each test starts from an empty folder: no git, HOME empty, a spec with capacity candidates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from runctl_iac.engine.local import status as local_status
from tests.cli.plan_helpers import invoke

pytestmark = pytest.mark.engine

SPEC = """\
version: 1
name: failover
region: us-east-1
target: local
ttl: 2h
{volumes}
instances:
  worker:
    image: al2023
    disk_gb: 20
    capacity:
      types: [t3.medium, t3.large, m5.large]
      zones: [{zones}]
      market: [on-demand]
{mounts}
"""
RETAINED = "volumes:\n  data:\n    size_gb: 10\n    retain: true\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    # the product does not create the state folder yet (another change makes the first command do it)
    (work / ".runctl" / "state").mkdir(parents=True)
    monkeypatch.setenv("RUNCTL_STANDIN_FAULTS", str(work / "faults.json"))
    started = invoke("local", "start")
    assert started.code == 0, started.stderr
    try:
        yield work
    finally:
        invoke("local", "stop")


def write_spec(project: Path, zones: str = "us-east-1a", retained: bool = False) -> None:
    text = SPEC.format(
        volumes=RETAINED if retained else "",
        zones=zones,
        mounts="    volumes:\n      data: /data\n" if retained else "",
    )
    (project / "spec.yaml").write_text(text)


def refuse(project: Path, *rules: dict[str, str]) -> None:
    (project / "faults.json").write_text(json.dumps({"capacity": list(rules)}))


def ec2(project: Path) -> Any:
    server = local_status(project)
    assert server is not None
    return boto3.client(
        "ec2",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def live_instances(project: Path) -> list[dict[str, Any]]:
    pages = ec2(project).describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}]
    )
    return [i for r in pages["Reservations"] for i in r["Instances"]]


def test_failover_to_the_third_candidate_is_recorded_and_kept(project: Path) -> None:
    write_spec(project)
    refuse(project, {"type": "t3.medium"}, {"type": "t3.large", "code": "InsufficientCapacity"})
    applied = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert applied.code == 0, applied.stdout + applied.stderr
    out = applied.stdout
    assert "worker: placed: m5.large on-demand in us-east-1a, candidate 3 of 3" in out
    assert "  1  t3.medium on-demand in us-east-1a  InsufficientInstanceCapacity" in out
    assert "  2  t3.large on-demand in us-east-1a   InsufficientCapacity" in out
    assert "  3  m5.large on-demand in us-east-1a   placed" in out
    assert [i["InstanceType"] for i in live_instances(project)] == ["m5.large"]
    # the choice is kept: with capacity back, a second apply stays on candidate 3 and changes nothing
    refuse(project)
    again = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert again.code == 0, again.stdout + again.stderr
    assert "no changes" in again.stdout
    assert "trying worker on candidate 3" in again.stdout
    assert [i["InstanceType"] for i in live_instances(project)] == ["m5.large"]
    # --candidate N pins one by hand
    pinned = invoke("apply", "spec.yaml", "--yes", "--no-launch", "--candidate", "2")
    assert pinned.code == 0, pinned.stdout + pinned.stderr
    assert "worker: placed: t3.large on-demand in us-east-1a, candidate 2 of 3" in pinned.stdout
    assert [i["InstanceType"] for i in live_instances(project)] == ["t3.large"]


def test_all_candidates_exhausted_is_a_table_exit_1_and_nothing_leaks(project: Path) -> None:
    write_spec(project)
    refuse(project, {"zone": "us-east-1a"})
    applied = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert applied.code == 1
    err = applied.stderr
    assert "error[E0723]" in err and "every capacity candidate of worker was tried" in err
    assert "no candidate of 3 was placed" in err
    for line in (
        "1  t3.medium on-demand in us-east-1a  InsufficientInstanceCapacity",
        "2  t3.large on-demand in us-east-1a   InsufficientInstanceCapacity",
        "3  m5.large on-demand in us-east-1a   InsufficientInstanceCapacity",
    ):
        assert line in err
    assert "Traceback" not in applied.stdout + err
    assert live_instances(project) == []


def test_a_quota_error_does_not_fail_over(project: Path) -> None:
    write_spec(project)
    refuse(project, {"type": "t3.medium", "code": "VcpuLimitExceeded"})
    applied = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert applied.code == 1
    assert "error[E0706]" in applied.stderr and "L-1216C47A" in applied.stderr  # the quota's name
    assert "candidate 2" not in applied.stdout + applied.stderr
    assert live_instances(project) == []


def test_a_retained_volume_pins_the_zone(project: Path) -> None:
    write_spec(project, zones="us-east-1a, us-east-1b", retained=True)
    first = invoke("apply", "spec.yaml", "--yes", "--no-launch")
    assert first.code == 0, first.stdout + first.stderr
    assert "candidate 1 of 6" in first.stdout
    # t3.medium has no capacity left in us-east-1a: only that zone holds the retained volume
    refuse(project, {"type": "t3.medium", "zone": "us-east-1a"})
    moved = invoke("apply", "spec.yaml", "--yes", "--no-launch", "--candidate", "2")
    assert moved.code == 1
    assert "error[E0723]" in moved.stderr
    assert (
        "skipped: retained volume volume.data.worker.0 is in us-east-1a (move_volumes: never)" in moved.stderr
    )
    assert "only us-east-1a was tried because the retained volume volume.data.worker.0 lives there" in (
        moved.stderr
    )
    volumes = ec2(project).describe_volumes(Filters=[{"Name": "size", "Values": ["10"]}])["Volumes"]
    assert [v["AvailabilityZone"] for v in volumes] == ["us-east-1a"]
