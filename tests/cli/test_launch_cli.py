"""launch, logs, job, stop-job, checkpoints through the CLI, against moto (FakeSsm where moto lacks SSM)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from runctl_iac import staging as layout
from runctl_iac.compiler.buckets import STAGING_KEY
from runctl_iac.launch.aws import Clients
from tests.cli.plan_helpers import SECRET_VALUE, invoke, write
from tests.launch.fakessm import FakeSsm

REPO = Path(__file__).resolve().parents[2]


def fresh_bucket(s3: Any, bucket: str) -> None:
    """The session's moto server outlives each test: start every test with an empty bucket."""
    s3.create_bucket(Bucket=bucket)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])


def test_print_script_is_offline_and_names_the_node(project: Path) -> None:
    run = invoke("launch", "spec.yaml", "--print-script", "--node", "0")
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("#!/usr/bin/env bash\n")
    assert 'RUNCTL_NODE_RANK="${2:-0}"' in run.stdout and "ALL_VOLUME_IDS=(" in run.stdout
    assert "SECRET_PARAMETERS=(/runctl/demo/dev/HF_TOKEN)" in run.stdout
    assert SECRET_VALUE not in run.stdout + run.stderr
    bad = invoke("launch", "spec.yaml", "--print-script", "--node", "5")
    assert bad.code == 1 and "error[E0802] training.group: node 5 does not exist" in bad.stderr


def test_print_script_imports_no_cloud_sdk(project: Path) -> None:
    probe = (
        "import sys\nfrom runctl_iac.cli import app\n"
        "try:\n    app(['launch', 'spec.yaml', '--print-script'])\n"
        "except SystemExit as e:\n    code = e.code\n"
        "heavy = {m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', 'pulumi'}\n"
        "print('exit', code, sorted(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=project, check=False
    )
    assert out.stdout.splitlines()[-1] == "exit 0 []", out.stderr


def test_without_an_applied_stack_every_command_says_apply_first(project: Path) -> None:
    for command in ("launch", "logs", "job", "stop-job", "checkpoints"):
        run = invoke(command, "spec.yaml")
        assert run.code == 1, command
        assert "error[E0803]" in run.stderr and "run `runctl apply` first" in run.stderr, command


class NodeSimulator(FakeSsm):
    """SendCommand 'runs' the node: it writes the final status and a log, as the node script would."""

    def __init__(self, s3: Any, bucket: str, outcomes: dict[int, tuple[str, int]], delegate: Any) -> None:
        super().__init__(delegate=delegate)
        self.s3, self.bucket, self.outcomes = s3, bucket, outcomes

    def send_command(self, **kwargs: Any) -> dict[str, Any]:
        [command] = kwargs["Parameters"]["commands"]
        m = re.search(r"runs/([^/]+)/node\.sh .* start (\d+)$", command)
        assert m, command
        run_id, rank = m.group(1), int(m.group(2))
        state, code = self.outcomes[rank]
        status = {
            "state": state,
            "exit_code": code,
            "run_id": run_id,
            "rank": rank,
            "heartbeat": "2026-01-01T00:00:00Z",
            "started_at": "2026-01-01T00:00:00Z",
            "ended_at": "2026-01-01T00:10:00Z",
            "reason": None if code == 0 else f"run exited with {code}",
        }
        self.s3.put_object(
            Bucket=self.bucket, Key=layout.status_key(run_id, rank), Body=json.dumps(status).encode()
        )
        log = f"hello from node {rank}\n" + ("RuntimeError: boom\n" if code else "done\n")
        self.s3.put_object(Bucket=self.bucket, Key=layout.log_key(run_id, rank), Body=log.encode())
        return super().send_command(**kwargs)


ACCOUNT = "0a1b2c3d"  # the account suffix of this pretend apply (compiler.names)


def real(name: str | None) -> str:
    """A compiled bucket name as the applied stack holds it: the account placeholder filled in."""
    from runctl_iac.compiler.names import resolve_account

    assert name is not None
    return resolve_account(name, ACCOUNT)


