"""The performance suite: runs every benchmarks/bench_*.py in its own process and prints its figures.

    python benchmarks/run.py            (or: make bench)

Benchmarks print figures against their targets; they are not pass/fail tests, so this exits 0
unless a benchmark itself crashes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    crashed = []
    for bench in sorted(HERE.glob("bench_*.py")):
        print(f"== {bench.stem}", flush=True)
        proc = subprocess.run([sys.executable, str(bench)], cwd=HERE.parent, check=False)
        if proc.returncode != 0:
            crashed.append(bench.name)
            print(f"{bench.name} exited with {proc.returncode}", flush=True)
    if crashed:
        print(f"crashed: {', '.join(crashed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
