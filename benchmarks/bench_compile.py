"""Compiling a generated spec of about 1,000 resources: median seconds against the 0.5 s target.

The spec is built in memory (typed `Spec` objects, no YAML) so only the compiler is timed:
buckets with lifecycle rules, multi-node groups mounting several volumes each, and secrets.
The timed work is `compile(spec)` plus `Graph.dumps()` (the JSON every consumer hashes).
No pulumi import (checked).

Usage: python benchmarks/bench_compile.py [--runs N] [--resources N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal

from figures import verdict

from runctl_iac.compiler import compile
from runctl_iac.spec.model import (
    Bucket,
    Checkpoints,
    Duration,
    InstanceGroup,
    LifecycleRule,
    Mount,
    Spec,
    Spot,
    Training,
    Volume,
)

TARGET_S = 0.5
BUCKETS_PER_BLOCK = 5  # each: bucket, versioning, public access block, encryption, lifecycle = 5 resources
GROUP_COUNT = 4  # nodes per group
MOUNTS = 3  # volumes per node


def generate(blocks: int) -> Spec:
    """One block = 5 buckets (25 resources) + 1 group of 4 nodes x 3 volumes (6 + 4 + 12 + 12 = 34)."""
    buckets = {}
    volumes = {}
    instances = {}
    for b in range(blocks):
        for k in range(BUCKETS_PER_BLOCK):
            name = f"bucket-{b}-{k}"
            rules = (LifecycleRule("tmp/", 7), LifecycleRule(f"runs/{k}/", 30))
            buckets[name] = Bucket(name, versioning=k % 2 == 0, lifecycle=rules, retain=k == 0)
        mounts = []
        for m in range(MOUNTS):
            vname = f"vol-{b}-{m}"
            volumes[vname] = Volume(vname, 100 + m, iops=3000 + m, throughput_mbps=125, retain=m == 0)
            mounts.append(Mount(vname, f"/mnt/{m}"))
        group = f"group-{b}"
        spot = Spot(Decimal("3.25")) if b % 2 else None
        instances[group] = InstanceGroup(
            group, "g5.12xlarge", count=GROUP_COUNT, spot=spot, mounts=tuple(mounts)
        )
    training = Training(
        group="group-0",
        run="torchrun train.py",
        secrets=tuple(f"SECRET_{i}" for i in range(10)),
        checkpoints=Checkpoints("/mnt/0/ckpt", "bucket-0-0", Duration("30m", 1800)),
    )
    return Spec(
        version=1,
        name="bench",
        region="us-east-1",
        tags={"team": "bench"},
        ttl=Duration("8h", 8 * 3600),
        buckets=buckets,
        volumes=volumes,
        instances=instances,
        training=training,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--resources", type=int, default=1000, help="approximate resource count")
    args = parser.parse_args()
    spec = generate(max(1, round(args.resources / 59)))
    graph, _ = compile(spec)  # warm-up (imports) and size
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        graph, _ = compile(spec)
        graph.dumps()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("pulumi", "pulumi_aws", "boto3"))
    judged = verdict(median, TARGET_S)
    print(f"compile: {len(graph.resources)} resources, {args.runs} runs")
    spread = f"(min {min(times):.3f}, max {max(times):.3f})"
    print(f"  median {median:.3f} s  {spread}  target <= {TARGET_S} s: {judged}")
    print(f"  per resource {median / len(graph.resources) * 1e6:.0f} µs")
    if leaked:
        print(f"  cloud SDK imported on the offline path: {', '.join(leaked)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