def write_snapshot(project: Path, outputs: dict[str, Any]) -> Path:
    """The applied snapshot `runctl apply` writes (engine.snapshot): the Graph and the stack outputs."""
    from runctl_iac.compiler import compile
    from runctl_iac.spec import load_spec_or_raise

    graph, _ = compile(load_spec_or_raise(project / "spec.yaml"))
    doc = {"version": 1, "graph": graph.to_json(), "spec_hash": graph.spec_hash(), "outputs": outputs}
    return write(project / ".runctl" / "snapshots" / "demo" / "dev.json", json.dumps(doc))


@pytest.fixture
def applied(
    project: Path, moto_server: str, fake_aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The project's stack 'applied': buckets in moto, a snapshot holding the outputs, SSM simulated."""
    from runctl_iac.compiler import compile
    from runctl_iac.spec import load_spec_or_raise

    write(
        project / "spec.yaml",
        (project / "spec.yaml")
        .read_text()
        .replace("gpu:\n    type: g5.xlarge", "gpu:\n    type: g5.xlarge\n    count: 2"),
    )
    _graph, plan = compile(load_spec_or_raise(project / "spec.yaml"))
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server)
    bucket = real(plan.staging_bucket)
    fresh_bucket(s3, bucket)
    outputs = {
        "instances": {
            n.instance_resource: {"id": f"i-{n.rank:017x}", "private_ip": f"10.1.0.{n.rank + 1}"}
            for n in plan.nodes
        },
        "buckets": {STAGING_KEY: bucket},
        "volumes": {m.volume_resource: "vol-0123456789abcdef0" for n in plan.nodes for m in n.mounts},
    }
    snap = write_snapshot(project, outputs)
    assert snap.exists()
    state: dict[str, Any] = {
        "outcomes": {0: ("succeeded", 0), 1: ("succeeded", 0)},
        "plan": plan,
        "s3": s3,
        "bucket": bucket,
    }

    def clients(region: str, endpoint: str | None, credentials: object = None) -> Clients:
        real = boto3.client("ssm", region_name=region, endpoint_url=moto_server)
        state["ssm"] = NodeSimulator(s3, bucket, state["outcomes"], real)
        return Clients(s3=s3, ssm=state["ssm"])

    monkeypatch.setattr("runctl_iac.launch.aws.clients", clients)
    monkeypatch.setattr("runctl_iac.launch.core.LOST_AFTER", 10**9)
    return state


def test_launch_then_job_logs_stop_and_checkpoints(applied: dict[str, Any], project: Path) -> None:
    (project / "train.py").write_text("print('hi')\n")
    run = invoke("launch", "spec.yaml")
    assert run.code == 0, run.stderr
    m = re.search(r"run (\S+): started on 2 node\(s\)", run.stderr)
    assert m, run.stderr
    run_id = m.group(1)
    assert len(applied["ssm"].sent) == 2
    job = invoke("job", "spec.yaml", "-o", "json")
    assert job.code == 0, job.stderr
    doc = job.json()
    assert doc["run_id"] == run_id and [n["state"] for n in doc["nodes"]] == ["succeeded", "succeeded"]
    assert doc["nodes"][0]["runtime_seconds"] == 600 and doc["nodes"][0]["cost_usd"] is not None
    text = invoke("job", "spec.yaml").stdout
    assert text.splitlines()[0] == f"run {run_id}" and "succeeded" in text
    logs = invoke("logs", "spec.yaml")
    assert logs.stdout.splitlines() == [
        "[node 0] hello from node 0",
        "[node 0] done",
        "[node 1] hello from node 1",
        "[node 1] done",
    ]
    assert invoke("logs", "spec.yaml", "--node", "1").stdout == "hello from node 1\ndone\n"
    assert invoke("logs", "spec.yaml", "--follow").stdout == logs.stdout  # every node has ended: no waiting
    assert invoke("logs", "spec.yaml", "--run", "20200101T000000Z-000000").code == 1
    stop = invoke("stop-job", "spec.yaml")
    assert stop.code == 0 and "nothing to stop" in stop.stderr
    ck = invoke("checkpoints", "spec.yaml")
    assert ck.code == 1 and "E0801" in ck.stderr  # this spec has no checkpoints section


