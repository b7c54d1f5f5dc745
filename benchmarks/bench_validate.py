"""`runctl validate examples/llama-finetune.yaml` as a whole process: median wall time and peak RSS.

Targets (issue 2): median wall <= 0.25 s, peak memory <= 60 MiB on the 2-core CI machine.
Usage: python benchmarks/bench_validate.py [--runs N] [SPEC]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from figures import verdict

ROOT = Path(__file__).resolve().parent.parent
TARGET_WALL_S = 0.25
TARGET_RSS_MIB = 60.0


def runctl_command() -> list[str]:
    exe = Path(sys.executable).parent / "runctl"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("runctl")
    return [found] if found else [sys.executable, "-c", "from runctl_iac.cli import main; main()"]


def measure(spec: str, runs: int) -> tuple[list[float], float]:
    """Wall times of `runs` runs, and the largest peak RSS (MiB) of any of them."""
    cmd = [*runctl_command(), "validate", spec]
    env = {**os.environ, "NO_COLOR": "1"}
    walls = []
    peak = 0.0
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=False)  # warm the file cache
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"runctl validate {spec} failed (exit {proc.returncode}):\n{proc.stdout.decode()}")
        # RUSAGE_CHILDREN's maxrss is the largest of the waited-for children so far (KiB on Linux)
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return walls, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default="examples/llama-finetune.yaml")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if not (ROOT / args.spec).exists():
        print(f"validate: skipped, {args.spec} not found")
        return 0
    walls, peak = measure(args.spec, args.runs)
    median = statistics.median(walls)
    verdict_wall = verdict(median, TARGET_WALL_S)
    verdict_rss = verdict(peak, TARGET_RSS_MIB)
    print(f"validate {args.spec} ({args.runs} runs, {os.cpu_count()} CPUs)")
    print(
        f"  median wall {median:.3f} s (min {min(walls):.3f}, max {max(walls):.3f}); "
        f"target <= {TARGET_WALL_S:.2f} s: {verdict_wall}"
    )
    print(f"  peak RSS    {peak:.1f} MiB; target <= {TARGET_RSS_MIB:.0f} MiB: {verdict_rss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
