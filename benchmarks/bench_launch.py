"""The launch: rendering 64 node scripts (target 50 ms) and the fan-out to 64 nodes (target 2 x one node).

Rendering: `render_script` for every rank of a 64-node group with env, secrets, checkpoints and a
mount per node; median of several runs.

Fan-out: `start_run` against a moto server (S3; SSM SendCommand and GetCommandInvocation), for a
1-node and a 64-node group in the same process, median of several runs each. Moto answers 500 for
DescribeInstanceInformation, so that one call is answered by a stand-in that reports every agent
online (as tests/launch/fakessm.py does); every other call goes to moto over HTTP.

Moto (its own process, `moto_server`) handles one request at a time (a few ms of CPU each, under its GIL), so
with no latency the 64-node figure measures moto's CPU for the 64 x 2 per-node SSM calls rather
than the launcher's concurrency. The benchmark therefore also runs with a simulated round trip per
AWS call (`--latency-ms`, default 50, slept in botocore's before-send hook; AWS API calls take tens
of milliseconds), which is what the fan-out has to hide.

Usage: python benchmarks/bench_launch.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RENDER_TARGET_S = 0.050
FANOUT_TARGET_RATIO = 2.0
NODES = 64


def _plan(count: int) -> Any:
    from runctl_iac.compiler import compile
    from runctl_iac.spec.model import (
        Bucket,
        Checkpoints,
        Duration,
        InstanceGroup,
        Mount,
        Spec,
        Training,
        Volume,
    )

    spec = Spec(
        version=1,
        name="bench",
        region="us-east-1",
        buckets={"ckpt": Bucket("ckpt")},
        volumes={"data": Volume("data", 100)},
        instances={"gpu": InstanceGroup("gpu", "p5.48xlarge", count=count, mounts=(Mount("data", "/data"),))},
        training=Training(
            group="gpu",
            run="torchrun --nnodes $RUNCTL_NUM_NODES train.py",
            setup="pip install -r requirements.txt",
            env={f"VAR_{i}": f"value {i} $(not expanded)" for i in range(20)},
            secrets=("HF_TOKEN", "WANDB_API_KEY"),
            checkpoints=Checkpoints("/data/ckpt", "ckpt", Duration("30m", 1800)),
            max_runtime=Duration("12h", 43200),
        ),
    )
    return compile(spec)[1]


def bench_render(runs: int) -> float:
    from runctl_iac.launch.script import Runtime, render_script

    plan = _plan(NODES)
    volumes = {m.volume_resource: "vol-0123456789abcdef0" for n in plan.nodes for m in n.mounts}
    rt = Runtime("20260101T000000Z-abcdef", "bucket", tuple(f"10.0.0.{i}" for i in range(NODES)), "", volumes)
    render_script(
        plan, 0, project="bench", stack="dev", region="us-east-1", runtime=rt
    )  # template loaded once
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for rank in range(NODES):
            render_script(plan, rank, project="bench", stack="dev", region="us-east-1", runtime=rt)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class _OnlineSsm:
    """SSM through moto, except DescribeInstanceInformation (moto: 500), answered 'Online'."""

    def __init__(self, real: Any, latency: float) -> None:
        self.real = real
        self.latency = latency

    def describe_instance_information(self, **kwargs: Any) -> dict[str, Any]:
        time.sleep(self.latency)
        ids = kwargs["Filters"][0]["Values"]
        return {"InstanceInformationList": [{"InstanceId": i, "PingStatus": "Online"} for i in ids]}

    def send_command(self, **kwargs: Any) -> Any:
        return self.real.send_command(**kwargs)

    def get_command_invocation(self, **kwargs: Any) -> Any:
        return self.real.get_command_invocation(**kwargs)


def bench_fanout(runs: int, latency: float) -> tuple[float, float]:
    import boto3

    from runctl_iac.launch import core
    from runctl_iac.launch.aws import Clients, clients

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[name] = "bench"
    # moto in its own process, as the suite's tests use it: its CPU does not compete with the launcher's
    import socket
    import subprocess

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    moto = Path(sys.executable).parent / "moto_server"
    server = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        real = clients("us-east-1", endpoint)
        if latency:
            for client in (real.s3, real.ssm):
                client.meta.events.register("before-send", lambda **_kw: time.sleep(latency))
        c = Clients(s3=real.s3, ssm=_OnlineSsm(real.ssm, latency))
        medians = []
        with tempfile.TemporaryDirectory() as tmp:
            for count in (1, NODES):
                plan = _plan(count)
                bucket = f"bench-{count}"
                boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint).create_bucket(
                    Bucket=bucket
                )
                outputs = {
                    "instances": {
                        n.instance_resource: {"id": f"i-{n.rank:017x}", "private_ip": f"10.0.0.{n.rank}"}
                        for n in plan.nodes
                    },
                    "buckets": {"_staging": bucket},
                    "volumes": {
                        m.volume_resource: "vol-0123456789abcdef0" for n in plan.nodes for m in n.mounts
                    },
                }
                target = core.resolve_target("bench", "dev", "us-east-1", plan, outputs)
                times = []
                for _ in range(runs):
                    t0 = time.perf_counter()
                    core.start_run(
                        target,
                        c,
                        spec_dir=Path(tmp),
                        confirm=lambda _q: True,
                        report=lambda _l: None,
                        poll=0.05,
                    )
                    times.append(time.perf_counter() - t0)
                medians.append(statistics.median(times))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return medians[0], medians[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    render = bench_render(args.runs * 4)
    verdict = "ok" if render <= RENDER_TARGET_S else "SLOW"
    target = f"target {RENDER_TARGET_S * 1000:.0f} ms"
    print(f"render {NODES} node scripts: {render * 1000:.1f} ms median ({target}) {verdict}")
    for latency in (0.0, args.latency_ms / 1000):
        one, many = bench_fanout(args.runs, latency)
        ratio = many / one
        verdict = "ok" if ratio <= FANOUT_TARGET_RATIO else "SLOW"
        print(
            f"launch fan-out, {latency * 1000:.0f} ms per AWS call: 1 node {one * 1000:.0f} ms, "
            f"{NODES} nodes {many * 1000:.0f} ms median: {ratio:.2f} x "
            f"(target {FANOUT_TARGET_RATIO:.0f} x) {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