def test_launch_wait_exits_with_the_jobs_outcome(applied: dict[str, Any]) -> None:
    ok = invoke("launch", "spec.yaml", "--wait", "--yes")
    assert ok.code == 0 and "succeeded on every node" in ok.stderr
    applied["outcomes"][1] = ("failed", 3)
    bad = invoke("launch", "spec.yaml", "--follow")
    assert bad.code == 1
    assert re.search(
        r"error\[E0808\] training: run \S+ node 1: failed, exit code 3: run exited with 3", bad.stderr
    )
    assert "RuntimeError: boom" in bad.stderr  # the tail of the failing node's log
    assert "[node 1] RuntimeError: boom" in bad.stdout


def test_stop_job_marks_every_running_node(applied: dict[str, Any]) -> None:
    s3, bucket = applied["s3"], applied["bucket"]
    run_id = "20260105T000000Z-cccccc"
    for rank in (0, 1):
        body = json.dumps(
            {"state": "running" if rank else "succeeded", "heartbeat": "2099-01-01T00:00:00Z"}
        ).encode()
        s3.put_object(Bucket=bucket, Key=layout.status_key(run_id, rank), Body=body)
    run = invoke("stop-job", "spec.yaml")
    assert run.code == 0 and "asked node(s) 1 to stop" in run.stderr
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"runs/{run_id}/")["Contents"]}
    assert layout.stop_key(run_id, 1) in keys and layout.stop_key(run_id, 0) not in keys
    job = invoke("job", "spec.yaml")
    assert "running" in job.stdout


def test_checkpoints_lists_per_node_and_warns_when_stale(
    project: Path, moto_server: str, fake_aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        project / "spec.yaml"
    ).read_text() + "  checkpoints:\n    dir: /ckpt\n    bucket: results\n    every: 1m\n"
    write(project / "spec.yaml", text)
    from runctl_iac.compiler import compile
    from runctl_iac.spec import load_spec_or_raise

    _graph, plan = compile(load_spec_or_raise(project / "spec.yaml"))
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server)
    staging, ckpt = real(plan.staging_bucket), real(plan.checkpoint_bucket)
    for b in (staging, ckpt):
        fresh_bucket(s3, b)
    s3.put_object(Bucket=ckpt, Key="runctl-checkpoints/node-0/step-1.pt", Body=b"x" * 2048)
    run_id = "20260106T000000Z-dddddd"
    status = {"state": "running", "heartbeat": "2099-01-01T00:00:00Z", "started_at": "2026-01-01T00:00:00Z"}
    s3.put_object(Bucket=staging, Key=layout.status_key(run_id, 0), Body=json.dumps(status).encode())
    outputs = {
        "instances": {n.instance_resource: {"id": "i-1", "private_ip": "10.0.0.1"} for n in plan.nodes},
        "buckets": {STAGING_KEY: staging},
        "volumes": {m.volume_resource: "vol-1" for n in plan.nodes for m in n.mounts},
    }
    write_snapshot(project, outputs)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    run = invoke("checkpoints", "spec.yaml")
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("node 0: 1 file(s), 2.0 KiB, last sync")
    assert "runctl-checkpoints/node-0/step-1.pt  2.0 KiB" in run.stdout
    assert "warning[W0811]" not in run.stderr  # just synced
    # a running node silent since January: stale heartbeat, and no checkpoint sync for far too long
    status = {"state": "running", "heartbeat": "2026-01-01T00:05:00Z", "started_at": "2026-01-01T00:00:00Z"}
    s3.put_object(Bucket=staging, Key=layout.status_key(run_id, 0), Body=json.dumps(status).encode())
    job = invoke("job", "spec.yaml")
    assert job.code == 0
    assert "warning[W0812] training: node 0: no heartbeat for" in job.stderr
    assert "warning[W0811] training.checkpoints.every: node 0: last checkpoint sync" in job.stderr
    assert "STALE" in job.stdout
    late = invoke("checkpoints", "spec.yaml")
    assert "warning[W0811]" not in late.stderr  # the newest object in S3 is recent


