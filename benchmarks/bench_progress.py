"""10,000 synthetic engine events through the progress model and the plain renderer.

Target: <= 0.5 s for the 10,000 (events are built beforehand: the SDK parses them before runctl
sees them). Also shows that the live view's redraws are bounded by its refresh rate, not by the
event rate: the number of table renders during the burst is printed with the bound.

Usage: python benchmarks/bench_progress.py [--events N] [--runs N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

from figures import verdict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_S = 0.5
TYPES = ("aws:ec2/instance:Instance", "aws:ebs/volume:Volume", "aws:s3/bucket:Bucket", "aws:iam/role:Role")


def synthetic(n: int) -> list[object]:
    """n events: per resource a pre event and an outputs event, a diagnostic every 50, a summary."""
    from pulumi.automation.events import EngineEvent

    out: list[object] = [
        EngineEvent.from_json({"sequence": 0, "timestamp": 0, "preludeEvent": {"config": {}}})
    ]
    i = 0
    while len(out) < n - 1:
        typ = TYPES[i % len(TYPES)]
        urn = f"urn:pulumi:dev::bench::{typ}::res-{i}"
        meta = {"op": "create" if i % 3 else "update", "urn": urn, "type": typ, "provider": ""}
        out.append(
            EngineEvent.from_json(
                {"sequence": len(out), "timestamp": i, "resourcePreEvent": {"metadata": meta}}
            )
        )
        if i % 50 == 0:
            diag = {
                "message": f"warning: resource {i} is slow",
                "color": "never",
                "severity": "warning",
                "urn": urn,
            }
            out.append(EngineEvent.from_json({"sequence": len(out), "timestamp": i, "diagnosticEvent": diag}))
        out.append(
            EngineEvent.from_json(
                {"sequence": len(out), "timestamp": i + 2, "resOutputsEvent": {"metadata": meta}}
            )
        )
        i += 1
    summary = {
        "maybeCorrupt": False,
        "durationSeconds": i,
        "resourceChanges": {"create": i},
        "PolicyPacks": {},
    }
    out.append(EngineEvent.from_json({"sequence": len(out), "timestamp": i, "summaryEvent": summary}))
    return out[:n]


def plain_once(events: list[object]) -> float:
    from runctl_iac.render.progress import PlainView, summary_text

    sink = io.StringIO()
    start = time.perf_counter()
    view = PlainView(sink.write)
    for e in events:
        view.handle(e)
    summary_text(view.model)
    return time.perf_counter() - start


def live_renders(events: list[object]) -> tuple[int, float]:
    from runctl_iac.render.progress import LIVE_REFRESH_PER_SECOND, LiveView

    class Counting(LiveView):
        renders = 0

        def _table(self) -> object:
            Counting.renders += 1
            return super()._table()

    start = time.perf_counter()
    view = Counting(io.StringIO(), color=False)
    for e in events:
        view.handle(e)
    view.close()
    elapsed = time.perf_counter() - start
    return Counting.renders, elapsed * LIVE_REFRESH_PER_SECOND + 3


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    events = synthetic(args.events)
    times = [plain_once(events) for _ in range(args.runs)]
    median = statistics.median(times)
    judged = verdict(median, TARGET_S)
    print(
        f"progress model + plain view, {len(events)} events: median {median:.3f} s "
        f"(min {min(times):.3f}) target <= {TARGET_S} s  {judged}"
    )
    renders, bound = live_renders(events)
    print(f"live view during the burst: {renders} renders (bound by refresh rate: <= {bound:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
