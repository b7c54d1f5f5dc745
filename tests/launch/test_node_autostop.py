"""Autostop and the runtime budget, the node script executed for real under bash (see nodehost.py).

The clock is fast (`RUNCTL_CLOCK_SCALE`): the 5-minute idle window passes in half a second of real
time and spend accrues 600 times faster. No test sleeps to wait: each waits for a file (status,
the stub `shutdown`'s record) or for a process to end, and asserts on the clock's figures that
the node wrote itself (spend, idle seconds).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from runctl_iac import staging as layout
from runctl_iac.compiler.graph import LaunchPlan
from tests.launch import nodehost
from tests.launch.nodehost import Aws
from tests.launch.plans import compiled, full_training, spec
from tests.launch.test_node_exec import IPS, SECRET, STATE, _script

pytestmark = pytest.mark.usefixtures("fake_aws_credentials")
SCALE = 600
WINDOW = 300  # the shortest idle window the spec allows (5m)
FAST = {
    "RUNCTL_CLOCK_SCALE": str(SCALE),
    "RUNCTL_HEARTBEAT_SECONDS": "1",
    "RUNCTL_IDLE_HEARTBEAT_SECONDS": "0.3",
}
RATE = 1.006  # g5.xlarge on-demand in us-east-1, the catalog's figure the plan renders
LONG_JOB = 'echo step > "$RUNCTL_CHECKPOINT_DIR/last.pt"; echo "job up"; sleep 60'


def _status(root: Path, run_id: str) -> dict[str, Any]:
    path = nodehost.status_path(root, STATE, run_id)
    try:
        doc: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return doc


def _until(what: str, check: Callable[[], bool], timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _supervising(root: Path) -> bool:
    """A `node.sh supervise` of this node still runs (found by its script path under `root`)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"supervise" in args and any(a.startswith(str(root).encode()) for a in args):
            return True
    return False


def _shut_down(root: Path) -> list[str]:
    """Wait for the stub shutdown's record and for the supervisor to end; returns the recorded calls."""
    calls = root / "shutdown-calls"
    _until(f"{calls}", calls.exists)
    _until(f"the supervisor under {root} to end", lambda: not _supervising(root))
    return calls.read_text().splitlines()


def _plan(endpoint: str, tmp_path: Path, count: int = 1, **changes: Any) -> tuple[Aws, str, LaunchPlan, str]:
    _graph, plan = compiled(spec(count=count, training=full_training(setup=None)))
    aws, bucket, plan, code_uri = nodehost.stage(endpoint, plan, tmp_path, SECRET)
    # stage turns autostop off for the plain launch tests; here it is on, with the shortest window
    return aws, bucket, replace(plan, autostop_idle_seconds=WINDOW, **changes), code_uri


