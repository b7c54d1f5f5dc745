"""`make engine-cli` and the engine suite against the issue's targets.

- no-op: `make engine-cli` while the cached binary exists (nothing is rebuilt);
- warm: the CLI built into a fresh cache directory with the Go module and build caches warm
  (what a new clone pays once the machine has built it before): target <= 60 s;
- suite (with --suite): `make test-engine`, the engine-marked tests through that CLI: target <= 300 s.

Skipped, with the reason, where Go is not installed.
Usage: .venv/bin/python benchmarks/bench_engine_cli.py [--suite]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", action="store_true", help="also time make test-engine (minutes)")
    args = parser.parse_args()
    if shutil.which("go") is None:
        print("engine-cli: skipped (no Go toolchain on PATH)")
        return 0
    first = timed(["make", "engine-cli"])
    noop = timed(["make", "engine-cli"])
    print(f"engine-cli first call (builds only if the cache was empty): {first:.1f} s")
    print(f"engine-cli no-op with the cached binary: {noop:.2f} s")
    with tempfile.TemporaryDirectory() as cache:
        warm = timed(["make", "engine-cli", f"ENGINE_CACHE={cache}"])
    verdict = "ok" if warm <= 60 else "OVER"
    print(f"engine-cli into an empty cache, Go caches warm: {warm:.1f} s (target <= 60 s: {verdict})")
    if args.suite:
        suite = timed(["make", "test-engine"])
        verdict = "ok" if suite <= 300 else "OVER"
        print(f"make test-engine: {suite:.0f} s (target <= 300 s: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
