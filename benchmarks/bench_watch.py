"""`runctl watch`: one tick on a 16-node run (target 1 s against moto), and runctl's own time from
an interruption being visible to the job running again (target 2 s, excluding the engine and AWS).

Tick: `Watcher.tick` on a running 16-node run: the manifest, 16 `status.json` reads and one
DescribeInstances against a moto server in its own process; median of several runs.

Recovery: a tick that finds node 7 interrupted (its instance terminated): lease, history, the
re-apply and the relaunch. The re-apply is the engine's time (Pulumi and AWS), stubbed to return the
outputs; the relaunch renders the 16 node scripts (runctl's work) and hands them to SSM (AWS).
Every AWS call's time is measured with botocore's before-call/after-call events and subtracted, so
the figure is what runctl itself adds to a recovery.

Usage: python benchmarks/bench_watch.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

TICK_TARGET_S = 1.0
RECOVERY_TARGET_S = 2.0
NODES = 16


def moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.1)
    return server, f"http://127.0.0.1:{port}"


class AwsClock:
    """Wall-clock seconds during which at least one AWS call is in flight (botocore before-call ..
    after-call); calls made in parallel (the status reads) count once."""

    def __init__(self, *clients: Any) -> None:
        self.spent = 0.0
        self._active = 0
        self._since = 0.0
        self._lock = threading.Lock()
        emitters = {id(c.meta.events): c.meta.events for c in clients}  # clients may share one
        for events in emitters.values():
            events.register("before-call", self._before)
            events.register("after-call", self._after)
            events.register("after-call-error", self._after)

    def _before(self, **_kw: Any) -> None:
        with self._lock:
            if self._active == 0:
                self._since = time.perf_counter()
            self._active += 1

    def _after(self, **_kw: Any) -> None:
        with self._lock:
            self._active -= 1
            if self._active == 0:
                self.spent += time.perf_counter() - self._since


def _run(s3: Any, ec2: Any, bucket: str, run_id: str, states: list[str]) -> list[str]:
    from runctl_iac import staging
    from runctl_iac.launch import runs

    image = ec2.describe_images()["Images"][0]["ImageId"]
    made = ec2.run_instances(ImageId=image, InstanceType="t3.medium", MinCount=NODES, MaxCount=NODES)
    ids = [i["InstanceId"] for i in made["Instances"]]
    nodes = [{"rank": r, "instance_id": i} for r, i in enumerate(ids)]
    runs.write_manifest(s3, bucket, run_id, {"run_id": run_id, "instance_type": "t3.medium", "nodes": nodes})
    for rank, state in enumerate(states):
        doc = {
            "version": 1,
            "run_id": run_id,
            "rank": rank,
            "state": state,
            "started_at": "2026-12-06T11:00:00Z",
        }
        s3.put_object(Bucket=bucket, Key=staging.status_key(run_id, rank), Body=json.dumps(doc))
    return ids


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    import boto3

    from runctl_iac import staging
    from runctl_iac.launch.script import Runtime, render_script
    from runctl_iac.launch.watch import Watcher

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_launch import _plan

    plan = _plan(NODES)
    server, endpoint = moto()
    try:
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=endpoint)
        clock = AwsClock(s3, ec2)
        s3.create_bucket(Bucket="bench-stage")

        def relaunch(outputs: Any, run_id: str, restart: int) -> None:
            ips = tuple(f"10.0.0.{i}" for i in range(NODES))
            vols = {m.volume_resource: f"vol-{i:017x}" for i, n in enumerate(plan.nodes) for m in n.mounts}
            runtime = Runtime(run_id, "bench-stage", ips, "", vols, restart)
            script = render_script(
                plan, None, project="bench", stack="dev", region="us-east-1", runtime=runtime
            )
            s3.put_object(Bucket="bench-stage", Key=staging.script_key(run_id), Body=script.encode())

        def watcher() -> Watcher:
            return Watcher(
                s3=s3, ec2=ec2, bucket="bench-stage", owner="bench", reapply=dict, relaunch=relaunch
            )

        ticks, own = [], []
        for i in range(args.runs):
            run_id = staging.new_run_id()
            ids = _run(s3, ec2, "bench-stage", run_id, ["running"] * NODES)
            t0 = time.perf_counter()
            assert watcher().tick().verdict == "running"
            ticks.append(time.perf_counter() - t0)
            ec2.terminate_instances(InstanceIds=[ids[7]])  # a spot interruption
            clock.spent = 0.0
            t0 = time.perf_counter()
            assert watcher().tick().verdict == "recovered"
            own.append(time.perf_counter() - t0 - clock.spent)
            ec2.terminate_instances(InstanceIds=ids)
            if i == 0:
                ticks.clear()  # the first tick pays imports and connection set-up
        tick, recovery = statistics.median(ticks or [0.0]), statistics.median(own)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ok = "ok" if tick <= TICK_TARGET_S else "OVER TARGET"
    print(
        f"watch tick, {NODES}-node run against moto: {tick * 1000:.0f} ms median "
        f"(target {TICK_TARGET_S:.0f} s) {ok}"
    )
    ok = "ok" if recovery <= RECOVERY_TARGET_S else "OVER TARGET"
    print(
        f"recovery, runctl's own time (engine and AWS excluded): {recovery * 1000:.0f} ms median "
        f"(target {RECOVERY_TARGET_S:.0f} s) {ok}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