def test_idle_busy_and_budget_nodes(tmp_path: Path, moto_server: str) -> None:
    aws, bucket, base, code_uri = _plan(moto_server, tmp_path)
    cases: dict[str, tuple[LaunchPlan, str]] = {
        # name: (plan, GPU utilisation in percent)
        "idle": (replace(base, run="echo done"), "3"),
        "busy": (replace(base, run="echo done"), "90"),
        "budget": (replace(base, run=LONG_JOB, max_run_usd="0.50"), "0"),
        # a spot node counts at the price DescribeSpotPriceHistory gives for its zone (IMDS)
        "spot": (replace(base, run="echo done", spot=True), "90"),
    }
    runs = {name: layout.new_run_id() for name in cases}
    roots = {name: tmp_path / name for name in cases}
    with nodehost.fake_imds() as imds:
        try:
            for name, (plan, util) in cases.items():
                roots[name].mkdir()
                (roots[name] / "gpu-util").write_text(util)
                env = nodehost.node_env(roots[name], moto_server, imds.url, **FAST)
                nodehost.start(_script(plan, 0, runs[name], bucket, code_uri, IPS[:1]), roots[name], env)
            idle_calls = _shut_down(roots["idle"])
            budget_calls = _shut_down(roots["budget"])
            # the busy node has been watched for three idle windows by its own clock: still up
            enough = int(3 * WINDOW * RATE / 3600 * 1_000_000)
            _until(
                "three windows on the busy node",
                lambda: _status(roots["busy"], runs["busy"]).get("spend", {}).get("micro_usd", 0) > enough,
            )
            busy = _status(roots["busy"], runs["busy"])
            assert _supervising(roots["busy"])
            spot = _status(roots["spot"], runs["spot"])
        finally:
            for root in roots.values():
                nodehost.kill_leftovers(root)
    assert busy["state"] == "succeeded" and busy["autostop"] is None and busy["idle_for_s"] is None
    assert not (roots["busy"] / "shutdown-calls").exists()
    # moto's spot price for g5.xlarge in us-east-1a: $0.00001/hour (the plan's estimate would be 0.4024)
    assert spot["spend"]["source"] == "spot price" and spot["spend"]["usd_per_hour"] == "0.000010"

    assert idle_calls == ["-h now"]  # exactly once
    idle = _status(roots["idle"], runs["idle"])
    assert idle == aws.status(bucket, runs["idle"], 0)  # the last status was uploaded before shutdown
    assert idle["state"] == "succeeded" and idle["idle_for_s"] >= WINDOW
    stop = idle["autostop"]
    assert stop["action"] == "stop" and stop["at"]
    assert stop["reason"] == f"idle: no job and GPUs below 10% on every node for {WINDOW}s"
    assert float(stop["spent_usd"]) >= WINDOW * RATE / 3600  # not before the window had passed
    assert idle["spend"]["usd_per_hour"] == "1.006000" and idle["spend"]["source"] == "estimate"
    # the heartbeat went through curl with SigV4 (no fallback to the AWS CLI)
    assert "S3 through curl" not in aws.text(bucket, layout.log_key(runs["idle"], 0))

    assert budget_calls == ["-h now"]
    budget = _status(roots["budget"], runs["budget"])
    assert budget == aws.status(bucket, runs["budget"], 0)
    assert budget["state"] == "budget-exceeded"
    # the cap is checked every heartbeat: the spend it saw is at or a heartbeat above the cap
    found = re.fullmatch(
        r"budget-exceeded: the run's spend \$(\d+\.\d{6}) reached budget.max_run_usd \$0\.500000",
        budget["reason"],
    )
    assert found and float(found[1]) >= 0.5, budget["reason"]
    assert budget["checkpoint"]["bytes"] > 0  # the final sync ran
    ckpt = aws.s3.get_object(Bucket=base.checkpoint_bucket, Key="runctl-checkpoints/node-0/last.pt")
    assert ckpt["Body"].read() == b"step\n"
    assert budget["autostop"]["reason"] == budget["reason"] and float(budget["spend"]["usd"]) >= 0.5
    decision = json.loads(aws.text(bucket, layout.autostop_key(runs["budget"])))
    assert decision["action"] == "stop" and decision["reason"] == budget["reason"]


def test_two_nodes_stop_only_when_both_are_idle(tmp_path: Path, moto_server: str) -> None:
    aws, bucket, plan, code_uri = _plan(moto_server, tmp_path, count=2)
    plan = replace(plan, run="echo done")
    run_id = layout.new_run_id()
    roots = [tmp_path / f"node{r}" for r in (0, 1)]
    with nodehost.fake_imds() as imds:
        try:
            for r, root in enumerate(roots):
                root.mkdir()
                (root / "gpu-util").write_text("0" if r == 0 else "75")  # node 1 still computes
                env = nodehost.node_env(root, moto_server, imds.url, **FAST)
                nodehost.start(_script(plan, None, run_id, bucket, code_uri, IPS), root, env, rank=r)
            # rank 0 has been idle for three windows and decided every heartbeat: node 1 keeps both up
            _until(
                "rank 0 idle for three windows",
                lambda: (_status(roots[0], run_id).get("idle_for_s") or 0) >= 3 * WINDOW,
            )
            assert not any((root / "shutdown-calls").exists() for root in roots)
            assert "Contents" not in aws.s3.list_objects_v2(Bucket=bucket, Prefix=f"runs/{run_id}/autostop")
            (roots[1] / "gpu-util").write_text("0")
            calls = [_shut_down(root) for root in roots]
        finally:
            for root in roots:
                nodehost.kill_leftovers(root)
    assert calls == [["-h now"], ["-h now"]]
    for r, root in enumerate(roots):
        doc = _status(root, run_id)
        assert doc == aws.status(bucket, run_id, r)
        assert doc["autostop"]["reason"].startswith("idle: ") and doc["state"] == "succeeded"
    decision = json.loads(aws.text(bucket, layout.autostop_key(run_id)))
    assert decision["reason"].startswith("idle: ")
