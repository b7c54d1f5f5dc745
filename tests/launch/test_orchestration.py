"""Orchestration: moto for S3 and SendCommand/GetCommandInvocation, FakeSsm (fakessm.py) for the rest."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from runctl_iac import staging
from runctl_iac.compiler.graph import Graph, LaunchPlan
from runctl_iac.diagnostics import DiagnosticError
from runctl_iac.launch import core, runs, ssm
from runctl_iac.launch.aws import Clients
from tests.launch.fakessm import FakeSsm
from tests.launch.plans import compiled, full_training, spec

pytestmark = pytest.mark.usefixtures("fake_aws_credentials")
NO_SLEEP = {"sleep": lambda _s: None}


def _outputs(plan: LaunchPlan, bucket: str) -> dict[str, Any]:
    return {
        "instances": {
            n.instance_resource: {"id": f"i-{n.rank:017x}", "private_ip": f"10.0.0.{n.rank + 1}"}
            for n in plan.nodes
        },
        "buckets": {"_staging": bucket},
        "volumes": {m.volume_resource: f"vol-{i:017x}" for n in plan.nodes for i, m in enumerate(n.mounts)},
    }


def _world(
    moto_server: str, tmp_path: Path, count: int = 2, fake: FakeSsm | None = None
) -> tuple[Clients, core.Target, FakeSsm]:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server)
    real_ssm = boto3.client("ssm", region_name="us-east-1", endpoint_url=moto_server)
    bucket = f"stage-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "train.py").write_text("print('hi')\n")
    _graph, plan = compiled(spec(count=count, training=full_training(code="src"), volumes=True))
    target = core.resolve_target("demo", "dev", "us-east-1", plan, _outputs(plan, bucket))
    fake = fake or FakeSsm()
    fake.delegate = fake.delegate or real_ssm
    return Clients(s3=s3, ssm=fake), target, fake


def test_start_run_stages_everything_and_sends_one_command_per_node(moto_server: str, tmp_path: Path) -> None:
    clients, target, fake = _world(
        moto_server, tmp_path, fake=FakeSsm(online_after={"i-00000000000000001": 2})
    )
    lines: list[str] = []
    run_id = core.start_run(
        target, clients, spec_dir=tmp_path, confirm=lambda _q: False, report=lines.append, poll=0.01
    )
    assert staging.RUN_ID.match(run_id)
    assert len(fake.describe_calls) == 3  # node 1 came online on the third look
    assert sorted(c["InstanceIds"] for c in fake.sent) == [["i-00000000000000000"], ["i-00000000000000001"]]
    for call in fake.sent:
        [command] = call["Parameters"]["commands"]
        rank = int(call["InstanceIds"][0][-1])
        assert command.endswith(f"node-{run_id}.sh start {rank}") and f"runs/{run_id}/node.sh" in command
        assert len(command) < 400 and "RUN_TEXT" not in command
    body = clients.s3.get_object(Bucket=target.bucket, Key=staging.script_key(run_id))["Body"].read().decode()
    assert 'RUNCTL_NODE_RANK="${2:-}"' in body and "RUNCTL_NODE_IPS=10.0.0.1,10.0.0.2" in body
    assert "ALL_VOLUME_IDS=(vol-00000000000000000 vol-00000000000000000)" in body
    manifest = runs.read_manifest(clients.s3, target.bucket, run_id)
    assert [n["instance_id"] for n in manifest["nodes"]] == list(target.instance_ids)
    assert any(line.startswith("code: uploaded 1 files") for line in lines)
    # launching again: the unchanged code is not uploaded again; nothing reported running, so no question
    lines.clear()
    core.start_run(
        target, clients, spec_dir=tmp_path, confirm=lambda _q: False, report=lines.append, poll=0.01
    )
    assert any(line.startswith("code: unchanged") for line in lines)


def test_invocation_does_not_exist_and_delayed_are_waited_out() -> None:
    fake = FakeSsm(
        invocations={"i-1": ["DoesNotExist", "DoesNotExist", "Pending", "Delayed", "InProgress", "Success"]}
    )
    [inv] = ssm.run_everywhere(fake, [ssm.Target(0, "i-1", "true")], "c", poll=0.0, **NO_SLEEP)
    assert inv.status == "Success" and fake.scripted["i-1"] == []


def test_invocation_missing_for_too_long_is_an_error() -> None:
    fake = FakeSsm(invocations={"i-1": ["DoesNotExist"] * 5})
    ticks = iter(range(0, 1000, 10))
    with pytest.raises(Exception, match="InvocationDoesNotExist"):
        ssm.wait_invocation(
            fake, "cmd", ssm.Target(0, "i-1", "true"), sleep=lambda _s: None, clock=lambda: next(ticks)
        )


def test_failed_start_command_names_the_node(moto_server: str, tmp_path: Path) -> None:
    clients, target, _ = _world(
        moto_server, tmp_path, fake=FakeSsm(invocations={"i-00000000000000001": ["Failed"]})
    )
    with pytest.raises(DiagnosticError) as err:
        core.start_run(
            target, clients, spec_dir=tmp_path, confirm=lambda _q: False, report=lambda _l: None, poll=0.01
        )
    [d] = err.value.diagnostics
    assert (
        d.code == "E0805" and "node 1 (i-00000000000000001)" in d.message and "command not found" in d.message
    )


def test_a_node_that_never_comes_online_times_out_with_a_hint() -> None:
    fake = FakeSsm(online_after={"i-2": None})
    ticks = iter(range(0, 10_000, 30))
    with pytest.raises(DiagnosticError) as err:
        ssm.wait_online(fake, ["i-1", "i-2"], timeout=120, sleep=lambda _s: None, clock=lambda: next(ticks))
    [d] = err.value.diagnostics
    assert (
        d.code == "E0804"
        and d.message.endswith("on i-2")
        and "AmazonSSMManagedInstanceCore" in (d.hint or "")
    )
    assert fake.describe_calls[-1] == ["i-2"]  # only this stack's instances, and only those still waiting


def test_online_check_filters_in_chunks_of_50() -> None:
    fake = FakeSsm()
    ssm.wait_online(fake, [f"i-{i}" for i in range(120)], **NO_SLEEP)
    assert [len(c) for c in fake.describe_calls] == [50, 50, 20]


def _put_status(clients: Clients, bucket: str, run_id: str, rank: int, **doc: Any) -> None:
    body = json.dumps({"rank": rank, "run_id": run_id, **doc}).encode()
    clients.s3.put_object(Bucket=bucket, Key=staging.status_key(run_id, rank), Body=body)


def _now(delta: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_running_run_is_stopped_only_when_confirmed(moto_server: str, tmp_path: Path) -> None:
    clients, target, _ = _world(moto_server, tmp_path)
    old = "20260101T000000Z-aaaaaa"
    runs.write_manifest(clients.s3, target.bucket, old, {"nodes": [{"rank": 0}, {"rank": 1}]})
    _put_status(clients, target.bucket, old, 0, state="running", heartbeat=_now())
    _put_status(clients, target.bucket, old, 1, state="succeeded", heartbeat=_now(), exit_code=0)
    asked: list[str] = []
    with pytest.raises(DiagnosticError) as err:
        core.stop_active_run(target, clients, lambda q: asked.append(q) or False, lambda _l: None)
    assert err.value.diagnostics[0].code == "E0813" and "still running on 1 node(s)" in asked[0]
    core.stop_active_run(target, clients, lambda _q: True, lambda _l: None)
    keys = [o["Key"] for o in clients.s3.list_objects_v2(Bucket=target.bucket, Prefix="runs/")["Contents"]]
    assert staging.stop_key(old, 0) in keys and staging.stop_key(old, 1) not in keys


def test_wait_for_outcome_follows_logs_and_reports_the_failing_node(moto_server: str, tmp_path: Path) -> None:
    clients, target, _ = _world(moto_server, tmp_path)
    run_id = "20260102T000000Z-bbbbbb"
    _put_status(clients, target.bucket, run_id, 0, state="succeeded", exit_code=0, heartbeat=_now())
    _put_status(clients, target.bucket, run_id, 1, state="running", heartbeat=_now())
    clients.s3.put_object(Bucket=target.bucket, Key=staging.log_key(run_id, 1), Body=b"step 1\nstep 2\npart")
    seen: list[tuple[int, str]] = []
    polls = iter(range(10))

    def sleep(_s: float) -> None:
        if next(polls) == 0:  # the node finishes between two polls
            _put_status(
                clients, target.bucket, run_id, 1, state="failed", exit_code=3, reason="run exited with 3"
            )
            clients.s3.put_object(
                Bucket=target.bucket,
                Key=staging.log_key(run_id, 1),
                Body=b"step 1\nstep 2\npartial done\nboom\n",
            )

    statuses = core.wait_for_outcome(
        clients, target.bucket, run_id, 2, on_log=lambda r, line: seen.append((r, line)), sleep=sleep
    )
    assert [s.state for s in statuses] == ["succeeded", "failed"]
    assert seen == [(1, "step 1"), (1, "step 2"), (1, "partial done"), (1, "boom")]
    [d] = core.outcome(clients, target.bucket, run_id, statuses)
    assert d.code == "E0808" and d.message == f"run {run_id} node 1: failed, exit code 3: run exited with 3"
    assert "boom" in (d.hint or "")


@dataclass(frozen=True)
class Applied:
    """What the engine's AppliedStack carries (runctl_iac.launch.AppliedStack is its Protocol)."""

    project: str
    stack: str
    region: str
    spec_path: Path
    graph: Graph
    launch_plan: LaunchPlan
    outputs: dict[str, Any]
    endpoint_url: str | None


