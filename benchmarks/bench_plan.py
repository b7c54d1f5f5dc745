"""Offline plan of a generated spec against a base that differs in about 10 %, as a whole process.

Times `runctl plan SPEC --against BASE.json --offline --output json` (process start, spec
load and checks, compile, diff, cost, policy, JSON rendering) for a spec of about 1,000
resources (target: median <= 1.0 s) and about 10,000 (target: <= 10 x the 1,000 figure).

The spec is YAML with buckets (5 resources each, with lifecycle rules) and multi-node
groups mounting volumes; the base is the same generator with a quarter of the blocks
changed (instance type, volume sizes, an extra bucket), compiled to a Graph JSON file.
A runctl.toml beside the spec raises the instance cap so the plan is not blocked.

Usage: python benchmarks/bench_plan.py [--runs N] [--blocks N ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import verdict

TARGET_1K_S = 1.0
LINEAR_FACTOR = 10
BUCKETS_PER_BLOCK = 5
GROUP_COUNT = 4
MOUNTS = 3


def spec_yaml(blocks: int, variant: bool) -> str:
    """One block: 5 buckets (25 resources) + a group of 4 nodes with 3 volumes each (34 resources)."""
    out = ["version: 1", "name: bench", "region: us-east-1", "ttl: 8h", "buckets:"]
    for b in range(blocks):
        changed = variant and b % 4 == 0
        for k in range(BUCKETS_PER_BLOCK + (1 if changed else 0)):
            out += [
                f"  bucket-{b}-{k}:",
                f"    versioning: {'true' if k % 2 == 0 else 'false'}",
                "    lifecycle:",
                "      - {prefix: tmp/, expire_after_days: 7}",
            ]
    out.append("volumes:")
    for b in range(blocks):
        changed = variant and b % 4 == 0
        for m in range(MOUNTS):
            out += [f"  vol-{b}-{m}:", f"    size_gb: {100 + m - (10 if changed else 0)}", "    type: gp3"]
    out.append("instances:")
    for b in range(blocks):
        changed = variant and b % 4 == 0
        out += [
            f"  group-{b}:",
            f"    type: {'g5.2xlarge' if changed else 'g5.12xlarge'}",
            f"    count: {GROUP_COUNT}",
            "    volumes:",
            *(f"      vol-{b}-{m}: /mnt/{m}" for m in range(MOUNTS)),
        ]
    out += ["training:", "  group: group-0", "  run: python train.py", "  max_runtime: 4h", ""]
    return "\n".join(out)


def prepare(folder: Path, blocks: int) -> tuple[Path, Path, int, int]:
    """Write spec.yaml, base.json and runctl.toml; returns (spec, base, resources, changed resources)."""
    from runctl_iac.compiler import compile as compile_spec
    from runctl_iac.plan.diff import diff_graphs
    from runctl_iac.spec import load_spec_or_raise

    (folder / "runctl.toml").write_text(f"max_instances = {blocks * GROUP_COUNT}\n")
    spec = folder / "spec.yaml"
    spec.write_text(spec_yaml(blocks, variant=False))
    base_yaml = folder / "base-spec.yaml"
    base_yaml.write_text(spec_yaml(blocks, variant=True))
    new_graph, _ = compile_spec(load_spec_or_raise(spec))
    base_graph, _ = compile_spec(load_spec_or_raise(base_yaml))
    base = folder / "base.json"
    base.write_text(base_graph.dumps())
    changes = diff_graphs(base_graph, new_graph)
    return spec, base, len(new_graph.resources), sum(1 for c in changes.changes if c.action.value != "no-op")


def runctl_command() -> list[str]:
    script = Path(sys.executable).parent / "runctl"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from runctl_iac.cli import main; main()"]


def time_plan(folder: Path, spec: Path, base: Path, runs: int) -> list[float]:
    cmd = [*runctl_command(), "plan", str(spec), "--against", str(base), "--offline", "--output", "json"]
    env = {**os.environ, "NO_COLOR": "1"}
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=folder, capture_output=True, env=env, check=False)
        walls.append(time.perf_counter() - start)
        if proc.returncode not in (0, 2):
            sys.stderr.write(proc.stderr.decode(errors="replace")[-2000:])
            raise SystemExit(f"runctl plan exited {proc.returncode}")
        doc = json.loads(proc.stdout)
        if not doc["has_changes"] or doc["blocked"]:
            raise SystemExit("the generated plan should have changes and not be blocked")
    return walls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--blocks", type=int, nargs="+", default=[17, 170], help="59 resources per block")
    args = parser.parse_args()
    medians: list[tuple[int, float]] = []
    print(f"plan --offline --output json against a ~10 % different base ({os.cpu_count()} CPUs)")
    for blocks in args.blocks:
        with tempfile.TemporaryDirectory(prefix="runctl-bench-plan-") as tmp:
            folder = Path(tmp)
            spec, base, resources, changed = prepare(folder, blocks)
            runs = args.runs if resources < 5000 else max(3, args.runs // 2)
            walls = time_plan(folder, spec, base, runs)
        median = statistics.median(walls)
        medians.append((resources, median))
        print(
            f"  {resources:>6} resources ({changed} changed, {100 * changed / resources:.0f} %): "
            f"median wall {median:.3f} s (min {min(walls):.3f}, max {max(walls):.3f}, {runs} runs)"
        )
    small = medians[0]
    judged = verdict(small[1], TARGET_1K_S)
    print(f"  target: ~1,000 resources <= {TARGET_1K_S:.1f} s: {judged}")
    for resources, median in medians[1:]:
        limit = small[1] * LINEAR_FACTOR
        ratio = median / small[1]
        judged = verdict(median, limit)
        target = f"target <= {LINEAR_FACTOR} x: {judged}"
        print(f"  {resources} resources: {ratio:.1f} x the {small[0]} figure; {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