def test_aws_failures_are_diagnostics_not_tracebacks(
    project: Path, moto_server: str, fake_aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = {
        "instances": {"instance.gpu.0": {"id": "i-1", "private_ip": "10.0.0.1"}},
        "buckets": {STAGING_KEY: "no-such-bucket-for-runctl"},
        "volumes": {"volume.data.gpu.0": "vol-1"},
    }
    write_snapshot(project, outputs)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    for command in ("job", "logs", "stop-job"):
        run = invoke(command, "spec.yaml")
        assert run.code == 1, command
        assert "error[E0806] AWS call failed" in run.stderr and "NoSuchBucket" in run.stderr, command


def test_an_html_error_page_is_never_printed(
    applied: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local emulator answers some calls with its HTML 500 page: the diagnostic gives its title."""
    from botocore.exceptions import ClientError

    from tests.test_diagnostics import WERKZEUG_500

    def send_command(self: NodeSimulator, **_kwargs: Any) -> Any:
        error = {"Error": {"Code": "500", "Message": WERKZEUG_500}}
        raise ClientError(error, "SendCommand")  # type: ignore[arg-type]

    monkeypatch.setattr(NodeSimulator, "send_command", send_command)
    run = invoke("launch", "spec.yaml", "--yes")
    assert run.code == 1
    assert "error[E0806] AWS call failed" in run.stderr
    assert "(an HTML error page: 500 Internal Server Error)" in run.stderr
    assert "<" not in run.stderr and "doctype" not in run.stderr.lower()


def test_launch_on_the_local_target_says_it_cannot_run_the_job_up_front(cli_env: Path) -> None:
    write(cli_env / "local.yaml", (REPO / "examples" / "local.yaml").read_text())
    run = invoke("launch", "local.yaml")
    assert run.code == 1
    assert run.stderr.startswith(
        "local.yaml: error[E0814] target: the local target cannot run the training job: "
        "the emulator has no machines to run it on\n  hint: "
    )


def test_job_shows_autostopped_nodes_and_the_spend_from_heartbeats(applied: dict[str, Any]) -> None:
    run_id = "20261206T100000Z-abcdef"
    for rank, spent in ((0, "1.234567"), (1, "1.000000")):
        doc = {
            "version": 1,
            "run_id": run_id,
            "rank": rank,
            "state": "succeeded",
            "exit_code": 0,
            "reason": None,
            "started_at": "2026-12-06T10:00:00Z",
            "ended_at": "2026-12-06T10:10:00Z",
            "heartbeat": "2026-12-06T10:45:00Z",
            "checkpoint": None,
            "spend": {"usd": spent, "micro_usd": 0, "usd_per_hour": "1.006000", "source": "estimate"},
            "idle_for_s": 1800,
            "autostop": {
                "action": "stop",
                "reason": "idle: no job and GPUs below 10% on every node for 1800s",
                "at": "2026-12-06T10:45:00Z",
                "spent_usd": spent,
            },
        }
        applied["s3"].put_object(
            Bucket=applied["bucket"],
            Key=f"runs/{run_id}/node-{rank}/status.json",
            Body=json.dumps(doc).encode(),
        )
    doc = invoke("job", "spec.yaml", "-o", "json").json()
    assert [n["cost_usd"] for n in doc["nodes"]] == ["1.23", "1.00"]
    assert {n["cost_source"] for n in doc["nodes"]} == {"heartbeat"}
    assert doc["nodes"][1]["autostop"]["action"] == "stop"
    text = invoke("job", "spec.yaml").stdout.splitlines()
    reason = "idle: no job and GPUs below 10% on every node for 1800s"
    # a stopped g5.xlarge keeps its 200 GB gp3 root disk: 200 x $0.08/GB-month
    assert text[-4:] == [
        f"  node 0: autostopped (stop) at 2026-12-06T10:45:00Z: {reason}; $1.234567 spent; "
        "stopped, it still costs $16.00/month (EBS)",
        f"  node 1: autostopped (stop) at 2026-12-06T10:45:00Z: {reason}; $1.000000 spent; "
        "stopped, it still costs $16.00/month (EBS)",
        "  run: $2.23 so far on 2 nodes",
        "  $ so far: counted on the nodes at their $/hour "
        "(the plan's estimate unless a node read its spot price)",
    ]