def test_launch_after_apply_takes_outputs_as_a_plain_mapping(
    moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients, target, fake = _world(moto_server, tmp_path, count=1)
    graph, plan = compiled(spec(count=1, training=full_training(code="src"), volumes=True))
    monkeypatch.setattr("runctl_iac.launch.aws.clients", lambda region, endpoint: clients)
    applied = Applied(
        "demo",
        "dev",
        "us-east-1",
        tmp_path / "spec.yaml",
        graph,
        plan,
        _outputs(plan, target.bucket),
        moto_server,
    )
    out = __import__("io").StringIO()
    assert core.launch_after_apply(applied, out=out) == 0
    assert "started on 1 node(s)" in out.getvalue()
    assert len(fake.sent) == 1
    no_training = compiled(replace(spec(count=1), training=None))
    assert core.launch_after_apply(replace(applied, launch_plan=no_training[1]), out=out) == 0
    missing = replace(applied, outputs={"buckets": {}})
    assert core.launch_after_apply(missing, out=out) == 1
    assert "error[E0803]" in out.getvalue() and "runctl apply" in out.getvalue()
    gone = replace(applied, outputs=_outputs(plan, "no-such-bucket-anywhere"))
    assert core.launch_after_apply(gone, out=out) == 1
    assert "error[E0806] AWS call failed" in out.getvalue() and "NoSuchBucket" in out.getvalue()


def test_a_node_that_never_reports_is_given_up(moto_server: str, tmp_path: Path) -> None:
    clients, target, _ = _world(moto_server, tmp_path, count=1)
    run_id = "20260103T000000Z-eeeeee"
    ticks = iter([0.0, 10.0, 2000.0])
    statuses = core.wait_for_outcome(clients, target.bucket, run_id, 1, clock=lambda: next(ticks), **NO_SLEEP)
    assert [s.state for s in statuses] == ["pending"]
    [d] = core.outcome(clients, target.bucket, run_id, statuses)
    assert d.code == "E0808" and "never reported a status" in d.message


def test_bucket_names_get_the_account_suffix_from_the_applied_staging_bucket() -> None:
    """Compiled bucket names end with `<account>`; the outputs hold the real staging bucket name, which
    fixes the suffix for the checkpoint bucket too (the name the nodes sync to)."""
    from runctl_iac.compiler.names import ACCOUNT_PLACEHOLDER
    from runctl_iac.launch.core import resolve_target, with_account

    _graph, plan = compiled(spec(count=1, training=full_training(), volumes=True))
    assert plan.staging_bucket and plan.staging_bucket.endswith(ACCOUNT_PLACEHOLDER)
    assert plan.checkpoint_bucket and plan.checkpoint_bucket.endswith(ACCOUNT_PLACEHOLDER)
    real_staging = plan.staging_bucket.replace(ACCOUNT_PLACEHOLDER, "77aa88bb")
    outputs = {
        "instances": {n.instance_resource: {"id": "i-1", "private_ip": "10.0.0.1"} for n in plan.nodes},
        "buckets": {"_staging": real_staging},
        "volumes": {m.volume_resource: "vol-1" for n in plan.nodes for m in n.mounts},
    }
    target = resolve_target("demo", "dev", "us-east-1", plan, outputs)
    assert target.bucket == real_staging
    assert target.plan.checkpoint_bucket == plan.checkpoint_bucket.replace(ACCOUNT_PLACEHOLDER, "77aa88bb")
    assert with_account(plan, "some-foreign-bucket") == plan  # not this stack's name: left as compiled


def test_a_named_staging_bucket_is_found_in_the_outputs_under_its_own_key() -> None:
    from runctl_iac.launch.core import resolve_target

    _graph, plan = compiled(spec(count=1, training=full_training(), volumes=True))
    plan = replace(plan, staging_key="results", staging_bucket="runctl-demo-dev-results-<account>")
    outputs = {
        "instances": {n.instance_resource: {"id": "i-1", "private_ip": "10.0.0.1"} for n in plan.nodes},
        "buckets": {"results": "runctl-demo-dev-results-77aa88bb", "_staging": "not-this-one"},
        "volumes": {m.volume_resource: "vol-1" for n in plan.nodes for m in n.mounts},
    }
    assert (
        resolve_target("demo", "dev", "us-east-1", plan, outputs).bucket == "runctl-demo-dev-results-77aa88bb"
    )
